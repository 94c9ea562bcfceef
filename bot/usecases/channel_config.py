"""Channel configuration: the daily question's schedule, topics and pauses, for admins."""

from __future__ import annotations

import datetime as dt

from bot import commands as c
from bot import messages as m
from bot.identity import Origin, PlaceRef
from bot.records import ChannelRecord
from bot.replies import Notice, Reply, TableView, Tone
from bot.review import ReviewPolicy
from bot.schedule import (
    ChannelSchedule,
    ScheduleError,
    WorkKind,
    days_to_mask,
    due_work,
    format_days,
    local_date,
    next_post_after,
    tally_at,
    wall_clock,
    week_key,
)
from bot.usecases.context import Context, UserError, ok, require_admin
from bot.usecases.delivery import channel_trouble

# Settings that move when posts and tallies fall due.
SCHEDULE_KEYS = frozenset(
    (
        "enabled",
        "paused",
        "timezone",
        "post_time",
        "close_time",
        "days",
        "weekly_day",
        "weekly_time",
    )
)
# Settings that move the next daily post (the reply to changing one names it).
POST_KEYS = frozenset(("post_time", "timezone", "days"))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def config_view(
    channel: ChannelRecord,
    now: dt.datetime,
    policy: ReviewPolicy | None = None,
    *,
    late: bool = False,
) -> TableView:
    """The channel's settings; `late`: today's post is due and goes out late (see
    `_catch_up_today`)."""
    s = channel.schedule
    state = ("paused" if s.paused else "on") if channel.enabled else "off"
    coming = next_post_after(now, s) if channel.enabled else None
    if late:
        state = f"on, {_late_post(s)}"
    elif coming is not None:
        # What an admin checks after every change: when the first question will appear.
        state = f"on, next question {wall_clock(coming, s.timezone)}"
    rows: tuple[tuple[str, str], ...] = (
        ("daily question", state),
        ("post time", f"{s.post_time:%H:%M}"),
        ("close and reveal", f"{s.close_time:%H:%M}"),
        ("time zone", s.timezone),
        ("days", format_days(s.days)),
        ("topics", ", ".join(channel.topics) or "all"),
        ("difficulty", channel.difficulty),
        ("weekly tally", f"{WEEKDAYS[s.weekly_day]} {s.weekly_time:%H:%M}"),
    )
    if policy is not None:  # workspace-wide, shown beside the channel's own settings
        rows += (
            ("review retention", f"{policy.retention:.2f}"),
            ("review max interval", f"{policy.maximum_interval} days"),
        )
    return TableView("Channel settings", rows)


async def timezone_of(ctx: Context, place: PlaceRef) -> str:
    """The channel's time zone, UTC for a channel the bot has never seen."""
    channel = await ctx.stores.channels.get_channel(place.workspace_key, place.channel)
    return channel.schedule.timezone if channel is not None else "UTC"


async def resume_instant(ctx: Context) -> dt.datetime | None:
    """Where a simulated clock resumes: the latest instant the database has seen."""
    return await ctx.stores.claims.latest_instant()


async def show_config(ctx: Context, cmd: c.ShowConfig, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "see or change the channel settings")
    now = ctx.clock.now()
    late = await _catch_up_today(ctx, actor.channel, now, release=False)
    view = config_view(
        actor.channel, now, await ctx.stores.cards.policy(actor.workspace), late=late
    )
    if not actor.channel.enabled:
        return [Notice(m.CONFIG_NOT_ENABLED), view]
    trouble = await channel_trouble(ctx, actor.channel.id)
    if trouble:
        # Which piece of scheduled work failed here, and why (e.g. the bot lost access).
        return [view, Notice("\n".join((m.CONFIG_WORK_TROUBLE, *trouble)), Tone.ERROR)]
    return [view]


async def set_review_policy(ctx: Context, cmd: c.SetReviewPolicy, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "change how review cards are scheduled")
    now = ctx.clock.now()
    await ctx.stores.cards.set_policy(actor.workspace, now, cmd.retention, cmd.maximum_interval)
    if cmd.retention is not None:
        return [ok(m.CONFIG_RETENTION_SET.format(value=cmd.retention))]
    return [ok(m.CONFIG_INTERVAL_SET.format(days=cmd.maximum_interval))]


