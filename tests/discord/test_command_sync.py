"""Over the wire: slash commands are synced only when the generated tree changed, or forced."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator

import discord
import pytest

from adapters.cli import main
from adapters.discord import slash
from adapters.discord.runtime import build_discord, sync_now
from bot.bootstrap import App
from bot.catalog import CATALOG
from bot.settings import Settings
from tests.discord.fake_discord import OP_IDENTIFY, FakeDiscord
from tests.discord.test_wire import TOKEN, WAIT

SETTINGS = Settings(_env_file=None, DISCORD_TOKEN=TOKEN)  # type: ignore[call-arg]


def syncs(server: FakeDiscord) -> int:
    """Bulk overwrites of the application's commands (PUT .../commands)."""
    return sum(1 for r in server.requests if r.method == "PUT" and r.path.endswith("/commands"))


async def start_and_stop(app: App, fake: FakeDiscord, settings: Settings = SETTINGS) -> None:
    """One `studybot run` start up to the gateway (the sync decision comes before it)."""
    seen = sum(1 for f in fake.gateway_frames if f["op"] == OP_IDENTIFY)
    built = build_discord(app, settings)
    task = asyncio.ensure_future(built.serve())
    try:
        async with asyncio.timeout(WAIT):
            await fake.wait_for(
                lambda: sum(1 for f in fake.gateway_frames if f["op"] == OP_IDENTIFY) > seen
            )
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def base(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The local fake Discord, with discord.py's REST pointed at it."""
    server = FakeDiscord()
    await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    yield server
    await server.stop()


async def test_a_start_syncs_only_a_changed_tree(
    app: App, base: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_and_stop(app, base)
    assert syncs(base) == 1  # first start: nothing recorded yet
    await start_and_stop(app, base)
    assert syncs(base) == 1  # same tree: not sent again
    # A changed catalog (a new summary) is a different tree: synced on the next start.
    changed = (dataclasses.replace(CATALOG[0], summary="Something else entirely."), *CATALOG[1:])
    monkeypatch.setattr(slash, "CATALOG", changed)
    await start_and_stop(app, base)
    assert syncs(base) == 2
    [last] = [r for r in base.requests if r.method == "PUT"][-1:]
    assert "Something else entirely." in [c["description"] for c in last.body]
    await start_and_stop(app, base)
    assert syncs(base) == 2


async def test_a_development_guild_is_tracked_apart(app: App, base: FakeDiscord) -> None:
    await start_and_stop(app, base)
    guild = Settings(_env_file=None, DISCORD_TOKEN=TOKEN, DISCORD_DEV_GUILD_ID=42)  # type: ignore[call-arg]
    await start_and_stop(app, base, guild)
    puts = [r.path for r in base.requests if r.method == "PUT"]
    assert puts == [
        f"/applications/{base.app_id}/commands",
        f"/applications/{base.app_id}/guilds/42/commands",
    ]


async def test_a_failed_sync_is_not_recorded(app: App, base: FakeDiscord) -> None:
    base.faults[("PUT", f"/applications/{base.app_id}/commands")] = (
        400,
        {"message": "Invalid Form Body", "code": 50035},
    )
    with pytest.raises(discord.app_commands.CommandSyncFailure):
        await sync_now(app, SETTINGS)
    base.faults.clear()
    await start_and_stop(app, base)
    assert syncs(base) == 2  # the failed one, then this start's, since none was recorded


async def test_discord_sync_forces_it(app: App, base: FakeDiscord) -> None:
    await start_and_stop(app, base)
    assert await sync_now(app, SETTINGS) == "globally"
    assert syncs(base) == 2
    # It logs in over REST only: no gateway connection beyond the start above.
    assert sum(1 for f in base.gateway_frames if f["op"] == OP_IDENTIFY) == 1
    await start_and_stop(app, base)
    assert syncs(base) == 2


def test_discord_sync_without_a_token_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir("/")  # no .env to read a token from
    assert main(["discord", "sync"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DISCORD_TOKEN is not set" in err
