"""The inbox on Slack: replayed after a crash through the response_url, replays run once."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.slack.app import RESPONSE_URL_TTL
from adapters.slack.late import SlackLateReplies
from bot import messages as m
from bot.bootstrap import ManualClock
from bot.identity import Platform
from bot.inbox import LEASE
from bot.intake import Interaction, Ticket
from bot.storage.tables import memberships
from tests.helpers import inbox_rows
from tests.slack.conftest import SlackRig
from tests.slack.test_daily_round import answer_count, buttons, publish_round

FORM = "application/x-www-form-urlencoded"


def stall(rig: SlackRig, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Make the process 'die' right after the ack: processing never starts nor ends."""
    reached = asyncio.Event()

    async def dies(ticket: Ticket, interaction: Interaction) -> list[Any]:
        reached.set()
        await asyncio.Event().wait()
        return []

    monkeypatch.setattr(rig.app.dispatcher, "process", dies)
    return reached


@pytest.mark.parametrize("late_by", [LEASE, dt.timedelta(minutes=45)])
async def test_a_click_acknowledged_then_never_processed_is_replayed(
    rig: SlackRig, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, late_by: dt.timedelta
) -> None:
    card = await publish_round(rig, clock, "ss-variance-sum")
    true = buttons(card.args["blocks"])[0]
    reached = stall(rig, monkeypatch)
    key = await rig.driver.click(true["action_id"], "UCY")  # 200: Slack has its ack
    await asyncio.wait_for(reached.wait(), 10)
    monkeypatch.delattr(rig.app.dispatcher, "process")
    assert [c for c in rig.fake.calls if c.key == key] == []  # nothing answered the user
    assert [r.state for r in await inbox_rows(rig.app)] == ["received"]
    late = SlackLateReplies(rig.adapter)
    # Before the lease runs out the row is its holder's: a replay leaves it alone.
    assert await rig.app.dispatcher.replay({Platform.SLACK: late}) == 0
    clock.advance(late_by)
    assert await rig.app.dispatcher.replay({Platform.SLACK: late}) == 1
    if late_by < RESPONSE_URL_TTL:  # the click's response_url still takes replies
        [reply] = [c for c in rig.fake.calls if c.key == key]
        assert reply.args["response_type"] == "ephemeral"
        assert reply.args["replace_original"] is False  # never over the daily question
    else:  # expired after 30 minutes: a DM
        [reply] = [c for c in rig.fake.of("chat.postMessage") if c.args["channel"] == "UCY"]
        assert [c for c in rig.fake.calls if c.key == key] == []
    assert "locked in" in reply.args["text"]
    assert [(r.state, r.attempts) for r in await inbox_rows(rig.app)] == [("done", 2)]
    assert await rig.app.dispatcher.replay({Platform.SLACK: late}) == 0  # once only
    assert await answer_count(rig) == 1


async def test_a_slash_command_acknowledged_then_never_processed_is_replayed(
    rig: SlackRig, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await rig.driver.command_replies("team create Owls", "UADMIN")
    reached = stall(rig, monkeypatch)
    key = await rig.driver.command("team join Owls", "UBOB")
    await asyncio.wait_for(reached.wait(), 10)
    monkeypatch.delattr(rig.app.dispatcher, "process")
    clock.advance(LEASE)
    assert await rig.app.dispatcher.replay({Platform.SLACK: SlackLateReplies(rig.adapter)}) == 1
    [reply] = [c for c in rig.fake.calls if c.key == key]
    assert m.TEAM_JOINED.format(name="Owls") in reply.args["text"]
    assert await member_count(rig) == 1


async def member_count(rig: SlackRig) -> int:
    async with rig.app.db.engine.connect() as conn:
        return (
            await conn.execute(sa.select(sa.func.count()).select_from(memberships))
        ).scalar_one()


async def test_a_replayed_signed_slash_command_runs_once(rig: SlackRig) -> None:
    d = rig.driver
    await d.command_replies("team create Owls", "UADMIN")
    body, key = d.command_body("team join Owls", "UBOB")
    signed_at = int(time.time())
    assert (await d.post(body, FORM, timestamp=signed_at))[0] == 200
    [joined] = await rig.fake.wait_for_key(key)
    assert m.TEAM_JOINED.format(name="Owls") in joined.args["text"]
    await d.command_replies("team leave", "UBOB")
    assert await member_count(rig) == 0
    # The very same signed request again, inside Slack's five minutes: answered with what it
    # was answered before, privately, and not run again (Bob stays out of the team).
    assert (await d.post(body, FORM, timestamp=signed_at))[0] == 200
    _, again = await rig.fake.wait_for_key(key, 2)
    assert again.args["text"] == joined.args["text"]
    assert again.args["response_type"] == "ephemeral"
    assert await member_count(rig) == 0
    # A new `/study team join` is a new request and runs.
    [rejoined] = await d.command_replies("team join Owls", "UBOB")
    assert m.TEAM_JOINED.format(name="Owls") in rejoined.args["text"]
    assert await member_count(rig) == 1


async def test_a_command_being_processed_is_not_run_twice(
    rig: SlackRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = rig.driver
    await d.command_replies("team create Owls", "UADMIN")
    body, key = d.command_body("team join Owls", "UBOB")
    signed_at = int(time.time())
    process = rig.app.dispatcher.process
    release = asyncio.Event()

    async def slow(ticket: Ticket, interaction: Interaction) -> list[Any]:
        if ticket.verdict == "new":
            await release.wait()
        return await process(ticket, interaction)

    monkeypatch.setattr(rig.app.dispatcher, "process", slow)
    assert (await d.post(body, FORM, timestamp=signed_at))[0] == 200
    assert (await d.post(body, FORM, timestamp=signed_at))[0] == 200  # while it runs
    [busy] = await rig.fake.wait_for_key(key)
    assert m.INBOX_BUSY in busy.args["text"]
    release.set()
    _, joined = await rig.fake.wait_for_key(key, 2)
    assert m.TEAM_JOINED.format(name="Owls") in joined.args["text"]
    assert await member_count(rig) == 1
