"""`config channel` on Slack asks conversations.info whether the bot can post there first."""

from __future__ import annotations

import logging

import pytest

from adapters.slack.translate import access_of, enables_channel
from bot import messages as m
from bot.bootstrap import App
from bot.commandref import render_refs
from bot.identity import PostAccess
from tests.slack.conftest import CHANNEL, SlackRig
from tests.slack.fake_slack import TEAM, Failure


def on_slack(text: str) -> str:
    return render_refs(text, lambda line: f"/study {line}")


async def enabled(app: App) -> bool:
    channel = await app.stores.channels.get_channel(f"slack:{TEAM}", CHANNEL)
    return channel is not None and channel.enabled


async def config_channel(rig: SlackRig) -> str:
    """`/study config channel` by an admin; the text of its first reply."""
    [first, *_] = await rig.driver.command_replies("config channel", "UADMIN")
    return str(first.args["text"])


async def test_a_private_channel_the_bot_is_not_in_is_refused_with_the_invite(
    rig: SlackRig, app: App
) -> None:
    rig.fake.private = {CHANNEL}
    rig.fake.joined = set()
    text = await config_channel(rig)
    assert m.CONFIG_NOT_INVITED.split(":")[0] in text
    assert "`/invite @StudyBot`" in text and "`/study config channel`" in text
    assert [c.args["channel"] for c in rig.fake.of("conversations.info")] == [CHANNEL]
    assert not await enabled(app)  # nothing written: the admin fixes it and runs it again
    assert rig.fake.of("chat.postMessage") == []


async def test_a_private_channel_the_bot_is_in_is_enabled(rig: SlackRig, app: App) -> None:
    rig.fake.private = {CHANNEL}
    rig.fake.joined = {CHANNEL}
    text = await config_channel(rig)
    assert on_slack(m.CONFIG_ENABLED) in text
    assert await enabled(app)


async def test_a_public_channel_takes_posts_without_membership(rig: SlackRig, app: App) -> None:
    rig.fake.joined = set()  # chat:write.public posts the daily question anyway
    assert on_slack(m.CONFIG_ENABLED) in await config_channel(rig)
    assert await enabled(app)


async def test_an_unanswered_check_does_not_stand_in_the_way(
    rig: SlackRig, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    # An installation from before channels:read was asked for.
    refusal = {"ok": False, "error": "missing_scope", "needed": "channels:read"}
    rig.fake.failures["conversations.info"] = [Failure(200, body=refusal)]
    with caplog.at_level(logging.WARNING, logger="adapters.slack.app"):
        assert on_slack(m.CONFIG_ENABLED) in await config_channel(rig)
    assert await enabled(app)
    assert "missing_scope" in caplog.text


async def test_only_config_channel_asks(rig: SlackRig) -> None:
    await rig.driver.command_replies("config time 10:00", "UADMIN")
    await rig.driver.command_replies("topics", "UBOB")
    assert rig.fake.of("conversations.info") == []


def test_which_commands_enable_a_channel() -> None:
    assert enables_channel("config channel") and enables_channel("CONFIG channel")
    assert not enables_channel("config show") and not enables_channel("config chanel")


@pytest.mark.parametrize(
    ("info", "access"),
    [
        ({"is_channel": True, "is_private": False, "is_member": True}, PostAccess()),
        ({"is_channel": True, "is_private": False, "is_member": False}, PostAccess()),
        ({"is_group": True, "is_private": True, "is_member": True}, PostAccess()),
        ({"is_group": True, "is_private": True, "is_member": False}, PostAccess(invite=True)),
        ({"is_mpim": True, "is_private": True, "is_member": False}, PostAccess(invite=True)),
        ({"is_im": True, "is_private": True}, PostAccess()),
    ],
)
def test_access_from_conversations_info(info: dict[str, bool], access: PostAccess) -> None:
    assert access_of(info) == access


async def test_a_direct_message_between_people_is_refused_as_no_channel(
    rig: SlackRig, app: App
) -> None:
    # Ada runs it in her DM with Bob: the bot is in neither, and no invitation changes that.
    dm = "D0ADABOB"
    [first, *_] = await rig.driver.command_replies("config channel", "UADMIN", channel=dm)
    text = str(first.args["text"])
    assert on_slack(m.CONFIG_DIRECT_MESSAGE) in text
    assert "/invite" not in text
    # Told apart with conversations.open (im:write), not conversations.info (would need im:read).
    assert [c.args["users"] for c in rig.fake.of("conversations.open")] == ["UADMIN"]
    assert rig.fake.of("conversations.info") == []
    found = await app.stores.channels.get_channel(f"slack:{TEAM}", dm)
    assert found is None or not found.enabled


async def test_the_bots_own_direct_message_still_takes_the_daily_question(
    rig: SlackRig, app: App
) -> None:
    own = "DUADMIN"  # as conversations.open names the bot's DM with Ada
    [first, *_] = await rig.driver.command_replies("config channel", "UADMIN", channel=own)
    assert on_slack(m.CONFIG_ENABLED) in str(first.args["text"])
    found = await app.stores.channels.get_channel(f"slack:{TEAM}", own)
    assert found is not None and found.enabled
