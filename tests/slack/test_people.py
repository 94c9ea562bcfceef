"""A person named in a command on Slack: a mention is who was picked, a typed name is looked up."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.translate import typed
from bot import messages as m
from tests.slack.conftest import SlackRig
from tests.slack.test_names import score


def said(rig: SlackRig, replies: list[Any]) -> str:
    return "\n".join(str(r.args.get("text", "")) for r in replies)


async def stats_of(rig: SlackRig, typed_text: str, asker: str = "UCY") -> str:
    """`/study stats ...` typed by `asker`, sent as Slack sends it (per should_escape)."""
    text = rig.fake.command_text(f"stats {typed_text}")
    return said(rig, await rig.driver.command_replies(text, asker))


async def test_a_mention_finds_the_person_picked(rig: SlackRig) -> None:
    await score(rig, "UBOB")
    assert rig.fake.command_text("stats @bob") == "stats <@UBOB|bob>"  # as Slack escapes it
    assert "Stats for Bobby:" in await stats_of(rig, "@bob")


async def test_a_mention_finds_the_person_after_a_rename(rig: SlackRig) -> None:
    # Stored as Bobby; a mention names the account, whatever it is called now.
    await score(rig, "UBOB")
    rig.fake.users["UBOB"]["name"] = "rob"
    assert "Stats for Bobby:" in await stats_of(rig, "@rob")


@pytest.mark.parametrize(
    ("wire", "meant"),
    [
        ("stats <@UBOB|bob>", "stats UBOB"),
        ("stats <@UBOB>", "stats UBOB"),
        ("answer see <#C1|general>", "answer see #general"),
        ("answer <#C1>", "answer #C1"),
        ("answer <!here> <!subteam^S1|@ml-team>", "answer @here @ml-team"),
        ("answer <https://x.io/a?b=1&amp;c=2>", "answer https://x.io/a?b=1&c=2"),
        ("answer <http://x.io|x.io> <mailto:a@b.io|a@b.io>", "answer x.io a@b.io"),
        ("answer p &lt; 0.05 &amp;&amp; q &gt; 1", "answer p < 0.05 && q > 1"),
        ("answer &amp;lt;", "answer &lt;"),
    ],
)
def test_control_sequences_become_what_the_person_typed(wire: str, meant: str) -> None:
    assert typed(wire) == meant


async def test_a_typed_display_name_still_finds_the_person(rig: SlackRig) -> None:
    await score(rig, "UBOB")
    assert "Stats for Bobby:" in await stats_of(rig, "bobby")


async def test_someone_mentioned_who_never_played_is_told_so(rig: SlackRig) -> None:
    text = await stats_of(rig, "@olu")
    assert m.STATS_UNKNOWN_USER.split("'")[0] in text, text


@pytest.mark.parametrize("name", ["bob", "BOB", "Robert Brown", "robert brown"])
async def test_a_typed_handle_or_real_name_finds_the_person(rig: SlackRig, name: str) -> None:
    await score(rig, "UBOB")  # the warm-up tells the core Bob's handle and real name
    assert "Stats for Bobby:" in await stats_of(rig, name)


async def test_without_escaping_a_mention_arrives_as_the_handle_and_still_finds(
    rig: SlackRig,
) -> None:
    # An installation from the old manifest (should_escape: false): `@bob` comes as typed.
    rig.fake.should_escape = False
    await score(rig, "UBOB")
    assert rig.fake.command_text("stats @bob") == "stats @bob"
    assert "Stats for Bobby:" in await stats_of(rig, "@bob")


async def test_a_name_two_people_share_is_refused_with_both(rig: SlackRig) -> None:
    rig.fake.users["UCY"]["profile"]["display_name"] = "Bobby"
    await score(rig, "UBOB")  # 5 points
    await rig.driver.command_replies("stats", "UCY")  # none
    text = await stats_of(rig, "bobby", asker="UOWNER")
    assert "More than one person here goes by 'bobby': Bobby, Bobby." in text, text
    # A mention is who was picked, and a name only one of them goes by finds that one.
    assert "Stats for Bobby: 5 points" in await stats_of(rig, "@bob", asker="UOWNER")
    assert "Stats for Bobby: 0 points" in await stats_of(rig, "@cy", asker="UOWNER")
    assert "Stats for Bobby: 0 points" in await stats_of(rig, "cy", asker="UOWNER")
