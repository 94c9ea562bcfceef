"""A daily round end to end through Slack: configure, post, answer by button or modal, reveal."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import sqlalchemy as sa

from bot import commands as c
from bot import faults
from bot import messages as m
from bot.bootstrap import ManualClock
from bot.identity import Origin, PlaceRef, Platform
from bot.replies import Notice, Reply, Tone
from bot.storage.tables import answers
from bot.usecases import daily
from tests.helpers import inbox_rows
from tests.slack.conftest import CHANNEL, SlackRig
from tests.slack.fake_slack import TEAM, Call


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def posted_text(call: Call) -> str:
    return call.args["text"] + json.dumps(call.args["blocks"], ensure_ascii=False)


async def answer_count(rig: SlackRig) -> int:
    async with rig.app.db.engine.connect() as conn:
        return (await conn.execute(sa.select(sa.func.count()).select_from(answers))).scalar_one()


async def configure(rig: SlackRig, difficulty: str) -> None:
    d = rig.driver
    for line in ("config channel", "config topics sample-stats", f"config difficulty {difficulty}"):
        [reply] = await d.command_replies(line, "UADMIN")
        assert reply.args["response_type"] == "ephemeral"
        assert "Only an admin" not in reply.args["text"], line


async def post_daily(rig: SlackRig, clock: ManualClock) -> Call:
    clock.set(clock.now().replace(hour=9, minute=0))
    [result] = await rig.app.work.run_due(clock.now(), {Platform.SLACK: rig.publisher})
    assert result.status == "published"
    [card] = rig.fake.of("chat.postMessage")
    assert card.args["channel"] == CHANNEL
    assert result.message_ref == "1700000000.000001"
    assert "thread_ts" not in card.args
    return card


async def reveal(rig: SlackRig, clock: ManualClock) -> Call:
    await rig.driver.settled()  # the answers' users.info look-ups, done after each answer
    clock.set(clock.now().replace(hour=17, minute=0))
    [result] = await rig.app.work.run_due(clock.now(), {Platform.SLACK: rig.publisher})
    assert result.status == "published"
    return rig.fake.of("chat.postMessage")[-1]


async def test_mcq_round_answered_by_buttons(rig: SlackRig, clock: ManualClock) -> None:
    d = rig.driver
    await configure(rig, "easy")  # sample-stats, easy: the median question (MCQ)
    card = await post_daily(rig, clock)
    assert "Daily question" in posted_text(card)
    choices = buttons(card.args["blocks"])
    assert len(choices) == 4
    right = next(b for b in choices if b["text"]["text"].endswith("Median"))
    wrong = next(b for b in choices if b["text"]["text"].endswith("Mean"))

    for user, pick in (("UBOB", right), ("UEVE", right), ("UCY", wrong)):
        [ack] = await d.click_replies(pick["action_id"], user, value=pick["value"])
        assert ack.args["response_type"] == "ephemeral"
        assert ack.args["replace_original"] is False
        assert "locked in" in ack.args["text"]
    assert await answer_count(rig) == 3

    post = await reveal(rig, clock)
    assert post.args["thread_ts"] == "1700000000.000001"  # the question's ts
    assert post.args["reply_broadcast"] is True
    shown = posted_text(post)
    assert "3 answered, 2 correct." in shown
    assert "Median: 2 (67%)" in shown and "Mean: 1 (33%)" in shown
    # Names as Slack shows them (display names, not the payloads' handles), escaped: no
    # ping, no markup.
    assert "Bobby" in shown and "eve &lt;!here&gt; &amp; &lt;@UADMIN&gt;" in shown
    assert "Cyrus" not in shown.split("Right:")[1]
    assert "<@" not in shown and "<!" not in shown


async def test_short_answer_round_answered_in_a_modal(rig: SlackRig, clock: ManualClock) -> None:
    d = rig.driver
    await configure(rig, "hard")  # sample-stats, hard and auto-graded: RANSAC (short answer)
    card = await post_daily(rig, clock)
    [answer_button] = buttons(card.args["blocks"])
    assert answer_button["text"]["text"] == "Answer"

    for user, text in (("UBOB", "ransac"), ("UCY", "Random Sample Consensus"), ("UEVE", "OLS")):
        view = await d.open_modal(answer_button["action_id"], user, answer_button["value"])
        assert view["type"] == "modal" and "inliers" in json.dumps(view["blocks"])
        status, body = await d.submit(view, user, text)
        assert status == 200 and body == ""  # an empty ack closes the modal
        [reply] = await rig.fake.wait_for_key(json.loads(view["private_metadata"])["u"])
        assert reply.args["response_type"] == "ephemeral" and "locked in" in reply.args["text"]
    assert await answer_count(rig) == 3

    post = await reveal(rig, clock)
    assert post.args["thread_ts"] == "1700000000.000001" and post.args["reply_broadcast"] is True
    shown = posted_text(post)
    assert "3 answered, 2 correct." in shown
    assert "Bobby, Cyrus" in shown
    assert "<@" not in shown and "<!" not in shown


async def publish_round(
    rig: SlackRig, clock: ManualClock, question_id: str, channel: str = CHANNEL
) -> Call:
    """Open today's round in `channel` on `question_id`; returns its card as posted."""
    place = PlaceRef(Platform.SLACK, TEAM, channel)
    opened = await daily.open_daily_round(rig.app.ctx, place, clock.now(), question_id)
    assert opened is not None
    await rig.publisher.publish(place, opened[1], None, f"test:{question_id}")
    return rig.fake.of("chat.postMessage")[-1]


