"""`python -m bench.idle_tick`: the scheduler's idle tick (nothing due) at N enabled channels."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.fanout import MONDAY_9, ROOT, _enable_channels
from bot.bootstrap import ManualClock, SeededRng, build_app
from bot.identity import Platform
from bot.settings import Settings


class NoPublisher:
    """An idle tick publishes nothing; anything reaching here is a bench bug."""

    async def publish(self, *args: object) -> str | None:
        raise AssertionError("an idle tick published")

    async def find(self, *args: object) -> str | None:
        return None

    async def notify_admin(self, *args: object) -> None:
        return None


async def idle_tick(db_url: str, count: int) -> dict[str, float]:
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
        await app.work.run_due(before, pubs)  # looks at each newly enabled channel once
        first_s = time.perf_counter() - first
        times = []
        for minute in range(1, 21):
            start = time.perf_counter()
            assert await app.work.run_due(before + dt.timedelta(minutes=minute), pubs) == []
            times.append(time.perf_counter() - start)
    finally:
        await app.close()
    return {
        "channels": count,
        "first_tick_s": round(first_s, 3),
        "idle_tick_median_ms": round(statistics.median(times) * 1000, 2),
        "idle_tick_max_ms": round(max(times) * 1000, 2),
    }


async def main(counts: list[int]) -> None:
    for count in counts:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'idle.db'}"
            print(await idle_tick(url, count))


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [1_000, 10_000]))
