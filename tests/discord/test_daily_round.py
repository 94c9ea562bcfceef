"""A daily round end to end on a simulated Discord, and how the publisher degrades."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
import pytest
from simcord import ChannelHandle

from adapters.discord.client import StudyBotClient
from bot import messages as m
from bot.bootstrap import App, ManualClock
from tests.discord.conftest import World
from tests.discord.helpers import (
    REVEAL_AT,
    answer_button,
    buttons,
    post_daily,
    text_of,
    texts,
    tick,
)

PUBLISHER_LOG = "adapters.discord.publisher"


async def reveal(
    world: World,
    app: App,
    clock: ManualClock,
    client: StudyBotClient,
    caplog: pytest.LogCaptureFixture,
) -> tuple[discord.Message, str]:
    """The scheduler's run at close time: the reveal it posted, and what the publisher
    logged meanwhile (INFO and up)."""
    with caplog.at_level(logging.INFO, logger=PUBLISHER_LOG):
        assert [r.status for r in await tick(app, clock, REVEAL_AT, client)] == ["published"]
    await world.env.settle()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == PUBLISHER_LOG)
    return reveal_in(world.channel), logged


def reveal_in(channel: ChannelHandle) -> discord.Message:
    """The reveal message (a thread opened on the question may post a notice after it)."""
    [found] = [
        message
        for message in channel.history()
        if message.embeds and (message.embeds[0].title or "").startswith("Reveal")
    ]
    return found


def sends(world: World) -> list[dict[str, Any]]:
    """The bodies of messages the bot posted to channels (not interaction replies)."""
    return [
        dict(r.json or {})
        for r in world.env.http_requests
        if r.method == "POST" and r.path == f"/channels/{world.channel.id}/messages"
    ]


async def test_daily_round_end_to_end(
    world: World,
    app: App,
    clock: ManualClock,
    simcord_bot: StudyBotClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tricky = world.guild.add_member(
        world.env.create_user("cyril", global_name="Cy *the* @everyone")
    )
    card = await post_daily(world, app, clock, simcord_bot)
    assert "Daily question · sample-stats · easy" in text_of(card)
    assert [b["label"][:2] for b in buttons(card)] == ["A.", "B.", "C.", "D."]

    for member, right in ((world.alice, True), (world.bob, False), (tricky, True)):
        result = await member.click(card, custom_id=answer_button(app, card, right=right))
        # Locked in privately: nobody learns from the channel who got it right.
        assert texts(result) == [m.DAILY_LOCKED.format(closes="17:00 UTC")]
        assert result.ephemeral

    revealed, _ = await reveal(world, app, clock, simcord_bot, caplog)
    # Posted in reply to the question, and a discussion thread opened on the question.
    assert revealed.reference is not None and revealed.reference.message_id == card.id
    assert [t.id for t in world.channel.threads] == [card.id]
    [embed] = revealed.embeds
    fields = {f.name: f.value for f in embed.fields}
    # The counts, then the reference a retry uses to find this message in the history.
    assert re.fullmatch(
        r"Round \d+: 3 answered, 2 correct\. · ref [0-9a-f]{12}", embed.footer.text or ""
    )
    assert re.search(r"^[A-D]\) Median: 2 \(67%\) ✓$", fields["Answers"] or "", re.M)
    # Names are shown, never pinged: escaped markdown, a defused @everyone, no mentions.
    assert fields["Right"] == "Alice, Cy \\*the\\* \\@everyone"
    assert fields["First correct"] == "Alice"
    assert revealed.mentions == [] and not revealed.mention_everyone
    assert all(body["allowed_mentions"]["parse"] == [] for body in sends(world))
    reference = sends(world)[-1]["message_reference"]
    assert reference == {
        "type": 0,  # a reply
        "message_id": card.id,
        "channel_id": world.channel.id,
        "fail_if_not_exists": False,
    }


async def test_reveal_without_thread_permission_still_posts(
    world: World,
    app: App,
    clock: ManualClock,
    simcord_bot: StudyBotClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    me = world.guild.me
    assert me is not None
    world.channel = world.guild.create_text_channel(
        "no-threads", overwrites={me: discord.PermissionOverwrite(create_public_threads=False)}
    )
    # `config channel` refuses such a channel now; this is one that lost the permission later.
    card = await post_daily(world, app, clock, simcord_bot, checked=False)
    await world.alice.click(card, custom_id=answer_button(app, card))
    revealed, logged = await reveal(world, app, clock, simcord_bot, caplog)
    assert revealed.reference is not None
    assert world.channel.threads == []
    assert "Create Public Threads" in logged


async def test_reveal_when_the_question_is_gone(
    world: World,
    app: App,
    clock: ManualClock,
    simcord_bot: StudyBotClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    card = await post_daily(world, app, clock, simcord_bot)
    await world.alice.click(card, custom_id=answer_button(app, card))
    await card.delete()  # a moderator tidies the channel
    await world.env.settle()
    revealed, logged = await reveal(world, app, clock, simcord_bot, caplog)
    assert "1 answered, 1 correct." in text_of(revealed)
    assert world.channel.threads == []
    assert "is gone" in logged


async def test_reveal_when_the_bot_cannot_reply_falls_back_to_a_plain_post(
    world: World,
    app: App,
    clock: ManualClock,
    simcord_bot: StudyBotClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await post_daily(world, app, clock, simcord_bot)
    # Discord refuses the reply once (as without Read Message History); the reveal still posts.
    world.env.inject_error(
        "POST",
        f"/channels/{world.channel.id}/messages",
        status=403,
        code=50013,
        message="Missing Permissions",
    )
    revealed, logged = await reveal(world, app, clock, simcord_bot, caplog)
    assert revealed.reference is None
    assert "nobody answered this one." in text_of(revealed)
    assert "posting the reveal unthreaded" in logged
