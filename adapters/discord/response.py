"""Answering an interaction: acknowledge within Discord's 3 seconds, run the core, follow up."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import discord

from adapters.discord.publisher import upload_refused
from adapters.discord.render import NO_MENTIONS, Rendered, render, render_all
from adapters.discord.translate import origin_of
from bot import messages as m
from bot.bootstrap import App
from bot.commands import Command, SubmitAnswer
from bot.identity import Origin
from bot.intake import Interaction, Ticket
from bot.parsing import Parsed, ParseError
from bot.replies import Notice, Reply, Tone

log = logging.getLogger(__name__)

# An interaction's token takes follow-ups for 15 minutes; a late reply after that goes by DM.
INTERACTION_TTL = dt.timedelta(minutes=15)


def _error(text: str) -> Rendered:
    return render(Notice(text, Tone.ERROR))


# Set on an interaction deferred publicly until something public fills its "thinking" slot.
PUBLIC_SLOT_OPEN = "studybot.public_slot_open"


async def send_replies(
    interaction: discord.Interaction[Any], replies: list[Reply], *, public: bool = False
) -> None:
    """Send the core's replies as follow-ups of a deferred interaction.

    Discord shows the first follow-up in place of the "thinking" message, with the visibility
    chosen at defer time; for a public command its public replies go first to fill that slot.
    A public command with nothing public to say (a refusal, an error) gives the slot up first,
    so its private replies stay private: errors follow the visibility of the request.
    """
    rendered = render_all(replies)
    if not rendered:
        await interaction.delete_original_response()
        interaction.extras.pop(PUBLIC_SLOT_OPEN, None)
        return
    if public:
        rendered = sorted(rendered, key=lambda r: r.ephemeral)  # stable: order kept otherwise
        if rendered[0].ephemeral:
            await release_public_slot(interaction)
    for item in rendered:
        try:
            await interaction.followup.send(
                **item.send_kwargs(), ephemeral=item.ephemeral, wait=True
            )
        except discord.HTTPException as exc:
            if item.image is None or not upload_refused(exc):
                raise
            log.warning(
                "file refused for interaction %s (%s code %s); sending the text only",
                interaction.id,
                exc.status,
                exc.code,
            )
            item = item.text_only()
            await interaction.followup.send(
                **item.send_kwargs(), ephemeral=item.ephemeral, wait=True
            )
        interaction.extras.pop(PUBLIC_SLOT_OPEN, None)


async def release_public_slot(interaction: discord.Interaction[Any]) -> None:
    """End a public deferral without saying anything in public.

    The first follow-up would take the deferral's public visibility, so the "thinking" message
    is completed with a neutral line and deleted; later follow-ups are new messages that
    honour the ephemeral flag. (Completing it first also keeps the follow-ups working where
    Discord refuses them after a deferred message was deleted unanswered.)
    """
    await interaction.edit_original_response(
        content=m.DISCORD_REPLIED_PRIVATELY, allowed_mentions=NO_MENTIONS
    )
    await interaction.delete_original_response()
    interaction.extras.pop(PUBLIC_SLOT_OPEN, None)


async def refuse(interaction: discord.Interaction[Any], text: str) -> None:
    """A short private refusal as the first and only response; nothing reaches the core."""
    await interaction.response.send_message(**_error(text).send_kwargs(), ephemeral=True)


async def refuse_outside_guild(interaction: discord.Interaction[Any]) -> None:
    await refuse(interaction, m.DISCORD_GUILD_ONLY)


async def run_command(
    app: App,
    interaction: discord.Interaction[Any],
    parsed: Parsed,
    *,
    public: bool = False,
    prepare: Callable[[Parsed], Awaitable[Parsed]] | None = None,
) -> None:
    """A slash command: defer (private unless the catalog marks it public), dispatch, reply.
    `prepare` runs after the defer, for work that may take a while (reading an upload)."""
    origin = origin_of(interaction)
    if origin is None:
        await refuse_outside_guild(interaction)
        return
    refusal: list[Reply] = []
    if isinstance(parsed, ParseError):  # a misspelt command runs nothing: no inbox row
        refusal = [Notice(parsed.message, Tone.ERROR)]
    else:
        if isinstance(parsed, SubmitAnswer):
            parsed = replace(parsed, delivery_id=str(interaction.id))
        inbox, ticket = await receive(app, interaction, origin, parsed, public=public)
    await interaction.response.defer(ephemeral=not public, thinking=True)
    if public:
        interaction.extras[PUBLIC_SLOT_OPEN] = True
    if prepare is not None and not refusal:
        # Read after the defer (an upload takes a while); the inbox row keeps the command
        # without the file, so a replay asks for the file again rather than guessing.
        prepared = await prepare(parsed)
        if isinstance(prepared, ParseError):
            refusal = [Notice(prepared.message, Tone.ERROR)]
            await app.dispatcher.settle(ticket, refusal)
        else:
            inbox = replace(inbox, request=prepared)
    replies = refusal or await app.dispatcher.process(ticket, inbox)
    await send_replies(interaction, replies, public=public)


async def run_answer(
    app: App, interaction: discord.Interaction[Any], command: SubmitAnswer
) -> None:
    """A button click or modal answer, answered privately.

    Daily results stay private until the reveal, and quizzes are private throughout, so every
    answer reply is ephemeral; the next quiz question (with its buttons) comes in the follow-up.
    A click on a daily card is one write with its inbox row (bot.intake): the verdict is
    known once that commits, and the interaction's response is the reply itself, one call,
    sent after the commit. Anything to run still is deferred first, then followed up.
    """
    origin = origin_of(interaction)
    if origin is None:
        await refuse_outside_guild(interaction)
        return
    inbox, ticket = await receive(app, interaction, origin, command, public=False)
    if ticket.verdict != "new" and await respond_at_once(interaction, ticket.replies):
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    replies = await app.dispatcher.process(ticket, inbox)
    await send_replies(interaction, replies)


async def respond_at_once(interaction: discord.Interaction[Any], replies: list[Reply]) -> bool:
    """Final replies as the interaction's response (the first) and follow-ups (any more),
    all private. False when there is nothing to send: the caller defers as usual."""
    rendered = render_all(replies)
    if not rendered:
        return False
    first, *rest = rendered
    await interaction.response.send_message(**first.send_kwargs(), ephemeral=True)
    for item in rest:
        await interaction.followup.send(**item.send_kwargs(), ephemeral=True, wait=True)
    return True


async def receive(
    app: App,
    interaction: discord.Interaction[Any],
    origin: Origin,
    request: Command,
    *,
    public: bool,
) -> tuple[Interaction, Ticket]:
    """Write the interaction to the inbox before it is acknowledged (deferred): keyed by its
    id, so a duplicated delivery counts once; its token lets a restarted process send the
    reply late as a follow-up (see late.py)."""
    route = {"app": str(interaction.application_id), "token": interaction.token, "public": public}
    inbox = Interaction(
        str(interaction.id),
        origin,
        request,
        route=json.dumps(route, separators=(",", ":")),
        route_ttl=INTERACTION_TTL,
    )
    return inbox, await app.dispatcher.receive(inbox)


async def report_failure(
    interaction: discord.Interaction[Any], error: BaseException, where: str
) -> None:
    """Never a silent failure: a log line with context, and a private note to the user."""
    log.error(
        "%s failed for user %s in guild %s channel %s (interaction %s)",
        where,
        getattr(interaction.user, "id", None),
        interaction.guild_id,
        interaction.channel_id,
        interaction.id,
        exc_info=error,
    )
    notice = _error(m.INTERNAL_ERROR)
    try:
        if interaction.response.is_done():
            if interaction.extras.get(PUBLIC_SLOT_OPEN):
                await release_public_slot(interaction)  # or the error would show publicly
            await interaction.followup.send(**notice.send_kwargs(), ephemeral=True)
        else:
            await interaction.response.send_message(**notice.send_kwargs(), ephemeral=True)
    except discord.HTTPException as exc:
        # The interaction may have expired (15 minutes) or Discord may be failing; logged above.
        log.warning("could not tell user about the failure of %s: %s", where, exc)
