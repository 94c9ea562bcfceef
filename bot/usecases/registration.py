"""What a platform tells the core outside commands: its synced command set, people's names."""

from __future__ import annotations

from collections.abc import Sequence

from bot.usecases.context import Context

# The users table's display_name column.
NAME_LIMIT = 200


async def synced_digest(ctx: Context, key: str) -> str | None:
    """The digest recorded under `key` after the last successful sync, if any."""
    return await ctx.stores.meta.get_value(key)


async def record_synced_digest(ctx: Context, key: str, digest: str) -> None:
    await ctx.stores.meta.set_value(key, digest, ctx.clock.now())


async def record_display_name(ctx: Context, workspace: str, external_id: str, name: str) -> bool:
    """A better name the platform learned after a request (Slack's profile display name where
    the request carried the handle): boards, reveals and `stats NAME` use it from now on.
    Only a user the bot already has is renamed, so a look-up that ends after `forgetme`
    brings nobody back. True when a row changed."""
    name = name.strip()[:NAME_LIMIT]
    if not name:
        return False
    return await ctx.stores.users.rename_user(workspace, external_id, name)


async def record_aliases(
    ctx: Context, workspace: str, external_id: str, names: Sequence[str]
) -> bool:
    """The other names the platform knows a person by (Slack: the handle and the real name),
    so `stats NAME` finds them by those too; an existing user only, as above."""
    kept = [n.strip()[:NAME_LIMIT] for n in names if n.strip()]
    return await ctx.stores.users.set_aliases(workspace, external_id, kept)
