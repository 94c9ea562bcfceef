"""Build the Discord runtime for the host: a client to serve and a publisher for the scheduler."""

from __future__ import annotations

import logging
from typing import Any

from adapters.discord.client import StudyBotClient
from adapters.discord.late import DiscordLateReplies
from adapters.discord.publisher import DEFAULT_RATE, DiscordPublisher
from adapters.runtime import Runtime
from bot.bootstrap import App
from bot.identity import Platform
from bot.settings import Settings

log = logging.getLogger(__name__)


class ShardConfigError(ValueError):
    """DISCORD_SHARD_IDS / DISCORD_SHARD_COUNT do not describe a valid set of shards."""


def shard_config(settings: Settings) -> tuple[int | None, list[int] | None]:
    """(shard_count, shard_ids) from settings; (None, None) lets Discord recommend a count."""
    count = settings.discord_shard_count
    text = settings.discord_shard_ids.strip()
    if not text:
        return count, None
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ShardConfigError(
            f"DISCORD_SHARD_IDS must be numbers like 0,1; got {text!r}"
        ) from None
    if count is None:
        raise ShardConfigError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the total)")
    if len(set(ids)) != len(ids) or any(not 0 <= i < count for i in ids):
        raise ShardConfigError(
            f"DISCORD_SHARD_IDS must be distinct numbers from 0 to {count - 1}; got {text!r}"
        )
    return count, ids


def build_client(app: App, settings: Settings, **options: Any) -> StudyBotClient:
    count, ids = shard_config(settings)
    return StudyBotClient(
        app,
        dev_guild_id=settings.discord_dev_guild_id,
        shard_count=count,
        shard_ids=ids,
        **options,
    )


async def sync_now(app: App, settings: Settings) -> str:
    """`studybot discord sync`: log in over REST (no gateway), send the commands whether
    they changed or not, record their digest, and log out. Says where they went."""
    if settings.discord_token is None:
        raise ValueError("DISCORD_TOKEN is not set")
    client = build_client(app, settings, sync=False, force_sync=True)
    try:
        # login() runs setup_hook, which syncs (forced) once the application id is known.
        await client.login(settings.discord_token.get_secret_value())
    finally:
        await client.close()
    guild = settings.discord_dev_guild_id
    return f"development guild {guild}" if guild is not None else "globally"


def build_discord(app: App, settings: Settings) -> Runtime:
    """The Discord connection `studybot run` hosts beside the scheduler."""
    if settings.discord_token is None:
        raise ValueError("DISCORD_TOKEN is not set")
    token = settings.discord_token.get_secret_value()
    client = build_client(app, settings)
    count, ids = shard_config(settings)
    # Discord's 50 requests/s is per bot, across processes: each process running a share of
    # the shards paces its posts to that share, so all of them together stay under it.
    rate = DEFAULT_RATE * len(ids) / count if count and ids else DEFAULT_RATE

    async def serve() -> None:
        # Runs until cancelled (or the gateway gives up), then closes every shard and session.
        try:
            await client.start(token)
        finally:
            if not client.is_closed():
                await client.close()
            log.info("Discord client closed")

    return Runtime(
        Platform.DISCORD,
        serve,
        DiscordPublisher(client, rate=rate),
        late=DiscordLateReplies(client),
    )
