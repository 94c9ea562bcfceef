"""A close paces itself by the clicks: it rests longer and lets them write first while they come."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.storage import rounds as rounds_module
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.short_pace import meter_of
from bot.storage.stores import sql_stores

NOW = dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC)
WS = "console:acme"


async def test_a_click_created_before_a_background_write_takes_the_writer_first(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'pace.db'}")
    order: list[str] = []
    try:

        async def click() -> None:
            await db.write_sync(lambda _conn: order.append("click"), short=True)

        pending = asyncio.create_task(click())  # created, not started yet
        await meter_of(db).yield_to(1.0)
        await db.write_sync(lambda _conn: order.append("chunk"))
        await pending
        assert order == ["click", "chunk"]
    finally:
        await db.dispose()


async def test_short_writes_mark_the_database_as_answering(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'pace.db'}")
    try:
        assert not meter_of(db).within(60.0)
        await db.write_sync(lambda conn: conn.execute(sa.text("SELECT 1")))  # not short
        assert not meter_of(db).within(60.0)
        await db.write_sync(lambda conn: conn.execute(sa.text("SELECT 1")), short=True)
        assert meter_of(db).within(60.0)
        assert not meter_of(db).within(0.0)
    finally:
        await db.dispose()


async def test_the_close_rests_only_while_users_are_answered(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    try:
        store: Any = sql_stores(db).rounds
        rests: list[float] = []
        real_sleep = asyncio.sleep

        async def sleep(delay: float) -> None:
            rests.append(delay)
            await real_sleep(0)

        monkeypatch.setattr(rounds_module.asyncio, "sleep", sleep)
        await store._between_chunks(0.010)  # nobody answering: no rest
        idle = list(rests)
        await db.write_sync(lambda conn: conn.execute(sa.text("SELECT 1")), short=True)
        rests.clear()
        await store._between_chunks(0.010)  # a click just now: rest twice the chunk
        assert idle and max(idle) == 0
        assert max(rests) == pytest.approx(0.010 * rounds_module.REST_PER_WORK)
    finally:
        await db.dispose()
