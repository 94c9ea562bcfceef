"""SQLite under load and out of space: the WAL stays small and a full disk heals by itself."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.commands import SubmitAnswer
from bot.identity import Origin
from bot.replies import Notice, Reply, Tone
from bot.storage import database, engines, wal_index
from bot.storage.tables import answers
from bot.usecases import daily
from tests.conftest import build_test_app, origin

MEDIAN = "ss-median"
MB = 1024 * 1024


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "studybot.db"


@pytest.fixture
async def sqlite_app(db_path: Path, clock: ManualClock) -> AsyncIterator[App]:
    application = await build_test_app(f"sqlite+aiosqlite:///{db_path}", clock)
    yield application
    await application.close()


def wal_size(db_path: Path) -> int:
    wal = Path(f"{db_path}-wal")
    return wal.stat().st_size if wal.exists() else 0


async def open_round(app: App, clock: ManualClock) -> int:
    opened = await daily.open_daily_round(
        app.ctx, origin("Ada", admin=True).place, clock.now(), MEDIAN
    )
    assert opened is not None
    return opened[0].id


def click(round_id: int, n: int) -> tuple[SubmitAnswer, Origin]:
    """Player n clicks an option of the daily card, as the Discord and Slack adapters send it."""
    return SubmitAnswer("", round_id=round_id, choice=n % 4, delivery_id=f"click-{n}"), origin(
        f"P{n}"
    )


def locked_in(replies: list[Reply]) -> bool:
    return len(replies) == 1 and isinstance(replies[0], Notice) and replies[0].tone is Tone.SUCCESS


async def answer_count(app: App) -> int:
    async with app.db.read() as conn:
        return int(
            (await conn.execute(sa.select(sa.func.count()).select_from(answers))).scalar_one()
        )


async def test_ten_thousand_answers_keep_the_wal_under_16_mb(
    sqlite_app: App, clock: ManualClock, db_path: Path
) -> None:
    round_id = await open_round(sqlite_app, clock)
    largest = 0
    # A few clicks at a time, so most commits carry one answer (some 30 KB of WAL each).
    for start in range(0, 10_000, 8):
        clicks = [click(round_id, n) for n in range(start, start + 8)]
        replies = await asyncio.gather(
            *(sqlite_app.dispatcher.dispatch(cmd, who) for cmd, who in clicks)
        )
        assert all(locked_in(r) for r in replies)
        largest = max(largest, wal_size(db_path))
    assert await answer_count(sqlite_app) == 10_000
    assert largest < 16 * MB, f"the WAL reached {largest / MB:.1f} MB"


async def test_the_bot_checkpoints_while_it_runs(
    monkeypatch: pytest.MonkeyPatch, db_path: Path, clock: ManualClock
) -> None:
    # Without SQLite's own auto-checkpoint, only the bot's checkpoints keep the WAL in check
    # (1,500 answers a few at a time write some 14 MB of WAL when nothing folds it).
    monkeypatch.setattr(engines, "AUTOCHECKPOINT_PAGES", 0)
    monkeypatch.setattr(database, "CHECKPOINT_EVERY_S", 0.0)
    monkeypatch.setattr(database, "IDLE_CHECKPOINT_S", 0.05)
    app = await build_test_app(f"sqlite+aiosqlite:///{db_path}", clock)
    try:
        round_id = await open_round(app, clock)
        largest = 0
        for start in range(0, 1_500, 5):
            clicks = [click(round_id, n) for n in range(start, start + 5)]
            await asyncio.gather(*(app.dispatcher.dispatch(cmd, who) for cmd, who in clicks))
            largest = max(largest, wal_size(db_path))
        assert app.db.checkpoints > 0
        assert largest < 6 * MB, f"the WAL reached {largest / MB:.1f} MB"
        # Idle: the WAL file is emptied without waiting for a shutdown.
        for _ in range(400):
            if wal_size(db_path) == 0:
                break
            await asyncio.sleep(0.05)
        assert wal_size(db_path) == 0
        assert await answer_count(app) == 1_500
    finally:
        await app.close()


class PageLimit:
    """Makes the database "full": every write transaction may use at most `pages` pages."""

    def __init__(self, app: App) -> None:
        self.pages: int | None = None
        engines: list[Any] = [app.db.engine.sync_engine]
        if app.db._sync_engine is not None:
            engines.append(app.db._sync_engine)
        for engine in engines:
            event.listen(engine, "begin", self._on_begin)

    def _on_begin(self, conn: sa.Connection) -> None:
        # Lifting the limit restores SQLite's default (the most pages a file may have).
        conn.exec_driver_sql(f"PRAGMA max_page_count={self.pages or 4294967294}")

    async def fill(self, app: App) -> None:
        async with app.db.read() as conn:
            self.pages = int((await conn.exec_driver_sql("PRAGMA page_count")).scalar_one())


async def test_a_full_disk_asks_users_to_retry_logs_once_and_heals(
    sqlite_app: App, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    round_id = await open_round(sqlite_app, clock)
    limit = PageLimit(sqlite_app)
    await limit.fill(sqlite_app)
    caplog.set_level(logging.DEBUG)
    refused: list[tuple[SubmitAnswer, Origin]] = []
    for n in range(400):  # enough answers to need a new page
        cmd, who = click(round_id, n)
        got = await sqlite_app.dispatcher.dispatch(cmd, who)
        if not locked_in(got):
            assert got == [Notice(m.INTERNAL_ERROR, Tone.ERROR)]
            refused.append((cmd, who))
    assert refused, "the page limit never filled the database"
    full_lines = [
        r for r in caplog.records if r.levelno >= logging.ERROR and "database full" in r.message
    ]
    assert len(full_lines) == 1
    assert all(r.exc_info is None for r in caplog.records if r.levelno >= logging.WARNING)
    assert sqlite_app.db.full

    # Space comes back: the very clicks that were refused now go through.
    limit.pages = None
    for cmd, who in refused:
        assert locked_in(await sqlite_app.dispatcher.dispatch(cmd, who))
    assert not sqlite_app.db.full
    assert any("writable again" in r.message for r in caplog.records)
    assert await answer_count(sqlite_app) == 400


async def test_a_clean_stop_leaves_no_wal(
    sqlite_app: App, clock: ManualClock, db_path: Path
) -> None:
    round_id = await open_round(sqlite_app, clock)
    for n in range(50):
        cmd, who = click(round_id, n)
        await sqlite_app.dispatcher.dispatch(cmd, who)
    await sqlite_app.db.checkpoint()
    assert wal_size(db_path) == 0
    assert os.path.getsize(db_path) > 0


class PgError(Exception):
    """What asyncpg's errors look like through SQLAlchemy: an SQLSTATE code."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def test_out_of_space_is_recognised_on_both_databases() -> None:
    def wrapped(orig: Exception) -> sa.exc.DBAPIError:
        return sa.exc.OperationalError("INSERT ...", {}, orig)

    full = sqlite3.OperationalError("database or disk is full")
    locked = sqlite3.OperationalError("database is locked")
    assert database.is_full(wrapped(full))
    assert not database.is_full(wrapped(locked))
    assert database.is_full(wrapped(PgError("53100")))  # disk_full
    assert not database.is_full(wrapped(PgError("23505")))  # unique_violation


