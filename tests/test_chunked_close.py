"""A round close in short chunks ends exactly as one transaction would, and survives a crash."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.records import DailyAnswer, PointAward
from bot.storage import settle as settle_module
from bot.storage.board_keys import board_totals as bt
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores
from bot.storage.tables import answers, point_events, rounds, score_counts, team_active
from bot.storage.tables import user_stats as user_stats_table
from bot.store_ports import Stores
from tests.conftest import fresh_pg_database, require_pg

NOW = dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC)
WS = "console:acme"
OTHER = "console:other"


@asynccontextmanager
async def stores_on(url: str) -> AsyncIterator[Stores]:
    db = Database(url)
    await upgrade(db.engine)
    try:
        yield sql_stores(db)
    finally:
        await db.dispose()


async def second_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgres":
        return await fresh_pg_database(require_pg())
    return f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}"


class Scenario:
    """Players of two workspaces, teams, and rounds answered at random (seeded)."""

    def __init__(self, seed: int, players: int = 30, days: int = 4) -> None:
        rng = random.Random(seed)
        self.players = players
        self.team_of = {i: rng.choice([None, 0, 1, 2]) for i in range(players)}
        self.rounds = [
            (
                10 * rng.randint(1, 3),
                {i: rng.random() < 0.6 for i in range(players) if rng.random() < 0.7},
            )
            for _ in range(days)
        ]
        self.strangers = {i: rng.random() < 0.5 for i in range(5)}  # the other workspace

    async def set_up(self, store: Stores) -> tuple[list[int], list[int]]:
        """Users, teams and every round with its answers; returns user and round ids."""
        general = await store.channels.ensure_channel("console", WS, "general", NOW)
        elsewhere = await store.channels.ensure_channel("console", OTHER, "general", NOW)
        users = []
        for i in range(self.players):
            users.append((await store.users.ensure_user(WS, f"u{i}", f"U{i}", NOW)).id)
            if i % 7 == 3:  # someone of the other workspace between them: ids interleave
                await store.users.ensure_user(OTHER, f"s{i}", f"S{i}", NOW)
        teams = []
        for name in ("Owls", "Hawks", "Kites"):
            team = await store.teams.create_team(WS, name, NOW)
            assert team is not None
            teams.append(team.id)
        for i, team_index in self.team_of.items():
            if team_index is not None:
                await store.teams.join_team(users[i], teams[team_index], NOW)
        round_ids = []
        for day, (_, answered) in enumerate(self.rounds):
            when = NOW + dt.timedelta(days=day)
            rnd = await store.rounds.create_round(general, when.date(), f"q{day}", [], when, when)
            assert rnd is not None
            round_ids.append(rnd.id)
            for i, right in answered.items():
                assert await store.answers.add_answer(rnd.id, users[i], "t", "x", "x", right, when)
        # A streak in the other workspace must survive every close here.
        other = await store.rounds.create_round(elsewhere, NOW.date(), "q", [], NOW, NOW)
        assert other is not None
        for i, right in self.strangers.items():
            stranger = await store.users.ensure_user(OTHER, f"x{i}", f"X{i}", NOW)
            await store.answers.add_answer(other.id, stranger.id, "t", "x", "x", right, NOW)
        assert await store.rounds.close_round(other.id, NOW - dt.timedelta(hours=1), 10)
        return users, round_ids

    def base(self, day: int) -> int:
        return self.rounds[day][0]

    def closes_at(self, day: int) -> dt.datetime:
        return NOW + dt.timedelta(days=day, hours=1)


async def snapshot(store: Stores) -> dict[str, Any]:
    """Everything a close writes, in a form two databases can be compared by."""
    async with store.boards.db.read() as conn:

        async def rows(query: Any) -> list[tuple[Any, ...]]:
            return sorted(tuple(r) for r in await conn.execute(query))

        return {
            "answers": await rows(
                sa.select(answers.c.round_id, answers.c.user_id, answers.c.points)
            ),
            "streaks": await rows(sa.select(user_stats_table)),
            # By the board's key: two databases may number the same boards differently.
            "totals": await rows(sa.select(*(c for c in bt.c if c.name != "board_id"))),
            "histogram": await rows(sa.select(score_counts).where(score_counts.c.users != 0)),
            "active": await rows(sa.select(team_active)),
            "events": await rows(
                sa.select(
                    point_events.c.user_id,
                    point_events.c.team_id,
                    point_events.c.points,
                    point_events.c.correct,
                    point_events.c.week,
                    point_events.c.month,
                    point_events.c.day,
                )
            ),
            "rounds": await rows(
                sa.select(rounds.c.id, rounds.c.closed_at, rounds.c.settle_cursor)
            ),
        }


async def consistent(store: Stores) -> None:
    for workspace in (WS, OTHER):
        assert await store.boards.counter_drift(workspace) == {}
        assert await store.boards.stored_totals(workspace) == await store.boards.recount(workspace)


def one_transaction(store: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every answer and the whole workspace in a single chunk: the former close."""
    store.rounds.close_chunk = 10**9  # type: ignore[attr-defined]
    monkeypatch.setattr(settle_module, "RESET_SPAN", 10**9)


def tiny_chunks(store: Stores, monkeypatch: pytest.MonkeyPatch, chunk: int = 3) -> None:
    store.rounds.close_chunk = chunk  # type: ignore[attr-defined]
    monkeypatch.setattr(settle_module, "RESET_SPAN", 5)


