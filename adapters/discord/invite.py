"""The OAuth2 invite URL: the bot and its slash commands, with only the permissions it uses."""

from __future__ import annotations

import discord

SCOPES = ("bot", "applications.commands")


def required_permissions() -> discord.Permissions:
    """What the scheduler's posts need; interaction replies need no channel permission.

    View Channel and Send Messages post the daily question, Embed Links shows its card,
    Read Message History lets the reveal reply to the question, and Create Public Threads
    opens the discussion thread under it. Attach Files uploads the weekly tally's team race
    (without it the tally goes out as text; `config channel` does not insist on it).
    """
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        read_message_history=True,
        create_public_threads=True,
        attach_files=True,
    )


def invite_url(client_id: int) -> str:
    return discord.utils.oauth_url(client_id, permissions=required_permissions(), scopes=SCOPES)