async def settled(app: App) -> None:
    """Wait for a checkpoint the clicks started (once a second) to end, so that what a test
    watches next is its own checkpoint."""
    while app.db._checkpoint is not None:
        await asyncio.sleep(0.01)


async def forty_clicks(app: App, clock: ManualClock) -> int:
    """A round with forty answers in the WAL, and no checkpoint of the clicks' running."""
    round_id = await open_round(app, clock)
    for n in range(40):
        cmd, who = click(round_id, n)
        await app.dispatcher.dispatch(cmd, who)
    await settled(app)
    return round_id


async def test_both_files_are_flushed_beside_the_writer_before_the_wal_restarts(
    monkeypatch: pytest.MonkeyPatch, sqlite_app: App, clock: ManualClock, db_path: Path
) -> None:
    # The syncs SQLite makes under the write lock (before the WAL may start again) find
    # little to write when the files were flushed just before, with the writer still running.
    round_id = await forty_clicks(sqlite_app, clock)
    real = os.fdatasync
    flushed: list[tuple[str, bool]] = []

    def spy(fd: int) -> None:
        flushed.append((os.readlink(f"/proc/self/fd/{fd}"), sqlite_app.db._write_lock.locked()))
        real(fd)

    monkeypatch.setattr(os, "fdatasync", spy)
    before = sqlite_app.db.checkpoints
    await sqlite_app.db.checkpoint("PASSIVE")
    assert sqlite_app.db.checkpoints == before + 1
    assert [path for path, _ in flushed] == [str(db_path), f"{db_path}-wal"]
    assert not any(locked for _, locked in flushed)
    # The WAL was copied to its end: the next write starts it again from the beginning.
    cmd, who = click(round_id, 99)
    await sqlite_app.dispatcher.dispatch(cmd, who)
    async with sqlite_app.db.read() as conn:
        frames = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")).one()[1]
    assert 0 < frames < 40


