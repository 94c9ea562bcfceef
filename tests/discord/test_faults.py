"""Scheduled posts over the wire when Discord misbehaves: one message each, refusals final."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from adapters.discord.publisher import work_mark
from adapters.runtime import Runtime
from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.commandref import render_refs
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.usecases.delivery import work_key
from bot.usecases.scheduling import WorkResult
from tests.conftest import START
from tests.discord.fake_discord import FakeDiscord, Fault, rate_limited, refusal
from tests.discord.helpers import on_discord
from tests.discord.test_wire import fake, runtime  # noqa: F401  (fixtures)
from tests.helpers import errors, say

ADMIN_ID = "900000000000000777"
NINE = START.replace(hour=9)
FIVE = START.replace(hour=17)


async def _no_sleep(seconds: float) -> None:
    return None


async def enabled(app: App, fake: FakeDiscord) -> None:  # noqa: F811
    place = PlaceRef(Platform.DISCORD, str(fake.guild_id), str(fake.channel_id))
    admin = Origin(UserRef(Platform.DISCORD, ADMIN_ID), place, "Ada", True)
    assert errors(await say(app, admin, "config channel")) == []
    app.work.sleep = _no_sleep


async def tick(app: App, clock: ManualClock, rt: Runtime, when: dt.datetime) -> list[WorkResult]:
    clock.set(when)
    return await app.work.run_due(when, {Platform.DISCORD: rt.publisher})


def posts(fake: FakeDiscord) -> list[str]:  # noqa: F811
    """Every POST of a message to the channel, however it was answered."""
    return [
        r.path
        for r in fake.requests
        if r.method == "POST" and r.path == f"/channels/{fake.channel_id}/messages"
    ]


def history_reads(fake: FakeDiscord) -> int:  # noqa: F811
    return len(
        [
            r
            for r in fake.requests
            if r.method == "GET" and r.path == f"/channels/{fake.channel_id}/messages"
        ]
    )


@pytest.mark.parametrize(
    "fault",
    [
        Fault(0, created=True),  # created, then the connection drops
        Fault(500, {"message": "500: Internal Server Error", "code": 0}, created=True),
        rate_limited(0.01),  # a real rate limit: discord.py waits and repeats
        rate_limited(0.01, via=False),  # taken for a ban: raised, and the core retries
    ],
    ids=["accepted-then-dropped", "accepted-then-500", "429", "429-without-via"],
)
async def test_an_ambiguous_failure_still_gives_one_message_and_a_threaded_reveal(
    app: App,
    clock: ManualClock,
    fake: FakeDiscord,  # noqa: F811
    runtime: Runtime,  # noqa: F811
    fault: Fault,
) -> None:
    await enabled(app, fake)
    fake.script[("POST", f"/channels/{fake.channel_id}/messages")] = [fault]
    [post] = await tick(app, clock, runtime, NINE)
    assert post.status == "published"
    [question] = fake.messages_in(fake.channel_id)
    assert post.message_ref == question["id"]
    sent = [r.body for r in fake.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert all(body["nonce"] == sent[0]["nonce"] and body["enforce_nonce"] for body in sent)
    if fault.created and fault.status == 0:  # found in the history: adopted, not sent again
        assert len(posts(fake)) == 1 and history_reads(fake) == 1
    else:  # discord.py repeats a 5xx or 429 itself (the nonce dedupes); or nothing to find
        assert len(posts(fake)) == 2

    [reveal] = await tick(app, clock, runtime, FIVE)
    assert reveal.status == "published"
    [_, answer] = fake.messages_in(fake.channel_id)
    last = [r for r in fake.requests if r.path == f"/channels/{fake.channel_id}/messages"][-1]
    assert str(last.body["message_reference"]["message_id"]) == question["id"]
    assert answer["embeds"][0]["title"] == m.DISCORD_REVEAL_TITLE


async def test_an_answer_after_the_request_timeout_gives_one_message(
    app: App,
    clock: ManualClock,
    fake: FakeDiscord,  # noqa: F811
    runtime: Runtime,  # noqa: F811
) -> None:
    await enabled(app, fake)
    runtime.publisher.request_timeout = 0.2  # type: ignore[attr-defined]
    held = asyncio.Event()
    fake.script[("POST", f"/channels/{fake.channel_id}/messages")] = [
        Fault(200, created=True, hold=held)
    ]
    try:
        [post] = await tick(app, clock, runtime, NINE)
    finally:
        held.set()
    assert post.status == "published"
    [question] = fake.messages_in(fake.channel_id)
    assert post.message_ref == question["id"]


@pytest.mark.parametrize(
    ("status", "code", "problem"),
    [(403, 50001, "no_access"), (403, 50013, "no_permission"), (404, 10003, "unknown_channel")],
)
async def test_a_permanent_refusal_is_tried_once_and_the_admin_is_told(
    app: App,
    clock: ManualClock,
    fake: FakeDiscord,  # noqa: F811
    runtime: Runtime,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: int,
    problem: str,
) -> None:
    await enabled(app, fake)
    fake.script[("POST", f"/channels/{fake.channel_id}/messages")] = [
        refusal(status, code, "refused")
    ]
    caplog.set_level(logging.ERROR, logger="bot.usecases")
    [post] = await tick(app, clock, runtime, NINE)
    assert post.status == "failed" and len(posts(fake)) == 1
    fix = m.publish_fix(problem, str(fake.channel_id))
    assert any(render_refs(fix) in r.getMessage() for r in caplog.records)
    [dm] = [r for r in fake.requests if r.path == "/users/@me/channels"]
    assert str(dm.body["recipient_id"]) == ADMIN_ID
    [channel] = fake.dm_channels
    [alert] = fake.messages_in(int(channel))
    assert on_discord(fix) in alert["embeds"][0]["description"].replace("\\", "")
    assert await tick(app, clock, runtime, NINE + dt.timedelta(minutes=1)) == []
    assert len(posts(fake)) == 1


async def test_a_retry_after_a_long_outage_adopts_the_message_instead_of_posting_twice(
    app: App,
    clock: ManualClock,
    fake: FakeDiscord,  # noqa: F811
    runtime: Runtime,  # noqa: F811
) -> None:
    await enabled(app, fake)
    app.work.retry_delays = ()  # one attempt per tick: the retry comes a tick later
    channel = f"/channels/{fake.channel_id}/messages"
    # Created, then the connection dropped; Discord stays unreachable for the rest of the tick.
    fake.script[("POST", channel)] = [Fault(0, created=True)]
    [first] = await tick(app, clock, runtime, NINE)
    assert first.status == "retrying"
    [question] = fake.messages_in(fake.channel_id)
    # Minutes later Discord has forgotten the nonce: a blind repeat would post a second copy.
    fake.forget_nonces()
    others = [fake.message(fake.channel_id, {"content": f"chat {i}"}) for i in range(5)]
    for other in others:  # people talked in between; and one is the bot's own, unrelated
        other["author"] = fake.user(900_000_000_000_000_500, "alice")
    fake.created += others
    [again] = await tick(app, clock, runtime, NINE + dt.timedelta(minutes=10))
    assert again.status == "published" and again.message_ref == question["id"]
    assert len(posts(fake)) == 1 and history_reads(fake) == 1
    assert question["embeds"][0]["footer"]["text"].endswith(
        work_mark(await post_key(app, NINE.date()))
    )

    [reveal] = await tick(app, clock, runtime, FIVE)
    assert reveal.status == "published"
    last = [r for r in fake.requests if r.method == "POST" and r.path == channel][-1]
    assert str(last.body["message_reference"]["message_id"]) == question["id"]


async def post_key(app: App, day: dt.date) -> str:
    [channel] = await app.stores.channels.enabled_channels()
    return work_key(channel.id, "post", day.isoformat())


async def test_a_message_with_another_works_mark_is_not_adopted(
    app: App,
    clock: ManualClock,
    fake: FakeDiscord,  # noqa: F811
    runtime: Runtime,  # noqa: F811
) -> None:
    await enabled(app, fake)
    app.work.retry_delays = ()
    # Yesterday's question is in the history with its own mark; today's failed before Discord
    # created it, so the retry must post it rather than adopt yesterday's.
    yesterday = await post_key(app, (NINE - dt.timedelta(days=1)).date())
    old = fake.message(fake.channel_id, {"embeds": [{"footer": {"text": work_mark(yesterday)}}]})
    fake.created.append(old)
    fake.script[("POST", f"/channels/{fake.channel_id}/messages")] = [Fault(0)]
    [first] = await tick(app, clock, runtime, NINE)
    assert first.status == "retrying"
    [again] = await tick(app, clock, runtime, NINE + dt.timedelta(minutes=10))
    assert again.status == "published" and again.message_ref != old["id"]
    assert len(fake.messages_in(fake.channel_id)) == 2


async def test_a_history_the_bot_may_not_read_ends_the_work_instead_of_posting_blindly(
    app: App,
    clock: ManualClock,
    fake: FakeDiscord,  # noqa: F811
    runtime: Runtime,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    await enabled(app, fake)
    app.work.retry_delays = ()
    channel = f"/channels/{fake.channel_id}/messages"
    fake.script[("POST", channel)] = [Fault(0, created=True)]
    fake.script[("GET", channel)] = [refusal(403, 50001, "Missing Access")]
    caplog.set_level(logging.ERROR, logger="bot.usecases")
    await tick(app, clock, runtime, NINE)
    fake.forget_nonces()
    [again] = await tick(app, clock, runtime, NINE + dt.timedelta(minutes=10))
    assert again.status == "failed"
    assert len(fake.messages_in(fake.channel_id)) == 1 and len(posts(fake)) == 1
    fix = render_refs(m.publish_fix("no_history", str(fake.channel_id)))
    assert any(fix in r.getMessage() for r in caplog.records)
