"""A scheduler tick over many channels: one slow or failing channel holds up no other."""

from __future__ import annotations

import asyncio

from bot.bootstrap import App, ManualClock
from bot.identity import PlaceRef, Platform
from bot.replies import QuestionCard, Reply, RoundReveal
from tests.conftest import START, origin
from tests.helpers import errors, say

MONDAY_9 = START.replace(hour=9)
CHANNELS = ["general", "random", "quiz-club", "ml"]


class FlakyPublisher:
    """Fails every publish to one channel; records the others as they happen."""

    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.sent: list[tuple[str, Reply]] = []

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        if place.channel == self.failing:
            raise ConnectionError("platform unavailable")
        self.sent.append((place.channel, reply))
        return f"msg-{len(self.sent)}"

    async def find(self, place: PlaceRef, key: str) -> str | None:
        return None

    async def notify_admin(self, place: PlaceRef, user_ref: str, reply: Reply) -> None:
        raise AssertionError("no refusal here")


async def test_a_channel_waiting_to_retry_holds_up_no_other(app: App, clock: ManualClock) -> None:
    for channel in CHANNELS:
        assert (
            errors(await say(app, origin("Ada", admin=True, channel=channel), "config channel"))
            == []
        )
    pub = FlakyPublisher(failing="general")
    pausing = asyncio.Event()
    resume = asyncio.Event()

    async def held_sleep(seconds: float) -> None:
        pausing.set()
        await resume.wait()  # the failing channel waits here until every other one is out

    app.work.sleep = held_sleep
    clock.set(MONDAY_9)
    tick = asyncio.create_task(app.work.run_due(MONDAY_9, {Platform.CONSOLE: pub}))
    async with asyncio.timeout(10):
        await pausing.wait()
        while len(pub.sent) < len(CHANNELS) - 1:
            await asyncio.sleep(0.01)
    assert sorted(c for c, _ in pub.sent) == sorted(CHANNELS[1:])
    assert all(isinstance(r, QuestionCard) for _, r in pub.sent)
    resume.set()
    results = await tick
    # Results keep the channels' order; the failing one is left for the next tick to retry.
    assert [(r.status) for r in results] == ["retrying", "published", "published", "published"]


class GatheringPublisher:
    """Holds every request until `expected` are in flight at once, and counts the most seen:
    a fan-out that waits for one round trip before starting the next never fills it."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.in_flight = 0
        self.most = 0
        self.full = asyncio.Event()
        self.replies: list[Reply] = []

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight >= self.expected:
            self.full.set()
        try:
            await self.full.wait()  # the "round trip" ends only once all are out
        finally:
            self.in_flight -= 1
        self.replies.append(reply)
        return f"msg-{place.channel}-{len(self.replies)}"

    async def find(self, place: PlaceRef, key: str) -> str | None:
        return None

    async def notify_admin(self, place: PlaceRef, user_ref: str, reply: Reply) -> None:
        raise AssertionError("no refusal here")


async def test_posts_and_reveals_of_every_channel_are_in_flight_together(
    app: App, clock: ManualClock
) -> None:
    # More channels than the database gate lets through at once: the round trips of all of
    # them overlap, so the platform's pacing, not the round trip, sets the pace.
    rooms = [f"room-{i}" for i in range(12)]
    for room in rooms:
        assert (
            errors(await say(app, origin("Ada", admin=True, channel=room), "config channel")) == []
        )
    for at, kind in ((MONDAY_9, QuestionCard), (MONDAY_9.replace(hour=17), RoundReveal)):
        pub = GatheringPublisher(expected=len(rooms))
        clock.set(at)
        async with asyncio.timeout(10):  # a capped fan-out would wait here for ever
            results = await app.work.run_due(at, {Platform.CONSOLE: pub})
        assert pub.most == len(rooms)
        assert [r.status for r in results] == ["published"] * len(rooms)
        assert all(isinstance(r, kind) for r in pub.replies)
