"""A slow interview grader never holds up Discord's 3-second acknowledgement."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import discord

from adapters.discord.response import run_answer
from adapters.discord.translate import origin_of
from bot.bootstrap import App
from bot.commands import SubmitAnswer
from tests.slow_grader import SlowGrader

ANSWER = (
    "The expected error decomposition splits it into bias squared, variance and noise. "
    "Bias comes from wrong assumptions in a model that is too simple. "
    "Variance comes from sensitivity to the particular sample the model was trained on."
)


class StubInteraction:
    """The parts of a discord.Interaction that answering a modal uses, recording the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.guild_id, self.channel_id, self.id = 7, 8, 99
        self.application_id, self.token = 5, "interaction-token"  # the inbox keeps the route
        self.guild = None
        self.user = SimpleNamespace(id=42, display_name="Alice")
        self.permissions = SimpleNamespace(manage_guild=False)
        self.app_permissions = discord.Permissions.all()
        self.extras: dict[str, Any] = {}
        self.response = SimpleNamespace(defer=self._record("defer"), is_done=lambda: True)
        self.followup = SimpleNamespace(send=self._record("followup"))
        self.delete_original_response = self._record("delete")

    def _record(self, name: str) -> Any:
        async def call(**kwargs: Any) -> None:
            self.calls.append((name, kwargs))

        return call


async def test_the_modal_is_deferred_before_a_slow_grader_answers(app: App) -> None:
    interaction = StubInteraction()
    who = origin_of(interaction)  # type: ignore[arg-type]
    assert who is not None
    await app.dispatcher.handle_text("interview sample-stats 1", who)
    slow = SlowGrader()
    app.ctx.grader = slow
    task = asyncio.ensure_future(run_answer(app, interaction, SubmitAnswer(ANSWER)))  # type: ignore[arg-type]
    await slow.started.wait()
    # The grader is still working, and Discord already has its acknowledgement.
    assert interaction.calls == [("defer", {"ephemeral": True, "thinking": True})]
    slow.release.set()
    await task
    assert slow.finished
    sent = [kwargs for name, kwargs in interaction.calls if name == "followup"]
    assert sent and all(kwargs["ephemeral"] for kwargs in sent)
    text = " ".join(f"{k['embed'].title} {k['embed'].description}" for k in sent)
    assert "3/3 key points" in text
