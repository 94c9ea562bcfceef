"""The Slack publisher: chat.postMessage, threaded broadcast reveals, and 429 retries."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from adapters.slack.client import make_client
from adapters.slack.publisher import SlackPublisher
from bot.identity import PlaceRef, Platform
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
    ref = await publisher(fake, []).publish(PLACE, Notice("Hi & bye", visibility=Visibility.PUBLIC))
    [call] = fake.of("chat.postMessage")
    assert ref == "1700000000.000001"
    assert call.args["channel"] == "C42"
    assert call.args["text"] == "Hi &amp; bye"
    assert call.auth == "Bearer xoxb-test-token"
    assert "thread_ts" not in call.args and "reply_broadcast" not in call.args


async def test_the_reveal_goes_in_the_thread_and_is_broadcast(fake: FakeSlack) -> None:
    ref = await publisher(fake, []).publish(PLACE, REVEAL, thread_ref="1699999999.000100")
    [call] = fake.of("chat.postMessage")
    assert ref == "1700000000.000001"
    assert call.args["thread_ts"] == "1699999999.000100"
    assert call.args["reply_broadcast"] is True
    body = str(call.args["blocks"]) + call.args["text"]
    assert "&lt;@U1&gt;" in body and "<@U1>" not in body


async def test_a_rate_limited_post_waits_for_retry_after_and_succeeds(fake: FakeSlack) -> None:
    fake.failures["chat.postMessage"] = [Failure(429, {"Retry-After": "1"})]
    sleeps: list[float] = []
    ref = await publisher(fake, sleeps).publish(PLACE, REVEAL)
    assert ref == "1700000000.000001"
    assert len(fake.of("chat.postMessage")) == 2
    [waited] = sleeps
    assert 1 <= waited < 2  # Retry-After plus at most a second of jitter


async def test_other_errors_reach_the_service(fake: FakeSlack) -> None:
    # The scheduler retries and records a failed claim; the publisher must not swallow it.
    fake.failures["chat.postMessage"] = [
        Failure(200, body={"ok": False, "error": "not_in_channel"})
    ]
    with pytest.raises(SlackApiError, match="not_in_channel"):
        await publisher(fake, []).publish(PLACE, REVEAL)


async def test_a_persistent_rate_limit_gives_up(fake: FakeSlack) -> None:
    fake.failures["chat.postMessage"] = [Failure(429, {"Retry-After": "1"})] * 3
    sleeps: list[float] = []
    with pytest.raises(SlackApiError):
        await publisher(fake, sleeps).publish(PLACE, REVEAL)
    assert len(sleeps) == 2 and len(fake.of("chat.postMessage")) == 3
