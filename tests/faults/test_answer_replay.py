"""An answer stored and then cut off before its reply (`answer.written`): the same delivery
run again, by a redelivery or by the inbox's replay, gets the reply it would have got."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import faults
from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.commands import SubmitAnswer
from bot.identity import Platform
from bot.intake import Interaction
from bot.replies import AnswerFeedback, Notice, QuestionCard, QuizSummary, Reply, Tone
from bot.usecases.daily import close_daily_round
from tests.conftest import origin
from tests.faults.day import open_round
from tests.helpers import inbox_rows, say, via_inbox
from tests.test_inbox import Recorder

BOB = origin("Bob")
LOCKED = m.DAILY_LOCKED.split("{")[0]


class Killed(BaseException):
    """Stands for SIGKILL in this process: nothing after the fault point runs, not even the
    inbox's record of the outcome (the row stays unfinished, as a dead process leaves it)."""


def die() -> None:
    raise Killed


@pytest.fixture(autouse=True)
def _disarmed() -> Iterator[None]:
    yield
    faults.disarm()


def texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Notice)]


async def start_quiz(app: App) -> QuestionCard:
    [card] = await say(app, BOB, "quiz sample-stats 1 easy")  # the median MCQ alone
    assert isinstance(card, QuestionCard) and card.quiz_id is not None
    return card


def quiz_click(app: App, card: QuestionCard, choice: int | None = None, key: str = "") -> object:
    right = app.bank.by_id[card.question_id].answer
    return SubmitAnswer(
        "",
        quiz_id=card.quiz_id,
        question_id=card.question_id,
        choice=right if choice is None else choice,
        delivery_id=key or None,
    )


async def quiz_points(app: App, quiz_id: int) -> tuple[int, int]:
    tally = await app.stores.quizzes.quiz_tally(quiz_id)
    return tally.answered, tally.points


async def test_a_quiz_answer_retried_after_the_write_gets_its_feedback(app: App) -> None:
    card = await start_quiz(app)
    assert card.quiz_id is not None
    faults.arm("answer.written")
    failed = await via_inbox(app, BOB, quiz_click(app, card), "click-1")  # type: ignore[arg-type]
    assert texts(failed) == [m.INTERNAL_ERROR]
    answered, points = await quiz_points(app, card.quiz_id)
    assert answered == 1 and points > 0  # stored, with its points
    # The redelivery of that click: the feedback it would have got, then where the quiz is.
    again = await via_inbox(app, BOB, quiz_click(app, card), "click-1")  # type: ignore[arg-type]
    feedback, summary = again
    assert isinstance(feedback, AnswerFeedback) and feedback.correct
    assert feedback.points == points and feedback.note == ""
    assert isinstance(summary, QuizSummary) and (summary.answered, summary.correct) == (1, 1)
    # A second click on the same button: the same again, never "already answered".
    assert await via_inbox(app, BOB, quiz_click(app, card), "click-2") == again  # type: ignore[arg-type]
    # A different answer to the question is a stale button, as before.
    wrong = next(i for i in range(len(card.options)) if i != feedback_choice(app, card))
    stale = await via_inbox(app, BOB, quiz_click(app, card, wrong), "click-3")  # type: ignore[arg-type]
    assert stale == [Notice(m.QUIZ_STALE, Tone.ERROR)]
    assert await quiz_points(app, card.quiz_id) == (1, points)  # nothing counted twice
    assert [r.state for r in await inbox_rows(app)] == ["done", "done", "done"]


def feedback_choice(app: App, card: QuestionCard) -> int:
    answer = app.bank.by_id[card.question_id].answer
    assert isinstance(answer, int)
    return answer


async def test_a_quiz_answer_replayed_after_a_kill_gets_its_feedback_late(
    app: App, clock: ManualClock
) -> None:
    card = await start_quiz(app)
    assert card.quiz_id is not None
    faults.arm("answer.written", die)
    click = Interaction("click-1", BOB, quiz_click(app, card), route="r")  # type: ignore[arg-type]
    ticket = await app.dispatcher.receive(click)
    with pytest.raises(Killed):
        await app.dispatcher.process(ticket, click)
    [row] = await inbox_rows(app)
    assert row.state == "received"  # acknowledged, never answered
    clock.advance(app.ctx.inbox_lease)
    recorder = Recorder()
    assert await app.dispatcher.replay({Platform.CONSOLE: recorder}) == 1
    [(route, user, replies)] = recorder.sent
    assert (route, user) == ("r", "bob")
    feedback, summary = replies
    assert isinstance(feedback, AnswerFeedback) and feedback.correct and feedback.points > 0
    assert isinstance(summary, QuizSummary)
    assert await quiz_points(app, card.quiz_id) == (1, feedback.points)


