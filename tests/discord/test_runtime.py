"""The runtime the host starts: settings to client, shards, dev-guild sync, and the invite URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import discord
import pytest

from adapters.cli import main
from adapters.discord.client import StudyBotClient, studybot_intents
from adapters.discord.invite import invite_url, required_permissions
from adapters.discord.publisher import DEFAULT_RATE, DiscordPublisher
from adapters.discord.runtime import ShardConfigError, build_discord, shard_config
from bot import messages as m
from bot.bootstrap import App
from bot.identity import Platform
from bot.settings import Settings
from tests.discord.conftest import World, make_client
from tests.discord.helpers import on_discord, texts


def settings(**env: object) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[arg-type]


async def test_build_discord_is_the_runtime_contract(app: App) -> None:
    runtime = build_discord(app, settings(DISCORD_TOKEN="t", DISCORD_DEV_GUILD_ID=42))
    assert runtime.platform is Platform.DISCORD
    assert isinstance(runtime.publisher, DiscordPublisher)
    client = runtime.publisher.client
    assert isinstance(client, StudyBotClient) and client.dev_guild_id == 42
    assert client.allowed_mentions is not None
    assert client.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    # The client's HTTP session will carry the publisher's 429 and retry hooks.
    assert client.http.http_trace is runtime.publisher.trace


async def test_processes_sharing_the_shards_share_the_publish_rate(app: App) -> None:
    whole = build_discord(app, settings(DISCORD_TOKEN="t"))
    half = build_discord(
        app, settings(DISCORD_TOKEN="t", DISCORD_SHARD_COUNT=4, DISCORD_SHARD_IDS="0,1")
    )
    assert isinstance(whole.publisher, DiscordPublisher)
    assert isinstance(half.publisher, DiscordPublisher)
    assert whole.publisher.limiter.rate == DEFAULT_RATE
    assert half.publisher.limiter.rate == DEFAULT_RATE / 2


def test_only_the_guilds_intent() -> None:
    intents = studybot_intents()
    assert intents.guilds  # channels and roles for permissions come from the guild cache
    # Nothing else: every other flag off, privileged or not (messages, typing, reactions...).
    assert [name for name, on in intents if on] == ["guilds"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, (None, None)),
        ({"DISCORD_SHARD_COUNT": 4}, (4, None)),
        ({"DISCORD_SHARD_COUNT": 4, "DISCORD_SHARD_IDS": "0,1"}, (4, [0, 1])),
        ({"DISCORD_SHARD_COUNT": 4, "DISCORD_SHARD_IDS": " 2, 3 "}, (4, [2, 3])),
    ],
)
def test_shard_settings(env: dict[str, object], expected: tuple[object, object]) -> None:
    assert shard_config(settings(**env)) == expected


@pytest.mark.parametrize(
    "env",
    [
        {"DISCORD_SHARD_IDS": "0,1"},  # no total
        {"DISCORD_SHARD_COUNT": 2, "DISCORD_SHARD_IDS": "0,2"},  # out of range
        {"DISCORD_SHARD_COUNT": 2, "DISCORD_SHARD_IDS": "1,1"},  # twice
        {"DISCORD_SHARD_COUNT": 2, "DISCORD_SHARD_IDS": "one"},
    ],
)
def test_bad_shard_settings_are_refused_with_a_reason(env: dict[str, object]) -> None:
    with pytest.raises(ShardConfigError, match="DISCORD_SHARD"):
        shard_config(settings(**env))


async def test_dev_guild_gets_the_commands_at_once(world: World, app: App) -> None:
    await world.env.restart_bot(make_client(app, dev_guild_id=world.guild.id))
    puts = [r.path for r in world.env.http_requests if r.method == "PUT"]
    assert puts[-1].endswith(f"/guilds/{world.guild.id}/commands")
    result = await world.alice.slash(world.channel, "daily")
    assert texts(result) == [on_discord(m.CONFIG_NOT_ENABLED)]


async def test_two_shards_in_one_process(world: World, app: App) -> None:
    await world.env.restart_bot(make_client(app, shard_count=2, shard_ids=[0, 1]))
    guild = world.env.create_guild("Other", shard_id=1)
    channel = guild.create_text_channel("study")
    member = guild.add_member(world.env.create_user("zed"))
    result = await member.slash(channel, "topics")
    assert result.ephemeral and "sample-ml" in texts(result)[0]


def test_invite_url_asks_for_bot_and_commands_with_minimal_permissions() -> None:
    url = urlparse(invite_url(123456789012345678))
    query = parse_qs(url.query)
    assert query["client_id"] == ["123456789012345678"]
    assert query["scope"] == ["bot applications.commands"]
    perms = discord.Permissions(int(query["permissions"][0]))
    assert perms == required_permissions()
    assert perms.send_messages and perms.embed_links and perms.create_public_threads
    assert perms.attach_files  # the tally's chart
    assert not (perms.administrator or perms.manage_guild or perms.mention_everyone)


def test_cli_prints_the_invite_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discord", "invite-url", "--client-id", "123456789012345678"]) == 0
    assert capsys.readouterr().out.strip() == invite_url(123456789012345678)
    assert main(["discord", "invite-url"]) == 2
    assert "--client-id" in capsys.readouterr().err
