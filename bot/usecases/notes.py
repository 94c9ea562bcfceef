"""Private notes (e.g. what a rescore changed for a player): sent by the tick, each once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from bot.identity import Platform
from bot.ports import REQUEST_TIMEOUT, Publisher
from bot.replies import Notice
from bot.usecases.context import Context, place_of

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