async def open_round_modal(
    rig: SlackRig, clock: ManualClock, question_id: str, user: str, channel: str = CHANNEL
) -> dict[str, Any]:
    """Post today's round (a typed-answer question) and open its answer modal as `user`."""
    card = await publish_round(rig, clock, question_id, channel)
    [answer_button] = buttons(card.args["blocks"])
    return await rig.driver.open_modal(
        answer_button["action_id"], user, answer_button["value"], channel=channel
    )


def response_url_key(view: dict[str, Any]) -> str:
    """The key of the response_url the modal's reply goes to (the Answer click's)."""
    return str(json.loads(view["private_metadata"])["u"]).rsplit("/", 1)[-1]


@pytest.fixture
async def tf_card(rig: SlackRig, clock: ManualClock) -> Call:
    """Today's round on the true/false question, posted by the publisher."""
    return await publish_round(rig, clock, "ss-variance-sum")


async def test_true_false_buttons_and_a_second_click(rig: SlackRig, tf_card: Call) -> None:
    d = rig.driver
    true, false = buttons(tf_card.args["blocks"])
    assert (true["text"]["text"], false["text"]["text"]) == ("True", "False")
    [first] = await d.click_replies(true["action_id"], "UBOB")
    assert "locked in" in first.args["text"]
    # The same person changes their mind: nothing is recorded, and they are told why.
    [second] = await d.click_replies(false["action_id"], "UBOB")
    assert second.args["response_type"] == "ephemeral"
    assert "already answered today's question (true)" in second.args["text"]
    assert await answer_count(rig) == 1


async def test_a_redelivered_click_is_handled_once(rig: SlackRig, tf_card: Call) -> None:
    d = rig.driver
    true = buttons(tf_card.args["blocks"])[0]
    [first] = await d.click_replies(true["action_id"], "UCY", action_ts="1700000300.000001")
    assert "locked in" in first.args["text"]
    [again] = await d.click_replies(true["action_id"], "UCY", action_ts="1700000300.000001")
    # The inbox recognises the redelivery and shows its stored reply again, privately.
    assert again.args["text"] == first.args["text"]
    assert again.args["response_type"] == "ephemeral"
    assert await answer_count(rig) == 1
    [row] = [r for r in await inbox_rows(rig.app) if r.dedupe_key.startswith("action:UCY")]
    assert (row.state, row.attempts) == ("done", 1)


async def test_modal_refusal_is_shown_in_the_modal(rig: SlackRig, clock: ManualClock) -> None:
    d = rig.driver
    view = await open_round_modal(rig, clock, "ss-pvalue", "UBOB")
    same = {"view_id": "V77", "view_hash": "1700000200.h77"}
    status, body = await d.submit(view, "UBOB", "a twentieth-ish", **same)
    assert status == 200
    refusal = json.loads(body)
    assert refusal["response_action"] == "errors"
    assert refusal["errors"]["answer"]  # the core's invalid-answer message, shown in place
    assert await answer_count(rig) == 0
    # Corrected in the same modal (same view id and hash), the answer counts.
    status, body = await d.submit(view, "UBOB", "1/20", **same)
    assert (status, body) == (200, "")
    await rig.fake.wait_for_key(response_url_key(view))
    assert await answer_count(rig) == 1
    status, body = await d.submit(view, "UBOB", " ")
    assert json.loads(body)["response_action"] == "errors"


@pytest.mark.parametrize("where", ["one write", "general path"])
async def test_a_refusal_in_the_form_does_not_use_up_the_submission(
    rig: SlackRig,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    where: str,
) -> None:
    d = rig.driver
    view = await open_round_modal(rig, clock, "ss-pvalue", "UBOB")
    attempt = rig.app.dispatcher.attempt
    seen: list[c.Command] = []

    async def hiccup_once(command: c.Command, origin: Origin) -> tuple[list[Reply], bool]:
        seen.append(command)
        if len(seen) > 1:
            return await attempt(command, origin)
        # The inbox took the delivery, then the core failed in passing (a database hiccup).
        return [Notice(m.INTERNAL_ERROR, Tone.ERROR)], True

    if where == "one write":  # the answer's transaction with its row fails, and rolls back
        faults.arm("inbox.uncommitted")
        request.addfinalizer(faults.disarm)
    else:
        rig.app.dispatcher.planners.clear()
        monkeypatch.setattr(rig.app.dispatcher, "attempt", hiccup_once)
    same = {"view_id": "V88", "view_hash": "1700000200.h88"}
    status, body = await d.submit(view, "UBOB", "0.05", **same)
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    # Sent again from the open form, same text: processed normally, not "Already handled.".
    status, body = await d.submit(view, "UBOB", "0.05", **same)
    assert (status, body) == (200, "")
    [reply] = await rig.fake.wait_for_key(response_url_key(view))
    assert "locked in" in reply.args["text"]
    assert await answer_count(rig) == 1


