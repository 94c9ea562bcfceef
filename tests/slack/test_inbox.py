"""The inbox on Slack: replayed after a crash through the response_url, replays run once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.slack.app import RESPONSE_URL_TTL
from adapters.slack.late import SlackLateReplies
from adapters.slack.render import REVIEW_ACTION
from bot import messages as m
from bot.bootstrap import ManualClock
from bot.identity import Platform
from bot.inbox import LEASE
from bot.intake import Interaction, Ticket
from bot.storage.tables import memberships, users
from tests.helpers import inbox_rows
from tests.slack.conftest import SlackRig
from tests.slack.test_daily_round import answer_count, buttons, publish_round
from tests.slack.test_decks import CSV, WORKSPACE

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
async def test_an_answer_acknowledged_then_never_processed_is_replayed(
    rig: SlackRig, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, late_by: dt.timedelta
) -> None:
    # A typed answer runs after the ack; a click on the card is one write before it (below).
    await publish_round(rig, clock, "ss-variance-sum")
    reached = stall(rig, monkeypatch)
    key = await rig.driver.command("answer true", "UCY")  # 200: Slack has its ack
    await asyncio.wait_for(reached.wait(), 10)
    monkeypatch.delattr(rig.app.dispatcher, "process")
    assert [c for c in rig.fake.calls if c.key == key] == []  # nothing answered the user
    assert [r.state for r in await inbox_rows(rig.app)] == ["received"]
    late = SlackLateReplies(rig.adapter)
    # Before the lease runs out the row is its holder's: a replay leaves it alone.
    assert await rig.app.dispatcher.replay({Platform.SLACK: late}) == 0
    clock.advance(late_by)
    assert await rig.app.dispatcher.replay({Platform.SLACK: late}) == 1
    if late_by < RESPONSE_URL_TTL:  # the command's response_url still takes replies
        [reply] = [c for c in rig.fake.calls if c.key == key]
        assert reply.args["response_type"] == "ephemeral"
    else:  # expired after 30 minutes: a DM
        [reply] = [c for c in rig.fake.of("chat.postMessage") if c.args["channel"] == "UCY"]
        assert [c for c in rig.fake.calls if c.key == key] == []
    assert "locked in" in reply.args["text"]
    assert [(r.state, r.attempts) for r in await inbox_rows(rig.app)] == [("done", 2)]
    assert await rig.app.dispatcher.replay({Platform.SLACK: late}) == 0  # once only
    assert await answer_count(rig) == 1


async def test_a_click_on_the_card_is_written_with_its_row_before_the_ack(
    rig: SlackRig, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await publish_round(rig, clock, "ss-variance-sum")
    true = buttons(card.args["blocks"])[0]
    reached = stall(rig, monkeypatch)
    payload, key = rig.driver.click_payload(true["action_id"], "UCY")
    assert (await rig.driver.interact(payload))[0] == 200
    await asyncio.wait_for(reached.wait(), 10)
    monkeypatch.delattr(rig.app.dispatcher, "process")
    # Before Slack had its 200: the answer, and the row done with the reply it stores.
    [row] = await inbox_rows(rig.app)
    assert (row.state, row.attempts) == ("done", 1) and "locked in" in str(row.reply)
    assert await answer_count(rig) == 1
    clock.advance(LEASE)
    assert await rig.app.dispatcher.replay({Platform.SLACK: SlackLateReplies(rig.adapter)}) == 0
    # Slack delivers the very same click again: the stored reply, privately; nothing runs.
    assert (await rig.driver.interact(payload))[0] == 200
    [again] = await rig.fake.wait_for_key(key)
    assert "locked in" in again.args["text"] and again.args["response_type"] == "ephemeral"
    assert await answer_count(rig) == 1
    assert [(r.state, r.attempts) for r in await inbox_rows(rig.app)] == [("done", 1)]


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


# -- the paste form's submission and the App Home's Review button go through the inbox too --


async def open_deck_form(rig: SlackRig) -> tuple[dict[str, Any], str]:
    """An admin's `/study deck import pasted`: the form, and the response_url key replies use."""
    key = await rig.driver.command("deck import pasted", "UADMIN")
    [opened] = await rig.fake.wait_calls("views.open")
    view = opened.args["view"]
    return (view if isinstance(view, dict) else json.loads(view)), key


def pasted(rig: SlackRig, view: dict[str, Any]) -> dict[str, Any]:
    payload = rig.driver.submission(view, "UADMIN", "")
    payload["view"]["state"] = {"values": {"deck": {"text": {"value": CSV}}}}
    return payload


