"""A 429 pauses the publisher's limiter: one global refusal during a fan-out stays one."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import discord
import discord.http
import pytest

from adapters.discord.pacing import RateLimiter, is_global, retry_after, route_of
from adapters.discord.publisher import DEFAULT_RATE, GLOBAL_RATE, DiscordPublisher
from bot.identity import PlaceRef, Platform
from bot.replies import Notice
from tests.discord.fake_discord import FakeDiscord

LIMIT = 10.0  # the fake's global limit per second: a small Discord, so the test is short
CHANNELS = range(900_000_000_000_000_300, 900_000_000_000_000_340)


@pytest.fixture
async def limited(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord(limit=LIMIT, delay=0.02)
    await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    yield server
    await server.stop()


async def fan_out(fake: FakeDiscord, channels: range) -> list[str | None]:
    """Post once in every channel at once through the publisher, paced as the bench paces
    it (the default rate scaled to the fake's limit), from a client logged in afresh."""
    client = discord.Client(intents=discord.Intents.none())
    publisher = DiscordPublisher(client, rate=DEFAULT_RATE * LIMIT / GLOBAL_RATE)
    await client.login("test-token")
    try:
        # Another process of the same bot has just used the whole second: the first post
        # meets a global 429.
        fake.spend(int(LIMIT))
        async with asyncio.timeout(30):
            return await asyncio.gather(
                *(
                    publisher.publish(
                        PlaceRef(Platform.DISCORD, str(fake.guild_id), str(c)),
                        Notice(f"hello {c}"),
                        None,
                        f"test:{c}",
                    )
                    for c in channels
                )
            )
    finally:
        await client.close()


async def test_one_global_429_in_a_fan_out_does_not_cascade(limited: FakeDiscord) -> None:
    refs = await fan_out(limited, CHANNELS)
    # One refusal, or two if the next call was granted before the first 429 came back (a
    # round trip of 20 ms against a slot of 104 ms). Without the pause, discord.py's global
    # lock released every call granted meanwhile at once, and those were refused in turn.
    assert 1 <= limited.refused <= 2, limited.refused
    for channel, ref in zip(CHANNELS, refs, strict=True):
        made = limited.messages_in(channel)
        assert [str(m["id"]) for m in made] == [ref]  # one message each, the one returned


def test_a_429s_headers_say_how_long_and_whose() -> None:
    global_429 = {"Retry-After": "0.5", "X-RateLimit-Global": "true", "Via": "1.1 google"}
    route_429 = {"Retry-After": "1", "X-RateLimit-Reset-After": "0.25", "X-RateLimit-Scope": "user"}
    assert is_global(global_429) and retry_after(global_429) == 0.5
    assert not is_global(route_429) and retry_after(route_429) == 0.25
    assert retry_after({"Retry-After": "soon"}) == 1.0
    assert route_of("/api/v10/channels/123/messages/9/threads") == "123"
    assert route_of("/api/v10/users/@me/channels") is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += max(delay, 0.0)


async def test_a_global_pause_holds_every_caller_then_goes_a_full_slot_apart() -> None:
    clock = Clock()
    limiter = RateLimiter(10, clock=clock.time, sleep=clock.sleep)
    await limiter.acquire()
    limiter.pause(2.0)
    granted = []
    for _ in range(5):
        await limiter.acquire()
        granted.append(clock.now)
    assert granted[0] == pytest.approx(2.0)
    # A full slot apart (not the catch-up's 4/5): the platform's count still holds the calls
    # from before the pause.
    assert [b - a for a, b in itertools.pairwise(granted)] == pytest.approx([0.1] * 4)


async def test_a_route_pause_holds_that_channel_only() -> None:
    clock = Clock()
    limiter = RateLimiter(10, clock=clock.time, sleep=clock.sleep)
    limiter.pause(5.0, route="1")
    await limiter.acquire("2")
    assert clock.now == 0.0  # another channel goes at once
    await limiter.acquire("1")
    assert clock.now == pytest.approx(5.0)
    assert limiter.refusals == 1
