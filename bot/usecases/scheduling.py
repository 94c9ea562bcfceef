"""Scheduled work as a durable state machine: claim (a lease), database steps, publish once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.charts.data import RaceData
from bot.faults import fault_point
from bot.identity import Platform
from bot.ports import REQUEST_TIMEOUT, Publisher
from bot.records import ChannelRecord, ClaimRecord
from bot.replies import Reply, WeeklyTally
from bot.schedule import DueWork, WorkKind, next_due_after, next_work_after
from bot.usecases.boards import tally_and_race, with_race
from bot.usecases.context import Context, place_of
from bot.usecases.daily import (
    close_daily_round,
    open_daily_round,
    reveal,
    round_card,
    round_question,
)
from bot.usecases.delivery import (
    LEASE,
    RETRY_DELAYS,
    Attempts,
    LeaseLost,
    publish_once,
)
from bot.usecases.due import Job, due_jobs
from bot.usecases.notes import side_work

log = logging.getLogger(__name__)

DB_AT_ONCE = 4
# Loop-time seconds one tick's work in a channel may take: a tick never outlives its minute.
TICK_BUDGET = 50.0
CUT = "cut at the end of the tick (the platform did not answer in time)"
# Publishing that keeps failing is retried on every tick for this long, then marked failed.
GIVE_UP_AFTER = dt.timedelta(hours=24)
# The step each kind of work starts at; every kind ends with `publish`, then `done`.
FIRST_STEP = {WorkKind.POST: "open", WorkKind.CLOSE: "close", WorkKind.TALLY: "tally"}


@dataclass(frozen=True)
class WorkResult:
    """What this process did with one piece of scheduled work it held."""

    channel_id: int
    kind: WorkKind
    period: str
    status: str  # published | failed | skipped | retrying
    message_ref: str | None = None


@dataclass(frozen=True)
class Ready:
    """Work whose database steps are done: the reply to publish, where, and what to keep."""

    claim: ClaimRecord
    reply: Reply
    thread_ref: str | None
    record: Callable[[str], Awaitable[None]] | None = None
    race: RaceData | None = None  # a tally's team race, drawn after the database gate


class ScheduledWork:
    """The scheduler's side of the core: what is due, claimed as a lease, published once."""

    def __init__(self, ctx: Context, optimize: Callable[[], Awaitable[None]] | None = None) -> None:
        self.ctx = ctx
        # Refreshes the database planner's statistics; run from the tick once a day (UTC).
        self.optimize = optimize
        self._optimized_on: dt.date | None = None
        self.retry_delays: Sequence[float] = RETRY_DELAYS
        self.request_timeout = REQUEST_TIMEOUT
        self.tick_budget = TICK_BUDGET
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        # Channels whose database steps run at once: enough to overlap one channel's database
        # work with another's wait for the platform, few enough not to flood the event loop
        # (a burst of wake-ups would bunch requests past the platform's rate). Publishing
        # itself is not gated: each channel waits for its platform on its own.
        self._db_gate = asyncio.Semaphore(DB_AT_ONCE)

    async def run_due(
        self, now: dt.datetime, publishers: Mapping[Platform, Publisher]
    ) -> list[WorkResult]:
        """Do every post, close and tally due at `now`, and resume work left unfinished.

        Only channels of the given platforms are considered, so a process never claims work
        it cannot publish. Each channel runs on its own, bounded by the tick's budget, so a
        hanging channel delays no other; within a channel, closes come first.
        """
        now = now.astimezone(dt.UTC)
        channels, jobs, looked_at = await due_jobs(self.ctx, now, list(publishers))
        deadline = asyncio.get_running_loop().time() + self.tick_budget
        ran = [
            (cid, publisher)
            for cid in jobs
            if (publisher := publishers.get(Platform(channels[cid].platform))) is not None
        ]
        done = await asyncio.gather(
            *(self._channel(channels[cid], jobs[cid], p, now, deadline) for cid, p in ran)
        )
        clean = {cid: ok for (cid, _), (_, ok) in zip(ran, done, strict=True)}
        # A channel whose work hit an error or the tick's end is looked at again next tick;
        # the rest wait for their next post or tally instant.
        await self._advance([c for c in looked_at if clean.get(c.id, True)], now)
        await self._optimize_daily(now)
        await side_work(self.ctx, now, publishers)
        return [result for results, _ in done for result in results]

    async def _advance(self, looked_at: list[ChannelRecord], now: dt.datetime) -> None:
        if not looked_at:
            return
        try:
            await self.ctx.stores.channels.advance_due(
                [(c, next_work_after(now, c.schedule)) for c in looked_at]
            )
        except Exception:
            # Those channels stay due: the next tick looks at them again (their claims dedupe).
            log.warning("could not store the channels' next due instants", exc_info=True)

    async def _optimize_daily(self, now: dt.datetime) -> None:
        if self.optimize is None or self._optimized_on == now.date():
            return
        self._optimized_on = now.date()
        try:
            await self.optimize()
        except Exception:
            # Statistics are an optimisation: a failure here never fails the tick.
            log.warning("refreshing the database statistics failed", exc_info=True)

    async def next_due_at(
        self, after: dt.datetime, platforms: Sequence[Platform] | None = None
    ) -> dt.datetime | None:
        """The next instant after `after` at which some scheduled work falls due."""
        after = after.astimezone(dt.UTC)
        found: list[dt.datetime] = []
        for channel in await self.ctx.stores.channels.enabled_channels():
            if platforms is not None and Platform(channel.platform) not in platforms:
                continue
            at = next_due_after(after, channel.schedule)
            if at is not None:
                found.append(at)
        close = await self.ctx.stores.rounds.next_round_close(after)
        reminder = await self.ctx.stores.cards.next_reminder_at(after)
        found += [at for at in (close, reminder) if at is not None]
        return min(found) if found else None

    async def _channel(
        self,
        channel: ChannelRecord,
        queue: list[Job],
        publisher: Publisher,
        now: dt.datetime,
        deadline: float,
    ) -> tuple[list[WorkResult], bool]:
        """The channel's results, and whether every job ran without an error or a cut."""
        results: list[WorkResult] = []
        clean = True
        tries = Attempts(self.retry_delays, self.request_timeout, self.sleep, deadline)
        job: Job | None = None
        try:
            async with asyncio.timeout_at(deadline):
                for job in queue:
                    try:
                        result = await self._job(channel, job, publisher, now, tries)
                    except LeaseLost as exc:
                        log.info("another process took over %s; leaving it to them", exc)
                        continue
                    except Exception as exc:
                        # The claim keeps its step; a later tick resumes it.
                        clean = False
                        log.exception(
                            "%s %s for channel %s", job.kind.value, job.period, channel.id
                        )
                        await note_error(self.ctx, channel, job, f"{type(exc).__name__}: {exc}")
                        result = WorkResult(channel.id, job.kind, job.period, "retrying")
                    if result is not None:
                        results.append(result)
        except TimeoutError:
            clean = False
            log.warning(
                "channel %s: work cut at the end of the tick's %.0f s; resumed next tick",
                channel.id,
                self.tick_budget,
            )
            if job is not None:
                await note_error(self.ctx, channel, job, CUT)
                results.append(WorkResult(channel.id, job.kind, job.period, "retrying"))
        return results, clean

    async def _job(
        self,
        channel: ChannelRecord,
        job: Job,
        publisher: Publisher,
        now: dt.datetime,
        tries: Attempts,
    ) -> WorkResult | None:
        if job.due is not None and job.due.stale:
            async with self._db_gate:  # 50,000 newly enabled channels' skips outwaited a pool
                await self._skip(channel, job.due, now)
            return None
        # A channel's database steps run in one turn of the gate, so channels come out ready
        # one after another at the database's pace and publishing starts with the first
        # (queueing twice would claim every channel before any could be published).
        async with self._db_gate:
            ready = await self._prepare(channel, job, now)
        if ready is None or isinstance(ready, WorkResult):
            return ready
        claim = ready.claim
        fault_point(f"{claim.kind}.stepped")
        # Drawing and the platform step run outside the gate: neither holds up database work.
        reply = ready.reply
        if isinstance(reply, WeeklyTally):
            reply = await with_race(self.ctx, reply, ready.race)
        outcome = await publish_once(
            self.ctx,
            channel,
            claim,
            publisher,
            reply,
            ready.thread_ref,
            tries,
            ready.record,
        )
        return WorkResult(
            channel.id, WorkKind(claim.kind), claim.period, outcome.status, outcome.message_ref
        )

    async def _prepare(
        self, channel: ChannelRecord, job: Job, now: dt.datetime
    ) -> Ready | WorkResult | None:
        """Claim the work and run its database steps: what to publish, or how it ended."""
        claim = await self.ctx.stores.claims.claim(
            channel.id,
            job.kind.value,
            job.period,
            now,
            self.ctx.owner,
            step=FIRST_STEP[job.kind],
            lease=LEASE,
            # An open round reopens a close that failed or was skipped under older rules.
            reopen=job.round_due is not None,
        )
        if claim is None:
            if job.round_due is not None:
                await self._close_unclaimed(channel, job)
            return None  # another process holds it, or it is done
        fault_point(f"{claim.kind}.claimed")
        if claim.claimed_at != now:
            # Taken over from a holder that died or let go (its lease ran out): say so once.
            log.warning(
                "resuming %s %s for channel %s at step %s (last error: %s)",
                claim.kind,
                claim.period,
                channel.id,
                claim.step,
                claim.error or "none; its holder stopped",
            )
        if claim.step == "publish" and self._too_old(claim, now):
            log.error(
                "gave up publishing %s %s to channel %s after %d attempts over %s: %s",
                claim.kind,
                claim.period,
                channel.id,
                claim.attempts,
                GIVE_UP_AFTER,
                claim.error,
            )
            return await end_work(
                self.ctx, claim, "failed", f"gave up after 24 hours: {claim.error}"
            )
        if job.kind is WorkKind.POST:
            return await self._post(channel, claim, now)
        if job.kind is WorkKind.CLOSE:
            return await self._close(channel, claim, now)
        return await self._tally(channel, claim, job.due)

    async def _close_unclaimed(self, channel: ChannelRecord, job: Job) -> None:
        # A finished claim never stops a round from closing (its reveal is out already).
        existing = await self.ctx.stores.claims.get_claim(channel.id, job.kind.value, job.period)
        if existing is not None and existing.status == "published" and job.round_due:
            await close_daily_round(self.ctx, job.round_due.id, self.ctx.clock.now())

    async def _skip(self, channel: ChannelRecord, work: DueWork, now: dt.datetime) -> None:
        # Recording the skip as a claim logs it once instead of on every tick. Looked up
        # first: a skip recorded before (enabling a channel records its forgone tally) then
        # costs a read, not a write transaction that inserts nothing.
        claims = self.ctx.stores.claims
        if await claims.get_claim(channel.id, work.kind.value, work.period) is not None:
            return
        if await claims.claim(
            channel.id, work.kind.value, work.period, now, self.ctx.owner, status="skipped"
        ):
            log.warning(
                "skipped %s %s for channel %s (%s/%s): due at %s, too late to be useful now",
                work.kind.value,
                work.period,
                channel.id,
                channel.workspace,
                channel.external_id,
                work.at.isoformat(),
            )

    def _too_old(self, claim: ClaimRecord, now: dt.datetime) -> bool:
        return claim.claimed_at is not None and now - claim.claimed_at > GIVE_UP_AFTER

    async def _post(
        self, channel: ChannelRecord, claim: ClaimRecord, now: dt.datetime
    ) -> Ready | WorkResult:
        rounds = self.ctx.stores.rounds
        day = dt.date.fromisoformat(claim.period)
        # A claim inserted just now has no round yet (only its holder opens one); a resumed
        # one may, and that round is the one to post.
        fresh = claim.claimed_at == now and claim.step == "open"
        rnd = None if fresh else await rounds.round_on(channel.id, day)
        if claim.step == "open":
            # Idempotent: a round an earlier attempt opened is the one to post.
            if rnd is None and _local_day(now, channel) != day:
                return await end_work(
                    self.ctx, claim, "skipped", "its day passed before it was opened"
                )
            if rnd is None:
                opened = await open_daily_round(self.ctx, place_of(channel), now, channel=channel)
                rnd = opened[0] if opened else await rounds.round_on(channel.id, day)
        if rnd is None:
            return await end_work(self.ctx, claim, "skipped", "no question fits this channel")
        if rnd.closed_at is not None or now >= rnd.closes_at:
            return await end_work(
                self.ctx, claim, "skipped", "its round closed before it was posted"
            )
        round_id = rnd.id

        async def keep_ref(ref: str) -> None:
            await rounds.set_post_ref(round_id, ref)

        question = round_question(self.ctx, rnd)
        if question is None:
            return await end_work(self.ctx, claim, "skipped", "its question is gone")
        card = round_card(self.ctx, rnd, channel.schedule.timezone, question)
        return Ready(claim, card, None, keep_ref)

    async def _close(
        self, channel: ChannelRecord, claim: ClaimRecord, now: dt.datetime
    ) -> Ready | WorkResult:
        rnd = await self.ctx.stores.rounds.round_on(channel.id, dt.date.fromisoformat(claim.period))
        if rnd is None:
            return await end_work(self.ctx, claim, "skipped", "no round on that day")
        answer = None
        if claim.step == "close":
            # Points and streaks, once: a round closed already is left as it is.
            answer = await close_daily_round(self.ctx, rnd.id, now)
        answer = answer or await reveal(self.ctx, rnd.id)
        return Ready(claim, answer, rnd.post_ref)

    async def _tally(
        self, channel: ChannelRecord, claim: ClaimRecord, due: DueWork | None
    ) -> Ready | WorkResult:
        at = due.at if due is not None else _week_end(claim.period, channel.schedule.timezone)
        # Computed again on a retry rather than stored: it compares with the week before and
        # rewrites this week's snapshot, so the rows come out the same.
        tally, race = await tally_and_race(self.ctx, channel, at)
        return Ready(claim, tally, None, race=race)