async def test_a_deck_submission_delivered_twice_imports_once(rig: SlackRig) -> None:
    view, key = await open_deck_form(rig)
    payload = pasted(rig, view)
    assert (await rig.driver.interact(payload))[0] == 200
    [reply] = await rig.fake.wait_for_key(key)
    assert "Imported deck 'pasted' (csv): 2 questions" in reply.args["text"]
    # Slack sends the very same submission again (it missed the ack): answered as before,
    # privately, and nothing is imported a second time.
    assert (await rig.driver.interact(payload))[0] == 200
    _, again = await rig.fake.wait_for_key(key, 2)
    assert again.args["text"] == reply.args["text"]
    assert [(r.state, r.attempts) for r in await inbox_rows(rig.app)][-1] == ("done", 1)
    assert [d.name for d in await rig.app.ctx.stores.decks.list_decks(WORKSPACE)] == ["pasted"]


async def test_a_deck_submission_acknowledged_then_never_processed_is_replayed(
    rig: SlackRig, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    view, key = await open_deck_form(rig)
    reached = stall(rig, monkeypatch)
    assert (await rig.driver.interact(pasted(rig, view)))[0] == 200  # the form closed
    await asyncio.wait_for(reached.wait(), 10)
    monkeypatch.delattr(rig.app.dispatcher, "process")
    assert await rig.app.ctx.stores.decks.list_decks(WORKSPACE) == []
    clock.advance(LEASE)
    assert await rig.app.dispatcher.replay({Platform.SLACK: SlackLateReplies(rig.adapter)}) == 1
    [reply] = [c for c in rig.fake.calls if c.key == key]
    assert "Imported deck 'pasted' (csv): 2 questions" in reply.args["text"]
    assert [d.name for d in await rig.app.ctx.stores.decks.list_decks(WORKSPACE)] == ["pasted"]


def review_click(rig: SlackRig) -> dict[str, Any]:
    """A click on the App Home's Review button: no channel, no response_url."""
    payload, _ = rig.driver.click_payload(REVIEW_ACTION, "UBOB")
    payload.pop("channel")
    payload.pop("response_url")
    payload["container"] = {"type": "view", "view_id": "V1"}
    return payload


async def card_due(rig: SlackRig, clock: ManualClock) -> None:
    """Bob answered a quiz question wrongly yesterday: one review card due."""
    await rig.driver.command_replies("quiz sample-ml medium 1", "UBOB")
    assert "Quiz complete!" in str(await rig.driver.command_replies("answer 99", "UBOB"))
    clock.advance(dt.timedelta(days=1))


async def test_a_review_click_delivered_twice_starts_one_review(
    rig: SlackRig, clock: ManualClock
) -> None:
    await card_due(rig, clock)
    click = review_click(rig)
    assert (await rig.driver.interact(click))[0] == 200
    [first] = await rig.fake.wait_calls_to("UBOB", 1)
    assert "Review: 1 of your 1 due card(s)" in first.args["text"] + json.dumps(
        first.args.get("blocks", [])
    )
    rows = await inbox_rows(rig.app)
    assert (await rig.driver.interact(click))[0] == 200  # the same delivery again
    await rig.fake.wait_calls_to("UBOB", 2)
    assert len(await inbox_rows(rig.app)) == len(rows)  # recognised, not a new request
    assert rows[-1].dedupe_key.startswith("action:UBOB:")


async def test_a_review_click_acknowledged_then_never_processed_is_replayed_by_dm(
    rig: SlackRig, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await card_due(rig, clock)
    reached = stall(rig, monkeypatch)
    assert (await rig.driver.interact(review_click(rig)))[0] == 200
    await asyncio.wait_for(reached.wait(), 10)
    monkeypatch.delattr(rig.app.dispatcher, "process")
    assert [c for c in rig.fake.of("chat.postMessage") if c.args.get("channel") == "UBOB"] == []
    clock.advance(LEASE)
    assert await rig.app.dispatcher.replay({Platform.SLACK: SlackLateReplies(rig.adapter)}) == 1
    sent = await rig.fake.wait_calls_to("UBOB", 1)
    text = " ".join(c.args["text"] + json.dumps(c.args.get("blocks", [])) for c in sent)
    assert "Review: 1 of your 1 due card(s)" in text
    assert (await rig.app.ctx.stores.quizzes.active_quiz(await bob_id(rig))) is not None


async def bob_id(rig: SlackRig) -> int:
    async with rig.app.db.engine.connect() as conn:
        return int(
            (await conn.execute(sa.select(users.c.id).where(users.c.external_id == "UBOB")))
            .scalar_one()
        )
