"""A scheduler tick over many channels: one slow or failing channel holds up no other."""

from __future__ import annotations

import asyncio

from bot.bootstrap import App, ManualClock
from bot.identity import PlaceRef, Platform
from bot.replies import QuestionCard, Reply
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
