"""A private quiz through Slack: ephemeral cards, answer buttons, the modal and flashcards."""

from __future__ import annotations

import json
from typing import Any

from bot import messages as m
from tests.slack.conftest import SlackRig
from tests.slack.fake_slack import Call


def buttons(call: Call) -> list[dict[str, Any]]:
    return [e for b in call.args.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def shown(calls: list[Call]) -> str:
    return "\n".join(c.args["text"] + json.dumps(c.args.get("blocks", [])) for c in calls)


async def test_mcq_quiz_answered_by_button(rig: SlackRig) -> None:
    d = rig.driver
    [card] = await d.command_replies("quiz sample-stats easy 1", "UBOB")
    assert card.args["response_type"] == "ephemeral"
    assert "Question 1/1" in shown([card])
    median = next(b for b in buttons(card) if b["text"]["text"].endswith("Median"))
    assert median["action_id"].startswith("studybot:ans:q")
    assert median["action_id"].endswith(f":c{median['value']}")  # the original option index
    replies = await d.click_replies(median["action_id"], "UBOB")
    text = shown(replies)
    assert "Correct!* +5 points" in text and "Quiz complete!" in text
    assert all(r.args["response_type"] == "ephemeral" for r in replies)
    # The card is stale now: a late click on another option is refused privately and
    # changes nothing.
    mean = next(b for b in buttons(card) if b["text"]["text"].endswith("Mean"))
    [late] = await d.click_replies(mean["action_id"], "UBOB")
    assert "already answered or left" in late.args["text"]
    # The same answer again (its reply lost, or replayed) gets the result it got, once more.
    again = await d.click_replies(median["action_id"], "UBOB")
    assert shown(again) == text and all(r.args["response_type"] == "ephemeral" for r in again)
    assert "5 points" in shown(again)  # still 5: nothing counted twice


async def test_typed_answers_and_a_flashcard_rating(rig: SlackRig) -> None:
    d = rig.driver
    # Both hard sample-stats items: RANSAC (short) and the bias-variance discussion (open).
    [card] = await d.command_replies("quiz sample-stats hard 2", "UCY")
    seen: list[str] = []
    for _ in range(2):
        [answer] = buttons(card)
        assert answer["text"]["text"] == "Answer"
        view = await d.open_modal(answer["action_id"], "UCY", answer["value"])
        url = json.loads(view["private_metadata"])["u"]
        open_item = "trade-off" in json.dumps(view["blocks"])
        seen.append("open" if open_item else "short")
        status, body = await d.submit(view, "UCY", "bias and variance" if open_item else "ransac")
        assert (status, body) == (200, "")
        [reply] = await rig.fake.wait_for_key(url)
        if open_item:
            assert "Model answer" in shown([reply])
            rating = {b["text"]["text"]: b for b in buttons(reply)}
            assert set(rating) == {"Got it", "Partly", "Missed"}
            replies = await d.click_replies(rating["Got it"]["action_id"], "UCY")
            assert "Noted: got it." in shown(replies)
        else:
            replies = [reply]
            assert "Correct!* +15 points" in shown(replies)
        card = replies[-1]
    assert sorted(seen) == ["open", "short"]
    assert "Quiz complete!" in shown([card]) and "Self-rated: got it 1." in shown([card])


async def test_report_the_question_just_answered(rig: SlackRig) -> None:
    d = rig.driver
    [card] = await d.command_replies("quiz sample-stats easy 1", "UBOB")
    wrong = next(b for b in buttons(card) if not b["text"]["text"].endswith("Median"))
    await d.click_replies(wrong["action_id"], "UBOB")
    [reply] = await d.command_replies("report I am sure it was right", "UBOB")
    assert reply.args["response_type"] == "ephemeral"
    assert "Thanks: reported ss-median" in reply.args["text"]


async def test_an_interview_answered_in_a_multiline_modal(rig: SlackRig) -> None:
    d = rig.driver
    replies = await d.command_replies("interview sample-stats", "UCY")
    card = replies[-1]
    assert "explain in your own words" in shown([card])
    [answer] = buttons(card)
    view = await d.open_modal(answer["action_id"], "UCY", answer["value"])
    url = json.loads(view["private_metadata"])["u"]
    element = next(b for b in view["blocks"] if b["type"] == "input")["element"]
    assert element["multiline"] is True and element["max_length"] == 3000
    words = (
        "The expected error decomposition splits it into bias squared, variance and noise. "
        "Bias comes from wrong assumptions in a model that is too simple. "
        "Variance comes from sensitivity to the particular sample the model was trained on."
    )
    status, _ = await d.submit(view, "UCY", words)
    assert status == 200
    replies = await rig.fake.wait_for_key(url)
    text = shown(replies)
    assert "3/3 key points" in text and "Model answer" in text
    assert all(r.args["response_type"] == "ephemeral" for r in replies)


async def test_a_lost_quiz_card_comes_back_with_working_buttons(rig: SlackRig) -> None:
    d = rig.driver
    [first] = await d.command_replies("quiz sample-stats easy 1", "UBOB")
    # Slack drops ephemeral messages on reload: `/study quiz` shows the running question again,
    # in one private message under a line that says how to stop it.
    [card] = await d.command_replies("quiz", "UBOB")
    assert card.args["response_type"] == "ephemeral"
    assert card.args["text"].startswith("Your quiz is still running (question 1 of 1)")
    assert "`/study quiz stop`" in card.args["text"]
    assert buttons(card) == buttons(first)  # the same shuffled options, quiz and question ids
    [again] = await d.command_replies("quiz sample-ml 3", "UBOB")
    assert m.NOT_STARTED.format(kind="quiz") in again.args["text"]
    assert buttons(again) == buttons(first)
    median = next(b for b in buttons(card) if b["text"]["text"].endswith("Median"))
    replies = await d.click_replies(median["action_id"], "UBOB")
    assert "Correct!* +5 points" in shown(replies) and "Quiz complete!" in shown(replies)


async def test_a_public_board_marks_nobody_and_the_asker_learns_their_standing_privately(
    rig: SlackRig,
) -> None:
    d = rig.driver
    for user in ("UBOB", "UCY"):
        [card] = await d.command_replies("quiz sample-stats easy 1", user)
        median = next(b for b in buttons(card) if b["text"]["text"].endswith("Median"))
        await d.click_replies(median["action_id"], user)
    board, standing = await rig.fake.wait_for_key(await d.command("leaderboard", "UCY"), 2)
    assert board.args["response_type"] == "in_channel"
    rows = "\n".join(b["text"]["text"] for b in board.args["blocks"] if b["type"] == "section")
    # As Slack shows them (profile display names), not the handles the clicks carried.
    assert rows == "1. Bobby · 5 pts (1 correct)\n2. Cyrus · 5 pts (1 correct)"
    # Nobody's row is marked in the message the whole channel sees (nor in its fallback text).
    assert "you" not in shown([board]).lower() and "←" not in board.args["text"]
    assert standing.args["response_type"] == "ephemeral"
    assert standing.args["text"] == m.BOARD_STANDING.format(rank=2, points=5, correct=1)


async def test_slack_escaped_characters_reach_the_core_as_typed(rig: SlackRig) -> None:
    # Slack sends `&`, `<` and `>` in a command's text as HTML entities; the core must see
    # what the person typed (a short answer like `p < 0.05` is graded on it).
    replies = await rig.driver.command_replies("stats R&amp;D &lt;team&gt;", "UBOB")
    text = shown(replies)
    # The reply escapes the name once for Slack's mrkdwn: decoded on the way in, it is
    # `R&amp;D &lt;team&gt;` here; left encoded, it would have been escaped twice.
    assert "R&amp;D &lt;team&gt;" in text, text
    assert "&amp;amp;" not in text and "&amp;lt;" not in text, text