async def test_a_step_with_nothing_left_to_copy_checkpoints_nothing_under_the_lock(
    monkeypatch: pytest.MonkeyPatch, sqlite_app: App, clock: ManualClock, db_path: Path
) -> None:
    # The WAL's last frames are copied again beside the writer until a copy finds no commit
    # after it; the step under the write lock then only reads the WAL index, and the next
    # write still starts the WAL from its beginning.
    round_id = await forty_clicks(sqlite_app, clock)
    db = sqlite_app.db
    real = db._checkpoint_now
    locked: list[bool] = []

    def spy(mode: str) -> tuple[int, int, int]:
        locked.append(db._write_lock.locked())
        return real(mode)

    monkeypatch.setattr(db, "_checkpoint_now", spy)
    await db.checkpoint("PASSIVE")
    assert locked and not any(locked)  # every copy beside the writer, none under the lock
    cmd, who = click(round_id, 99)
    await sqlite_app.dispatcher.dispatch(cmd, who)
    async with sqlite_app.db.read() as conn:
        frames = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")).one()[1]
    assert 0 < frames < 40


def test_the_wal_index_says_whether_every_frame_is_copied(tmp_path: Path) -> None:
    file = str(tmp_path / "w.db")
    assert not wal_index.wal_copied(file)  # no index at all: unsure, so not copied
    writer = sqlite3.connect(file, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (a INTEGER)")
    for n in range(20):
        writer.execute("INSERT INTO t VALUES (?)", (n,))
    assert not wal_index.wal_copied(file)
    writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    assert wal_index.wal_copied(file)
    writer.execute("INSERT INTO t VALUES (99)")
    assert not wal_index.wal_copied(file)
    writer.close()


async def test_a_restarted_wal_keeps_its_size_below_the_bound(
    monkeypatch: pytest.MonkeyPatch, db_path: Path, clock: ManualClock
) -> None:
    # Cut back to a few MB after every restart, the WAL of a busy second was grown again
    # every second, and a sync of a grown file also commits the file system's journal.
    monkeypatch.setattr(database, "CHECKPOINT_EVERY_S", 1e9)  # only the checkpoint below
    app = await build_test_app(f"sqlite+aiosqlite:///{db_path}", clock)
    try:
        round_id = await open_round(app, clock)
        n = 0
        while wal_size(db_path) < 5 * MB:
            cmd, who = click(round_id, n)
            await app.dispatcher.dispatch(cmd, who)
            n += 1
        grown = wal_size(db_path)
        await app.db.checkpoint("PASSIVE")
        cmd, who = click(round_id, n)
        await app.dispatcher.dispatch(cmd, who)  # starts the WAL again from its beginning
        assert wal_size(db_path) == grown
    finally:
        await app.close()
