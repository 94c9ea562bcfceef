"""What a scheduler tick finds due: rounds to close, the schedule's work, unfinished claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.identity import Platform
from bot.records import ChannelRecord, RoundRecord
from bot.schedule import DueWork, WorkKind, due_work
from bot.usecases.context import Context


@dataclass(frozen=True)
class Job:
    """One piece of work found due this tick: from a round to close, the schedule, or a
    claim left unfinished; `due` carries the schedule's instant (tally)."""

    kind: WorkKind
    period: str
    due: DueWork | None = None
    round_due: RoundRecord | None = None


async def due_jobs(
    ctx: Context, now: dt.datetime, platforms: Sequence[Platform] | None = None
) -> tuple[dict[int, ChannelRecord], dict[int, list[Job]], list[ChannelRecord]]:
    """Every piece of work due at `now`, per channel: rounds to close first, then the
    schedule's posts and tallies, then work left unfinished whose lease has expired; and the
    channels (of `platforms`) whose schedule was looked at, due by their stored instant."""
    stores = ctx.stores
    jobs: dict[int, list[Job]] = {}
    channels: dict[int, ChannelRecord] = {}

    def add(channel: ChannelRecord, job: Job) -> None:
        channels[channel.id] = channel
        queue = jobs.setdefault(channel.id, [])
        if all((j.kind, j.period) != (job.kind, job.period) for j in queue):
            queue.append(job)

    # A round past its close time is closed whatever its claim says: the close transaction
    # itself (closed_at still empty) is what makes it happen once.
    closing = await stores.rounds.rounds_due_to_close(now)
    # Their channels in one read: a reveal tick of 500 channels made 500 look-ups here
    # before the first reveal could start.
    owners = await stores.channels.channels_by_ids({rnd.channel_id for rnd in closing})
    for rnd in closing:
        found = owners.get(rnd.channel_id)
        if found is not None:
            add(found, Job(WorkKind.CLOSE, rnd.local_date.isoformat(), round_due=rnd))
    # Only channels whose stored next instant has come: an idle tick reads no channel at all.
    # Work already claimed stays with its claim (resumed below once its lease runs out).
    looked_at = await stores.channels.due_channels(
        now, None if platforms is None else [p.value for p in platforms]
    )
    for channel in looked_at:
        for work in due_work(now, channel.schedule):
            add(channel, Job(work.kind, work.period, due=work))
    for claim in await stores.claims.resumable(now):
        found = channels.get(claim.channel_id) or await stores.channels.get_channel_by_id(
            claim.channel_id
        )
        if found is not None:
            add(found, Job(WorkKind(claim.kind), claim.period))
    return channels, jobs, looked_at
