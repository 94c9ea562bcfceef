"""The publisher's pacing: every REST call waits for a slot, and slots never crowd a second."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, cast

import discord
import pytest

from adapters.discord.publisher import (
    CATCH_UP,
    DEFAULT_RATE,
    GLOBAL_RATE,
    DiscordPublisher,
    NotLoggedIn,
    RateLimiter,
    marked,
    work_mark,
)
from bot.bootstrap import App
from bot.identity import PlaceRef, Platform
from bot.replies import Notice, RoundReveal
from tests.discord.conftest import World


class FrozenClock:
    """A clock that only moves when the limiter sleeps, so slots are computed exactly."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.calls.append(self.now + delay)


async def test_slots_never_put_more_than_rate_calls_in_any_second() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(50, clock=clock.time, sleep=clock.sleep)
    await asyncio.gather(*(limiter.acquire() for _ in range(500)))
    # The first call goes at once; the other 499 wait for their slots, in order.
    slots = [0.0, *clock.calls]
    assert slots == sorted(slots) and len(slots) == 500
    # Any 51 consecutive calls span at least a second: never 51 in one second.
    assert all(slots[i + 50] - slots[i] >= 1.0 - 1e-9 for i in range(len(slots) - 50))
    # And no slack: 500 calls take exactly 499 intervals (the floor for this rate).
    assert slots[-1] == pytest.approx(499 / 50)


async def test_a_quiet_limiter_does_not_wait() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(50, clock=clock.time, sleep=clock.sleep)
    await limiter.acquire()
    clock.now = 10.0
    await limiter.acquire()
    assert clock.calls == []


async def test_slots_of_cancelled_waiters_are_handed_back() -> None:
    # A tick cut at its deadline cancels every channel still waiting for a slot; the next
    # tick must not queue behind the slots they had reserved.
    limiter = RateLimiter(0.01)  # a slot every 100 s: the test never waits for one
    await limiter.acquire()  # the first goes at once
    waiters = [asyncio.ensure_future(limiter.acquire()) for _ in range(50)]
    await asyncio.sleep(0)
    assert limiter._next >= limiter._granted + 50 * limiter.interval  # 50 slots reserved
    for waiter in waiters:
        waiter.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    assert limiter._next <= limiter._granted + limiter.interval  # back to the next free slot


def test_default_rate_stays_under_discords_global_limit() -> None:
    assert DEFAULT_RATE < GLOBAL_RATE
    with pytest.raises(ValueError):
        RateLimiter(0)


class CountingLimiter(RateLimiter):
    def __init__(self) -> None:
        super().__init__(1000)
        self.count = 0

    async def acquire(self, route: str | None = None, *, retry: bool = False) -> None:
        self.count += 1
        await super().acquire(route, retry=retry)


async def test_every_request_of_a_fan_out_is_paced(
    world: World, simcord_bot: discord.Client
) -> None:
    channels = [world.guild.create_text_channel(f"room-{i}") for i in range(5)]
    limiter = CountingLimiter()
    publisher = DiscordPublisher(simcord_bot, limiter=limiter)
    before = len(world.env.http_requests)
    refs = [
        await publisher.publish(
            PlaceRef(Platform.DISCORD, str(world.guild.id), str(channel.id)),
            Notice("Hello"),
            None,
            f"test:{channel.id}",
        )
        for channel in channels
    ]
    await world.env.settle()
    requests = world.env.http_requests[before:]
    assert limiter.count == len(requests) == 5
    assert refs == [str(channel.last_message.id) for channel in channels]  # type: ignore[union-attr]


async def test_publishing_before_login_fails_the_attempt_for_the_core_to_retry(app: App) -> None:
    client = discord.Client(intents=discord.Intents.none())
    publisher = DiscordPublisher(client, login_wait=0)
    with pytest.raises(NotLoggedIn):
        await publisher.publish(PlaceRef(Platform.DISCORD, "1", "2"), Notice("early"), None, "k")
    await client.close()


def test_the_work_reference_survives_a_full_embed_and_a_long_footer() -> None:
    key = "studybot:7:close:2026-11-16"
    embed = discord.Embed(title="t" * 256, description="d" * 4096)
    for i in range(6):
        embed.add_field(name=f"f{i}", value="v" * 250)
    embed.set_footer(text="x" * 200)
    assert len(embed) > 6000 - len(work_mark(key))  # no room left for the reference as is
    marked(embed, key)
    assert len(embed) <= 6000  # Discord's total limit
    assert (embed.footer.text or "").endswith(" · " + work_mark(key))
    assert embed.title == "t" * 256  # the description gave way, not the title
    long = discord.Embed(title="x").set_footer(text="y" * 2048)
    assert len(marked(long, key).footer.text or "") <= 2048
    assert (long.footer.text or "").endswith(work_mark(key))
    bare = marked(discord.Embed(title="x"), key)
    assert bare.footer.text == work_mark(key)


