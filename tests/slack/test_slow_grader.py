"""A slow interview grader never holds up the modal submission's 3-second acknowledgement."""

from __future__ import annotations

import asyncio
import json

from adapters.slack.app import ANSWER_BUDGET
from tests.slack.conftest import SlackRig
from tests.slack.test_quiz import buttons, shown
from tests.slow_grader import SlowGrader

ANSWER = (
    "The expected error decomposition splits it into bias squared, variance and noise. "
    "Bias comes from wrong assumptions in a model that is too simple. "
    "Variance comes from sensitivity to the particular sample the model was trained on."
)


async def test_a_slow_grader_closes_the_modal_and_the_grade_follows(rig: SlackRig) -> None:
    assert ANSWER_BUDGET < 3  # the wait for a verdict stays inside Slack's 3 seconds
    rig.adapter.answer_budget = 0.05  # the same path, without waiting two real seconds
    slow = SlowGrader()
    rig.app.ctx.grader = slow
    d = rig.driver
    card = (await d.command_replies("interview sample-stats 1", "UCY"))[-1]
    [answer] = buttons(card)
    view = await d.open_modal(answer["action_id"], "UCY", answer["value"])
    url = json.loads(view["private_metadata"])["u"]
    # Guarded: an ack that waited for the grader would never come, since nothing releases it.
    async with asyncio.timeout(10):
        status, body = await d.submit(view, "UCY", ANSWER)
    # Acknowledged (the modal closes) while the grader is still at work.
    assert (status, body) == (200, "")
    # The grading goes on after the ack (on a loaded machine it may start just after it).
    async with asyncio.timeout(10):
        await slow.started.wait()
    assert not slow.finished
    key = url.rsplit("/", 1)[-1]
    assert [c for c in rig.fake.calls if c.key == key] == []  # nothing graded yet
    slow.release.set()
    replies = await rig.fake.wait_for_key(url)
    assert slow.finished
    assert "3/3 key points" in shown(replies)
    assert all(r.args["response_type"] == "ephemeral" for r in replies)
