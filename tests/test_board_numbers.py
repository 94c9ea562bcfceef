"""Boards by number: one per workspace, period and kind, made once however many writers race for
it, and migration 0027 numbering a populated database's totals and giving them back."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from bot.records import PointAward
from bot.storage.awards import award_many
from bot.storage.board_keys import board_numbers
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores
from bot.storage.tables import boards, memberships, teams
from bot.store_ports import Stores
from tests.conftest import fresh_pg_database, require_pg
from tests.helpers import KEYED_TOTALS
from tests.test_team_board_index import downgrade_to

NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)  # another week and month
WORKSPACES = ("discord:owls", "slack:larks")


async def _play(db: Database, store: Stores) -> dict[str, list[int]]:
    """Two workspaces, each with two teams of players (one player without a team), points
    over two weeks in two months: boards of users and teams in every period."""
    ids: dict[str, list[int]] = {}
    for n, ws in enumerate(WORKSPACES):
        ids[ws] = [(await store.users.ensure_user(ws, f"u{i}", f"U{i}", NOW)).id for i in range(7)]
        async with db.write() as conn:
            team_ids = (
                (
                    await conn.execute(
                        teams.insert().returning(teams.c.id),
                        [
                            {
                                "workspace": ws,
                                "name": name,
                                "name_key": name.lower(),
                                "created_at": NOW,
                                "members": 3,
                            }
                            for name in ("Owls", "Larks")
                        ],
                    )
                )
                .scalars()
                .all()
            )
            await conn.execute(
                memberships.insert(),
                [
                    {"user_id": u, "team_id": team_ids[i % 2], "joined_at": NOW}
                    for i, u in enumerate(ids[ws][:-1])
                ],
            )
        for k, at in enumerate((NOW, LATER)):
            awards = [
                PointAward(u, (i * 3 + k + n) % 5 * 10, (i + k) % 3 != 0, "quiz", at.date(), at)
                for i, u in enumerate(ids[ws])
            ]
            async with db.write() as conn:
                await award_many(db, conn, ws, awards)
    return ids


async def _boards_seen(store: Stores, ids: dict[str, list[int]]) -> dict[str, Any]:
    """What the board reads give, in every workspace and period."""
    seen: dict[str, Any] = {}
    for ws in WORKSPACES:
        for period in ("all", "2026-W47", "2026-11", "2026-W49", "2026-12"):
            top, _ = await store.boards.user_board(ws, period, ids[ws][0], 10)
            ranks = [await store.boards.user_rank(ws, period, u) for u in ids[ws]]
            teams_ = await store.boards.team_table(ws, period)
            seen[f"{ws} {period}"] = (top, ranks, teams_)
        seen[f"{ws} stored"] = await store.boards.stored_totals(ws)
    return seen


async def test_each_board_is_one_row_and_reads_stay_in_their_workspace(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    store = sql_stores(db)
    ids = await _play(db, store)
    async with db.read() as conn:
        keys = (
            await conn.execute(sa.select(boards.c.workspace, boards.c.period, boards.c.kind))
        ).all()
    periods = ("all", "2026-W47", "2026-11", "2026-W49", "2026-12")
    assert sorted(keys) == sorted(
        (ws, p, k) for ws in WORKSPACES for p in periods for k in ("team", "user")
    )
    for ws in WORKSPACES:
        assert await store.boards.counter_drift(ws) == {}
        for period in periods:
            top = await store.boards.top_users(ws, period, 50)
            assert {e.subject_id for e in top} <= set(ids[ws]), (ws, period)
            assert top, (ws, period)
            table = await store.boards.team_table(ws, period)
            assert len(table) == 2 and all(t.points > 0 for t in table), (ws, period, table)
    # The same key looked up again is the same number, made or not.
    async with db.write() as conn:
        first = await conn.run_sync(
            lambda c: board_numbers(db, c, WORKSPACES[0], [("all", "user")])
        )
        again = await conn.run_sync(
            lambda c: board_numbers(db, c, WORKSPACES[0], [("all", "user"), ("2027-01", "user")])
        )
    assert again[("all", "user")] == first[("all", "user")]
    numbers = await _numbers(db)
    assert numbers[(WORKSPACES[0], "2027-01", "user")] == again[("2027-01", "user")]
    assert len(set(numbers.values())) == len(numbers)  # one number a board
    await db.dispose()


async def _numbers(db: Database) -> dict[tuple[str, str, str], int]:
    async with db.read() as conn:
        rows = await conn.execute(sa.select(boards))
        return {(r.workspace, r.period, r.kind): r.id for r in rows}


@pytest.mark.postgres
async def test_two_writers_making_one_board_both_get_its_one_number() -> None:
    db = Database(await fresh_pg_database(require_pg()))
    await upgrade(db.engine)
    key = [("2026-W50", "user")]
    async with db.engine.connect() as first, db.engine.connect() as second:
        await first.begin()
        await second.begin()
        made = await first.run_sync(lambda c: board_numbers(db, c, "w", key))
        # The second writer's insert meets the first's uncommitted row and waits for it.
        waiting = asyncio.create_task(second.run_sync(lambda c: board_numbers(db, c, "w", key)))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        await first.commit()
        found = await asyncio.wait_for(waiting, 10)
        await second.commit()
    assert found == made
    assert list((await _numbers(db)).values()) == list(made.values())
    await db.dispose()


async def test_the_migration_numbers_a_populated_database_and_gives_it_back(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    store = sql_stores(db)
    ids = await _play(db, store)
    before = await _boards_seen(store, ids)
    stored = {ws: await store.boards.stored_totals(ws) for ws in WORKSPACES}
    await downgrade_to(db_url, "0026_covering_reads")
    async with db.read() as conn:
        keyed = (await conn.execute(sa.select(KEYED_TOTALS))).all()
    # Back in their old shape, every row under its workspace, period and kind.
    assert {
        ws: {(r.period, r.kind, r.subject_id): r.points for r in keyed if r.workspace == ws}
        for ws in WORKSPACES
    } == stored
    await upgrade(db.engine)
    store = sql_stores(db)
    assert await _boards_seen(store, ids) == before
    for ws in WORKSPACES:
        assert await store.boards.counter_drift(ws) == {}
    # And the boards go on: a new award lands on the renumbered rows.
    ws = WORKSPACES[0]
    async with db.write() as conn:
        await award_many(db, conn, ws, [PointAward(ids[ws][0], 5, True, "quiz", NOW.date(), NOW)])
    after = await store.boards.stored_totals(ws)
    assert after[("all", "user", ids[ws][0])] == stored[ws][("all", "user", ids[ws][0])] + 5
    assert await store.boards.counter_drift(ws) == {}
    await db.dispose()


@pytest.mark.postgres
async def test_a_write_beside_the_migration_is_not_lost() -> None:
    # A process still on the old code writes a point while another migrates: the migration
    # waits for it before copying (a write after the copy's snapshot would go with the old
    # table), and the point is in the new table.
    url = await fresh_pg_database(require_pg())
    db = Database(url)
    await upgrade(db.engine, "0026_covering_reads")
    row = {
        "workspace": "w",
        "period": "all",
        "kind": "user",
        "subject_id": 7,
        "points": 30,
        "correct": 1,
        "answered": 1,
        "active": 0,
    }
    async with db.engine.connect() as writer:
        await writer.begin()
        await writer.execute(KEYED_TOTALS.insert(), [row])
        migrating = asyncio.create_task(upgrade(db.engine))
        await asyncio.sleep(0.5)
        assert not migrating.done()
        await writer.commit()
    await asyncio.wait_for(migrating, 30)
    assert await sql_stores(db).boards.stored_totals("w") == {("all", "user", 7): 30}
    await db.dispose()