async def reference(
    url: str, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    async with stores_on(url) as store:
        one_transaction(store, monkeypatch)
        _, round_ids = await scenario.set_up(store)
        for day, round_id in enumerate(round_ids):
            assert await store.rounds.close_round(
                round_id, scenario.closes_at(day), scenario.base(day)
            )
        await consistent(store)
        return await snapshot(store)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_chunked_close_ends_like_one_transaction(
    db_url: str, backend: str, tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = Scenario(seed)
    expected = await reference(await second_url(backend, tmp_path), scenario, monkeypatch)
    async with stores_on(db_url) as store:
        tiny_chunks(store, monkeypatch, chunk=1 + seed)
        _, round_ids = await scenario.set_up(store)
        for day, round_id in enumerate(round_ids):
            assert await store.rounds.close_round(
                round_id, scenario.closes_at(day), scenario.base(day)
            )
            assert not await store.rounds.close_round(round_id, scenario.closes_at(day), 99)
        await consistent(store)
        got = await snapshot(store)
    assert got == expected
    assert any(points for _, _, points in got["answers"])  # the scenario awards something
    assert all(cursor is None for _, _, cursor in got["rounds"])


class Crash(Exception):
    pass


def crash_after(store: Stores, chunks: int) -> Callable[[], None]:
    """Make the chunk after `chunks` good ones fail before it commits; returns the undo."""
    rounds_store: Any = store.rounds
    real = rounds_store._settle_chunk
    done = 0

    def chunk(conn: sa.Connection, **kwargs: Any) -> int | None:
        nonlocal done
        result = real(conn, **kwargs)
        if done == chunks:
            raise Crash  # after the chunk's work, so all of it rolls back
        done += 1
        return result

    rounds_store._settle_chunk = chunk
    return lambda: setattr(rounds_store, "_settle_chunk", real)


@pytest.mark.parametrize("crash_at", [0, 2, 5])
@pytest.mark.parametrize("resume_by", ["same round", "next round"])
async def test_a_close_interrupted_between_chunks_resumes_exactly_once(
    db_url: str,
    backend: str,
    tmp_path: Path,
    crash_at: int,
    resume_by: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = Scenario(11)
    expected = await reference(await second_url(backend, tmp_path), scenario, monkeypatch)
    async with stores_on(db_url) as store:
        tiny_chunks(store, monkeypatch)
        users, round_ids = await scenario.set_up(store)
        assert await store.rounds.close_round(round_ids[0], scenario.closes_at(0), scenario.base(0))
        undo = crash_after(store, crash_at)
        with pytest.raises(Crash):
            await store.rounds.close_round(round_ids[1], scenario.closes_at(1), scenario.base(1))
        undo()
        # Closed from its first transaction on: no answer gets in, and it is due to resume.
        late = next(u for i, u in enumerate(users) if i not in scenario.rounds[1][1])
        assert not await store.answers.add_answer(round_ids[1], late, "t", "x", "x", True, NOW)
        due = await store.rounds.rounds_due_to_close(NOW - dt.timedelta(days=1))
        assert [r.id for r in due] == [round_ids[1]]
        if resume_by == "same round":
            # A restarted close passes whatever base it computes; the stored one is used.
            assert await store.rounds.close_round(round_ids[1], NOW, 0)
            assert not await store.rounds.close_round(round_ids[1], NOW, 0)
        # Else the next close of the workspace finishes round 1 first (its streaks follow).
        for day in range(2, len(round_ids)):
            assert await store.rounds.close_round(
                round_ids[day], scenario.closes_at(day), scenario.base(day)
            )
        await consistent(store)
        got = await snapshot(store)
    assert got == expected


async def test_answers_during_a_close_are_refused(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with stores_on(db_url) as store:
        tiny_chunks(store, monkeypatch, chunk=2)
        channel = await store.channels.ensure_channel("console", WS, "general", NOW)
        rnd = await store.rounds.create_round(channel, NOW.date(), "q", [], NOW, NOW)
        assert rnd is not None
        for i in range(8):
            user = await store.users.ensure_user(WS, f"u{i}", f"U{i}", NOW)
            assert await store.answers.add_answer(rnd.id, user.id, "t", "x", "x", i % 2 == 0, NOW)
        late = await store.users.ensure_user(WS, "late", "Late", NOW)
        paused, resume = asyncio.Event(), asyncio.Event()
        rounds_store: Any = store.rounds

        async def between_chunks(_took: float) -> None:
            paused.set()
            await resume.wait()

        rounds_store._between_chunks = between_chunks
        closing = asyncio.create_task(store.rounds.close_round(rnd.id, NOW, 10))
        await paused.wait()
        assert not await store.answers.add_answer(rnd.id, late.id, "t", "x", "x", True, NOW)
        outcome = await store.answers.submit_daily_answer(
            DailyAnswer("console", WS, "late", "Late", "general", rnd.id, "t", "x", "x", True, NOW)
        )
        assert outcome.status == "closed"
        resume.set()
        assert await closing
        # Only the eight answers before the close were awarded.
        assert sum(1 for a in await store.answers.round_answers(rnd.id) if a.points) == 4
        assert await store.answers.get_answer(rnd.id, late.id) is None
        await consistent(store)


async def test_quiz_points_still_move_the_totals(db_url: str) -> None:
    # award_many (quizzes) now runs the synchronous award body through run_sync.
    async with stores_on(db_url) as store:
        channel = await store.channels.ensure_channel("console", WS, "general", NOW)
        user = await store.users.ensure_user(WS, "u", "U", NOW)
        quiz = await store.quizzes.start_quiz(user.id, channel.id, ["a"], [()], NOW)
        assert quiz is not None
        award = PointAward(user.id, 7, True, "quiz", NOW.date(), NOW)
        assert await store.quizzes.record_quiz_answer(
            quiz, WS, "a", "t", True, "x", True, None, award, NOW
        )
        top = await store.boards.top_users(WS, "all")
        assert [(e.subject_id, e.points) for e in top] == [(user.id, 7)]
        await consistent(store)
