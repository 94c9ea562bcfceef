"""Daily answers: latency at a steady rate, and a burst of distinct users on one round."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.stats import summary
from bot.bootstrap import App, ManualClock, SeededRng, build_app
from bot.commands import SubmitAnswer
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.intake import Interaction
from bot.questions import QuestionType
from bot.replies import Notice, Reply, Tone
from bot.settings import Settings
from bot.storage.inbox_tables import inbox
from bot.storage.tables import answers
from bot.usecases import daily

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.UTC)  # a Monday, the round open till 17:00
PLACE = PlaceRef(Platform.DISCORD, "guild-1", "channel-1")


@asynccontextmanager
async def daily_round(db_url: str) -> AsyncIterator[tuple[App, int, int]]:
    """An app on the full bank with one open MCQ daily round: (app, round id, option count)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=ROOT / "content",
        clock=ManualClock(NOW),
        rng=SeededRng(1),
    )
    try:
        question = next(q for q in app.bank.by_id.values() if q.type is QuestionType.MCQ)
        opened = await daily.open_daily_round(app.ctx, PLACE, NOW, question.id)
        assert opened is not None
        rnd, _ = opened
        yield app, rnd.id, len(question.choices)
    finally:
        await app.close()


def click(round_id: int, options: int, user: int, delivery: str) -> Interaction:
    """A button click on the daily card by user number `user`: the interaction an adapter
    hands to the inbox, its key the platform's interaction id (`delivery`)."""
    command = SubmitAnswer("", round_id=round_id, choice=user % options, delivery_id=delivery)
    who = Origin(UserRef(Platform.DISCORD, f"user-{user}"), PLACE, f"Player {user}", False)
    route = '{"token":"bench"}'
    return Interaction(delivery, who, command, route=route, route_ttl=dt.timedelta(minutes=15))


def handler(app: App) -> Callable[[Interaction], Awaitable[list[Reply]]]:
    """What an adapter does with a click: write it to the inbox (the ack), then process it."""
    dispatcher = app.dispatcher

    async def handle(interaction: Interaction) -> list[Reply]:
        ticket = await dispatcher.receive(interaction)
        return await dispatcher.process(ticket, interaction)

    return handle


def acknowledged(replies: list[Reply]) -> bool:
    """The reply to a first click ("locked in"); a redelivery is shown the same reply again,
    privately, from the inbox, so it counts too and `exactly_once` compares the two."""
    return len(replies) == 1 and isinstance(replies[0], Notice) and replies[0].tone is Tone.SUCCESS


async def count_answers(app: App, round_id: int) -> int:
    async with app.db.read() as conn:
        query = sa.select(sa.func.count()).where(answers.c.round_id == round_id)
        return int((await conn.execute(query)).scalar_one())


async def timed(
    call: Callable[[], Awaitable[list[Reply]]], since: float
) -> tuple[float, list[Reply]]:
    """The call's replies and the time from `since` (loop time: when the click was due to be
    sent, so a late start, a stalled loop or a queue counts) to its answer."""
    replies = await call()
    return asyncio.get_running_loop().time() - since, replies


class Trips:
    """Statements and transactions the engines run: on PostgreSQL each statement is a round
    trip, and so are a transaction's BEGIN and its COMMIT or ROLLBACK. A transaction counts
    only if the driver began one: asyncpg sends BEGIN with a transaction's first statement,
    and none for statements run in autocommit (a click's self-committing statement)."""

    def __init__(self, app: App) -> None:
        self.statements = self.transactions = 0
        self.sqlite = app.db.sqlite
        # The async engine, and on SQLite the plain engine its short writes and reads use.
        self.engines = [app.db.engine.sync_engine, *app.db.sync_engines()]

    def _statement(self, conn: Any, *_: Any) -> None:
        self.statements += 1
        if not self.sqlite:
            raw = conn.connection.dbapi_connection
            if not raw.autocommit and getattr(raw, "_transaction", None) is None:
                self.transactions += 1  # this statement goes after a BEGIN

    def _transaction(self, *_: Any) -> None:
        if self.sqlite:
            self.transactions += 1

    def __enter__(self) -> Trips:
        for engine in self.engines:
            sa.event.listen(engine, "before_cursor_execute", self._statement)
            sa.event.listen(engine, "begin", self._transaction)
        return self

    def __exit__(self, *_: object) -> None:
        for engine in self.engines:
            sa.event.remove(engine, "before_cursor_execute", self._statement)
            sa.event.remove(engine, "begin", self._transaction)

    @property
    def round_trips(self) -> int:
        return self.statements + 2 * self.transactions


async def per_click(app: App, round_id: int, options: int, clicks: int = 100) -> dict[str, Any]:
    """Clicks one at a time (nothing to share a batch with): the statements, transactions and
    PostgreSQL round trips each costs, and its CPU time in this process (all threads)."""
    handle = handler(app)
    cpu = time.process_time()
    with Trips(app) as trips:
        for i in range(clicks):
            await handle(click(round_id, options, 20_000_000 + i, f"alone-{i}"))
    return {
        "statements": trips.statements / clicks,
        "transactions": trips.transactions / clicks,
        "round_trips": trips.round_trips / clicks,
        "cpu_ms": round((time.process_time() - cpu) * 1000 / clicks, 3),
    }


