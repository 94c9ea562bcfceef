"""Question cards and answer labels: how a question looks in a given shuffled order."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any

from bot import messages as m
from bot.questions import Check, Question, QuestionType, letter
from bot.records import QuizRecord, RoundRecord
from bot.replies import Flashcard, Notice, Option, QuestionCard, Reply
from bot.usecases.context import Context, UserError


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


def current_question(ctx: Context, quiz: QuizRecord) -> list[Reply]:
    """What a running quiz or interview shows for its current question, as when it was
    asked: the card with the same shuffled options and ids (so its buttons still answer), or
    for a flashcard waiting for its self-rating, the model answer and the rating prompt.
    Empty when the question left the bank since (the next answer skips it)."""
    qid = quiz.current
    question = ctx.question(qid) if qid is not None else None
    if question is None:
        return []
    if quiz.awaiting_rating:
        return [
            Flashcard(question.id, quiz.id, question.model_answer, question.key_points),
            Notice(m.OPEN_RATE),
        ]
    return [_session_card(question, quiz)]


def session_card(ctx: Context, quiz: QuizRecord) -> QuestionCard:
    """The card of a session's current question (quiz, review or interview), which must
    still be in the bank: a session just started, or checked by `current_question`."""
    qid = quiz.current
    question = ctx.question(qid) if qid is not None else None
    assert question is not None, qid
    return _session_card(question, quiz)


def _session_card(question: Question, quiz: QuizRecord) -> QuestionCard:
    # The same shuffled options and ids as when it was first asked, so its buttons answer.
    interview = quiz.kind == "interview"
    order = quiz.orders[quiz.position] if quiz.position < len(quiz.orders) else ()
    return card_for(
        question,
        () if interview else order,
        quiz_id=quiz.id,
        position=quiz.position + 1,
        total=len(quiz.question_ids),
        interview=interview,
    )


def reshow_running(ctx: Context, quiz: QuizRecord, not_started: str | None) -> list[Reply]:
    """`quiz` or `interview` while one runs: its current question again (a card lost on a
    reload comes back with working buttons) and how to end it; `not_started` names the new
    quiz or interview the command asked for, which was not started."""
    lead = running_text(m.RUNNING_RESHOWN, quiz)
    if not_started:
        lead += " " + m.NOT_STARTED.format(kind=not_started)
    shown = current_question(ctx, quiz)
    if not shown:  # its question left the bank; the next answer skips it
        raise UserError(
            m.QUIZ_ALREADY.format(position=quiz.position + 1, total=len(quiz.question_ids))
        )
    return [Notice(lead), *shown]


def running_text(template: str, quiz: QuizRecord) -> str:
    """`template` filled in for a running quiz or interview: its kind, place and stop command."""
    kind = quiz.kind if quiz.kind in m.STOP_REF else "quiz"
    return template.format(
        kind=kind,
        position=quiz.position + 1,
        total=len(quiz.question_ids),
        stop=m.STOP_REF[kind],
    )


def answer_label(question: Question, order: tuple[int, ...]) -> str:
    """The correct answer as shown to this user (MCQ letters follow the shuffled order)."""
    if question.type is QuestionType.MCQ:
        assert isinstance(question.answer, int)
        shown = display_order(question, order)
        return f"{letter(shown.index(question.answer))}. {question.choices[question.answer]}"
    return question.answer_text()


def closes_label(rnd: RoundRecord, zone: str) -> str:
    return _wall_clock(rnd.closes_at, zone)


@functools.lru_cache(maxsize=1024)
def _wall_clock(at: dt.datetime, zone: str) -> str:
    # Every answer to a round repeats its closing time; a burst asks for the same few labels.
    return at.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%H:%M %Z")


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
