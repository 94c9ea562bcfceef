"""One storage contract, run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.ports import PointAward
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.repository import SqlStore

NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
WS = "console:acme"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(db_url: str):  # type: ignore[no-untyped-def]
    db = Database(db_url)
    await upgrade(db.engine)
    await upgrade(db.engine)  # migrating twice is a no-op
    yield SqlStore(db)
    await db.dispose()


async def test_users_are_upserted_per_workspace(store: SqlStore) -> None:
    a = await store.ensure_user(WS, "u1", "Ada", NOW)
    again = await store.ensure_user(WS, "u1", "Ada L", NOW)
    other = await store.ensure_user("slack:T1", "u1", "Ada", NOW)
    assert a.id == again.id != other.id
    found = await store.find_user(WS, "ada l")
    assert found is not None and found.id == a.id


async def test_one_round_per_channel_and_day_and_one_answer_per_user(store: SqlStore) -> None:
    ch = await store.ensure_channel("console", WS, "general", NOW)
    rnd = await store.create_round(
        ch, NOW.date(), "q1", [2, 0, 1], NOW, NOW + dt.timedelta(hours=5)
    )
    assert rnd is not None and rnd.order == (2, 0, 1) and rnd.closes_at.tzinfo is not None
    assert await store.create_round(ch, NOW.date(), "q2", [], NOW, NOW) is None
    user = await store.ensure_user(WS, "u1", "Ada", NOW)
    results = await asyncio.gather(
        *[store.add_answer(rnd.id, user.id, "t", str(i), str(i), i == 0, NOW) for i in range(5)]
    )
    assert sorted(results) == [False, False, False, False, True]
    assert len(await store.round_answers(rnd.id)) == 1


async def test_close_round_awards_once_and_totals_match_recount(store: SqlStore) -> None:
    ch = await store.ensure_channel("console", WS, "general", NOW)
    team = await store.create_team(WS, "Owls", NOW)
    assert team is not None
    users = [await store.ensure_user(WS, f"u{i}", f"U{i}", NOW) for i in range(3)]
    await store.join_team(users[0].id, team.id, NOW)
    rnd = await store.create_round(ch, NOW.date(), "q1", [], NOW, NOW)
    assert rnd is not None
    for i, u in enumerate(users):
        await store.add_answer(rnd.id, u.id, "t", "x", "x", i < 2, NOW)
    assert await store.close_round(rnd.id, NOW, 20)
    assert not await store.close_round(rnd.id, NOW, 20)
    assert not await store.add_answer(rnd.id, users[2].id, "t", "y", "y", True, NOW)
    assert await store.stored_totals(WS) == await store.recount(WS)
    top = await store.top_users(WS, "all")
    assert [(e.name, e.points) for e in top] == [("U0", 20), ("U1", 20)]
    rank = await store.user_rank(WS, "all", users[1].id)
    assert rank is not None and rank.rank == 2
    [owls] = await store.team_table(WS, "all")
    assert (owls.points, owls.active, owls.members) == (20, 1, 1)


async def test_team_names_unique_case_insensitive_and_reusable_after_delete(
    store: SqlStore,
) -> None:
    owls = await store.create_team(WS, "Owls", NOW)
    assert owls is not None
    assert await store.create_team(WS, "OWLS", NOW) is None
    await store.delete_team(owls.id)
    assert await store.find_team(WS, "owls") is None
    assert await store.create_team(WS, "Owls", NOW) is not None


async def test_one_running_quiz_per_user(store: SqlStore) -> None:
    ch = await store.ensure_channel("console", WS, "general", NOW)
    user = await store.ensure_user(WS, "u1", "Ada", NOW)
    quiz = await store.start_quiz(user.id, ch.id, ["a", "b"], [(), ()], NOW)
    assert quiz is not None
    assert await store.start_quiz(user.id, ch.id, ["c"], [()], NOW) is None
    award = PointAward(user.id, 5, True, "quiz", NOW.date(), NOW)
    assert await store.record_quiz_answer(quiz, WS, "a", "t", True, "x", True, None, award, NOW)
    # The same (stale) position again is refused: a double submit records nothing.
    assert not await store.record_quiz_answer(quiz, WS, "a", "t", True, "x", True, None, award, NOW)
    assert await store.quiz_points_on(user.id, NOW.date()) == 5


async def test_deliveries_are_claimed_once(store: SqlStore) -> None:
    assert await store.claim_delivery("slack", "Ev1", NOW)
    assert not await store.claim_delivery("slack", "Ev1", NOW)
    assert await store.claim_delivery("discord", "Ev1", NOW)


async def test_forget_user_takes_points_off_team_totals(store: SqlStore) -> None:
    ch = await store.ensure_channel("console", WS, "general", NOW)
    team = await store.create_team(WS, "Owls", NOW)
    assert team is not None
    a = await store.ensure_user(WS, "a", "A", NOW)
    b = await store.ensure_user(WS, "b", "B", NOW)
    for u in (a, b):
        await store.join_team(u.id, team.id, NOW)
    rnd = await store.create_round(ch, NOW.date(), "q1", [], NOW, NOW)
    assert rnd is not None
    for u in (a, b):
        await store.add_answer(rnd.id, u.id, "t", "x", "x", True, NOW)
    await store.close_round(rnd.id, NOW, 10)
    await store.forget_user(a.id)
    assert await store.stored_totals(WS) == await store.recount(WS)
    [owls] = await store.team_table(WS, "all")
    assert (owls.points, owls.active) == (10, 1)
