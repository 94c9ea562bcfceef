"""Question cards and answer labels: how a question looks in a given shuffled order."""

from __future__ import annotations

import zoneinfo
from typing import Any

from bot import messages as m
from bot.questions import Check, Question, QuestionType, letter
from bot.records import RoundRecord
from bot.replies import Option, QuestionCard
from bot.usecases.context import UserError


def display_order(question: Question, order: tuple[int, ...]) -> tuple[int, ...]:
    if question.type is QuestionType.MCQ:
        return order if len(order) == len(question.choices) else tuple(range(len(question.choices)))
    return ()


def options_for(question: Question, order: tuple[int, ...]) -> tuple[Option, ...]:
    if question.type is QuestionType.MCQ:
        shown = display_order(question, order)
        return tuple(
            Option(letter(pos), question.choices[idx], idx) for pos, idx in enumerate(shown)
        )
    if question.type is QuestionType.TRUE_FALSE:
        return (Option("T", "True", 1), Option("F", "False", 0))
    return ()


def card_for(question: Question, order: tuple[int, ...], **context: Any) -> QuestionCard:
    """A question card; `context` says whether it belongs to a quiz or a daily round."""
    q = question
    return QuestionCard(
        q.id, q.topic, q.difficulty, q.type, q.prompt, options_for(q, order), **context
    )


def answer_label(question: Question, order: tuple[int, ...]) -> str:
    """The correct answer as shown to this user (MCQ letters follow the shuffled order)."""
    if question.type is QuestionType.MCQ:
        assert isinstance(question.answer, int)
        shown = display_order(question, order)
        return f"{letter(shown.index(question.answer))}. {question.choices[question.answer]}"
    return question.answer_text()


def closes_label(rnd: RoundRecord, zone: str) -> str:
    return rnd.closes_at.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%H:%M %Z")


def chosen(question: Question, order: tuple[int, ...], text: str, choice: int | None) -> str:
    """A button names the original option index; grade it as the letter the user saw."""
    if choice is None:
        return text
    shown = order or tuple(range(len(question.choices)))
    if question.type is not QuestionType.MCQ or choice not in shown:
        raise UserError(m.BUTTON_STALE)
    return letter(shown.index(choice))


def invalid(question: Question, check: Check) -> UserError:
    """The refusal for an answer of the wrong shape (nothing is recorded)."""
    text = m.INVALID_ANSWER.get(check.problem, m.INVALID_ANSWER["empty"])
    letters = ", ".join(letter(i) for i in range(len(question.choices)))
    return UserError(text.format(letters=letters))
