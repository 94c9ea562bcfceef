"""The click batch's writes on SQLite as driver-level SQL: plain tuples, timestamps as text."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bot.storage.bulk import many

# SQLite's limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER since 3.32); a
# batch is 500 rows at most, so a statement of 11 columns never needs a second one.
MAX_PARAMS = 32_766

INBOX_ROW = (
    "platform, dedupe_key, workspace, user_ref, payload, route, route_expires_at, state,"
    " attempts, received_at, lease_until"
)
INSERT_INBOX = (
    f"INSERT INTO inbox ({INBOX_ROW})",
    11,
    "ON CONFLICT DO NOTHING RETURNING id, platform, dedupe_key",
)
UPSERT_USERS = (
    "INSERT INTO users (workspace, external_id, display_name, name_key, created_at)",
    5,
    "ON CONFLICT (workspace, external_id) DO UPDATE SET display_name = excluded.display_name,"
    " name_key = excluded.name_key RETURNING id, workspace, external_id",
)
INSERT_ANSWERS = (
    "INSERT INTO answers (round_id, user_id, topic, given, normalized, correct, answered_at)",
    7,
    "ON CONFLICT DO NOTHING RETURNING round_id, user_id",
)
FINISH = "UPDATE inbox SET state = ?, reply = ?, finished_at = ?, lease_until = ? WHERE id = ?"
HOLD = "UPDATE inbox SET payload = ? WHERE id = ?"


def ts(value: dt.datetime) -> str:
    """A timestamp as SQLAlchemy's SQLite DateTime stores it ('YYYY-MM-DD HH:MM:SS.ffffff',
    the value's own wall clock, no offset): what its bind processor would send, formatted
    by C code instead of that processor's Python dict and %-formatting."""
    return value.isoformat(" ", "microseconds")[:26]


def ts_or_none(value: dt.datetime | None) -> str | None:
    return None if value is None else ts(value)


@functools.lru_cache(maxsize=128)
def _values(head: str, width: int, rows: int, tail: str) -> str:
    one = "(" + ", ".join("?" * width) + ")"
    return f"{head} VALUES {', '.join([one] * rows)} {tail}"


def returning(
    conn: sa.Connection, statement: tuple[str, int, str], rows: Sequence[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Run an INSERT ... RETURNING for `rows` as multi-row VALUES (the driver's executemany
    returns no rows), in as few statements as SQLite's parameter limit allows."""
    head, width, tail = statement
    out: list[tuple[Any, ...]] = []
    step = MAX_PARAMS // width
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        params = tuple(value for row in chunk for value in row)
        out.extend(
            tuple(r) for r in conn.exec_driver_sql(_values(head, width, len(chunk), tail), params)
        )
    return out


def finish(conn: sa.Connection, rows: Sequence[tuple[int, str, str | None, dt.datetime]]) -> None:
    """Rows done (or failed) with their replies: (id, state, reply, at), in id order."""
    many(conn, FINISH, [(state, reply, ts(at), ts(at), e) for e, state, reply, at in sorted(rows)])


def hold(conn: sa.Connection, rows: Sequence[tuple[int, str]]) -> None:
    """Held rows' payloads: (id, payload), in id order."""
    many(conn, HOLD, [(payload, e) for e, payload in sorted(rows)])
