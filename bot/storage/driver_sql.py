"""SQL run straight on SQLite's own connection, below SQLAlchemy's execution, for the click path."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

# A row factory as sqlite3 calls it: (cursor, values) -> row.
Row = Callable[[Any, tuple[Any, ...]], Any]


def run(
    conn: sa.Connection,
    sql: str,
    params: Sequence[Any] = (),
    *,
    many: bool = False,
    row: Row | None = None,
) -> list[Any]:
    """Run `sql` (`?` placeholders, plain values) and return its rows. On the plain sqlite3
    driver the statement goes to the connection's own cursor: a click's five statements
    through SQLAlchemy's execution (its context, result metadata, cursor wrapping) cost
    about as much as SQLite's work on them (docs/scaling.md, session 9). SQLAlchemy's
    `before_cursor_execute` listeners still see each statement (the bench's and tests'
    counters), and an error is raised as SQLAlchemy's exception, as through `exec_driver_sql`
    (write_sync turns a full disk into StorageFull from it). Elsewhere (aiosqlite, for a
    memory database) through `exec_driver_sql`. `row`: a row factory (the default: tuples);
    `many`: an executemany of `params`, one tuple per row, returning no rows."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        result = conn.exec_driver_sql(sql, list(params) if many else tuple(params))
        if many or not result.returns_rows:
            return []
        if row is None:
            return [tuple(r) for r in result]
        return [row(None, tuple(r)) for r in result]
    cursor = raw.cursor()
    listeners = conn.dispatch.before_cursor_execute
    if listeners:
        for listen in listeners:
            listen(conn, cursor, sql, params, None, many)
    if row is not None:
        cursor.row_factory = row
    try:
        if many:
            cursor.executemany(sql, params)
            return []
        return cursor.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
    finally:
        cursor.close()
