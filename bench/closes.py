"""Answers while a big round closes in another workspace, timed from their scheduled send time."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import time
from typing import Any

import sqlalchemy as sa

from bench.answers import acknowledged, click, daily_round, handler
from bench.stats import percentile, summary
from bot.intake import Interaction
from bot.storage.tables import answers, channels, rounds, users
from bot.usecases import daily

CLOSING = "discord:closing"
TIE = "discord:tie"


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def _big_round(app: Any, count: int, at: dt.datetime) -> int:
    """A round of another workspace with `count` answers (60% right), past its close time."""
    rng = random.Random(3)
    async with app.db.write() as conn:
        channel = (
            await conn.execute(
                channels.insert()
                .values(platform="discord", workspace=CLOSING, external_id="big", updated_at=at)
                .returning(channels.c.id)
            )
        ).scalar_one()
        round_id = (
            await conn.execute(
                rounds.insert()
                .values(
                    channel_id=channel,
                    workspace=CLOSING,
                    local_date=at.date(),
                    question_id=next(iter(app.bank.by_id)),
                    choice_order="",
                    opened_at=at - dt.timedelta(hours=8),
                    closes_at=at - dt.timedelta(minutes=1),
                )
                .returning(rounds.c.id)
            )
        ).scalar_one()
        ids = (
            await conn.execute(
                users.insert().returning(users.c.id),
                [
                    {
                        "workspace": CLOSING,
                        "external_id": f"c{i}",
                        "display_name": f"Closer {i}",
                        "name_key": f"closer {i}",
                        "created_at": at,
                    }
                    for i in range(count)
                ],
            )
        ).scalars()
        await conn.execute(
            answers.insert(),
            [
                {
                    "round_id": round_id,
                    "user_id": user_id,
                    "topic": "bench",
                    "given": "A",
                    "normalized": "0",
                    "correct": rng.random() < 0.6,
                    "answered_at": at,
                }
                for user_id in ids
            ],
        )
    return int(round_id)


async def close_stall(
    db_url: str, round_answers: int = 50_000, rate: float = 200.0
) -> dict[str, Any]:
    """Open loop at `rate` clicks/s on one workspace's round while another workspace's round
    of `round_answers` answers closes; each click is timed from its scheduled send time, so a
    stalled event loop counts as well as a waiting writer."""
    async with daily_round(db_url) as (app, round_id, options):
        now = app.ctx.clock.now()
        big = await _big_round(app, round_answers, now)
        await app.db.optimize()
        handle = handler(app)  # as the adapters do: through the inbox
        for i in range(50):
            await handle(click(round_id, options, 10_000_000 + i, f"warm-{i}"))
        # The writer's hold per chunk: the body's time in its transaction (commit aside).
        rounds_store: Any = app.stores.rounds
        real = rounds_store._settle_chunk
        held: list[float] = []
        # ... and the CPU the writer's thread spent in it, which the machine's load moves
        # less than the wall time (other processes' turns on the cores are not counted).
        held_cpu: list[float] = []

        def timed_chunk(conn: sa.Connection, **kwargs: Any) -> Any:
            began, cpu = time.perf_counter(), time.thread_time()
            try:
                return real(conn, **kwargs)
            finally:
                held.append(time.perf_counter() - began)
                held_cpu.append(time.thread_time() - cpu)

        rounds_store._settle_chunk = timed_chunk
        loop = asyncio.get_running_loop()
        results: list[tuple[float, float, bool]] = []  # scheduled, latency, acknowledged
        closing: dict[str, float] = {}
        # The awarding's end, so the reveal after it is timed apart (its reads are the
        # close's last step, and clicks beside it count as during the close).
        real_close = rounds_store.close_round

        async def timed_close(*args: Any) -> bool:
            try:
                return bool(await real_close(*args))
            finally:
                closing["settled"] = loop.time()

        rounds_store.close_round = timed_close

        async def one(scheduled: float, interaction: Interaction) -> None:
            replies = await handle(interaction)
            results.append((scheduled, loop.time() - scheduled, acknowledged(replies)))

        async def close() -> None:
            await asyncio.sleep(3.0)  # first a baseline: the same clicks, no close
            closing["start"] = loop.time()
            reveal = await daily.close_daily_round(app.ctx, big, now)
            closing["end"] = loop.time()
            assert reveal is not None and reveal.answered == round_answers

        closer = asyncio.create_task(close())
        # Clicks in flight only, as an adapter holds them: a list of every click's finished
        # task grew the heap by four objects a click, and the full collections that scan it
        # grew with the run (275 ms each by the end of a 50,000-answer close at load 7),
        # a pause of the bench's own making (docs/scaling.md, session 11).
        tasks: set[asyncio.Task[None]] = set()
        start = loop.time()
        i = 0
        # Clicks until a second after the close has finished.
        while "end" not in closing or loop.time() < closing["end"] + 1.0:
            scheduled = start + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            interaction = click(round_id, options, i, f"stall-{i}")
            task = asyncio.create_task(one(scheduled, interaction))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        await closer
        await asyncio.gather(*tasks)
        during = [t for s, t, _ in results if closing["start"] <= s <= closing["end"]]
        before = [t for s, t, _ in results if s < closing["start"]]
        ok = all(a for _, _, a in results)
    return {
        "round_answers": round_answers,
        "close_s": round(closing["end"] - closing["start"], 2),
        "chunks": len(held),
        "chunk_p99_ms": round(percentile(held, 99), 1),
        "chunk_max_ms": round(percentile(held, 100), 1),
        "chunk_cpu_p50_ms": round(percentile(held_cpu, 50), 1),
        "chunk_cpu_p99_ms": round(percentile(held_cpu, 99), 1),
        "reveal_ms": round((closing["end"] - closing["settled"]) * 1000, 1),
        "before_close": summary(before),
        "during_close": summary(during),
        "overall": summary([t for _, t, _ in results]),
        "clicks": len(results),
        "all_acknowledged": ok,
        "load": load(),
    }
