"""SQL straight on SQLite's connection: rows, listeners and errors as through SQLAlchemy."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.database import is_full
from bot.storage.driver_sql import run

Pair = namedtuple("Pair", "a b")


def _pair(_cursor: Any, values: tuple[Any, ...]) -> Pair:
    return Pair._make(values)


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    made = sa.create_engine(f"sqlite:///{tmp_path / 'd.db'}")
    with made.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)")
    return made


def _rows(conn: sa.Connection) -> None:
    run(conn, "CREATE TABLE IF NOT EXISTS t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)")
    run(conn, "INSERT INTO t (a, b) VALUES (?, ?)", [(1, "x"), (2, "y")], many=True)
    assert run(conn, "SELECT a, b FROM t ORDER BY a") == [(1, "x"), (2, "y")]
    got = run(conn, "INSERT INTO t (a, b) VALUES (?, ?) RETURNING a, b", (3, "z"), row=_pair)
    assert got == [Pair(3, "z")] and got[0].b == "z"
    assert run(conn, "UPDATE t SET b = ? WHERE a = ?", ("w", 1)) == []
    assert run(conn, "SELECT b FROM t WHERE a = 1") == [("w",)]


def test_rows_come_back_as_tuples_or_through_the_row_factory(engine: sa.Engine) -> None:
    with engine.begin() as conn:  # the sqlite3 driver's own cursor
        _rows(conn)


async def test_the_same_rows_through_sqlalchemy_where_the_driver_is_aiosqlite() -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_rows)
    finally:
        await engine.dispose()


def test_statement_listeners_see_each_statement(engine: sa.Engine) -> None:
    seen: list[tuple[str, bool]] = []

    def listen(_c: Any, _cur: Any, sql: str, _p: Any, _ctx: Any, many: bool) -> None:
        seen.append((sql, many))

    sa.event.listen(engine, "before_cursor_execute", listen)
    with engine.begin() as conn:
        run(conn, "INSERT INTO t (a, b) VALUES (?, ?)", [(1, "x")], many=True)
        run(conn, "SELECT a FROM t")
    assert ("INSERT INTO t (a, b) VALUES (?, ?)", True) in seen
    assert ("SELECT a FROM t", False) in seen


def test_errors_are_sqlalchemys_with_the_drivers_error_inside(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        run(conn, "INSERT INTO t (a, b) VALUES (1, 'x')")
        with pytest.raises(sa.exc.IntegrityError) as caught:
            run(conn, "INSERT INTO t (a, b) VALUES (1, 'again')")
        assert "UNIQUE" in str(caught.value.orig)
        with pytest.raises(sa.exc.OperationalError):
            run(conn, "SELECT nope FROM t")


def test_a_full_database_is_recognised_as_full(tmp_path: Path) -> None:
    # write_sync turns SQLAlchemy's error into StorageFull; the driver's own must reach it so.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'full.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)")
    with engine.begin() as conn:
        run(conn, "PRAGMA max_page_count=3")
        with pytest.raises(sa.exc.DBAPIError) as caught:
            run(
                conn,
                "INSERT INTO t (a, b) VALUES (?, ?)",
                [(n, "x" * 2000) for n in range(20)],
                many=True,
            )
    assert is_full(caught.value)