async def test_a_redelivered_submission_is_handled_once(rig: SlackRig, clock: ManualClock) -> None:
    view = await open_round_modal(rig, clock, "ss-pvalue", "UCY")
    submission = rig.driver.submission(view, "UCY", "0.05")
    assert (await rig.driver.interact(submission)) == (200, "")
    assert (await rig.driver.interact(submission)) == (200, "")  # the very same request
    first, again = await rig.fake.wait_for_key(response_url_key(view), 2)
    assert "locked in" in first.args["text"]
    assert again.args["text"] == first.args["text"]  # the stored reply, shown again
    assert await answer_count(rig) == 1


async def test_a_slow_verdict_closes_the_modal_and_follows_privately(
    rig: SlackRig, clock: ManualClock
) -> None:
    view = await open_round_modal(rig, clock, "ss-ransac", "UBOB", channel="C2")
    rig.adapter.answer_budget = 0  # the core's verdict is not awaited before the ack
    status, body = await rig.driver.submit(view, "UBOB", "no idea")
    assert (status, body) == (200, "")
    [reply] = await rig.fake.wait_for_key(response_url_key(view))
    assert "locked in" in reply.args["text"]


@pytest.mark.parametrize("expired", [False, True])
async def test_without_a_working_response_url_the_reply_is_posted_ephemerally(
    rig: SlackRig, clock: ManualClock, expired: bool
) -> None:
    view = await open_round_modal(rig, clock, "ss-pvalue", "UCY", channel="C3")
    metadata = json.loads(view["private_metadata"])
    assert metadata["c"] == "C3"  # where the Answer button was clicked
    if expired:
        rig.fake.expired.add(response_url_key(view))
    else:
        del metadata["u"]
    view["private_metadata"] = json.dumps(metadata)
    status, _ = await rig.driver.submit(view, "UCY", "0.05")
    assert status == 200
    [posted] = await rig.fake.wait_calls("chat.postEphemeral")
    assert (posted.args["channel"], posted.args["user"]) == ("C3", "UCY")
    assert "locked in" in posted.args["text"]


async def test_where_the_bot_is_no_member_the_late_reply_comes_by_dm(
    rig: SlackRig, clock: ManualClock
) -> None:
    # The daily question reaches a public channel StudyBot never joined (chat:write.public).
    # An answer submitted after the click's response_url expired (30 minutes) cannot come
    # back ephemerally there: chat.postEphemeral needs membership. It comes by DM, saying why.
    rig.fake.joined = set()
    view = await open_round_modal(rig, clock, "ss-pvalue", "UCY", channel="C9")
    rig.fake.expired.add(response_url_key(view))
    status, _ = await rig.driver.submit(view, "UCY", "0.05")
    assert status == 200
    note, reply = await rig.fake.wait_calls_to("UCY", 2)
    assert "could not post your reply in <#C9>" in note.args["text"]
    assert "/invite @StudyBot" in note.args["text"]
    assert "locked in" in reply.args["text"]
    [refused] = rig.fake.of("chat.postEphemeral")
    assert refused.args["channel"] == "C9"
    assert await answer_count(rig) == 1


async def test_a_burst_of_clicks_is_recorded_at_once_while_users_info_is_limited(
    rig: SlackRig, tf_card: Call
) -> None:
    # A daily card in a large channel: everyone clicks at once while users.info is over its
    # rate limit. The payload has the user's id, name and team; no answer waits for Slack.
    rig.fake.rate_limited["users.info"] = 30
    true = buttons(tf_card.args["blocks"])[0]
    people = [f"UMEMBER{i:02d}" for i in range(40)]
    started = time.monotonic()
    async with asyncio.timeout(10):
        keys = await asyncio.gather(*(rig.driver.click(true["action_id"], u) for u in people))
        replies = [(await rig.fake.wait_for_key(key))[0] for key in keys]
    assert all("locked in" in reply.args["text"] for reply in replies)
    assert await answer_count(rig) == len(people)
    await rig.driver.settled()
    # The names are looked up after the answers: the first 429 quiets the rest (no retry, no
    # Retry-After waited out), and everyone keeps the payload's name meanwhile.
    assert len(rig.fake.of("users.info")) == 1
    assert rig.driver.sleeps == []
    assert time.monotonic() - started < 10
