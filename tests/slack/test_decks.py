"""Deck imports on Slack: a file shared in the DM (files.info, private URL) and the paste modal."""

from __future__ import annotations

import json
from typing import Any

from bot import messages as m
from tests.slack.conftest import SlackRig
from tests.slack.fake_slack import TEAM, Failure

CSV = (
    "type,difficulty,prompt,choices,answer,accept,tolerance,explanation\n"
    "true_false,easy,Our feature store is Feast.,,true,,,It is.\n"
    "mcq,easy,Which queue do we use?,Kafka|RabbitMQ|SQS,B,,,We moved in 2024.\n"
)
WORKSPACE = f"slack:{TEAM}"


def dm_event(user: str, text: str, file_id: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "channel": "D1",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": "1700000100.000100",
    }
    if file_id is not None:
        event.update(subtype="file_share", files=[{"id": file_id}])
    return event


async def deck_names(rig: SlackRig) -> list[str]:
    return [d.name for d in await rig.app.ctx.stores.decks.list_decks(WORKSPACE)]


async def test_a_file_shared_in_the_dm_is_imported(rig: SlackRig) -> None:
    rig.fake.files["F1"] = ("ours.csv", CSV.encode("utf-8"))
    status, _ = await rig.driver.event(dm_event("UADMIN", "deck import ours", "F1"), "EvD1")
    assert status == 200
    [reply] = await rig.fake.wait_calls_to("UADMIN")
    assert "Imported deck 'ours' (csv): 2 questions" in reply.args["text"]
    [download] = rig.fake.of("file_download")
    assert download.auth == "Bearer xoxb-test-token"
    assert await deck_names(rig) == ["ours"]
    # The deck is a topic of this workspace now.
    replies = await rig.driver.command_replies("topics", "UBOB")
    assert "ours" in str(replies[0].args)


async def test_dm_refusals_name_the_problem(rig: SlackRig) -> None:
    fake, d = rig.fake, rig.driver
    fake.files["F2"] = ("bad.csv", CSV.replace("B,,,", "Z,,,").encode("utf-8"))
    fake.files["F3"] = ("big.csv", b"x" * (1_048_576 + 1))
    await d.event(dm_event("UBOB", "deck import ours", "F2"), "EvD2")
    [refused] = await fake.wait_calls_to("UBOB")
    assert refused.args["text"] == "! " + m.NOT_ADMIN.format(what="import a deck")
    await d.event(dm_event("UADMIN", "deck import bad", "F2"), "EvD3")
    [rejected] = await fake.wait_calls_to("UADMIN")
    assert (
        "line 3: answer: 'Z' is neither a letter A-E nor one of the choices"
        in (rejected.args["text"])
    )
    await d.event(dm_event("UADMIN", "deck import big", "F3"), "EvD4")
    big = (await fake.wait_calls_to("UADMIN", 2))[-1]
    assert big.args["text"] == "! " + m.DECK_TOO_BIG.format(size=1_048_577, limit=1_048_576)
    await d.event(dm_event("UADMIN", "deck import gone", "F9"), "EvD5")
    gone = (await fake.wait_calls_to("UADMIN", 3))[-1]
    assert gone.args["text"] == "! " + m.SLACK_DECK_FETCH.format(reason="file_not_found")
    await d.event(dm_event("UCY", "hello there"), "EvD6")
    [hint] = await fake.wait_calls_to("UCY")
    assert hint.args["text"] == m.SLACK_DECK_DM_HINT
    assert await deck_names(rig) == []
    # A message the bot itself sent in the DM is never read back.
    await d.event({**dm_event("UADMIN", "deck import x"), "bot_id": "BBOT"}, "EvD7")
    await d.command_replies("help", "UBOB")  # one more round trip through the app
    assert len(fake.of("chat.postMessage")) == 5


async def test_the_paste_modal_round_trip(rig: SlackRig) -> None:
    fake, d = rig.fake, rig.driver
    key = await d.command("deck import pasted", "UADMIN")
    [opened] = await fake.wait_calls("views.open")
    view = opened.args["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    assert view["callback_id"] == "sb:deck"
    assert view["blocks"][0]["element"]["max_length"] == 3000
    empty = d.submission(view, "UADMIN", "")
    empty["view"]["state"] = {"values": {"deck": {"text": {"value": ""}}}}
    status, body = await d.interact(empty)
    assert status == 200 and json.loads(body)["errors"] == {"deck": m.SLACK_DECK_EMPTY}
    payload = d.submission(view, "UADMIN", "")
    payload["view"]["state"] = {"values": {"deck": {"text": {"value": CSV}}}}
    status, _ = await d.interact(payload)
    assert status == 200
    [reply] = await fake.wait_for_key(key)
    assert "Imported deck 'pasted' (csv): 2 questions" in reply.args["text"]
    assert await deck_names(rig) == ["pasted"]
    # A member gets the core's refusal, no modal.
    replies = await d.command_replies("deck import theirs", "UBOB")
    assert replies[0].args["text"] == "! " + m.NOT_ADMIN.format(what="import a deck")
    assert len(fake.of("views.open")) == 1


async def pasted(rig: SlackRig, name: str) -> None:
    """The admin imports CSV as `name` through the paste modal."""
    key = await rig.driver.command(f"deck import {name}", "UADMIN")
    [opened] = await rig.fake.wait_calls("views.open")
    view = opened.args["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    payload = rig.driver.submission(view, "UADMIN", "")
    payload["view"]["state"] = {"values": {"deck": {"text": {"value": CSV}}}}
    await rig.driver.interact(payload)
    [done] = await rig.fake.wait_for_key(key)
    assert f"Imported deck '{name}'" in done.args["text"]


async def test_deck_export_goes_to_the_admins_dm_as_a_file(rig: SlackRig) -> None:
    fake, d = rig.fake, rig.driver
    await pasted(rig, "ours")
    key = await d.command("deck export ours", "UADMIN")
    [reply] = await fake.wait_for_key(key)
    assert reply.args["response_type"] == "ephemeral"
    assert "Deck 'ours' exported in the native TOML format: 2 questions" in reply.args["text"]
    assert "Feast" not in reply.args["text"]  # the content is in the file
    await fake.wait_for(lambda: len(fake.shared) == 1)
    [shared] = fake.shared
    assert shared["channel"] == "DUADMIN" and shared["filename"] == "ours.toml"
    assert shared["data"].decode().startswith('[deck]\ntopic = "ours"')
    assert shared["alt_txt"].startswith("Deck 'ours'")


async def test_without_files_write_the_export_follows_as_text(rig: SlackRig) -> None:
    fake, d = rig.fake, rig.driver
    await pasted(rig, "ours")
    fake.failures["files.getUploadURLExternal"] = [
        Failure(200, body={"ok": False, "error": "missing_scope"})
    ]
    key = await d.command("deck export ours", "UADMIN")
    short, content = await fake.wait_for_key(key, 2)
    assert "Deck 'ours' exported" in short.args["text"]
    assert content.args["response_type"] == "ephemeral"
    assert "Our feature store is Feast." in content.args["text"]
    assert fake.shared == []