@pytest.mark.parametrize("clicked", [True, False], ids=["click", "typed"])
async def test_a_daily_answer_replayed_after_the_close_is_confirmed(
    app: App, clock: ManualClock, clicked: bool
) -> None:
    round_id, typed = await open_round(app, clock)
    answer: SubmitAnswer | str = (
        SubmitAnswer("", round_id=round_id, choice=1, delivery_id="click-1")
        if clicked
        else f"answer {typed}"
    )
    if clicked:  # a click is one write with its row unless the general path must run it
        app.dispatcher.planners.clear()
    faults.arm("answer.written", die)
    sent = Interaction("click-1", BOB, answer, route="r")
    ticket = await app.dispatcher.receive(sent)
    with pytest.raises(Killed):
        await app.dispatcher.process(ticket, sent)
    rnd = await app.stores.rounds.get_round(round_id)
    assert rnd is not None
    # The round closes before anyone replays the row: the answer was in before, and scores.
    assert (await close_daily_round(app.ctx, round_id, rnd.closes_at)) is not None
    clock.set(rnd.closes_at + app.ctx.inbox_lease)
    recorder = Recorder()
    assert await app.dispatcher.replay({Platform.CONSOLE: recorder}) == 1
    [(_, _, replies)] = recorder.sent
    # Confirmed, not refused as "closed", and without promising a reveal that is over.
    assert texts(replies) == [m.DAILY_LOCKED_BEFORE_CLOSE.format(given=typed)]
    [bob] = await app.stores.answers.round_answers(round_id)
    assert bob.correct and bob.points > 0


async def test_a_daily_click_committed_with_its_row_is_confirmed_after_the_close(
    app: App, clock: ManualClock
) -> None:
    # A click is one write with its row and reply: a redelivery after the close (a reply
    # lost on its way, the user's client retrying) shows that reply, never "closed".
    round_id, _ = await open_round(app, clock)
    click = SubmitAnswer("", round_id=round_id, choice=1, delivery_id="click-1")
    first = await via_inbox(app, BOB, click, "click-1")
    assert len(texts(first)) == 1 and texts(first)[0].startswith(LOCKED)
    rnd = await app.stores.rounds.get_round(round_id)
    assert rnd is not None
    assert (await close_daily_round(app.ctx, round_id, rnd.closes_at)) is not None
    clock.set(rnd.closes_at + app.ctx.inbox_lease)
    assert await app.dispatcher.replay({Platform.CONSOLE: Recorder()}) == 0  # nothing open
    assert texts(await via_inbox(app, BOB, click, "click-1")) == texts(first)
    [bob] = await app.stores.answers.round_answers(round_id)
    assert bob.correct and bob.points > 0


@pytest.mark.parametrize("point", ["answer.written", "inbox.uncommitted"])
async def test_a_different_second_daily_answer_is_still_refused(
    app: App, clock: ManualClock, point: str
) -> None:
    round_id, typed = await open_round(app, clock)
    if point == "answer.written":  # reached on the general path only
        app.dispatcher.planners.clear()
    faults.arm(point)
    first = SubmitAnswer("", round_id=round_id, choice=1, delivery_id="click-1")
    assert texts(await via_inbox(app, BOB, first, "click-1")) == [m.INTERNAL_ERROR]
    if point == "inbox.uncommitted":  # failed before its commit: nothing of it is left
        assert await inbox_rows(app) == []
        assert await app.stores.answers.round_answers(round_id) == []
    again = await via_inbox(app, BOB, first, "click-1")  # the redelivery: confirmed
    assert len(texts(again)) == 1 and texts(again)[0].startswith(LOCKED)
    other = SubmitAnswer("", round_id=round_id, choice=0, delivery_id="click-2")
    [refusal] = await via_inbox(app, BOB, other, "click-2")
    assert isinstance(refusal, Notice) and refusal.tone is Tone.ERROR
    assert refusal.text.startswith(m.DAILY_ALREADY.split("{")[0])
    assert typed in refusal.text  # it names the answer that stands
    assert len(await app.stores.answers.round_answers(round_id)) == 1


async def two_question_quiz_opening_with_the_mcq(app: App) -> QuestionCard:
    for _ in range(40):  # the order is drawn at random; the deck has one MCQ
        card = (await say(app, BOB, "quiz sample-stats 2"))[-1]
        assert isinstance(card, QuestionCard) and card.quiz_id is not None
        if app.bank.by_id[card.question_id].type.value == "mcq":
            return card
        await say(app, BOB, "quiz stop")
    raise AssertionError("no quiz opened with the MCQ")


@pytest.mark.parametrize("line", ["answer {letter}", "{letter}"], ids=["command", "bare"])
async def test_a_typed_quiz_answer_replayed_after_the_quiz_moved_on_keeps_its_question(
    app: App, clock: ManualClock, line: str
) -> None:
    # A typed answer names no question: the inbox keeps it pinned to the one waiting when it
    # arrived, so its replay never grades the next question with the same letter.
    card = await two_question_quiz_opening_with_the_mcq(app)
    letter = next(o.label for o in card.options if o.index == feedback_choice(app, card))
    faults.arm("answer.written", die)
    sent = Interaction("typed-1", BOB, line.format(letter=letter), route="r")
    ticket = await app.dispatcher.receive(sent)
    with pytest.raises(Killed):
        await app.dispatcher.process(ticket, sent)
    faults.disarm()
    quiz = await app.stores.quizzes.active_quiz(1)
    assert quiz is not None and quiz.current != card.question_id  # moved on to question 2
    clock.advance(app.ctx.inbox_lease)
    recorder = Recorder()
    assert await app.dispatcher.replay({Platform.CONSOLE: recorder}) == 1
    [(_, _, replies)] = recorder.sent
    feedback = next(r for r in replies if isinstance(r, AnswerFeedback))
    assert feedback.correct and feedback.question_id == card.question_id
    answered, _ = await quiz_points(app, card.quiz_id)
    assert answered == 1  # question 2 still waits for its own answer
