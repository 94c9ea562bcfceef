"""The Slack publisher: chat.postMessage, threaded broadcast reveals, and 429 retries."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import make_client
from adapters.slack.publisher import SlackPublisher
from bot.identity import PlaceRef, Platform
from bot.ports import PublishRefused
from bot.replies import Notice, OptionShare, RoundReveal, Visibility
from tests.slack.conftest import slack_settings
from tests.slack.fake_slack import Failure, FakeSlack

PLACE = PlaceRef(Platform.SLACK, "T1", "C42")
REVEAL = RoundReveal(
    round_id=1,
    question_id="q",
    prompt="Which is robust?",
    answer="B. Median",
    explanation="It depends on the middle only.",
    answered=2,
    correct_count=1,
    shares=(OptionShare("A", "Mean", 1, False), OptionShare("B", "Median", 1, True)),
    winners=("<@U1>",),
    first_correct="<@U1>",
)


def publisher(fake: FakeSlack, sleeps: list[float]) -> SlackPublisher:
    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    return SlackPublisher(make_client(slack_settings(fake), sleep=record))


async def test_posts_to_the_channel_and_returns_the_ts(fake: FakeSlack) -> None:
    ref = await publisher(fake, []).publish(
        PLACE, Notice("Hi & bye", visibility=Visibility.PUBLIC), None, "k1"
    )
    [call] = fake.of("chat.postMessage")
    assert ref == "1700000000.000001"
    assert call.args["channel"] == "C42"
    assert call.args["text"] == "Hi &amp; bye"
    assert call.auth == "Bearer xoxb-test-token"
    assert "thread_ts" not in call.args and "reply_broadcast" not in call.args


async def test_the_reveal_goes_in_the_thread_and_is_broadcast(fake: FakeSlack) -> None:
    ref = await publisher(fake, []).publish(PLACE, REVEAL, "1699999999.000100", "k1")
    [call] = fake.of("chat.postMessage")
    assert ref == "1700000000.000001"
    assert call.args["thread_ts"] == "1699999999.000100"
    assert call.args["reply_broadcast"] is True
    body = str(call.args["blocks"]) + call.args["text"]
    assert "&lt;@U1&gt;" in body and "<@U1>" not in body


async def test_a_rate_limited_post_waits_for_retry_after_and_succeeds(fake: FakeSlack) -> None:
    fake.failures["chat.postMessage"] = [Failure(429, {"Retry-After": "1"})]
    sleeps: list[float] = []
    ref = await publisher(fake, sleeps).publish(PLACE, REVEAL, None, "k1")
    assert ref == "1700000000.000001"
    assert len(fake.of("chat.postMessage")) == 2
    [waited] = sleeps
    assert 1 <= waited < 2  # Retry-After plus at most a second of jitter


@pytest.mark.parametrize(
    ("error", "problem"),
    [
        ("not_in_channel", "not_in_channel"),
        ("channel_not_found", "channel_not_found"),
        ("is_archived", "archived"),
    ],
)
async def test_permanent_refusals_reach_the_core_as_final(
    fake: FakeSlack, error: str, problem: str
) -> None:
    fake.failures["chat.postMessage"] = [Failure(200, body={"ok": False, "error": error})]
    with pytest.raises(PublishRefused) as refused:
        await publisher(fake, []).publish(PLACE, REVEAL, None, "k1")
    assert refused.value.problem == problem
    assert len(fake.of("chat.postMessage")) == 1  # tried once


async def test_other_errors_reach_the_core(fake: FakeSlack) -> None:
    # The core checks the channel's history and retries; the publisher must not swallow it.
    fake.failures["chat.postMessage"] = [
        Failure(200, body={"ok": False, "error": "internal_error"})
    ]
    with pytest.raises(SlackApiError, match="internal_error"):
        await publisher(fake, []).publish(PLACE, REVEAL, None, "k1")


async def test_a_persistent_rate_limit_gives_up(fake: FakeSlack) -> None:
    fake.failures["chat.postMessage"] = [Failure(429, {"Retry-After": "1"})] * 3
    sleeps: list[float] = []
    with pytest.raises(SlackApiError):
        await publisher(fake, sleeps).publish(PLACE, REVEAL, None, "k1")
    assert len(sleeps) == 2 and len(fake.of("chat.postMessage")) == 3


class SlowWebApi:
    """chat.postMessage answering only once `expected` posts are in flight at once."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.in_flight = 0
        self.most = 0
        self.full = asyncio.Event()

    async def chat_postMessage(self, **kwargs: object) -> dict[str, str]:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight >= self.expected:
            self.full.set()
        try:
            await self.full.wait()
        finally:
            self.in_flight -= 1
        return {"ts": f"{kwargs['channel']}.1"}


async def test_posts_to_many_channels_overlap_their_round_trips(fake: FakeSlack) -> None:
    api = SlowWebApi(expected=12)
    pub = publisher(fake, [])
    pub.client = cast(AsyncWebClient, api)
    async with asyncio.timeout(10):  # one post at a time would wait here for ever
        refs = await asyncio.gather(
            *(
                pub.publish(PlaceRef(Platform.SLACK, "T1", f"C{i}"), REVEAL, "1.0", f"k{i}")
                for i in range(12)
            )
        )
    assert refs == [f"C{i}.1" for i in range(12)]
    assert api.most == 12
