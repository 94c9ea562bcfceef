"""One storage contract, run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter

import pytest
import sqlalchemy as sa

from bot.inbox import KEEP_ANY, KEEP_DONE, LEASE, InboxEntry
from bot.records import PointAward
from bot.storage import pg_pool
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores
from bot.storage.tables import memberships
from bot.store_ports import Stores
from tests.conftest import fresh_pg_database, require_pg
from tests.helpers import brute_ranks, drop_pooled_connection

NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
WS = "console:acme"
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
async def store(db_url: str):  # type: ignore[no-untyped-def]
    db = Database(db_url)
    await upgrade(db.engine)
    await upgrade(db.engine)  # migrating twice is a no-op
    yield sql_stores(db)
    await db.dispose()


async def test_users_are_upserted_per_workspace(store: Stores) -> None:
    a = await store.users.ensure_user(WS, "u1", "Ada", NOW)
    again = await store.users.ensure_user(WS, "u1", "Ada L", NOW)
    other = await store.users.ensure_user("slack:T1", "u1", "Ada", NOW)
    assert a.id == again.id != other.id
    found = await store.users.find_user(WS, "ada l")
    assert found is not None and found.id == a.id


async def test_a_user_is_renamed_but_never_created_by_a_rename(store: Stores) -> None:
    user = await store.users.ensure_user(WS, "u1", "ada", NOW)
    assert await store.users.rename_user(WS, "u1", "Ada Lovelace")
    assert not await store.users.rename_user(WS, "u1", "Ada Lovelace")  # unchanged
    found = await store.users.find_user(WS, "ada lovelace")
    assert found is not None and (found.id, found.display_name) == (user.id, "Ada Lovelace")
    assert await store.users.find_user(WS, "ada") is None  # the old name no longer finds her
    assert not await store.users.rename_user(WS, "nobody", "Ghost")
    assert await store.users.find_user(WS, "nobody") is None
    assert not await store.users.rename_user("slack:T1", "u1", "Elsewhere")  # other workspace


async def test_one_round_per_channel_and_day_and_one_answer_per_user(store: Stores) -> None:
    ch = await store.channels.ensure_channel("console", WS, "general", NOW)
    rnd = await store.rounds.create_round(
        ch, NOW.date(), "q1", [2, 0, 1], NOW, NOW + dt.timedelta(hours=5)
    )
    assert rnd is not None and rnd.order == (2, 0, 1) and rnd.closes_at.tzinfo is not None
    assert await store.rounds.create_round(ch, NOW.date(), "q2", [], NOW, NOW) is None
    user = await store.users.ensure_user(WS, "u1", "Ada", NOW)
    results = await asyncio.gather(
        *[
            store.answers.add_answer(rnd.id, user.id, "t", str(i), str(i), i == 0, NOW)
            for i in range(5)
        ]
    )
    assert sorted(results) == [False, False, False, False, True]
    assert len(await store.answers.round_answers(rnd.id)) == 1


async def test_close_round_awards_once_and_totals_match_recount(store: Stores) -> None:
    ch = await store.channels.ensure_channel("console", WS, "general", NOW)
    team = await store.teams.create_team(WS, "Owls", NOW)
    assert team is not None
    users = [await store.users.ensure_user(WS, f"u{i}", f"U{i}", NOW) for i in range(3)]
    await store.teams.join_team(users[0].id, team.id, NOW)
    rnd = await store.rounds.create_round(ch, NOW.date(), "q1", [], NOW, NOW)
    assert rnd is not None
    for i, u in enumerate(users):
        await store.answers.add_answer(rnd.id, u.id, "t", "x", "x", i < 2, NOW)
    assert await store.rounds.close_round(rnd.id, NOW, 20)
    assert not await store.rounds.close_round(rnd.id, NOW, 20)
    assert not await store.answers.add_answer(rnd.id, users[2].id, "t", "y", "y", True, NOW)
    assert await store.boards.stored_totals(WS) == await store.boards.recount(WS)
    top = await store.boards.top_users(WS, "all")
    assert [(e.name, e.points) for e in top] == [("U0", 20), ("U1", 20)]
    rank = await store.boards.user_rank(WS, "all", users[1].id)
    assert rank is not None and rank.rank == 2
    [owls] = await store.boards.team_table(WS, "all")
    assert (owls.points, owls.active, owls.members) == (20, 1, 1)


async def test_team_names_unique_case_insensitive_and_reusable_after_delete(
    store: Stores,
) -> None:
    owls = await store.teams.create_team(WS, "Owls", NOW)
    assert owls is not None
    assert await store.teams.create_team(WS, "OWLS", NOW) is None
    await store.teams.delete_team(owls.id)
    assert await store.teams.find_team(WS, "owls") is None
    assert await store.teams.create_team(WS, "Owls", NOW) is not None


async def test_text_orders_do_not_follow_the_database_collation(store: Stores) -> None:
    # Linguistic collations put "_" before "-" and "É" beside "E"; SQLite compares code points.
    names = ["Équipe", "a_b", "Falcons", "a-b"]
    for name in names:
        assert await store.teams.create_team(WS, name, NOW) is not None
    team = await store.teams.find_team(WS, "falcons")
    assert team is not None
    for member in ("Zoë", "_bo", "Émile", "-al"):
        user = await store.users.ensure_user(WS, member, member, NOW)
        await store.teams.join_team(user.id, team.id, NOW)
    listed = await store.teams.list_teams(WS)
    assert [t.name for t in listed] == ["a-b", "a_b", "Falcons", "Équipe"]
    assert listed[2].members == ("-al", "_bo", "Zoë", "Émile")
    ch = await store.channels.ensure_channel("console", WS, "general", NOW)
    player = await store.users.ensure_user(WS, "player", "Player", NOW)
    for topic in ("é-topic", "f-topic"):
        quiz = await store.quizzes.start_quiz(player.id, ch.id, [topic], [()], NOW)
        assert quiz is not None
        await store.quizzes.record_quiz_answer(
            quiz, WS, topic, topic, True, "x", True, None, None, NOW
        )
    stats = await store.boards.user_stats(player.id)
    assert [t for t, _, _ in stats.by_topic] == ["f-topic", "é-topic"]


async def test_one_running_quiz_per_user(store: Stores) -> None:
    ch = await store.channels.ensure_channel("console", WS, "general", NOW)
    user = await store.users.ensure_user(WS, "u1", "Ada", NOW)
    quiz = await store.quizzes.start_quiz(user.id, ch.id, ["a", "b"], [(), ()], NOW)
    assert quiz is not None
    assert await store.quizzes.start_quiz(user.id, ch.id, ["c"], [()], NOW) is None
    award = PointAward(user.id, 5, True, "quiz", NOW.date(), NOW)
    assert await store.quizzes.record_quiz_answer(
        quiz, WS, "a", "t", True, "x", True, None, award, NOW
    )
    # The same (stale) position again is refused: a double submit records nothing.
    assert not await store.quizzes.record_quiz_answer(
        quiz, WS, "a", "t", True, "x", True, None, award, NOW
    )
    assert await store.quizzes.quiz_points_on(user.id, NOW.date()) == 5


def entry(platform: str, key: str, at: dt.datetime = NOW) -> InboxEntry:
    return InboxEntry(platform, key, WS, "u1", "{}", '{"url":"x"}', at + MINUTE * 30, at)


async def test_the_inbox_admits_each_key_once(store: Stores) -> None:
    inbox = store.inbox
    first = await inbox.admit(entry("slack", "Ev1"), LEASE)
    assert (first.verdict, first.record.state, first.record.attempts) == ("new", "received", 1)
    assert (await inbox.admit(entry("slack", "Ev1"), LEASE)).verdict == "busy"
    assert (await inbox.admit(entry("discord", "Ev1"), LEASE)).verdict == "new"  # per platform
    await inbox.finish(first.record.id, "done", '["r"]', NOW)
    again = await inbox.admit(entry("slack", "Ev1", NOW + MINUTE), LEASE)
    assert (again.verdict, again.record.reply) == ("done", '["r"]')


async def test_a_failed_or_abandoned_inbox_row_is_taken_over(store: Stores) -> None:
    inbox = store.inbox
    failed = await inbox.admit(entry("slack", "A"), LEASE)
    await inbox.finish(failed.record.id, "failed", None, NOW)
    retried = await inbox.admit(entry("slack", "A", NOW + MINUTE), LEASE)
    assert (retried.verdict, retried.record.state, retried.record.attempts) == (
        "new",
        "processing",
        2,
    )
    abandoned = await inbox.admit(entry("slack", "B"), LEASE)
    assert await inbox.take_due(["slack"], NOW + LEASE / 2, LEASE, 10) == []  # still held
    assert await inbox.take_due(["discord"], NOW + LEASE, LEASE, 10) == []  # not this platform
    [taken] = await inbox.take_due(["slack"], NOW + LEASE, LEASE, 10)
    assert (taken.id, taken.state, taken.attempts) == (abandoned.record.id, "processing", 2)
    assert await inbox.take_due(["slack"], NOW + LEASE, LEASE, 10) == []  # held again
    assert taken.route_expires_at == NOW + MINUTE * 30


async def test_old_inbox_rows_are_pruned(store: Stores) -> None:
    inbox = store.inbox
    done = await inbox.admit(entry("slack", "old-done"), LEASE)
    await inbox.finish(done.record.id, "done", "[]", NOW)
    await inbox.admit(entry("slack", "old-open"), LEASE)
    later = NOW + KEEP_DONE + MINUTE
    recent = await inbox.admit(entry("slack", "recent", later), LEASE)
    await inbox.finish(recent.record.id, "done", "[]", later)
    assert await inbox.prune(later) == 1  # only the day-old done row
    assert await inbox.get("slack", "old-done") is None
    assert await inbox.get("slack", "old-open") is not None
    assert await inbox.get("slack", "recent") is not None
    # After a week the unfinished row goes too (and the other is a day old by then).
    assert await inbox.prune(NOW + KEEP_ANY + MINUTE) == 2
    assert await inbox.get("slack", "old-open") is None


async def test_forget_user_takes_points_off_team_totals(store: Stores) -> None:
    ch = await store.channels.ensure_channel("console", WS, "general", NOW)
    team = await store.teams.create_team(WS, "Owls", NOW)
    assert team is not None
    a = await store.users.ensure_user(WS, "a", "A", NOW)
    b = await store.users.ensure_user(WS, "b", "B", NOW)
    for u in (a, b):
        await store.teams.join_team(u.id, team.id, NOW)
    rnd = await store.rounds.create_round(ch, NOW.date(), "q1", [], NOW, NOW)
    assert rnd is not None
    for u in (a, b):
        await store.answers.add_answer(rnd.id, u.id, "t", "x", "x", True, NOW)
    await store.rounds.close_round(rnd.id, NOW, 10)
    await store.privacy.forget_user(a.id)
    assert await store.boards.stored_totals(WS) == await store.boards.recount(WS)
    [owls] = await store.boards.team_table(WS, "all")
    assert (owls.points, owls.active) == (10, 1)


async def brute_rank(store: Stores, period: str, user_id: int) -> int:
    """The board order by definition: points, then correct answers, then the earlier player."""
    return (await brute_ranks(store.boards.db, WS, period))[user_id]


async def test_ranks_and_team_table_follow_every_change(store: Stores) -> None:
    ch = await store.channels.ensure_channel("console", WS, "general", NOW)
    owls = await store.teams.create_team(WS, "Owls", NOW)
    hawks = await store.teams.create_team(WS, "Hawks", NOW)
    assert owls is not None and hawks is not None
    people = [await store.users.ensure_user(WS, f"u{i}", f"U{i}", NOW) for i in range(12)]
    for i, person in enumerate(people[:9]):
        await store.teams.join_team(person.id, (owls if i % 2 else hawks).id, NOW)

    async def daily(day: int, right: set[int]) -> None:
        when = NOW + dt.timedelta(days=day)
        rnd = await store.rounds.create_round(ch, when.date(), f"q{day}", [], when, when)
        assert rnd is not None
        for i, person in enumerate(people):
            if (i + day) % 3:  # two in three answer each day
                await store.answers.add_answer(rnd.id, person.id, "t", "x", "x", i in right, when)
        assert await store.rounds.close_round(rnd.id, when, 10 + 10 * (day % 3))

    await daily(0, {0, 1, 2, 3, 5, 8, 11})
    await daily(1, {1, 2, 4, 7, 9, 10})
    assert await store.boards.counter_drift(WS) == {}
    # Quiz points move the same totals and buckets; a switch of team moves no past points.
    for i, person in enumerate(people[:4]):
        quiz = await store.quizzes.start_quiz(person.id, ch.id, ["a"], [()], NOW)
        assert quiz is not None
        award = PointAward(person.id, 5 * (i + 1), True, "quiz", NOW.date(), NOW)
        assert await store.quizzes.record_quiz_answer(
            quiz, WS, "a", "t", True, "x", True, None, award, NOW
        )
    await store.teams.join_team(people[1].id, hawks.id, NOW)
    await store.teams.join_team(people[10].id, owls.id, NOW)
    await store.teams.leave_team(people[2].id)
    await daily(2, {0, 3, 6, 9, 10, 11})
    assert await store.boards.counter_drift(WS) == {}
    await store.privacy.forget_user(people[3].id)
    await store.privacy.forget_user(people[10].id)
    assert await store.boards.counter_drift(WS) == {}
    assert await store.boards.stored_totals(WS) == await store.boards.recount(WS)

    for period in ("all", "2026-W47", "2026-11"):
        board = await store.boards.top_users(WS, period, 50)
        for entry in board:
            mine = await store.boards.user_rank(WS, period, entry.subject_id)
            assert mine is not None
            assert mine.rank == entry.rank == await brute_rank(store, period, entry.subject_id)
        table = {t.name: t for t in await store.boards.team_table(WS, period)}
        async with store.boards.db.read() as conn:
            counts = Counter((await conn.execute(sa.select(memberships.c.team_id))).scalars().all())
        assert table["Owls"].members == counts[owls.id]
        assert table["Hawks"].members == counts[hawks.id]

    await store.teams.delete_team(owls.id)
    assert await store.boards.counter_drift(WS) == {}
    assert {t.name: t.members for t in await store.boards.team_table(WS, "all")}["Owls"] == 0


@pytest.mark.postgres
async def test_a_pooled_connection_the_server_dropped_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = await fresh_pg_database(require_pg())
    db = Database(url)
    try:
        pid = await drop_pooled_connection(url, db.read)
        monkeypatch.setattr(pg_pool, "PING_AFTER_IDLE_S", 0.0)  # as if idle for long
        async with db.read() as conn:
            now = (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
        assert now != pid
    finally:
        await db.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("short", [False, True], ids=["write", "short-write"])
async def test_a_transaction_on_a_connection_found_dead_runs_once_more(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, short: bool
) -> None:
    # Short writes (click batches, joins) have a pool of their own: a server restart or a
    # proxy's timeout ends its connections too.
    url = await fresh_pg_database(require_pg())
    db = Database(url)
    try:
        assert db.short is not None
        pid = await drop_pooled_connection(url, db.short.connect if short else db.read)
        # Neither the local check nor a ping finds it: the first statement does.
        monkeypatch.setattr(pg_pool, "_closed", lambda _connection: False)
        monkeypatch.setattr(pg_pool, "PING_AFTER_IDLE_S", 3600.0)
        tries: list[int] = []

        def body(conn: sa.Connection) -> int:
            tries.append(1)
            return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())

        with caplog.at_level(logging.INFO, logger="bot.storage.pg_pool"):
            now = await db.write_sync(body, short=short)
        assert now != pid and len(tries) == 2
        assert "running the transaction again" in caplog.text
        # A body that fails for another reason is not run again.
        tries.clear()

        def broken(conn: sa.Connection) -> int:
            tries.append(1)
            return int(conn.execute(sa.text("SELECT no_such_column FROM pg_class")).scalar_one())

        with pytest.raises(sa.exc.ProgrammingError):
            await db.write_sync(broken, short=short)
        assert len(tries) == 1
    finally:
        await db.dispose()
