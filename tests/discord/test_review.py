"""/review on a simulated Discord: the catalog's command serves a missed question a day later."""

from __future__ import annotations

import datetime as dt

from bot.bootstrap import App, ManualClock
from bot.questions import QuestionType
from tests.discord.conftest import World
from tests.discord.helpers import all_text, question_of, right_text, with_buttons


def wrong_text(app: App, message: object) -> str:
    question = question_of(app, message)  # type: ignore[arg-type]
    if question.type is QuestionType.MCQ:
        right = right_text(app, message)  # type: ignore[arg-type]
        return next(x for x in "ABC" if x != right)
    if question.type is QuestionType.TRUE_FALSE:
        return "false" if question.answer else "true"
    return "99" if question.type is QuestionType.NUMERIC else "nothing at all"


async def test_review_serves_a_miss_the_next_day(
    world: World, app: App, clock: ManualClock
) -> None:
    started = await world.alice.slash(world.channel, "quiz", topic="sample-ml", count=1)
    card = with_buttons(started)
    missed = question_of(app, card).id
    answered = await world.alice.slash(world.channel, "answer", text=wrong_text(app, card))
    assert "Quiz complete!" in all_text(answered)
    early = await world.alice.slash(world.channel, "review")
    assert "Nothing to review right now" in all_text(early) and early.ephemeral
    clock.advance(dt.timedelta(days=1))
    result = await world.alice.slash(world.channel, "review", topic="sample-ml", count=5)
    assert result.ephemeral and "Review: 1 of your 1 due card(s)" in all_text(result)
    shown = with_buttons(result)
    assert question_of(app, shown).id == missed
    done = await world.alice.slash(world.channel, "answer", text=right_text(app, shown))
    assert "Review done: 1 of 1 right." in all_text(done)
    assert world.channel.history(viewer=world.bob) == []  # private throughout
