"""`/config channel` reads the bot's permissions in the channel and refuses what would fail."""

from __future__ import annotations

import discord
import pytest

from adapters.discord.translate import POST_PERMISSIONS, post_access
from bot import messages as m
from bot.bootstrap import App
from bot.identity import PostAccess
from tests.discord.conftest import World
from tests.discord.helpers import on_discord, texts


async def enabled(app: App, world: World) -> bool:
    found = await app.stores.channels.get_channel(
        f"discord:{world.guild.id}", str(world.channel.id)
    )
    return found is not None and found.enabled


def denying(world: World, **denied: bool) -> None:
    """Point the world at a new channel whose overwrites deny the bot `denied`."""
    me = world.guild.me
    assert me is not None
    overwrite = discord.PermissionOverwrite(**dict.fromkeys(denied, False))
    world.channel = world.guild.create_text_channel("locked", overwrites={me: overwrite})


@pytest.mark.parametrize(("flag", "label"), POST_PERMISSIONS)
async def test_each_missing_permission_is_named_and_nothing_is_enabled(
    world: World, app: App, flag: str, label: str
) -> None:
    denying(world, **{flag: True})
    result = await world.admin.slash(world.channel, "config channel")
    assert result.ephemeral
    assert texts(result) == [on_discord(m.CONFIG_CANNOT_POST.format(permissions=label))]
    assert not await enabled(app, world)


async def test_several_missing_permissions_are_named_together(world: World, app: App) -> None:
    denying(world, send_messages=True, embed_links=True)
    result = await world.admin.slash(world.channel, "config channel")
    expected = m.CONFIG_CANNOT_POST.format(permissions="Send Messages and Embed Links")
    assert texts(result) == [on_discord(expected)]
    assert "`/config channel`" in texts(result)[0]
    # Once granted (here: a channel that allows them), the same command enables it.
    world.channel = world.guild.create_text_channel("open")
    result = await world.admin.slash(world.channel, "config channel")
    assert texts(result)[0] == on_discord(m.CONFIG_ENABLED)
    assert await enabled(app, world)


async def test_other_settings_are_not_held_up(world: World) -> None:
    # Only enabling checks: an admin may still look at and change settings.
    denying(world, send_messages=True)
    result = await world.admin.slash(world.channel, "config time", time="10:00")
    assert texts(result)[0].startswith("Updated: post time 10:00.")


def test_post_access_from_permissions() -> None:
    everything = discord.Permissions(**{flag: True for flag, _ in POST_PERMISSIONS})
    assert post_access(everything) == PostAccess()
    assert post_access(discord.Permissions(administrator=True)) == PostAccess()
    assert post_access(discord.Permissions.none()).missing == tuple(
        label for _, label in POST_PERMISSIONS
    )
