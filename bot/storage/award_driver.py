"""A close's big award writes on SQLite through the driver: point events and totals."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bot.storage import driver_sql
from bot.storage.tables import point_events

EVENT_COLUMNS = (
    "workspace",
    "user_id",
    "team_id",
    "source",
    "points",
    "correct",
    "week",
    "month",
    "day",
    "occurred_at",
    "round_id",
)
_EVENTS = (
    f"INSERT INTO point_events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in EVENT_COLUMNS)})"
)
TOTAL_COLUMNS = (
    "workspace",
    "period",
    "kind",
    "subject_id",
    "points",
    "correct",
    "answered",
    "active",
)
# Rows per multi-row upsert: 8 parameters each stays far below SQLite's 32,766.
TOTALS_PER_STATEMENT = 500
_TOTALS_TAIL = (
    " ON CONFLICT (workspace, period, kind, subject_id) DO UPDATE SET"
    " points = totals.points + excluded.points,"
    " correct = totals.correct + excluded.correct,"
    " answered = totals.answered + excluded.answered,"
    " active = totals.active + excluded.active"
    " RETURNING period, kind, subject_id, points, correct"
)
_ROW_MARKS = f"({', '.join('?' for _ in TOTAL_COLUMNS)})"


def usable(conn: sa.Connection) -> bool:
    """True on SQLite's own driver (a file), where these statements skip SQLAlchemy's
    per-row parameter processing: for a close's chunk, about as much CPU as SQLite's work
    on the rows, spent while the chunk holds the writer (docs/scaling.md, session 10)."""
    return isinstance(conn.connection.driver_connection, sqlite3.Connection)


def insert_events(conn: sa.Connection, events: Sequence[dict[str, Any]]) -> None:
    """INSERT the point events (dicts keyed by EVENT_COLUMNS); dates and instants go
    through their columns' own bind processing, once per distinct value."""
    day_type = _processor(conn, point_events.c.day)
    at_type = _processor(conn, point_events.c.occurred_at)
    bound: dict[Any, Any] = {}

    def once(value: Any, process: Any) -> Any:
        key = (value, process is at_type)
        if key not in bound:
            bound[key] = process(value) if process is not None else value
        return bound[key]

    rows = [
        (
            e["workspace"],
            e["user_id"],
            e["team_id"],
            e["source"],
            e["points"],
            e["correct"],
            e["week"],
            e["month"],
            once(e["day"], day_type),
            once(e["occurred_at"], at_type),
            e["round_id"],
        )
        for e in events
    ]
    driver_sql.run(conn, _EVENTS, rows, many=True)


def _processor(conn: sa.Connection, column: sa.Column[Any]) -> Any:
    # The dialect's own type (SQLite's DATETIME text format), not the generic type's,
    # which has no processor and would leave the value to the driver's default adapter.
    return column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)


def upsert_totals(conn: sa.Connection, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Add each row (TOTAL_COLUMNS) to its total, in multi-row statements; returns the
    totals after, as (period, kind, subject id, points, correct)."""
    after: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), TOTALS_PER_STATEMENT):
        part = rows[start : start + TOTALS_PER_STATEMENT]
        sql = (
            f"INSERT INTO totals ({', '.join(TOTAL_COLUMNS)}) VALUES "
            + ", ".join(_ROW_MARKS for _ in part)
            + _TOTALS_TAIL
        )
        after.extend(driver_sql.run(conn, sql, [v for row in part for v in row]))
    return after
