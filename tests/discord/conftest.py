"""SimCord fixtures: the real StudyBot client on a simulated Discord, over the shared test app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord
import pytest
from simcord import ChannelHandle, Env, GuildHandle, MemberActor

from adapters.discord.client import StudyBotClient
from bot.bootstrap import App


def make_client(app: App, **options: Any) -> StudyBotClient:
    # One shard unless told: SimCord has no gateway to ask for the recommended count.
    options.setdefault("shard_count", 1)
    return StudyBotClient(app, **options)


@pytest.fixture
def simcord_bot(app: App) -> StudyBotClient:
    """The bot SimCord's `simcord_env` fixture runs: logged in, commands synced, at READY."""
    return make_client(app)


@dataclass
class World:
    """A server with one text channel, an admin (Manage Server) and two members."""

    env: Env
    guild: GuildHandle
    channel: ChannelHandle
    admin: MemberActor
    alice: MemberActor
    bob: MemberActor


@pytest.fixture
def world(simcord_env: Env) -> World:
    env = simcord_env
    guild = env.create_guild("Study Group")
    channel = guild.create_text_channel("general")
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("ada", global_name="Ada"), roles=[managers])
    alice = guild.add_member(env.create_user("alice", global_name="Alice"))
    bob = guild.add_member(env.create_user("bob", global_name="Bob"))
    return World(env, guild, channel, admin, alice, bob)
