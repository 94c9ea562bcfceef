"""A fan-out to thousands of channels does not scan discord.py's buckets once per channel."""

from __future__ import annotations

import discord
import discord.http
import pytest

from adapters.discord.buckets import SWEEP_EVERY, sweep_at_most_every
from adapters.discord.publisher import DiscordPublisher


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def counting_idle_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many buckets discord.py's sweeps looked at (each is one idle check)."""
    seen = [0]
    real = discord.http.Ratelimit.is_inactive

    def counted(self: discord.http.Ratelimit) -> bool:
        seen[0] += 1
        return real(self)

    monkeypatch.setattr(discord.http.Ratelimit, "is_inactive", counted)
    return seen


async def test_new_channels_buckets_are_swept_once_a_minute_not_once_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = counting_idle_checks(monkeypatch)
    client = discord.Client(intents=discord.Intents.none())
    DiscordPublisher(client)  # the runtime's publisher wraps the client's sweep
    # One bucket per channel, as a fan-out's posts make them.
    for channel in range(3_000):
        client.http.get_ratelimit(f"POST /channels/{channel}/messages:{channel}")
    # discord.py alone scans every bucket on each new one past 256: about 4.5 million checks.
    assert seen[0] <= 3_000
    assert len(client.http._buckets) == 3_000


async def test_idle_buckets_still_go_at_the_next_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    client = discord.Client(intents=discord.Intents.none())
    clock = Clock()
    assert sweep_at_most_every(client.http, clock=clock)
    assert not sweep_at_most_every(client.http, clock=clock)  # wrapped once only
    buckets = client.http._buckets
    for channel in range(300):
        client.http.get_ratelimit(f"POST /channels/{channel}/messages:{channel}")
    for bucket in buckets.values():
        bucket._last_request -= 400  # idle for longer than discord.py keeps a bucket
    clock.now += SWEEP_EVERY / 2
    client.http.get_ratelimit("POST /channels/300/messages:300")
    assert len(buckets) == 301  # too soon: no sweep
    clock.now += SWEEP_EVERY / 2
    client.http.get_ratelimit("POST /channels/301/messages:301")
    assert sorted(buckets) == ["POST /channels/300/messages:300", "POST /channels/301/messages:301"]
