"""Interaction to core: who acts where (Origin), and slash options as the catalog's text grammar."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import discord

from bot import messages as m
from bot.catalog import Arg
from bot.commands import ImportDeck
from bot.deck_import import IMPORT_MAX_BYTES
from bot.identity import Origin, PlaceRef, Platform, PostAccess, UserRef
from bot.parsing import Parsed, ParseError, parse, parse_config

# What the scheduled posts need in a channel (adapters/discord/invite.py asks for the same),
# by discord.py's flag name and the name Discord shows in the channel's permission settings.
POST_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("read_message_history", "Read Message History"),
    ("create_public_threads", "Create Public Threads"),
)


def post_access(permissions: discord.Permissions) -> PostAccess:
    """The bot's access to a channel from its permissions there (`app_permissions`, which
    Discord computes for every interaction, overwrites included)."""
    if permissions.administrator:
        return PostAccess()
    missing = tuple(label for flag, label in POST_PERMISSIONS if not getattr(permissions, flag))
    return PostAccess(missing=missing)


def origin_of(interaction: discord.Interaction[Any]) -> Origin | None:
    """The actor of an interaction, or None outside a server.

    Scores, teams and schedules belong to a server (the workspace), so direct messages are
    refused rather than given a private workspace of their own (see docs/discord.md).
    """
    if interaction.guild_id is None or interaction.channel_id is None:
        return None
    user = interaction.user
    # Manage Server is what Discord itself asks for admin commands (default_permissions), so
    # the core's own admin check agrees with what the member could see in the picker.
    guild = interaction.guild
    if isinstance(user, discord.Member) and guild is not None and not guild.unavailable:
        permissions = user.guild_permissions
    else:
        # The guild is not in the cache yet (its GUILD_CREATE is still to come): use the
        # member's permissions as Discord computed them for this interaction.
        permissions = interaction.permissions
    is_admin = permissions.manage_guild
    return Origin(
        user=UserRef(Platform.DISCORD, str(user.id)),
        place=PlaceRef(Platform.DISCORD, str(interaction.guild_id), str(interaction.channel_id)),
        display_name=user.display_name,
        is_admin=is_admin,
        can_post=post_access(interaction.app_permissions),
    )


async def read_attachment(attachment: discord.Attachment, parsed: Parsed) -> Parsed:
    """`/deck import` with a file: its text for the core, read after the defer (a 1 MB
    download may outlast Discord's three seconds), size-capped before any byte is read."""
    if not isinstance(parsed, ImportDeck):
        return parsed
    if attachment.size > IMPORT_MAX_BYTES:
        return ParseError(m.DECK_TOO_BIG.format(size=attachment.size, limit=IMPORT_MAX_BYTES))
    data = await attachment.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ParseError(m.DECK_NOT_TEXT)
    return replace(parsed, filename=attachment.filename, text=text)


def _words(args: Sequence[Arg], values: Mapping[str, Any]) -> list[str]:
    out = []
    for arg in args:
        value = values.get(arg.name)
        if value is None:
            continue
        text = str(value).strip()
        if text:
            out.append(text)
    return out


def command_line(name: str, args: Sequence[Arg], values: Mapping[str, Any]) -> str:
    """Typed options as a line of the text grammar, in catalog order (`quiz stats hard 3`).

    The core's parser stays the one place that validates arguments and words refusals.
    """
    return " ".join([name, *_words(args, values)])


def translate(name: str, sub: str | None, args: Sequence[Arg], values: Mapping[str, Any]) -> Parsed:
    """A slash invocation as a core command, or the core's parse error."""
    if name == "config" and sub is not None:
        return parse_config(sub, " ".join(_words(args, values)))
    head = name if sub is None else f"{name} {sub}"
    return parse(command_line(head, args, values))
