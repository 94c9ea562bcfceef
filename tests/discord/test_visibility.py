"""Errors follow the visibility of the request: a public command's failure is private."""

from __future__ import annotations

from typing import Any

import pytest

from bot import commands as c
from bot import messages as m
from bot.bootstrap import App
from bot.identity import Origin
from bot.intake import Interaction, Ticket
from bot.replies import Notice, Reply, Tone
from tests.discord.conftest import World
from tests.discord.helpers import all_text, answer_button, sent, text_of, texts, with_buttons


def seen_by(world: World, viewer: Any) -> str:
    return "\n".join(
        (msg.content or "") + "".join(e.description or "" for e in msg.embeds)
        for msg in world.channel.history(viewer=viewer)
    )


async def test_a_failing_leaderboard_is_told_to_the_asker_only(
    world: World, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(ctx: Any, cmd: c.ShowLeaderboard, origin: Origin) -> list[Reply]:
        raise RuntimeError("database went away")

    # The dispatcher turns the failure into the core's private error notice.
    monkeypatch.setitem(app.dispatcher.handlers, c.ShowLeaderboard, broken)
    result = await world.alice.slash(world.channel, "leaderboard")
    assert texts(result) == [m.INTERNAL_ERROR]
    assert all(message.ephemeral for message in sent(result))
    # Nobody else sees anything: no error, and no leftover "thinking" message.
    assert seen_by(world, world.bob) == ""
    assert m.INTERNAL_ERROR in seen_by(world, world.alice)


async def test_a_refused_public_command_is_private(
    world: World, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(ctx: Any, cmd: c.ShowLeaderboard, origin: Origin) -> list[Reply]:
        return [Notice("Not here.", Tone.ERROR)]

    monkeypatch.setitem(app.dispatcher.handlers, c.ShowLeaderboard, refuse)
    result = await world.alice.slash(world.channel, "leaderboard", scope="teams")
    assert texts(result) == ["Not here."] and all(x.ephemeral for x in sent(result))
    assert seen_by(world, world.bob) == ""


async def test_a_crash_after_a_public_deferral_is_reported_privately(
    world: World, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(ticket: Ticket, interaction: Interaction) -> list[Reply]:
        raise RuntimeError("bug")

    monkeypatch.setattr(app.dispatcher, "process", crash)
    result = await world.alice.slash(world.channel, "leaderboard")
    [error] = world.env.errors  # reached the tree's error handler (and is acknowledged here)
    assert "bug" in str(error.__cause__)
    assert texts(result) == [m.INTERNAL_ERROR]
    assert all(message.ephemeral for message in sent(result))
    assert seen_by(world, world.bob) == ""


async def test_a_working_leaderboard_stays_public(world: World) -> None:
    result = await world.alice.slash(world.channel, "leaderboard")
    assert not result.ephemeral and "No points yet" in all_text(result)
    assert "No points yet" in seen_by(world, world.bob)


async def test_a_public_board_marks_nobody_and_the_asker_learns_their_standing_privately(
    world: World, app: App
) -> None:
    for player in (world.alice, world.bob):
        started = await player.slash(
            world.channel, "quiz", topic="sample-ml", difficulty="hard", count=1
        )
        card = with_buttons(started)
        await player.click(card, custom_id=answer_button(app, card))
    result = await world.alice.slash(world.channel, "leaderboard")
    board, standing = sent(result)
    assert not board.ephemeral and standing.ephemeral
    standing_text = m.BOARD_STANDING.format(rank=1, points=15, correct=1)
    assert text_of(standing) == standing_text
    # The channel as Bob sees it: the board, with no row marked and nobody's standing.
    [public] = [
        text_of(msg)
        for msg in world.channel.history(viewer=world.bob)
        if any((e.title or "").startswith("Leaderboard") for e in msg.embeds)
    ]
    assert "1. Alice · 15 pts (1 correct)" in public and "2. Bob · 15 pts (1 correct)" in public
    assert "**" not in public and "◀" not in public and "You" not in public
    assert standing_text not in seen_by(world, world.bob)
    assert standing_text in seen_by(world, world.alice)
