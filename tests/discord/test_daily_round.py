"""A daily round end to end on a simulated Discord, and how the publisher degrades."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import discord
import pytest
from simcord import ChannelHandle

from adapters.discord.client import StudyBotClient
from adapters.discord.publisher import DiscordPublisher
from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.identity import Platform
from tests.discord.conftest import World
from tests.discord.helpers import answer_button, buttons, text_of, texts

REVEAL_AT = dt.time(17, 0)


async def configure(world: World) -> None:
    """The channel posts the fixture bank's one easy MCQ, with the default times (09-17 UTC)."""
    for sub, options in (
        ("config channel", {}),
        ("config topics", {"topics": "sample-stats"}),
        ("config difficulty", {"level": "easy"}),
    ):
        result = await world.admin.slash(world.channel, sub, **options)
        assert result.ephemeral


async def tick(app: App, clock: ManualClock, at: dt.time, publisher: DiscordPublisher) -> list[str]:
    clock.set(dt.datetime.combine(clock.now().date(), at, dt.UTC))
    results = await app.service.run_due(clock.now(), {Platform.DISCORD: publisher})
    return [r.status for r in results]


def reveal_in(channel: ChannelHandle) -> discord.Message:
    """The reveal message (a thread opened on the question may post a notice after it)."""
    [reveal] = [
        message
        for message in channel.history()
        if message.embeds and (message.embeds[0].title or "").startswith("Reveal")
    ]
    return reveal


def sends(world: World) -> list[dict[str, Any]]:
    """The bodies of messages the bot posted to channels (not interaction replies)."""
    return [
        dict(r.json or {})
        for r in world.env.http_requests
        if r.method == "POST" and r.path == f"/channels/{world.channel.id}/messages"
    ]


async def test_daily_round_end_to_end(
    world: World, app: App, clock: ManualClock, simcord_bot: StudyBotClient
) -> None:
    tricky = world.guild.add_member(
        world.env.create_user("cyril", global_name="Cy *the* @everyone")
    )
    await configure(world)
    publisher = DiscordPublisher(simcord_bot)
    assert await tick(app, clock, dt.time(9, 0), publisher) == ["published"]
    await world.env.settle()
    card = world.channel.last_message
    assert card is not None
    assert "Daily question · sample-stats · easy" in text_of(card)
    assert [b["label"][:2] for b in buttons(card)] == ["A.", "B.", "C.", "D."]

    for member, right in ((world.alice, True), (world.bob, False), (tricky, True)):
        result = await member.click(card, custom_id=answer_button(app, card, right=right))
        # Locked in privately: nobody learns from the channel who got it right.
        assert texts(result) == [m.DAILY_LOCKED.format(closes="17:00 UTC")]
        assert result.ephemeral

    assert await tick(app, clock, REVEAL_AT, publisher) == ["published"]
    await world.env.settle()
    reveal = reveal_in(world.channel)
    # Posted in reply to the question, and a discussion thread opened on the question.
    assert reveal.reference is not None and reveal.reference.message_id == card.id
    assert [t.id for t in world.channel.threads] == [card.id]
    [embed] = reveal.embeds
    fields = {f.name: f.value for f in embed.fields}
    assert embed.footer.text == "3 answered, 2 correct."
    assert re.search(r"^[A-D]\) Median: 2 \(67%\) ✓$", fields["Answers"] or "", re.M)
    # Names are shown, never pinged: escaped markdown, a defused @everyone, no mentions.
    assert fields["Right"] == "Alice, Cy \\*the\\* @\u200beveryone"
    assert fields["First correct"] == "Alice"
    assert reveal.mentions == [] and not reveal.mention_everyone
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
    channel = world.guild.create_text_channel(
        "no-threads", overwrites={me: discord.PermissionOverwrite(create_public_threads=False)}
    )
    world.channel = channel
    await configure(world)
    publisher = DiscordPublisher(simcord_bot)
    await tick(app, clock, dt.time(9, 0), publisher)
    await world.env.settle()
    card = channel.last_message
    assert card is not None
    await world.alice.click(card, custom_id=answer_button(app, card))
    with caplog.at_level(logging.INFO, logger="adapters.discord.publisher"):
        assert await tick(app, clock, REVEAL_AT, publisher) == ["published"]
    await world.env.settle()
    reveal = reveal_in(channel)
    assert reveal.reference is not None
    assert channel.threads == []
    assert any("Create Public Threads" in r.getMessage() for r in caplog.records)


async def test_reveal_when_the_question_is_gone(
    world: World,
    app: App,
    clock: ManualClock,
    simcord_bot: StudyBotClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await configure(world)
    publisher = DiscordPublisher(simcord_bot)
    await tick(app, clock, dt.time(9, 0), publisher)
    await world.env.settle()
    card = world.channel.last_message
    assert card is not None
    await world.alice.click(card, custom_id=answer_button(app, card))
    await card.delete()  # a moderator tidies the channel
    await world.env.settle()
    with caplog.at_level(logging.INFO, logger="adapters.discord.publisher"):
        assert await tick(app, clock, REVEAL_AT, publisher) == ["published"]
    await world.env.settle()
    reveal = reveal_in(world.channel)
    assert "1 answered, 1 correct." in text_of(reveal)
    assert world.channel.threads == []
    assert any("is gone" in r.getMessage() for r in caplog.records)


async def test_reveal_when_the_bot_cannot_reply_falls_back_to_a_plain_post(
    world: World,
    app: App,
    clock: ManualClock,
    simcord_bot: StudyBotClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await configure(world)
    publisher = DiscordPublisher(simcord_bot)
    await tick(app, clock, dt.time(9, 0), publisher)
    await world.env.settle()
    # Discord refuses the reply once (as without Read Message History); the reveal still posts.
    world.env.inject_error(
        "POST",
        f"/channels/{world.channel.id}/messages",
        status=403,
        code=50013,
        message="Missing Permissions",
    )
    with caplog.at_level(logging.WARNING, logger="adapters.discord.publisher"):
        assert await tick(app, clock, REVEAL_AT, publisher) == ["published"]
    await world.env.settle()
    reveal = reveal_in(world.channel)
    assert reveal.reference is None
    assert "0 answered, 0 correct." in text_of(reveal)
    assert any("posting the reveal unthreaded" in r.getMessage() for r in caplog.records)
