"""Scheduled posts when Slack misbehaves: looked up by metadata before any retry, refusals final."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from adapters.slack.client import make_client
from adapters.slack.publisher import EVENT_TYPE, SlackPublisher
from adapters.slack.render import refs
from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.commandref import render_refs
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.usecases.scheduling import WorkResult
from tests.conftest import START
from tests.helpers import errors, say
from tests.slack.conftest import slack_settings
from tests.slack.fake_slack import DROP, TEAM, Failure, FakeSlack

CHANNEL = "C42"
ADMIN = "UADMIN"
NINE = START.replace(hour=9)
FIVE = START.replace(hour=17)


async def _no_sleep(seconds: float) -> None:
    return None


async def enabled(app: App, fake: FakeSlack, request_timeout: float = 15.0) -> SlackPublisher:
    place = PlaceRef(Platform.SLACK, TEAM, CHANNEL)
    admin = Origin(UserRef(Platform.SLACK, ADMIN), place, "Ada", True)
    assert errors(await say(app, admin, "config channel")) == []
    app.work.sleep = _no_sleep
    return SlackPublisher(make_client(slack_settings(fake), sleep=_no_sleep), request_timeout)


async def tick(
    app: App, clock: ManualClock, pub: SlackPublisher, when: dt.datetime
) -> list[WorkResult]:
    clock.set(when)
    return await app.work.run_due(when, {Platform.SLACK: pub})


@pytest.mark.parametrize(
    "failure",
    [
        Failure(DROP, accepted=True),  # posted, then the connection drops
        Failure(500, body={"ok": False, "error": "internal_error"}, accepted=True),
    ],
    ids=["accepted-then-dropped", "accepted-then-500"],
)
async def test_an_ambiguous_failure_is_checked_in_history_and_adopted(
    app: App, clock: ManualClock, fake: FakeSlack, failure: Failure
) -> None:
    pub = await enabled(app, fake)
    fake.failures["chat.postMessage"] = [failure]
    [post] = await tick(app, clock, pub, NINE)
    assert post.status == "published"
    [question] = fake.messages[CHANNEL]
    assert post.message_ref == question["ts"]
    # One request: slack_sdk did not repeat it on its own, and the core looked before posting.
    [call] = fake.of("chat.postMessage")
    assert call.args["metadata"]["event_type"] == EVENT_TYPE
    [look] = fake.of("conversations.history")
    assert look.args["channel"] == CHANNEL and look.args["include_all_metadata"] in ("1", "true")

    [reveal] = await tick(app, clock, pub, FIVE)
    assert reveal.status == "published"
    last = fake.of("chat.postMessage")[-1]
    assert last.args["thread_ts"] == question["ts"]  # threaded under the question
    assert len(fake.messages[CHANNEL]) == 2  # the question and the broadcast reveal


async def test_an_answer_after_the_request_timeout_is_adopted(
    app: App, clock: ManualClock, fake: FakeSlack
) -> None:
    pub = await enabled(app, fake, request_timeout=0.2)
    held = asyncio.Event()
    fake.failures["chat.postMessage"] = [Failure(200, body={"ok": True}, accepted=True, hold=held)]
    try:
        [post] = await tick(app, clock, pub, NINE)
    finally:
        held.set()
    assert post.status == "published"
    [question] = fake.messages[CHANNEL]
    assert post.message_ref == question["ts"]
    assert len(fake.of("chat.postMessage")) == 1


async def test_a_post_that_never_arrived_is_sent_again_after_looking(
    app: App, clock: ManualClock, fake: FakeSlack
) -> None:
    pub = await enabled(app, fake)
    fake.failures["chat.postMessage"] = [Failure(DROP)]  # refused before it was posted
    [post] = await tick(app, clock, pub, NINE)
    assert post.status == "published"
    assert len(fake.of("chat.postMessage")) == 2 and len(fake.messages[CHANNEL]) == 1


@pytest.mark.parametrize(
    ("error", "problem"),
    [
        ("not_in_channel", "not_in_channel"),
        ("channel_not_found", "channel_not_found"),
        ("is_archived", "archived"),
    ],
)
async def test_a_permanent_refusal_is_tried_once_and_the_admin_is_told_once_a_day(
    app: App,
    clock: ManualClock,
    fake: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    error: str,
    problem: str,
) -> None:
    pub = await enabled(app, fake)
    fake.failures["chat.postMessage"] = [Failure(200, body={"ok": False, "error": error})]
    caplog.set_level(logging.ERROR, logger="bot.usecases")
    [post] = await tick(app, clock, pub, NINE)
    assert post.status == "failed"
    fix = m.publish_fix(problem, CHANNEL)
    [line] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert render_refs(fix) in line
    to_channel = [c for c in fake.of("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert len(to_channel) == 1  # tried once
    [dm] = [c for c in fake.of("chat.postMessage") if c.args["channel"] == ADMIN]
    assert refs(fix).replace("`", "") in dm.args["text"].replace("`", "")
    # Refused again the same day (the reveal): the admin is not told twice.
    fake.failures["chat.postMessage"] = [Failure(200, body={"ok": False, "error": error})]
    [reveal] = await tick(app, clock, pub, FIVE)
    assert reveal.status == "failed"
    assert len([c for c in fake.of("chat.postMessage") if c.args["channel"] == ADMIN]) == 1


async def test_a_failed_post_that_cannot_be_looked_for_is_not_sent_blindly(
    app: App, clock: ManualClock, fake: FakeSlack
) -> None:
    # A public channel the bot is not in: it may post (chat:write.public), not read history.
    pub = await enabled(app, fake)
    fake.joined = set()
    fake.failures["chat.postMessage"] = [Failure(DROP, accepted=True)]
    [post] = await tick(app, clock, pub, NINE)
    assert post.status == "failed"
    assert len(fake.messages[CHANNEL]) == 1 and len(fake.of("chat.postMessage")) == 2
    [dm] = [c for c in fake.of("chat.postMessage") if c.args["channel"] == ADMIN]
    assert "cannot_check" in dm.args["text"]
