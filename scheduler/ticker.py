"""One APScheduler job, a tick every minute, that runs whatever the core finds due."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.identity import Platform
from bot.ports import Publisher, StorageFull
from bot.usecases.scheduling import ScheduledWork, WorkResult

log = logging.getLogger(__name__)

JOB_ID = "studybot-tick"
# A tick that starts this late (a blocked loop, a suspended laptop) still runs; a later one
# is merged into it (coalesce), and catch-up rules in the core decide what is still worth doing.
MISFIRE_GRACE_SECONDS = 50


class SettableClock(Protocol):
    def now(self) -> dt.datetime: ...

    def set(self, when: dt.datetime) -> None: ...


class Ticker:
    """Runs the core's due work every minute on the top of the minute.

    The database holds the schedule and the claims, so the job store stays in memory and
    nothing is pickled; any number of processes may tick against one database.
    """

    def __init__(
        self,
        work: ScheduledWork,
        publishers: Mapping[Platform, Publisher],
        *,
        misfire_grace_seconds: int = MISFIRE_GRACE_SECONDS,
    ) -> None:
        self.work = work
        self.publishers = dict(publishers)
        self.misfire_grace_seconds = misfire_grace_seconds
        self.scheduler: AsyncIOScheduler | None = None
        self._current: asyncio.Task[list[WorkResult]] | None = None

    async def run_once(self) -> list[WorkResult]:
        """One tick at the injected clock's `now`; errors are logged, never raised."""
        now = self.work.ctx.clock.now()
        try:
            results = await self.work.run_due(now, self.publishers)
        except StorageFull:
            # The database logged the outage; unclaimed work is still due at the next tick.
            log.warning("scheduler tick at %s: database full, due work waits", now.isoformat())
            return []
        except Exception:
            log.exception("scheduler tick at %s failed", now.isoformat())
            return []
        if results:
            log.info("tick at %s: %s", now.isoformat(), [(r.kind.value, r.status) for r in results])
        else:
            log.debug("tick at %s: nothing due", now.isoformat())
        return results

    async def advance(self, clock: SettableClock, target: dt.datetime) -> list[WorkResult]:
        """Move a simulated clock to `target`, ticking at every instant where work falls due.

        Jumping between due instants instead of minute by minute makes a simulated week cost
        a few dozen ticks; the results are the same because nothing falls due in between.
        """
        results: list[WorkResult] = []
        platforms = list(self.publishers)
        while True:
            due = await self.work.next_due_at(clock.now(), platforms)
            if due is None or due > target:
                break
            clock.set(due)
            results += await self.run_once()
        clock.set(target)
        results += await self.run_once()
        return results

    async def tick(self) -> None:
        # Shielded so that shutting the scheduler down (which cancels running jobs) never cuts
        # a publish in half; stop() waits for it instead.
        self._current = asyncio.ensure_future(self.run_once())
        await asyncio.shield(self._current)

    def start(self) -> None:
        """Start ticking on the running event loop."""
        if self.scheduler is not None:
            return
        scheduler = AsyncIOScheduler(timezone=dt.UTC)
        scheduler.add_job(
            self.tick,
            CronTrigger(second=0, timezone=dt.UTC),
            id=JOB_ID,
            name="studybot due work",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=self.misfire_grace_seconds,
            replace_existing=True,
            # One tick right away: a bot restarted at 09:00:30 posts the 09:00 question now
            # rather than at 09:01, and several processes starting together race on claims.
            next_run_time=dt.datetime.now(dt.UTC),
        )
        scheduler.start()
        self.scheduler = scheduler
        log.info("scheduler started: one tick per minute")

    async def stop(self, grace: float | None = None) -> None:
        """Stop ticking and let a tick in progress finish its publishing, waiting at most
        `grace` seconds (None: as long as it takes); a tick still running then is cancelled,
        and its claim stays unfinished, which the next start reports and does not repeat."""
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        current = self._current
        if current is not None and not current.done():
            try:
                await asyncio.wait_for(asyncio.shield(current), grace)
            except TimeoutError:
                log.warning("scheduler stopped a tick still publishing after %.0f s", grace)
                current.cancel()
                await asyncio.gather(current, return_exceptions=True)
        log.info("scheduler stopped")
