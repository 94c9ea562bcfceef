"""The inbox's partial index: done rows stay out of it, the replay uses it, prune needs none."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.bootstrap import ManualClock
from bot.inbox import KEEP_DONE, LEASE, InboxEntry
from bot.intake import Interaction
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores
from tests.conftest import build_test_app, origin
from tests.faults.day import open_round
from tests.helpers import via_inbox
from tests.test_one_write import click

NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def entry(key: str, at: dt.datetime = NOW) -> InboxEntry:
    return InboxEntry("slack", key, "slack:T1", "u1", "{}", None, None, at)


def plan(file: Path, sql: str, params: Any) -> str:
    with sqlite3.connect(file) as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return " | ".join(str(r[-1]) for r in rows)


async def test_the_replay_searches_the_partial_index_and_prune_a_range_of_ids(
    tmp_path: Path,
) -> None:
    file = tmp_path / "inbox.db"
    db = Database(f"sqlite+aiosqlite:///{file}")
    await upgrade(db.engine)
    inbox = sql_stores(db).inbox
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, sql: str, params: Any, *_: Any) -> None:
        seen.append((sql, params))

    try:
        old = await inbox.admit(entry("old", NOW - KEEP_DONE * 2), LEASE)
        await inbox.finish(old.record.id, "done", "[]", NOW - KEEP_DONE * 2)
        waiting = await inbox.admit(entry("waiting"), LEASE)
        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        taken = await inbox.take_due(["slack"], NOW + LEASE, LEASE, 10)
        assert [r.id for r in taken] == [waiting.record.id]
        assert await inbox.prune(NOW) == 1
    finally:
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        await db.dispose()
    [(due, due_params)] = [(s, p) for s, p in seen if s.startswith("UPDATE inbox")]
    [(prune, prune_params)] = [(s, p) for s, p in seen if s.startswith("DELETE FROM inbox")]
    assert "ix_inbox_unfinished" in plan(file, due, due_params)
    pruning = plan(file, prune, prune_params)
    # A range of ids below the first young row, found by walking the oldest rows in id
    # order (no sort, no index on the state or the time): never a pass over every row.
    assert pruning.startswith("SEARCH inbox USING INTEGER PRIMARY KEY (rowid<?)"), pruning
    assert "TEMP B-TREE" not in pruning


def wal_pages(file: Path, first: int) -> set[int]:
    """The database pages of the WAL's frames from frame `first` (0-based) on."""
    data = (file.parent / f"{file.name}-wal").read_bytes()
    size = int.from_bytes(data[8:12], "big")
    frames = (len(data) - 32) // (size + 24)
    return {
        int.from_bytes(data[32 + i * (size + 24) : 36 + i * (size + 24)], "big")
        for i in range(first, frames)
    }


def frames_now(file: Path) -> int:
    # mxFrame, from the wal-index header in the -shm file (what SQLite itself reads).
    header = (file.parent / f"{file.name}-shm").read_bytes()[:48]
    return int.from_bytes(header[16:20], sys.byteorder)


async def test_a_written_click_never_writes_a_page_of_the_unfinished_index(
    tmp_path: Path,
) -> None:
    # A click on the one-write path is inserted done: the WAL frames its commit appends
    # hold no page of ix_inbox_unfinished, which the row would otherwise enter and leave.
    file = tmp_path / "click.db"
    clock = ManualClock(NOW)
    app = await build_test_app(f"sqlite+aiosqlite:///{file}", clock)
    try:
        round_id, _ = await open_round(app, clock)
        await app.db.checkpoint()  # the WAL starts empty
        for n in range(3):  # warm: the users, answers and inbox tables have pages to write
            who = origin(f"Warm {n}")
            await via_inbox(app, who, click(round_id, key=f"warm-{n}"), f"warm-{n}")
        first = frames_now(file)
        for n in range(20):
            who = origin(f"Player {n}")
            ticket = await app.dispatcher.receive(
                Interaction(f"c-{n}", who, click(round_id, key=f"c-{n}"))
            )
            assert ticket.verdict == "written"
        written = wal_pages(file, first)
    finally:
        await app.close()
    with sqlite3.connect(file) as conn:
        index = {
            p
            for (p,) in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ?", ("ix_inbox_unfinished",)
            )
        }
        inbox_pages = {p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'inbox'")}
    assert written & inbox_pages  # the rows themselves were written
    assert not written & index