async def update_config(ctx: Context, cmd: c.UpdateConfig, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "change the channel settings")
    channel = actor.channel
    s = channel.schedule
    values: dict[str, object] = {}
    what = ""
    if cmd.enable:
        _require_post_access(origin)
        values["enabled"] = True
        what = "daily question enabled"
    if cmd.post_time is not None:
        s = ChannelSchedule(**{**s.__dict__, "post_time": cmd.post_time})
        values["post_time"] = f"{cmd.post_time:%H:%M}"
        what = f"post time {cmd.post_time:%H:%M}"
    if cmd.close_time is not None:
        s = ChannelSchedule(**{**s.__dict__, "close_time": cmd.close_time})
        values["close_time"] = f"{cmd.close_time:%H:%M}"
        what = f"close time {cmd.close_time:%H:%M}"
    if cmd.timezone is not None:
        values["timezone"] = cmd.timezone
        what = f"{what}, time zone {cmd.timezone}" if what else f"time zone {cmd.timezone}"
    if cmd.days is not None:
        values["days"] = days_to_mask(cmd.days)
        what = f"days {format_days(cmd.days)}"
    if cmd.topics is not None:
        resolved = []
        refusals = []
        for word in cmd.topics:
            # The resolver `quiz` uses, so a word reads the same in both (ambiguous, unknown).
            try:
                resolved.append(ctx.resolve_topic(word, actor.bank))
            except UserError as exc:
                refusals.append(str(exc))
        if refusals:
            raise UserError(" ".join(refusals))
        values["topics"] = ",".join(sorted(set(resolved)))
        what = f"topics {', '.join(sorted(set(resolved))) or 'all'}"
    if cmd.difficulty is not None or cmd.mixed_difficulty:
        level = cmd.difficulty.value if cmd.difficulty else "mixed"
        values["difficulty"] = level
        what = f"difficulty {level}"
    if cmd.weekly_day is not None and cmd.weekly_time is not None:
        values["weekly_day"] = cmd.weekly_day
        values["weekly_time"] = f"{cmd.weekly_time:%H:%M}"
        what = f"weekly tally {WEEKDAYS[cmd.weekly_day]} {cmd.weekly_time:%H:%M}"
    if cmd.paused is not None:
        if not channel.enabled:
            # Nothing to pause or resume: say so once, and write nothing.
            raise UserError(m.CONFIG_NOT_ENABLED)
        if cmd.paused == s.paused:
            return [Notice(m.CONFIG_ALREADY_PAUSED if cmd.paused else m.CONFIG_NOT_PAUSED)]
        values["paused"] = cmd.paused
    try:
        s.check()
    except ScheduleError as exc:
        raise UserError(str(exc)) from None
    if not values:
        late = await _catch_up_today(ctx, channel, ctx.clock.now(), release=False)
        return [config_view(channel, ctx.clock.now(), late=late)]
    if SCHEDULE_KEYS.intersection(values):
        # The scheduler looks at the channel on its next tick, under the new schedule, and
        # stores the next instant from there.
        values["next_due_at"] = ctx.clock.now()
    channels = ctx.stores.channels
    await channels.update_channel(channel.id, values, ctx.clock.now())
    fresh = await channels.get_channel_by_id(channel.id)
    assert fresh is not None
    if (cmd.enable and not channel.enabled) or (cmd.paused is False and channel.schedule.paused):
        await _forgo_earlier_work(ctx, fresh, ctx.clock.now())
    # Any change to when work falls due may make today's post answerable again, or move this
    # week's tally past now.
    late = False
    if SCHEDULE_KEYS.intersection(values):
        await _release_coming_tally(ctx, fresh, ctx.clock.now())
        late = await _catch_up_today(ctx, fresh, ctx.clock.now())
    if cmd.enable:
        # The one told in private if the platform later refuses the bot's posts here.
        await ctx.stores.claims.set_channel_admin(channel.id, origin.user.user_id, ctx.clock.now())
        # Enabling is the first look at the settings: show them all.
        return [ok(m.CONFIG_ENABLED), config_view(fresh, ctx.clock.now(), late=late)]
    coming = next_post_after(ctx.clock.now(), fresh.schedule) if fresh.enabled else None
    when = wall_clock(coming, fresh.schedule.timezone) if coming is not None else ""
    if cmd.paused is not None:
        if late:
            return [ok(m.CONFIG_RESUMED_LATE.format(late=_late_post(fresh.schedule)))]
        return [ok(m.CONFIG_PAUSED if cmd.paused else m.CONFIG_RESUMED.format(when=when))]
    if late:
        what = f"{what}; {_late_post(fresh.schedule)}"
    elif coming is not None and POST_KEYS.intersection(values):
        what = f"{what}; next question {when}"
    # One change, one line; `config show` has the table.
    notes: list[Reply] = [ok(m.CONFIG_UPDATED.format(what=what))]
    if not fresh.enabled:
        notes.append(Notice(m.CONFIG_NOT_ENABLED))
    return notes


