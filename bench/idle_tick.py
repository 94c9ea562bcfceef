"""`python -m bench.idle_tick`: the scheduler's idle tick (nothing due) at N enabled channels."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from bench.fanout import MONDAY_9, ROOT, _enable_channels
from bench.gc_pauses import GcPauses
from bot.bootstrap import ManualClock, SeededRng, build_app
from bot.identity import Platform
from bot.settings import Settings
from bot.usecases.scheduling import WorkResult


class NoPublisher:
    """An idle tick publishes nothing; anything reaching here is a bench bug."""

    async def publish(self, *args: object) -> str | None:
        raise AssertionError("an idle tick published")

    async def find(self, *args: object) -> str | None:
        return None

    async def notify_admin(self, *args: object) -> None:
        return None


# Ticks allowed to work off what enabling every channel at once left due (a first look
# at 50,000 channels outlasts one tick's budget on PostgreSQL: 60 s on the quiet machine).
FIRST_TICKS = 10


async def work_off(tick: Callable[[], Awaitable[list[WorkResult]]]) -> int:
    """Run `tick` until one leaves no work to resume (no channel cut or failed): the number
    of ticks it took. Raises when FIRST_TICKS were not enough."""
    for ticks in range(1, FIRST_TICKS + 1):
        if not any(r.status == "retrying" for r in await tick()):
            return ticks
    raise RuntimeError(f"work still left over after {FIRST_TICKS} ticks")


async def idle_tick(db_url: str, count: int) -> dict[str, float]:
    """`count` channels enabled at once and looked at until no work is left over (ticks at
    07:00, posts due at 09:00), then 20 idle ticks timed."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    before = MONDAY_9 - dt.timedelta(hours=2)  # 07:00: nothing due until 09:00
    app = await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=ROOT / "content",
        clock=ManualClock(before),
        rng=SeededRng(1),
    )
    pubs = {Platform.DISCORD: NoPublisher()}
    try:
        await _enable_channels(app.db, count)
        first = time.perf_counter()
        # The first tick looks at each newly enabled channel once; a channel cut at the end of
        # a tick's budget is resumed by the next. Those ticks are not idle ones: timing them
        # as such made one "idle" tick of 2.4 s (docs/scaling.md, session 11).
        first_ticks = await work_off(lambda: app.work.run_due(before, pubs))
        first_s = time.perf_counter() - first
        times, pauses, slowest = [], [], []
        with GcPauses() as gcs, _SlowestStatement(app.db.engine.sync_engine) as statements:
            for minute in range(1, 21):
                gcs.pauses.clear()
                statements.reset()
                start = time.perf_counter()
                assert await app.work.run_due(before + dt.timedelta(minutes=minute), pubs) == []
                times.append(time.perf_counter() - start)
                pauses.append(max(gcs.pauses, default=(0.0, -1)))
                slowest.append(statements.slowest)
    finally:
        await app.close()
    worst = max(range(len(times)), key=times.__getitem__)
    return {
        "channels": count,
        "first_tick_s": round(first_s, 3),
        "first_ticks": first_ticks,
        "idle_tick_median_ms": round(statistics.median(times) * 1000, 2),
        "idle_tick_max_ms": round(max(times) * 1000, 2),
        # What the slowest tick spent its time on: its longest garbage collection (and that
        # collection's generation, -1 for none) and its slowest statement, so a run with one
        # slow tick says whether the collector or the database took it (docs/scaling.md,
        # "Session 10: start-up and the idle tick").
        "worst_tick_gc_ms": round(pauses[worst][0] * 1000, 2),
        "worst_tick_gc_generation": pauses[worst][1],
        "worst_tick_statement_ms": round(slowest[worst][0] * 1000, 2),
        "worst_tick_statement": slowest[worst][1],
        "ticks_gc_max_ms": round(max(p[0] for p in pauses) * 1000, 2),
    }


class _SlowestStatement:
    """The slowest statement (seconds, first words) run on `engine` since the last reset."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.slowest: tuple[float, str] = (0.0, "")

    def reset(self) -> None:
        self.slowest = (0.0, "")

    # Kept per connection: the tick may run statements on two connections at once.
    def _before(self, conn: sa.Connection, *args: object) -> None:
        conn.info["bench_began"] = time.perf_counter()

    def _after(self, conn: sa.Connection, cursor: object, statement: str, *args: object) -> None:
        took = time.perf_counter() - conn.info.pop("bench_began", time.perf_counter())
        if took > self.slowest[0]:
            self.slowest = (took, " ".join(statement.split()[:6]))

    def __enter__(self) -> _SlowestStatement:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


async def main(counts: list[int]) -> None:
    for count in counts:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'idle.db'}"
            print(await idle_tick(url, count))


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [1_000, 10_000]))
