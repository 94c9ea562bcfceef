"""Private messages the tick sends: rescoring notes (each once) and daily review reminders."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping

from bot.identity import Platform
from bot.ports import REQUEST_TIMEOUT, Publisher
from bot.replies import Notice
from bot.usecases.context import Context, place_of
from bot.usecases.reminders import send_reminders

log = logging.getLogger(__name__)


async def deliver_notes(ctx: Context, publishers: Mapping[Platform, Publisher]) -> int:
    """Send the waiting notes of these platforms through each person's DM; returns how many
    went out. A note is marked sent as it is taken, so a crash or a failed send loses it
    rather than sending it twice (a note repeats nothing the player cannot see in `stats`)."""
    notes = await ctx.stores.audit.take_notes([p.value for p in publishers])
    sent = 0
    for note in notes:
        publisher = publishers[Platform(note.channel.platform)]
        try:
            await asyncio.wait_for(
                publisher.notify_admin(place_of(note.channel), note.user_ref, Notice(note.text)),
                REQUEST_TIMEOUT,
            )
            sent += 1
        except Exception:
            log.warning("could not send note %s to %s", note.id, note.user_ref, exc_info=True)
    return sent


async def side_work(
    ctx: Context, now: dt.datetime, publishers: Mapping[Platform, Publisher]
) -> None:
    """Reminders and rescoring's private notes wait in the database: a failure here (an
    outage) is logged and they go out on a later tick; it never fails the channels' work."""
    sides: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("daily reminders", lambda: send_reminders(ctx, now, publishers)),
        ("waiting private notes", lambda: deliver_notes(ctx, publishers)),
    ]
    for what, side in sides:
        try:
            await side()
        except Exception:
            log.warning("could not send the %s", what, exc_info=True)
