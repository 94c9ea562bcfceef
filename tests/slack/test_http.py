"""The real AsyncApp over HTTP: signatures, /study, visibility, retries and App Home."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot import commands as c
from bot import messages as m
from bot.identity import Origin
from bot.intake import Interaction, Ticket
from bot.replies import Reply
from tests.slack.conftest import CHANNEL, SlackRig, row_counts, sign


def texts(calls: list[Any]) -> str:
    """Everything a user would read in the recorded messages (fallback text and blocks)."""
    return "\n".join(str(c.args.get("text", "")) + str(c.args.get("blocks", "")) for c in calls)


async def test_bad_signature_is_refused_before_anything_happens(rig: SlackRig) -> None:
    d = rig.driver
    before = await row_counts(rig.app)
    body, _ = d.command_body("quiz", "UBOB")
    status, _ = await d.post(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert status == 401
    forged = sign(body, int(time.time()), secret="not-the-secret")
    status, _ = await d.post(body, "application/x-www-form-urlencoded", signature=forged)
    assert status == 401
    assert rig.fake.calls == []
    assert await row_counts(rig.app) == before


async def test_stale_timestamp_is_refused(rig: SlackRig) -> None:
    d = rig.driver
    before = await row_counts(rig.app)
    body, _ = d.command_body("quiz", "UBOB")
    stale = int(time.time()) - 10 * 60  # Slack signatures are good for five minutes
    status, _ = await d.post(body, "application/x-www-form-urlencoded", timestamp=stale)
    assert status == 401
    assert rig.fake.calls == []
    assert await row_counts(rig.app) == before


async def test_study_alone_and_help_show_the_catalog_privately(rig: SlackRig) -> None:
    for text in ("", "help"):
        [reply] = await rig.driver.command_replies(text, "UBOB")
        assert reply.args["response_type"] == "ephemeral"
        shown = texts([reply])
        for name in ("quiz", "leaderboard", "config", "forgetme"):
            assert f"/study {name}" in shown
        assert reply.args["blocks"][0]["type"] == "header"


async def test_a_public_reply_goes_in_channel(rig: SlackRig) -> None:
    [reply] = await rig.driver.command_replies("leaderboard", "UBOB")
    assert reply.args["response_type"] == "in_channel"


async def test_bad_input_gets_one_private_error(rig: SlackRig) -> None:
    [reply] = await rig.driver.command_replies("quizz", "UBOB")
    assert reply.args["response_type"] == "ephemeral"
    assert "Did you mean `/study quiz`?" in reply.args["text"]


async def test_the_display_name_is_looked_up_after_the_first_request(rig: SlackRig) -> None:
    # The first request is answered at once under the payload's handle; users.info is asked
    # after it, once, and from then on the user is called what Slack shows.
    [first] = await rig.driver.command_replies("stats", "UCY")
    assert "Stats for cy:" in texts([first])
    [reply] = await rig.driver.command_replies("stats", "UCY")
    assert "Stats for Cyrus:" in texts([reply])
    assert [c.args["user"] for c in rig.fake.of("users.info")] == ["UCY"]


async def test_an_admin_command_looks_the_user_up_once(rig: SlackRig) -> None:
    await rig.driver.command_replies("config show", "UADMIN")
    await rig.driver.command_replies("team create Owls", "UADMIN")
    [lookup] = rig.fake.of("users.info")
    assert lookup.args["user"] == "UADMIN"
    assert lookup.auth == "Bearer xoxb-test-token"


async def test_unknown_user_falls_back_to_the_payload_name(rig: SlackRig) -> None:
    [reply] = await rig.driver.command_replies("stats", "UNEW")
    assert "Stats for unew" in texts([reply])


def home_event(user: str) -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user}",
        "tab": "home",
        "event_ts": "1700000000.000100",
    }


async def test_app_home_shows_stats_team_standing_and_leaderboard(rig: SlackRig) -> None:
    d = rig.driver
    await d.command_replies("team create Owls", "UADMIN")
    await d.command_replies("team join Owls", "UBOB")
    status, _ = await d.event(home_event("UBOB"), "Ev1")
    assert status == 200
    [published] = await rig.fake.wait_calls("views.publish")
    assert published.args["user_id"] == "UBOB"
    view = published.args["view"]
    assert view["type"] == "home"
    shown = str(view["blocks"])
    assert "Stats for Bobby" in shown and "Owls" in shown
    assert "No points yet" in shown  # the boards say so rather than staying blank
    assert len(view["blocks"]) <= 100


async def test_messages_tab_is_ignored(rig: SlackRig) -> None:
    d = rig.driver
    status, _ = await d.event({**home_event("UBOB"), "tab": "messages"}, "EvM")
    assert status == 200
    await d.event(home_event("UCY"), "EvH")
    [published] = await rig.fake.wait_calls("views.publish")
    assert published.args["user_id"] == "UCY"


async def test_a_retried_event_is_processed_once(rig: SlackRig) -> None:
    d = rig.driver
    assert (await d.event(home_event("UBOB"), "Ev42"))[0] == 200
    await rig.fake.wait_calls("views.publish", 1)
    # Slack thought the first delivery timed out and sends it again.
    assert (await d.event(home_event("UBOB"), "Ev42", retry=1))[0] == 200
    assert (await d.event(home_event("UBOB"), "Ev42", retry=2))[0] == 200
    # A fresh event afterwards is handled; by then the retries have long been decided.
    assert (await d.event(home_event("UCY"), "Ev43"))[0] == 200
    published = await rig.fake.wait_calls("views.publish", 2)
    await d.command_replies("help", "UBOB")  # one more round trip through the app
    assert [c.args["user_id"] for c in rig.fake.of("views.publish")] == ["UBOB", "UCY"]
    assert len(published) == 2


async def test_replies_never_ping(rig: SlackRig) -> None:
    d = rig.driver
    await d.command_replies("team create Owls", "UADMIN")
    await d.command_replies("team join Owls", "UEVE")
    [reply] = await d.command_replies("team list", "UEVE")
    shown = texts([reply])
    assert "eve &lt;!here&gt; &amp; &lt;@UADMIN&gt; *x*" in shown  # the display name, escaped
    assert "<!here>" not in shown and "<@" not in shown
    assert CHANNEL  # the channel id is only a place, never rendered


async def test_an_unreachable_response_url_falls_back_to_the_web_api(rig: SlackRig) -> None:
    d = rig.driver
    body, key = d.command_body("help", "UBOB")
    rig.fake.unreachable.add(key)  # the connection drops: no status code at all
    status, _ = await d.post(body, "application/x-www-form-urlencoded")
    assert status == 200
    [posted] = await rig.fake.wait_calls("chat.postEphemeral")
    assert (posted.args["channel"], posted.args["user"]) == (CHANNEL, "UBOB")
    assert "/study quiz" in texts([posted])


async def test_an_event_is_acknowledged_before_it_reaches_the_inbox(
    rig: SlackRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bolt acknowledges an event before its listener runs: the inbox write (which dedupes a
    # redelivered event) never delays the ack, whatever the database does.
    receive = rig.app.dispatcher.receive
    database_free = asyncio.Event()

    async def slow_receive(interaction: Interaction) -> Ticket:
        await database_free.wait()
        return await receive(interaction)

    monkeypatch.setattr(rig.app.dispatcher, "receive", slow_receive)
    async with asyncio.timeout(10):  # without the fix the ack waits for the claim: a hang
        status, _ = await rig.driver.event(home_event("UBOB"), "EvSlow")
    assert status == 200
    assert rig.fake.of("views.publish") == []
    database_free.set()
    [published] = await rig.fake.wait_calls("views.publish")
    assert published.args["user_id"] == "UBOB"


async def test_a_failing_leaderboard_is_told_to_the_asker_only(
    rig: SlackRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(ctx: object, cmd: c.ShowLeaderboard, origin: Origin) -> list[Reply]:
        raise RuntimeError("database went away")

    # A public command (the board is for the channel) whose reply is the core's error notice.
    monkeypatch.setitem(rig.app.dispatcher.handlers, c.ShowLeaderboard, broken)
    [reply] = await rig.driver.command_replies("leaderboard", "UBOB")
    assert reply.args["response_type"] == "ephemeral"
    assert m.INTERNAL_ERROR in reply.args["text"]
    assert rig.fake.of("chat.postMessage") == []  # nothing reached the channel
    monkeypatch.undo()
    [board] = await rig.driver.command_replies("leaderboard", "UBOB")
    assert board.args["response_type"] == "in_channel"
