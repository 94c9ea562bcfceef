"""The board, stats and sighting reads at the driver level (sqlite3's cursor, asyncpg's fetch):
the rows SQLAlchemy's execution gives, without going through it, on both databases; on
PostgreSQL a read whose connection the server cut is run once more."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from sqlalchemy import event

from bot.bootstrap import App
from bot.storage import pg_pool
from bot.storage.boards import (
    _ASKER_BOARD,
    _ASKER_TEAM_BOARD,
    _OWN_STATS,
    _STATS,
    _TEAM_BOARD,
    _USER_BOARD,
)
from bot.storage.database import Database
from bot.storage.driver_sql import Compiled, day, instant
from bot.storage.migrate import upgrade
from bot.storage.users import _SIGHTING
from tests.conftest import fresh_pg_database, require_pg
from tests.helpers import drop_pooled_connection
from tests.test_lean_boards import WS, scored_players


def same(got: Any, want: Any) -> bool:
    """A driver's value against SQLAlchemy's: instants as text (sqlite3) or naive (asyncpg),
    booleans as 0 or 1 (sqlite3)."""
    if isinstance(want, dt.datetime):
        return instant(got) == instant(want)
    if isinstance(want, dt.date):
        return day(got) == want
    if isinstance(want, bool):
        return isinstance(got, bool | int) and bool(got) == want
    return bool(got == want and type(got) is type(want))


async def test_driver_level_reads_give_sqlalchemys_rows_without_its_execution(app: App) -> None:
    ids = await scored_players(app, 12)
    db = app.db
    mid = ids[4]
    reads: list[tuple[Compiled, dict[str, Any]]] = [
        (_USER_BOARD, {"workspace": WS, "period": "all", "limit": 3, "user": mid}),
        (_ASKER_BOARD, {"workspace": WS, "period": "all", "limit": 3, "external": "p4"}),
        (_TEAM_BOARD, {"workspace": WS, "period": "all", "limit": 3, "user": ids[5]}),
        (_ASKER_TEAM_BOARD, {"workspace": WS, "period": "all", "limit": 3, "external": "p5"}),
        (_STATS, {"workspace": WS, "user": mid}),
        (_OWN_STATS, {"workspace": WS, "user": mid}),
        (_SIGHTING, {"workspace": WS, "user": "p4", "channel": "general"}),
    ]
    executed: list[Any] = []

    def through_sqlalchemy(_conn: Any, clause: Any, *_: Any) -> None:
        executed.append(clause)

    engines = [db.engine.sync_engine, *db.sync_engines()]
    engines += [db.lean.sync_engine] if db.lean is not None else []
    for stmt, params in reads:
        for engine in engines:
            event.listen(engine, "before_execute", through_sqlalchemy)
        try:
            got = await db.read_sync(
                lambda conn, s=stmt, p=params: s.rows(conn, p), short=True, single=True
            )
        finally:
            for engine in engines:
                event.remove(engine, "before_execute", through_sqlalchemy)
        assert executed == [], executed
        async with db.read() as conn:
            want = (await conn.execute(stmt.stmt, params)).all()
        assert len(want) >= 2 or stmt is _SIGHTING, want
        assert len(got) == len(want)
        key = tuple(want[0]._fields)
        # The rows in one order on both sides, by the columns both drivers give alike.
        alike = [
            i
            for i in range(len(key))
            if not any(isinstance(r[i], bool | float | dt.date) for r in want)
        ]

        def order(row: Any, alike: list[int] = alike) -> list[str]:
            return [str(row[i]) for i in alike]

        for g, w in zip(sorted(got, key=order), sorted(want, key=order), strict=True):
            assert g._fields == key
            assert all(same(a, b) for a, b in zip(g, w, strict=True)), (g, w)
        # Each row's values by name, as the stores read them.
        assert [getattr(r, key[0]) for r in got] == [r[0] for r in got]


@pytest.mark.postgres
async def test_a_driver_level_read_on_a_connection_found_dead_runs_once_more(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = await fresh_pg_database(require_pg())
    db = Database(url)
    try:
        await upgrade(db.engine)
        assert db.lean is not None
        await drop_pooled_connection(url, db.lean.connect)
        # Neither the local check nor a ping finds it: the driver-level fetch does.
        monkeypatch.setattr(pg_pool, "_closed", lambda _connection: False)
        monkeypatch.setattr(pg_pool, "PING_AFTER_IDLE_S", 3600.0)
        params = {"workspace": WS, "user": "nobody", "channel": "general"}
        with caplog.at_level(logging.INFO, logger="bot.storage.pg_pool"):
            [row] = await db.read_sync(
                lambda conn: _SIGHTING.rows(conn, params), short=True, single=True
            )
        assert row.u_id is None and row.id is None
        assert "running the transaction again" in caplog.text
    finally:
        await db.dispose()
