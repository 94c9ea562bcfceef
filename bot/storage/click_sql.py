"""The click batch's writes on SQLite as driver-level SQL: plain tuples, timestamps as text."""

from __future__ import annotations

import datetime as dt
import functools
from collections import namedtuple
from collections.abc import Sequence
from itertools import chain
from typing import Any

import sqlalchemy as sa

from bot.storage.driver_sql import run
from bot.storage.inbox_tables import inbox

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
# A row held for the general path: it was inserted done (inbox._write_together).
HOLD = "UPDATE inbox SET payload = ?, state = 'received' WHERE id = ?"


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
        params = tuple(chain.from_iterable(chunk))  # flattened in C: ~40 values a click
        out.extend(run(conn, _values(head, width, len(chunk), tail), params))
    return out


def finish(conn: sa.Connection, rows: Sequence[tuple[int, str, str | None, dt.datetime]]) -> None:
    """Rows done (or failed) with their replies: (id, state, reply, at), in id order."""
    stamps = {at: ts(at) for at in {row[3] for row in rows}}  # a batch's rows share one
    run(
        conn, FINISH, [(s, r, stamps[at], stamps[at], e) for e, s, r, at in sorted(rows)], many=True
    )


def hold(conn: sa.Connection, rows: Sequence[tuple[int, str]]) -> None:
    """Held rows' payloads: (id, payload), in id order."""
    run(conn, HOLD, [(payload, e) for e, payload in sorted(rows)], many=True)


def from_ts(value: str) -> dt.datetime:
    """A timestamp read back as text (driver-level SQL skips SQLAlchemy's result
    processing): the UTC datetime its DateTime would have returned."""
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


# Keys per statement: SQLite parses `a OR b OR c` to a tree as deep as its terms
# (SQLITE_MAX_EXPR_DEPTH 1000; rows.PAIRS_OR_MAX).
PAIRS_MAX = 400
INBOX_COLUMNS = ", ".join(c.name for c in inbox.c)
# Rows read by name, as SQLAlchemy's rows were (driver_sql hands back sqlite3's tuples).
InboxRow = namedtuple("InboxRow", [c.name for c in inbox.c])  # type: ignore[misc]
GivenRow = namedtuple("GivenRow", "round_id user_id given")
LookupRow = namedtuple("LookupRow", "workspace external_id timezone id locks")


def _named(kind: Any) -> Any:
    def make(_cursor: Any, values: tuple[Any, ...]) -> Any:
        return kind._make(values)

    return make


_INBOX_ROW = _named(InboxRow)
_GIVEN_ROW = _named(GivenRow)
_LOOKUP_ROW = _named(LookupRow)
# A failed row, or an unfinished one (inbox.UNFINISHED) whose lease ran out: inbox._take_over.
_TAKE_OVER = (
    "UPDATE inbox SET state = 'processing', attempts = attempts + 1, lease_until = ? WHERE {}"
    " AND (state = 'failed' OR (state IN ('received', 'processing') AND lease_until <= ?))"
    f" RETURNING {INBOX_COLUMNS}"
)
_INBOX_ROWS = f"SELECT {INBOX_COLUMNS} FROM inbox WHERE {{}}"
_GIVEN = "SELECT round_id, user_id, given FROM answers WHERE {}"


@functools.lru_cache(maxsize=256)
def _keyed(template: str, a: str, b: str, n: int) -> str:
    """`template` with (a, b) among n pairs written as an OR of equalities: SQLite searches
    the index on (a, b) term by term, where a row-value IN over a list scans the table.
    Cached by count, as the batches' repeats come in a few sizes."""
    return template.format("(" + " OR ".join([f"({a} = ? AND {b} = ?)"] * n) + ")")


def _by_keys(
    conn: sa.Connection,
    template: str,
    columns: tuple[str, str],
    pairs: Sequence[tuple[Any, Any]],
    row: Any,
    before: tuple[Any, ...] = (),
    after: tuple[Any, ...] = (),
) -> list[Any]:
    out: list[Any] = []
    for start in range(0, len(pairs), PAIRS_MAX):
        chunk = pairs[start : start + PAIRS_MAX]
        sql = _keyed(template, *columns, len(chunk))
        params = (*before, *chain.from_iterable(chunk), *after)
        out.extend(run(conn, sql, params, row=row))
    return out


def take_over(
    conn: sa.Connection, keys: Sequence[tuple[str, str]], now: dt.datetime, until: dt.datetime
) -> list[Any]:
    """Inbox rows of these keys that may be held again (failed, or their lease ran out),
    held until `until`: their rows (every column; timestamps as text)."""
    return _by_keys(
        conn, _TAKE_OVER, ("platform", "dedupe_key"), keys, _INBOX_ROW, (ts(until),), (ts(now),)
    )


def inbox_rows(conn: sa.Connection, keys: Sequence[tuple[str, str]]) -> list[Any]:
    """The inbox rows of these keys (every column; timestamps as text)."""
    return _by_keys(conn, _INBOX_ROWS, ("platform", "dedupe_key"), keys, _INBOX_ROW)


def given(conn: sa.Connection, keys: Sequence[tuple[int, int]]) -> list[Any]:
    """(round_id, user_id, given) of the answers of these (round, user) keys."""
    return _by_keys(conn, _GIVEN, ("round_id", "user_id"), keys, _GIVEN_ROW)


@functools.lru_cache(maxsize=64)
def _lookup_sql(rounds: int, places: int) -> str:
    wanted = " OR ".join(["(c.workspace = ? AND c.external_id = ?)"] * places)
    return (
        "SELECT c.workspace, c.external_id, c.timezone, r.id,"
        " EXISTS (SELECT 1 FROM forgotten_answers f WHERE f.round_id = r.id) AS locks"
        f" FROM channels c JOIN rounds r ON r.id IN ({', '.join('?' * rounds)})"
        f" AND r.closed_at IS NULL WHERE ({wanted})"
    )


def batch_lookup(
    conn: sa.Connection, round_ids: Sequence[int], places: Sequence[tuple[str, str]]
) -> list[Any]:
    """answers.BATCH_LOOKUP on SQLite: (workspace, external_id, timezone, id, locks) of the
    batch's open rounds beside its channels. The channels are searched by their key, pair
    by pair: the row-value IN of BATCH_LOOKUP scanned every channel of the database."""
    out: list[Any] = []
    for start in range(0, len(places), PAIRS_MAX):
        chunk = places[start : start + PAIRS_MAX]
        params = (*round_ids, *chain.from_iterable(chunk))
        sql = _lookup_sql(len(round_ids), len(chunk))
        out.extend(run(conn, sql, params, row=_LOOKUP_ROW))
    return out
