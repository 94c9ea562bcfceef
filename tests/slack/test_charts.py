"""Charts on Slack: files_upload_v2 after the text, into the channel or a DM; text alone on
failure (no files:write yet, a refused upload)."""

from __future__ import annotations

import logging

import pytest

from adapters.slack.client import make_client
from adapters.slack.publisher import SlackPublisher
from bot.charts.data import BoardBar, BoardData
from bot.charts.service import Charts
from bot.identity import PlaceRef, Platform
from bot.replies import Image, WeeklyTally
from tests.slack.conftest import CHANNEL, SlackRig, slack_settings
from tests.slack.fake_slack import Failure, FakeSlack

PLACE = PlaceRef(Platform.SLACK, "T1", "C42")


async def tally_with_chart() -> WeeklyTally:
    charts = Charts()
    image = await charts.image(
        BoardData("teams", "week of 2026-11-16", (BoardBar(1, "Owls", 12.5),)), "team-race.png"
    )
    charts.close()
    assert isinstance(image, Image)
    return WeeklyTally("week of 2026-11-16", (), (), image=image)


def publisher(fake: FakeSlack) -> SlackPublisher:
    async def no_sleep(seconds: float) -> None:
        return None

    return SlackPublisher(make_client(slack_settings(fake), sleep=no_sleep))


async def test_the_tally_is_posted_then_its_chart_uploaded_to_the_channel(fake: FakeSlack) -> None:
    tally = await tally_with_chart()
    assert tally.image is not None
    ref = await publisher(fake).publish(PLACE, tally, None, "tally:2026-W47")
    [post] = fake.of("chat.postMessage")
    assert ref == "1700000000.000001" and post.args["metadata"]["event_payload"]["key"]
    # files_upload_v2's three steps, after the text: reserve, upload the bytes, share.
    order = [c.method for c in fake.calls]
    assert order == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    [reserve] = fake.of("files.getUploadURLExternal")
    assert reserve.args["filename"] == "team-race.png"
    assert reserve.args["alt_txt"] == tally.image.alt_text
    [shared] = fake.shared
    assert shared["data"] == tally.image.data and shared["channel"] == "C42"
    assert shared["title"] == tally.image.title and not shared["thread_ts"]


async def test_a_thread_reply_uploads_into_the_thread(fake: FakeSlack) -> None:
    await publisher(fake).publish(PLACE, await tally_with_chart(), "1699999999.000100", "k")
    [shared] = fake.shared
    assert shared["thread_ts"] == "1699999999.000100"


@pytest.mark.parametrize(
    ("method", "error", "said"),
    [
        ("files.getUploadURLExternal", "missing_scope", "lacks files:write"),
        ("files.completeUploadExternal", "internal_error", "internal_error"),
    ],
)
async def test_a_failed_upload_leaves_the_text_and_one_warning(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture, method: str, error: str, said: str
) -> None:
    fake.failures[method] = [Failure(200, body={"ok": False, "error": error})]
    with caplog.at_level(logging.WARNING, logger="adapters.slack"):
        ref = await publisher(fake).publish(PLACE, await tally_with_chart(), None, "k")
    assert ref == "1700000000.000001"  # published: the core marks the tally done
    assert len(fake.of("chat.postMessage")) == 1 and fake.shared == []
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert said in warning.getMessage() and "text was sent alone" in warning.getMessage()


async def test_leaderboard_chart_is_shared_in_the_channel(rig: SlackRig) -> None:
    d = rig.driver
    await d.command_replies("quiz sample-ml medium 1", "UBOB")
    await d.command_replies(f"answer {rig.app.bank.by_id['sm-kfold'].answer}", "UBOB")
    key = await d.command("leaderboard chart", "UCY")
    board, _standing = await rig.fake.wait_for_key(key, 2)
    assert board.args["response_type"] == "in_channel"
    await rig.fake.wait_for(lambda: len(rig.fake.shared) == 1)
    [shared] = rig.fake.shared
    assert shared["channel"] == CHANNEL and shared["filename"] == "leaderboard.png"
    assert shared["alt_txt"].startswith("Leaderboard chart, users, week of ")
    assert shared["alt_txt"].endswith(": 1. Bobby 10.")  # Slack's display name, not the handle


async def test_a_private_stats_chart_goes_to_the_users_dm(rig: SlackRig) -> None:
    d = rig.driver
    [stats] = await d.command_replies("stats chart", "UBOB")
    assert stats.args["response_type"] == "ephemeral"
    await rig.fake.wait_for(lambda: len(rig.fake.shared) == 1)
    [opened] = rig.fake.of("conversations.open")
    assert opened.args["users"] == "UBOB"
    [shared] = rig.fake.shared
    assert shared["channel"] == "DUBOB" and shared["filename"] == "progress.png"
    # Bob's first request: drawn before users.info answered, under the payload's handle.
    assert shared["alt_txt"].startswith("Progress chart for bob over the last 12 weeks: 0 points")


async def test_the_chart_button_under_text_stats_draws_them(rig: SlackRig) -> None:
    d = rig.driver
    [stats] = await d.command_replies("stats", "UBOB")
    [chart] = [
        e
        for b in stats.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "studybot:chart"
    ]
    assert chart["text"]["text"] == "Chart" and "value" not in chart  # Bob's own stats
    replies = await d.click_replies("studybot:chart", "UBOB")
    assert replies[0].args["response_type"] == "ephemeral"
    await rig.fake.wait_for(lambda: len(rig.fake.shared) == 1)
    [shared] = rig.fake.shared
    assert shared["channel"] == "DUBOB" and shared["filename"] == "progress.png"
    # Someone else's stats: the button names them.
    [other] = await d.command_replies("stats Bobby", "UCY")
    [named] = [e for b in other.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert named["value"] == "Bobby"
    await d.click_replies("studybot:chart", "UCY", value="Bobby")
    await rig.fake.wait_for(lambda: len(rig.fake.shared) == 2)
    assert rig.fake.shared[1]["channel"] == "DUCY"
    assert rig.fake.shared[1]["alt_txt"].startswith("Progress chart for Bobby")