async def end_work(ctx: Context, claim: ClaimRecord, status: str, why: str) -> WorkResult:
    """Finish the claim without publishing (skipped) or for good (failed), with the reason."""
    log.warning("%s %s for channel %s: %s", claim.kind, claim.period, claim.channel_id, why)
    await ctx.stores.claims.update_claim(
        claim.channel_id,
        claim.kind,
        claim.period,
        ctx.owner,
        ctx.clock.now(),
        {"status": status, "step": "done", "error": why, "lease_until": None},
    )
    return WorkResult(claim.channel_id, WorkKind(claim.kind), claim.period, status)


async def note_error(ctx: Context, channel: ChannelRecord, job: Job, error: str) -> None:
    """Keep the reason on the claim, so `config show` and `studybot doctor` can say it."""
    try:
        await ctx.stores.claims.update_claim(
            channel.id,
            job.kind.value,
            job.period,
            ctx.owner,
            ctx.clock.now(),
            # Let go at once: the next tick retries the step (a lock or an outage may be over).
            {"error": error[:300], "lease_until": ctx.clock.now()},
        )
    except Exception:
        log.warning("could not record the error on %s %s", job.kind.value, job.period)


def _local_day(now: dt.datetime, channel: ChannelRecord) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(channel.schedule.timezone)).date()


def _week_end(period: str, timezone: str) -> dt.datetime:
    """An instant inside the ISO week `period` (e.g. 2026-W47) in the channel's time zone."""
    year, week = period.split("-W")
    day = dt.date.fromisocalendar(int(year), int(week), 7)
    return dt.datetime.combine(day, dt.time(12), zoneinfo.ZoneInfo(timezone))