class LateClock:
    """A clock whose sleeps all end late, at `stall_until` or after: a busy event loop."""

    def __init__(self, stall_until: float) -> None:
        self.now = 0.0
        self.stall_until = stall_until

    def time(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now = max(self.now + delay, self.stall_until)


async def test_waiters_woken_late_never_crowd_a_second() -> None:
    clock = LateClock(stall_until=1.9)
    limiter = RateLimiter(5, clock=clock.time, sleep=clock.sleep)
    granted = []
    for _ in range(20):
        await limiter.acquire()
        granted.append(clock.now)
    # Slots 0.2 .. 1.8 were missed: the late callers go out as the rate allows, not at once.
    assert all(granted[i + 5] - granted[i] >= 1.0 for i in range(len(granted) - 5))


class StalledLoop:
    """Virtual time for concurrent callers: every sleep is a timer, and timers due before
    `stall_until` all fire together at it (a loop that was busy), in the order they were set."""

    def __init__(self, stall_until: float) -> None:
        self.now = 0.0
        self.stall_until = stall_until
        self.timers: list[tuple[float, asyncio.Future[None]]] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        fired: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.timers.append((self.now + max(delay, 0.0), fired))
        await fired

    async def run(self, tasks: list[asyncio.Task[None]]) -> None:
        while not all(t.done() for t in tasks):
            for _ in range(10):  # let every woken caller run until it sleeps again
                await asyncio.sleep(0)
            if not self.timers:
                continue
            self.now = max(self.now, min(at for at, _ in self.timers), self.stall_until)
            due = [f for at, f in self.timers if at <= self.now]
            self.timers = [(at, f) for at, f in self.timers if at > self.now]
            for fired in due:
                fired.set_result(None)


async def grants(stall_until: float, callers: int, rate: float = 5) -> list[float]:
    """When each of `callers` concurrent callers was let through, in order, on a loop busy
    until `stall_until`."""
    loop = StalledLoop(stall_until)
    limiter = RateLimiter(rate, clock=loop.time, sleep=loop.sleep)
    granted: list[float] = []

    async def call() -> None:
        await limiter.acquire()
        granted.append(loop.now)

    await loop.run([asyncio.create_task(call()) for _ in range(callers)])
    return sorted(granted)


def busiest_second(granted: list[float]) -> int:
    # (A hair of slack, as the limiter's own: a call exactly a second later is outside.)
    return max(sum(1 for t in granted if start <= t < start + 1.0 - 1e-9) for start in granted)


async def test_concurrent_callers_woken_together_never_crowd_a_second() -> None:
    # Forty channels wait for their slots at once; the loop stalls until 1.9 s, so every
    # caller whose slot passed meanwhile wakes at the same instant and asks to be let through.
    granted = await grants(stall_until=1.9, callers=40)
    assert len(granted) == 40
    assert busiest_second(granted) <= 5, granted
    # Nor in a clump: every call most of a slot (CATCH_UP/rate) after the one before.
    assert all(b - a >= CATCH_UP * 0.2 - 1e-6 for a, b in itertools.pairwise(granted)), granted


async def test_a_caller_woken_late_does_not_push_every_later_call_back() -> None:
    # Slots every 0.2 s; the loop is busy until 0.3, so the 0.2 caller goes out 0.1 late.
    # The calls after it make that up within a few slots instead of all going 0.1 late.
    granted = await grants(stall_until=0.3, callers=10)
    assert granted[1] == pytest.approx(0.3)
    assert granted[-1] == pytest.approx(1.8), granted  # the last slot, on time
    assert busiest_second(granted) <= 5, [round(t, 3) for t in granted]


class RoundTrips:
    """A fake Discord REST side whose every request waits until `expected` are in flight
    at once: a publisher that holds anything across a round trip never gets there."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.in_flight = 0
        self.most = 0
        self.full = asyncio.Event()
        self.user = object()  # logged in
        self.http = self
        self.threads: list[int] = []

    async def trip(self) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight >= self.expected:
            self.full.set()
        try:
            await self.full.wait()
        finally:
            self.in_flight -= 1

    def get_channel(self, channel_id: int) -> None:
        return None  # nothing cached: the publisher goes by REST with the id only

    def get_partial_messageable(self, channel_id: int, guild_id: int | None = None) -> Any:
        trips = self

        class Channel:
            async def send(self, **kwargs: Any) -> Any:
                await trips.trip()
                return discord.Object(channel_id * 10)

        return Channel()

    async def start_thread_with_message(self, channel_id: int, message_id: int, **kw: Any) -> None:
        await self.trip()
        self.threads.append(channel_id)


async def test_reveals_of_many_channels_overlap_their_round_trips() -> None:
    channels = range(1, 13)
    trips = RoundTrips(expected=len(channels))
    publisher = DiscordPublisher(cast(discord.Client, trips), limiter=RateLimiter(10_000))
    reveal = RoundReveal(1, "q", "Which?", "B", "Because.", 1, 1, (), (), None)
    async with asyncio.timeout(10):  # one request at a time would wait here for ever
        refs = await asyncio.gather(
            *(
                publisher.publish(PlaceRef(Platform.DISCORD, "7", str(c)), reveal, "99", f"k{c}")
                for c in channels
            )
        )
    assert refs == [str(c * 10) for c in channels]
    assert sorted(trips.threads) == list(channels)  # a thread each, also all in flight
    assert trips.most == len(channels)