async def latency(db_url: str, rate: float = 200.0, seconds: float = 15.0) -> dict[str, Any]:
    """Open loop: a new user's click every 1/rate s, whether or not the last one finished,
    each timed from its scheduled send time (not from when its task first ran)."""
    count = int(rate * seconds)
    async with daily_round(db_url) as (app, round_id, options):
        handle = handler(app)
        # Warm-up (connections, statement caches) on users outside the measured range.
        for i in range(50):
            await handle(click(round_id, options, 10_000_000 + i, f"warm-{i}"))
        alone = await per_click(app, round_id, options)
        loop = asyncio.get_running_loop()
        tasks = []
        start = loop.time()
        for i in range(count):
            scheduled = start + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            call = partial(handle, click(round_id, options, i, f"lat-{i}"))
            tasks.append(asyncio.create_task(timed(call, scheduled)))
        results = await asyncio.gather(*tasks)
        elapsed = loop.time() - start
        ok = sum(acknowledged(r) for _, r in results)
        rows = await count_answers(app, round_id) - 50 - 100  # the warm-up and `alone`
    return {
        **summary([t for t, _ in results]),
        "per_click": alone,
        "rate_target": rate,
        "rate_achieved": round(count / elapsed, 1),
        "acknowledged": ok,
        "rows": rows,
        "exactly_once": ok == count == rows,
    }


async def inbox_runs(app: App) -> tuple[int, int]:
    """How many inbox rows were processed to the end, and the most attempts any one took."""
    async with app.db.read() as conn:
        query = sa.select(sa.func.count(), sa.func.max(inbox.c.attempts)).where(
            inbox.c.state == "done"
        )
        done, attempts = (await conn.execute(query)).one()
    return int(done), int(attempts or 0)


async def burst(db_url: str, users: int = 10_000, window: int = 100) -> dict[str, Any]:
    """`users` distinct users, in random order, all click at the same instant, plus 5% double
    clicks (a second interaction) and 5% redelivered events (the same interaction id)
    interleaved; at most `window` are handled at once (the platform's connections), and each
    is timed from the burst's start, so the wait in that queue counts. Every user must end
    with exactly one recorded answer, and every interaction id must run exactly once."""
    async with daily_round(db_url) as (app, round_id, options):
        handle = handler(app)
        for i in range(50):
            await handle(click(round_id, options, 10_000_000 + i, f"warm-{i}"))
        work: list[tuple[int, str, Interaction]] = []
        for i in range(users):
            work.append((i, "first", click(round_id, options, i, f"burst-{i}")))
            if i % 20 == 7:
                work.append((i, "double", click(round_id, options, i, f"burst-{i}-again")))
            elif i % 20 == 13:
                work.append((i, "redelivery", click(round_id, options, i, f"burst-{i}")))
        random.Random(8).shuffle(work)  # users arrive in no particular order
        gate = asyncio.Semaphore(window)
        outcomes: list[tuple[int, str, float, list[Reply]]] = []

        loop = asyncio.get_running_loop()

        async def one(user: int, kind: str, interaction: Interaction, since: float) -> None:
            async with gate:
                took, replies = await timed(partial(handle, interaction), since)
            outcomes.append((user, kind, took, replies))

        start = loop.time()
        cpu = time.process_time()
        await asyncio.gather(*(one(*item, start) for item in work))
        cpu_s = time.process_time() - cpu
        elapsed = loop.time() - start
        rows = await count_answers(app, round_id) - 50
        done, attempts = await inbox_runs(app)
        # The reveal: points, streaks and running totals for every answer, one transaction.
        start = time.perf_counter()
        reveal = await daily.close_daily_round(app.ctx, round_id, NOW + dt.timedelta(hours=7))
        close_s = time.perf_counter() - start
        assert reveal is not None and reveal.answered == users + 50
    # A click and its redelivery share one id: one runs, the other is shown the stored reply
    # (or "already on it"), so each user needs at least one acknowledgement of the two.
    acked = {user for user, kind, _, r in outcomes if kind != "double" and acknowledged(r)}
    keys = len({interaction.key for _, _, interaction in work}) + 50
    return {
        **summary([t for _, _, t, _ in outcomes]),
        "users": users,
        "requests": len(work),
        "window": window,
        "order": "random",
        "seconds": round(elapsed, 3),
        "answers_per_s": round(users / elapsed, 1),
        "requests_per_s": round(len(work) / elapsed, 1),
        # This process only (all its threads): PostgreSQL's own work is not in it.
        "cpu_ms_per_request": round(cpu_s * 1000 / len(work), 3),
        "acknowledged": len(acked),
        "rows": rows,
        "inbox_runs": done,
        # One answer per user, every user told so, every interaction id run once to the end.
        "exactly_once": len(acked) == users == rows and done == keys and attempts == 1,
        "close_ms": round(close_s * 1000, 1),
    }