def _require_post_access(origin: Origin) -> None:
    """Refuse to enable a channel the platform says the bot cannot post in, naming the fix;
    unknown access (None) is allowed, and a later refusal still reaches the admin."""
    access = origin.can_post
    if access is None or access.ok:
        return
    if access.direct:
        raise UserError(m.CONFIG_DIRECT_MESSAGE)
    if access.missing:
        raise UserError(m.CONFIG_CANNOT_POST.format(permissions=_names(access.missing)))
    raise UserError(m.CONFIG_NOT_INVITED)


def _names(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


async def _forgo_earlier_work(ctx: Context, channel: ChannelRecord, now: dt.datetime) -> None:
    """A newly enabled or resumed channel starts now: a tally that fell due before (while it
    was off or paused) is not caught up (nor logged as missed); today's post still is, while
    it can be answered."""
    for work in due_work(now, channel.schedule):
        if work.kind is WorkKind.TALLY or work.stale:
            await ctx.stores.claims.claim(
                channel.id, work.kind.value, work.period, now, ctx.owner, status="skipped"
            )


async def _catch_up_today(
    ctx: Context, channel: ChannelRecord, now: dt.datetime, *, release: bool = True
) -> bool:
    """Whether today's post is due, can still be answered and has not gone out, so the next
    tick publishes it late (the catch-up rule: a post whose close time has not passed goes
    out once). With `release` (a change to the schedule), a skip of it recorded under the
    schedule of a minute ago (a channel enabled after the default close, then given a later
    one) is undone first: nothing of a skipped post was published, and otherwise the bot
    would keep quiet all day about a round its settings now say is open. A skip for a
    reason found once the post was claimed (no question fits) stands."""
    if not channel.enabled or channel.schedule.paused:
        return False
    for work in due_work(now, channel.schedule):
        if work.kind is not WorkKind.POST or work.stale:
            continue
        claims = ctx.stores.claims
        if release:
            await claims.release_skipped(channel.id, work.kind.value, work.period)
        if await claims.get_claim(channel.id, work.kind.value, work.period) is not None:
            return False  # out already, or going out
        # A round opened today and closed unposted is not opened again.
        day = dt.date.fromisoformat(work.period)
        return await ctx.stores.rounds.round_on(channel.id, day) is None
    return False


def _late_post(s: ChannelSchedule) -> str:
    return m.CONFIG_LATE_POST.format(due=f"{s.post_time:%H:%M}", close=f"{s.close_time:%H:%M}")


async def _release_coming_tally(ctx: Context, channel: ChannelRecord, now: dt.datetime) -> None:
    """This week's tally, forgone when the channel was enabled after it fell due, goes out
    after all once a change moves it to a later instant: it now falls due after the enable."""
    s = channel.schedule
    if not channel.enabled or s.paused:
        return
    today = local_date(now, s.timezone)
    if tally_at(today, s) > now:
        await ctx.stores.claims.release_skipped(channel.id, WorkKind.TALLY.value, week_key(today))
