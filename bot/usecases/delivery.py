"""Publishing a piece of scheduled work once: verify before retrying, refusals final, reports."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bot import messages as m
from bot.commandref import render_refs
from bot.faults import fault_point
from bot.ports import REQUEST_TIMEOUT, Publisher, PublishRefused
from bot.records import ChannelRecord, ClaimRecord
from bot.replies import Notice, Reply, Tone
from bot.usecases.context import Context, place_of

log = logging.getLogger(__name__)

# A claim's lease: longer than a tick's work in a channel may take (TICK_BUDGET in
# scheduling), short enough that work a dead process held is taken over within two ticks.
LEASE = dt.timedelta(seconds=90)
# Pauses before the second and third attempt within one tick; later ticks try again.
RETRY_DELAYS: tuple[float, ...] = (2.0, 8.0)
# How far back `config show` and `studybot doctor` look for failed or retried work.
REPORT_DAYS = 7


def work_key(channel_id: int, kind: str, period: str) -> str:
    """The name a piece of work carries on the platform (Discord nonce, Slack metadata)."""
    return f"studybot:{channel_id}:{kind}:{period}"


@dataclass
class Attempts:
    """How publishing behaves: pauses, and the loop-time deadline of this tick (a request
    that hangs is cut by the publisher's own REQUEST_TIMEOUT, or at the deadline)."""

    retry_delays: Sequence[float] = RETRY_DELAYS
    request_timeout: float = REQUEST_TIMEOUT
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    deadline: float = field(default=float("inf"))

    def room_for(self, pause: float) -> bool:
        """Whether one more pause and request still end before this tick's deadline."""
        now = asyncio.get_running_loop().time()
        return now + pause + self.request_timeout <= self.deadline


@dataclass(frozen=True)
class Outcome:
    """How a publish step ended: published (with the reference), refused or left to retry."""

    status: str  # published | failed | retrying
    message_ref: str | None = None


async def publish_once(
    ctx: Context,
    channel: ChannelRecord,
    claim: ClaimRecord,
    publisher: Publisher,
    reply: Reply,
    thread_ref: str | None,
    tries: Attempts,
    record: Callable[[str], Awaitable[None]] | None = None,
) -> Outcome:
    """Publish the claimed work at most once: every attempt after the first asks the platform
    for the message first and adopts it if there. `record` stores the reference elsewhere
    (the round's question) before the claim is marked published."""
    place = place_of(channel)
    key = work_key(channel.id, claim.kind, claim.period)
    attempts = claim.attempts
    error = ""
    for pause in (0.0, *tries.retry_delays):
        if pause:
            if not tries.room_for(pause):
                break  # the next tick goes on; a tick never outlives its minute
            await tries.sleep(pause)
        try:
            ref = None
            if attempts > 0:
                # An earlier attempt may have reached the platform: adopt what it left.
                ref = await publisher.find(place, key)
                if ref is not None:
                    log.info("found %s already published in %s; adopting it", key, place)
            if ref is None:
                attempts += 1
                # Counted before the request: a crash during it leaves a claim that checks.
                # The step is recorded with the first attempt: the database steps before it are
                # idempotent, so a crash in between just runs them again.
                values = {"attempts": attempts, "step": "publish", "lease_until": _lease(ctx)}
                await _update(ctx, claim, values)
                ref = await publisher.publish(place, reply, thread_ref, key)
        except PublishRefused as exc:
            await refused(ctx, channel, claim, publisher, exc, attempts)
            return Outcome("failed")
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            log.warning("publishing %s to %s failed (attempt %d): %s", key, place, attempts, error)
            continue
        fault_point(f"{claim.kind}.published")
        if ref is not None and record is not None:
            await record(ref)
        await _update(
            ctx,
            claim,
            {
                "status": "published",
                "step": "done",
                "attempts": attempts,
                "message_ref": ref,
                "error": None,
                "lease_until": None,
            },
        )
        log.info("published %s to %s", key, place)
        fault_point(f"{claim.kind}.recorded")
        return Outcome("published", ref)
    # Let go now rather than at the lease's end: the next tick resumes, checking first.
    await _update(ctx, claim, {"error": error or "interrupted", "lease_until": ctx.clock.now()})
    log.warning("%s not published yet (%d attempts so far); the next tick retries", key, attempts)
    return Outcome("retrying")


async def refused(
    ctx: Context,
    channel: ChannelRecord,
    claim: ClaimRecord,
    publisher: Publisher,
    exc: PublishRefused,
    attempts: int,
) -> None:
    """A permanent refusal ends the work at once, says how to fix it, and tells the admin."""
    fix = m.publish_fix(exc.problem, channel.external_id)
    await _update(
        ctx,
        claim,
        {
            "status": "failed",
            "step": "done",
            "attempts": attempts,
            "error": f"{exc.problem}: {fix}",
            "lease_until": None,
        },
    )
    log.error(
        "%s %s for channel %s (%s #%s) refused (%s), not retried; to fix: %s",
        claim.kind,
        claim.period,
        channel.id,
        channel.workspace,
        channel.external_id,
        exc,
        render_refs(fix),
    )
    admin = await ctx.stores.claims.take_alert(channel.id, ctx.clock.now())
    if admin is None:
        return
    text = m.ADMIN_ALERT.format(
        work=m.WORK_NAMES.get(claim.kind, claim.kind),
        channel=channel.external_id,
        problem=exc.problem,
        fix=fix,
    )
    try:
        await asyncio.wait_for(
            publisher.notify_admin(place_of(channel), admin, Notice(text, Tone.ERROR)),
            REQUEST_TIMEOUT,
        )
    except Exception:
        log.warning("could not tell admin %s about channel %s", admin, channel.id, exc_info=True)


async def _update(ctx: Context, claim: ClaimRecord, values: dict[str, object]) -> None:
    held = await ctx.stores.claims.update_claim(
        claim.channel_id, claim.kind, claim.period, ctx.owner, ctx.clock.now(), values
    )
    if not held:
        # Another process took the work over (our lease ran out): it carries on from here.
        raise LeaseLost(f"{claim.kind} {claim.period} of channel {claim.channel_id}")


def _lease(ctx: Context) -> dt.datetime:
    return ctx.clock.now() + LEASE


class LeaseLost(RuntimeError):
    """This process's lease on a piece of work expired and another process took it over."""


def work_rows(found: Sequence[ClaimRecord]) -> list[str]:
    """One line per failed or retried piece of work, with its reason."""
    return [
        m.WORK_ROW.format(
            work=m.WORK_NAMES.get(c.kind, c.kind),
            period=c.period,
            state=m.WORK_STATE.get(c.status, c.status),
            step=c.step,
            attempts=c.attempts,
            error=c.error or "-",
        )
        for c in found
    ]


async def channel_trouble(ctx: Context, channel_id: int) -> list[str]:
    """The channel's failed or retried work of the last days, for `config show`."""
    since = ctx.clock.now() - dt.timedelta(days=REPORT_DAYS)
    return work_rows(await ctx.stores.claims.troubled(since, channel_id))


async def doctor_report(ctx: Context, days: int = REPORT_DAYS) -> list[str]:
    """Every channel's failed or retried work of the last days, for `studybot doctor`;
    empty when there is none."""
    since = ctx.clock.now() - dt.timedelta(days=days)
    found = await ctx.stores.claims.troubled(since)
    lines: list[str] = []
    for channel_id in sorted({c.channel_id for c in found}):
        channel = await ctx.stores.channels.get_channel_by_id(channel_id)
        if channel is not None:
            lines.append(
                m.DOCTOR_CHANNEL.format(
                    platform=channel.platform,
                    workspace=channel.workspace,
                    channel=channel.external_id,
                    id=channel.id,
                )
            )
        lines += ["  " + row for row in work_rows([c for c in found if c.channel_id == channel_id])]
    return lines
