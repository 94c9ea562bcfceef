"""Opt-in daily reminders: `remind HH:MM [ZONE]`, and the tick's one private message a day."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from bot import commands as c
from bot import messages as m
from bot.identity import Origin, PlaceRef, Platform
from bot.ports import Publisher
from bot.records import ReminderRecord
from bot.replies import Notice, Reply
from bot.review import end_of_day
from bot.schedule import local_date, local_instant, parse_hhmm
from bot.usecases.context import Context, ok

log = logging.getLogger(__name__)


def next_reminder(after: dt.datetime, at: dt.time, zone: str) -> dt.datetime:
    """The first local `at` strictly after `after`: today's if still ahead, else tomorrow's."""
    day = local_date(after, zone)
    for offset in (0, 1, 2):  # two days cover any time zone offset and DST change
        instant = local_instant(day + dt.timedelta(days=offset), at, zone)
        if instant > after:
            return instant
    raise AssertionError("unreachable: a local time recurs within two days")


async def set_reminder(ctx: Context, cmd: c.SetReminder, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    cards = ctx.stores.cards
    if cmd.off:
        had = await cards.set_reminder(actor.user.id, None, None, None, None)
        return [ok(m.REMIND_OFF) if had else Notice(m.REMIND_WAS_OFF)]
    if cmd.time is None:
        learner = await cards.learner(actor.user.id)
        if learner is None or learner.remind_time is None:
            return [Notice(m.REMIND_NONE)]
        return [Notice(m.REMIND_SHOW.format(time=learner.remind_time, zone=learner.remind_zone))]
    # Users keep no time zone of their own: the one given, else the channel's.
    zone = cmd.zone or actor.timezone
    at = f"{cmd.time:%H:%M}"
    nxt = next_reminder(ctx.clock.now(), cmd.time, zone)
    await cards.set_reminder(actor.user.id, at, zone, actor.channel.id, nxt)
    return [ok(m.REMIND_SET.format(time=at, zone=zone))]


async def send_reminders(
    ctx: Context, now: dt.datetime, publishers: Mapping[Platform, Publisher]
) -> int:
    """Send the reminders due at `now` on the given platforms; the number sent. Each is moved
    to its next day first, by compare-and-set on its stored instant, so of several processes
    exactly one takes it (a crash right after means no reminder that day, never two)."""
    sent = 0
    # Only the platforms this process publishes to: another process serves the rest.
    platforms = [p.value for p in publishers]
    for due in await ctx.stores.cards.due_reminders(now, platforms):
        publisher = publishers[Platform(due.platform)]
        nxt = next_reminder(now, parse_hhmm(due.remind_time), due.remind_zone)
        if not await ctx.stores.cards.take_reminder(due.user_id, due.next_at, nxt):
            continue
        count = await _due_count(ctx, due, now)
        if count == 0:  # nothing due today: no message
            continue
        try:
            await publisher.notify_admin(
                _place(due), due.user_ref, Notice(m.REMIND_DUE.format(n=count))
            )
            sent += 1
        except Exception:
            log.exception("reminder to user %s failed", due.user_id)
    return sent


async def _due_count(ctx: Context, due: ReminderRecord, now: dt.datetime) -> int:
    cards = await ctx.stores.cards.due_cards(due.user_id, end_of_day(now, due.remind_zone))
    return sum(1 for card in cards if card.question_id in ctx.bank.by_id)


def _place(due: ReminderRecord) -> PlaceRef:
    platform = Platform(due.platform)
    return PlaceRef(platform, due.workspace.removeprefix(f"{platform.value}:"), due.channel)
