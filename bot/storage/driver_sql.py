"""SQL run straight on SQLite's own connection, below SQLAlchemy's execution, for hot paths."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.util import await_

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
    `before_cursor_execute` and `after_cursor_execute` listeners still see each statement
    (the bench's and tests' counters; the after ones only when it succeeded, as in
    SQLAlchemy), and an error is raised as SQLAlchemy's exception, as through
    `exec_driver_sql` (write_sync turns a full disk into StorageFull from it). Elsewhere
    (aiosqlite, for a memory database) through `exec_driver_sql`. `row`: a row factory (the
    default: tuples); `many`: an executemany of `params`, one tuple per row, returning no rows."""
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
            found = []
        else:
            found = cursor.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc
    finally:
        cursor.close()
    after = conn.dispatch.after_cursor_execute
    if after:
        for listen in after:
            listen(conn, cursor, sql, params, None, many)
    return found


class Compiled:
    """A statement built once with SQLAlchemy, run at the driver level: compiled to SQL once
    per dialect, its parameters put in order from a dict, its rows named tuples with the
    statement's column names. On SQLite through `run`: own `stats` through SQLAlchemy's
    execution and result rows cost about as much CPU as SQLite's work on it at full size
    (docs/scaling.md, session 10). On PostgreSQL over asyncpg, on an autocommit connection
    (the lean pool of Database.read_sync), through asyncpg's own `fetch` and its cache of
    prepared statements: SQLAlchemy's execution context, cursor adapter and result rows
    were about half of a command's CPU there (session 11). Elsewhere (a memory database,
    a connection in a transaction) through SQLAlchemy, whose rows carry the same names. The
    values come back as the driver gives them: on SQLite a stored instant is text, on
    asyncpg a naive datetime (see `instant`)."""

    def __init__(self, stmt: sa.Select[Any] | sa.CompoundSelect[Any], name: str) -> None:
        self.stmt = stmt
        keys = list(stmt.selected_columns.keys())
        make: Any = namedtuple(name, keys)  # type: ignore[misc]  # names from the statement
        self._make: Callable[[Any], Any] = make._make
        self._row: Row = lambda _cursor, values: make._make(values)
        self._sql: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {}

    def rows(self, conn: sa.Connection, params: Mapping[str, Any]) -> list[Any]:
        raw = conn.connection.driver_connection
        if isinstance(raw, sqlite3.Connection):
            return run(conn, *self._bound(conn, params), row=self._row)
        adapted = conn.connection.dbapi_connection
        if conn.dialect.driver == "asyncpg" and getattr(adapted, "autocommit", False):
            return self._fetch(conn, raw, params)
        return list(conn.execute(self.stmt, dict(params)))

    def _bound(self, conn: sa.Connection, params: Mapping[str, Any]) -> tuple[str, tuple[Any, ...]]:
        """The statement's SQL for this connection's dialect and its values in order."""
        found = self._sql.get(conn.dialect.name)
        if found is None:
            compiled = self.stmt.compile(dialect=conn.dialect)
            # No bind of these statements is converted on its way in (plain text and
            # integers); one that needed it would be sent unconverted, so refuse it here.
            assert not compiled._bind_processors, compiled._bind_processors
            names = tuple(compiled.positiontup or ())
            defaults = dict(compiled.construct_params(_check=False))
            found = self._sql[conn.dialect.name] = (compiled.string, names, defaults)
        sql, names, defaults = found
        values = {**defaults, **params}
        return sql, tuple(values[n] for n in names)

    def _fetch(self, conn: sa.Connection, raw: Any, params: Mapping[str, Any]) -> list[Any]:
        """asyncpg's `fetch` from the synchronous body (SQLAlchemy's greenlet bridge), with
        the cursor listeners called as `run` calls them."""
        sql, values = self._bound(conn, params)
        for listen in conn.dispatch.before_cursor_execute:
            listen(conn, None, sql, values, None, False)
        try:
            found = await_(raw.fetch(sql, *values))
        except Exception:
            # Run again through SQLAlchemy's execution (a read: harmless twice): its own
            # error, and a connection the server cut is invalidated, so read_sync's retry
            # gets a new one.
            return list(conn.execute(self.stmt, dict(params)))
        for listen in conn.dispatch.after_cursor_execute:
            listen(conn, None, sql, values, None, False)
        make = self._make
        return [make(r) for r in found]


def instant(value: str | dt.datetime | None) -> dt.datetime | None:
    """A stored instant as an aware UTC datetime: sqlite3 hands back SQLAlchemy's text
    (naive UTC), the other drivers a datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        # The offset appended to the text, not `replace(tzinfo=...)` on the result: the
        # keyword call cost ten times the parse, twice per review card of own stats.
        return dt.datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def day(value: str | dt.date | None) -> dt.date | None:
    """A stored date (text on sqlite3, a date elsewhere)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
