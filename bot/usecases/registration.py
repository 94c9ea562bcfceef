"""What a platform was last given of the bot's commands, so an unchanged set is not re-sent."""

from __future__ import annotations

from bot.usecases.context import Context


async def synced_digest(ctx: Context, key: str) -> str | None:
    """The digest recorded under `key` after the last successful sync, if any."""
    return await ctx.stores.meta.get_value(key)


async def record_synced_digest(ctx: Context, key: str, digest: str) -> None:
    await ctx.stores.meta.set_value(key, digest, ctx.clock.now())
