"""The Slack App Home shows the review cards due, and its Review button starts a review."""

from __future__ import annotations

import datetime as dt
import json

from adapters.slack.render import REVIEW_ACTION
from bot.bootstrap import ManualClock
from tests.slack.conftest import SlackRig
from tests.slack.test_http import home_event


async def test_home_shows_due_count_and_the_review_button_starts_one(
    rig: SlackRig, clock: ManualClock
) -> None:
    d = rig.driver
    # The one medium sample-ml item (how many models 5-fold CV trains) answered wrongly.
    await d.command_replies("quiz sample-ml medium 1", "UBOB")
    assert "Quiz complete!" in str(await d.command_replies("answer 99", "UBOB"))
    await d.event(home_event("UBOB"), "EvA")
    [first] = await rig.fake.wait_calls("views.publish")
    assert "No review cards due now." in json.dumps(first.args["view"]["blocks"])
    clock.advance(dt.timedelta(days=1))
    await d.event(home_event("UBOB"), "EvB")
    _, second = await rig.fake.wait_calls("views.publish", 2)
    blocks = second.args["view"]["blocks"]
    assert "*1* review card(s) due now." in json.dumps(blocks)
    # The stats in the Home carry their Chart button too; the Review button is the due count's.
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    [button] = [e for e in buttons if e["action_id"] == REVIEW_ACTION]
    assert button["text"]["text"] == "Review"
    # A click in the App Home carries no channel and no response_url: the review goes to
    # the user's DM with StudyBot.
    payload, _ = d.click_payload(REVIEW_ACTION, "UBOB")
    payload.pop("channel")
    payload.pop("response_url")
    payload["container"] = {"type": "view", "view_id": "V1"}
    status, _ = await d.interact(payload)
    assert status == 200
    sent = await rig.fake.wait_calls_to("UBOB", 1)
    text = " ".join(c.args["text"] + json.dumps(c.args.get("blocks", [])) for c in sent)
    assert "Review: 1 of your 1 due card(s)" in text
