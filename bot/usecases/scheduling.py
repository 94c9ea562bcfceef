"""Scheduled work: claim each due post, close and tally, do it, and publish it once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.identity import Platform
from bot.ports import Publisher
from bot.records import ChannelRecord, RoundRecord
from bot.replies import Reply
from bot.schedule import DueWork, WorkKind, due_work, next_due_after
from bot.usecases.boards import weekly_tally
from bot.usecases.context import Context, place_of
from bot.usecases.daily import close_daily_round, open_daily_round

log = logging.getLogger(__name__)

# Pauses before the second and third publish attempt; a publish is tried at most three times.
RETRY_DELAYS: tuple[float, ...] = (2.0, 8.0)
# Channels a tick works on at once (each still in order); the publishers pace the platform.
CHANNELS_AT_ONCE = 4


@dataclass(frozen=True)
class WorkResult:
    """What this process did with one piece of scheduled work it claimed."""

    channel_id: int
    kind: WorkKind
    period: str
    status: str  # published | failed | skipped
    message_ref: str | None = None


class ScheduledWork:
    """The scheduler's side of the core: what is due, claimed once, published once."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.retry_delays: Sequence[float] = RETRY_DELAYS
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def run_due(
        self, now: dt.datetime, publishers: Mapping[Platform, Publisher]
    ) -> list[WorkResult]:
        """Claim, do and publish every post, reveal and tally due at `now`.

        Only channels of the given platforms are considered, so a process never claims work
        it cannot publish. Each piece is claimed in the database first; whoever loses the
        claim does nothing, which keeps posts single across ticks, restarts and processes.
        """
        now = now.astimezone(dt.UTC)
        stores = self.ctx.stores
        # A few channels at a time: one channel's database work overlaps another's wait for
        # its publisher's rate slot, and one channel's retry pauses hold up no other. Each
        # channel's own work stays in order; results keep the channels' order.
        gate = asyncio.Semaphore(CHANNELS_AT_ONCE)

        async def close(rnd: RoundRecord) -> list[WorkResult]:
            async with gate:
                channel = await stores.channels.get_channel_by_id(rnd.channel_id)
                publisher = publishers.get(Platform(channel.platform)) if channel else None
                if channel is None or publisher is None:
                    return []
                return await self._guarded(
                    channel, WorkKind.CLOSE, rnd.local_date.isoformat(), now, publisher, rnd
                )

        async def scheduled(channel: ChannelRecord, publisher: Publisher) -> list[WorkResult]:
            async with gate:
                done: list[WorkResult] = []
                for work in due_work(now, channel.schedule):
                    if work.stale:
                        await self._skip(channel, work, now)
                        continue
                    done += await self._guarded(
                        channel, work.kind, work.period, now, publisher, work
                    )
                return done

        # Reveals first, so a channel whose close and next post coincide reads in order.
        closed = await asyncio.gather(*map(close, await stores.rounds.rounds_due_to_close(now)))
        posted = await asyncio.gather(
            *(
                scheduled(channel, publisher)
                for channel in await stores.channels.enabled_channels()
                if (publisher := publishers.get(Platform(channel.platform))) is not None
            )
        )
        return [result for done in (*closed, *posted) for result in done]

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
        if close is not None:
            found.append(close)
        return min(found) if found else None

    async def _skip(self, channel: ChannelRecord, work: DueWork, now: dt.datetime) -> None:
        # Recording the skip as a claim logs it once instead of on every tick.
        if await self.ctx.stores.claims.claim(
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

    async def _guarded(
        self,
        channel: ChannelRecord,
        kind: WorkKind,
        period: str,
        now: dt.datetime,
        publisher: Publisher,
        subject: DueWork | RoundRecord,
    ) -> list[WorkResult]:
        claims = self.ctx.stores.claims
        if not await claims.claim(channel.id, kind.value, period, now, self.ctx.owner):
            return []
        try:
            if isinstance(subject, RoundRecord):
                result = await self._close_and_reveal(channel, subject, now, publisher)
            elif kind is WorkKind.POST:
                result = await self._post(channel, period, now, publisher)
            else:
                result = await self._tally(channel, subject, publisher)
        except Exception as exc:
            # Never lost silently: the claim says failed and the log has the traceback.
            log.exception("%s %s for channel %s failed", kind.value, period, channel.id)
            await claims.finish_claim(
                channel.id, kind.value, period, "failed", 0, self.ctx.clock.now(), error=repr(exc)
            )
            result = WorkResult(channel.id, kind, period, "failed")
        return [result]

    async def _give_up(
        self, channel: ChannelRecord, kind: WorkKind, period: str, why: str
    ) -> WorkResult:
        log.warning("%s %s for channel %s not done: %s", kind.value, period, channel.id, why)
        await self.ctx.stores.claims.finish_claim(
            channel.id, kind.value, period, "skipped", 0, self.ctx.clock.now(), error=why
        )
        return WorkResult(channel.id, kind, period, "skipped")

    async def _post(
        self, channel: ChannelRecord, period: str, now: dt.datetime, publisher: Publisher
    ) -> WorkResult:
        opened = await open_daily_round(self.ctx, place_of(channel), now)
        if opened is None:
            return await self._give_up(
                channel, WorkKind.POST, period, "no round opened (one exists or no question fits)"
            )
        rnd, card = opened
        result = await self._publish(channel, WorkKind.POST, period, publisher, card, None)
        if result.message_ref is not None:
            await self.ctx.stores.rounds.set_post_ref(rnd.id, result.message_ref)
        return result

    async def _close_and_reveal(
        self, channel: ChannelRecord, rnd: RoundRecord, now: dt.datetime, publisher: Publisher
    ) -> WorkResult:
        period = rnd.local_date.isoformat()
        reveal = await close_daily_round(self.ctx, rnd.id, now)
        if reveal is None:
            return await self._give_up(channel, WorkKind.CLOSE, period, "round already closed")
        return await self._publish(channel, WorkKind.CLOSE, period, publisher, reveal, rnd.post_ref)

    async def _tally(
        self, channel: ChannelRecord, work: DueWork, publisher: Publisher
    ) -> WorkResult:
        tally = await weekly_tally(self.ctx, channel, work.at)
        return await self._publish(channel, WorkKind.TALLY, work.period, publisher, tally, None)

    async def _publish(
        self,
        channel: ChannelRecord,
        kind: WorkKind,
        period: str,
        publisher: Publisher,
        reply: Reply,
        thread_ref: str | None,
    ) -> WorkResult:
        place = place_of(channel)
        claims = self.ctx.stores.claims
        attempts = len(self.retry_delays) + 1
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                ref = await publisher.publish(place, reply, thread_ref)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "publishing %s %s to %s failed (attempt %d of %d): %s",
                    kind.value,
                    period,
                    place,
                    attempt,
                    attempts,
                    error,
                )
                if attempt < attempts:
                    await self.sleep(self.retry_delays[attempt - 1])
                continue
            await claims.finish_claim(
                channel.id, kind.value, period, "published", attempt, self.ctx.clock.now(), ref
            )
            log.info("published %s %s to %s", kind.value, period, place)
            return WorkResult(channel.id, kind, period, "published", ref)
        log.error(
            "gave up publishing %s %s to %s after %d attempts: %s",
            kind.value,
            period,
            place,
            attempts,
            error,
        )
        await claims.finish_claim(
            channel.id, kind.value, period, "failed", attempts, self.ctx.clock.now(), error=error
        )
        return WorkResult(channel.id, kind, period, "failed")
