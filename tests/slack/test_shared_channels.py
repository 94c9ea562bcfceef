"""Slack Connect and Enterprise Grid: a round belongs to the channel's workspace, whatever
team the person answering comes from."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa

from adapters.slack.translate import workspace_of
from bot.bootstrap import ManualClock
from bot.identity import PlaceRef, Platform
from bot.storage.tables import answers
from bot.usecases import daily
from tests.slack.conftest import CHANNEL, SlackRig
from tests.slack.fake_slack import TEAM, Call

OTHER_TEAM = "T0PARTNER"  # the answering user's own workspace
ENTERPRISE = "E0ORG"


def buttons(call: Call) -> list[dict[str, Any]]:
    return [e for b in call.args["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def answer_count(rig: SlackRig) -> int:
    async with rig.app.db.engine.connect() as conn:
        return (await conn.execute(sa.select(sa.func.count()).select_from(answers))).scalar_one()


async def post_round(rig: SlackRig, clock: ManualClock, workspace: str, question: str) -> Call:
    place = PlaceRef(Platform.SLACK, workspace, CHANNEL)
    opened = await daily.open_daily_round(rig.app.ctx, place, clock.now(), question)
    assert opened is not None
    await rig.publisher.publish(place, opened[1], None, f"test:{question}")
    return rig.fake.of("chat.postMessage")[-1]


def test_the_workspace_is_the_installations() -> None:
    assert workspace_of(TEAM, None, False) == TEAM
    assert workspace_of(TEAM, ENTERPRISE, False) == TEAM  # a workspace install inside a grid
    assert workspace_of(None, ENTERPRISE, True) == ENTERPRISE  # org-wide install
    assert workspace_of(OTHER_TEAM, ENTERPRISE, True) == ENTERPRISE


async def test_a_slack_connect_user_answers_by_button(rig: SlackRig, clock: ManualClock) -> None:
    card = await post_round(rig, clock, TEAM, "ss-variance-sum")
    true = buttons(card)[0]
    payload, key = rig.driver.click_payload(true["action_id"], "UPARTNER")
    payload["user"]["team_id"] = OTHER_TEAM  # their own workspace, not the channel's
    status, _ = await rig.driver.interact(payload)
    assert status == 200
    [reply] = await rig.fake.wait_for_key(key)
    assert "locked in" in reply.args["text"]
    assert await answer_count(rig) == 1


async def test_a_slack_connect_user_answers_in_the_form(rig: SlackRig, clock: ManualClock) -> None:
    # A form opened from a shared channel: `team` and `view.team_id` name the user's side,
    # `view.app_installed_team_id` the workspace that installed StudyBot (the channel's).
    card = await post_round(rig, clock, TEAM, "ss-pvalue")
    [answer] = buttons(card)
    view = await rig.driver.open_modal(answer["action_id"], "UPARTNER", answer["value"])
    submission = rig.driver.submission(view, "UPARTNER", "0.05")
    submission["team"] = {"id": OTHER_TEAM, "domain": "partner"}
    submission["user"]["team_id"] = OTHER_TEAM
    submission["view"] |= {"team_id": OTHER_TEAM, "app_installed_team_id": TEAM}
    status, body = await rig.driver.interact(submission)
    assert (status, body) == (200, "")
    url = json.loads(view["private_metadata"])["u"]
    [reply] = await rig.fake.wait_for_key(url)
    assert "locked in" in reply.args["text"]
    assert await answer_count(rig) == 1


async def test_an_org_wide_install_is_one_workspace(rig: SlackRig, clock: ManualClock) -> None:
    # Enterprise Grid, installed org-wide: interactivity payloads carry no `team`, and the
    # user's team is one workspace of the organisation; the round is the organisation's.
    d = rig.driver
    for line in ("config channel", "config topics sample-stats", "config difficulty easy"):
        body, key = d.command_body(line, "UADMIN")
        form = dict(parse_qsl(body)) | {
            "team_id": "T0WORKSPACE1",
            "enterprise_id": ENTERPRISE,
            "is_enterprise_install": "true",
        }
        status, _ = await d.post(urlencode(form), "application/x-www-form-urlencoded")
        assert status == 200
        [enabled] = await rig.fake.wait_for_key(key)
        assert "Only an admin" not in enabled.args["text"]
    # The scheduler posts in the channel configured from workspace 1...
    clock.set(clock.now().replace(hour=9, minute=0))
    [posted] = await rig.app.work.run_due(clock.now(), {Platform.SLACK: rig.publisher})
    assert posted.status == "published"
    card = rig.fake.of("chat.postMessage")[-1]
    choice = buttons(card)[0]
    # ...and a member of workspace 2 answers it.
    payload, key = d.click_payload(choice["action_id"], "UBOB", value=choice["value"])
    payload["team"] = None
    payload["user"]["team_id"] = "T0WORKSPACE2"
    payload |= {"is_enterprise_install": True, "enterprise": {"id": ENTERPRISE, "name": "Org"}}
    status, _ = await d.interact(payload)
    assert status == 200
    [reply] = await rig.fake.wait_for_key(key)
    assert "locked in" in reply.args["text"]
    assert await answer_count(rig) == 1
