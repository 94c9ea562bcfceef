"""The built-in interview grader: key points made in sentences count; keyword lists do not."""

from __future__ import annotations

from bot.bootstrap import App
from bot.commands import ImportDeck
from bot.interview import ANSWER_MAX, grade_builtin, is_prose, sentences
from bot.plaintext import render
from bot.questions import Difficulty, Question, QuestionType
from bot.replies import Notice, QuestionCard, TableView
from tests.conftest import origin
from tests.helpers import errors, say

BOB = origin("Bob")

BIAS_VARIANCE = Question(
    id="demo-bv",
    topic="demo",
    type=QuestionType.OPEN,
    difficulty=Difficulty.MEDIUM,
    prompt="Explain the bias-variance trade-off.",
    explanation="Listen for both error sources and what moves them.",
    model_answer="Simple models underfit (high bias); flexible ones overfit (high variance).",
    key_points=(
        "Bias is error from overly simple assumptions",
        "Variance is sensitivity to the particular training sample",
        "Regularization or more data move the balance",
    ),
    key_terms=(
        ("bias", "underfit|underfitting|too simple"),
        ("variance", "overfit|overfitting|sensitive to the training"),
        ("regularization|regularisation", "more data|more training data"),
    ),
)

STRONG = (
    "Bias is the error that comes from a model that is too simple, so it underfits the data. "
    "Variance is how much the fit changes with the training sample; a flexible model overfits. "
    "You trade one against the other with regularisation, and more data lowers the variance."
)


def test_a_strong_answer_covers_every_point() -> None:
    grade = grade_builtin(BIAS_VARIANCE, STRONG)
    assert [p.covered for p in grade.points] == [True, True, True]
    assert (grade.covered, grade.total, grade.rating) == (3, 3, "good")
    assert grade.points[0].why.startswith("you mention bias")


def test_a_partial_answer_covers_some_and_says_what_is_missing() -> None:
    answer = (
        "Bias is when the model is too simple and underfits the training set. "
        "That is the main thing to watch when you pick a model for a problem."
    )
    grade = grade_builtin(BIAS_VARIANCE, answer)
    assert [p.covered for p in grade.points] == [True, False, False]
    assert grade.rating == "again"  # one of three: less than half
    assert "variance" in grade.points[1].why and grade.points[1].why.startswith("not made")


def test_an_off_topic_answer_covers_nothing() -> None:
    answer = (
        "Gradient descent moves the weights against the gradient of the loss. "
        "A learning rate that is too large makes the steps overshoot the minimum."
    )
    assert grade_builtin(BIAS_VARIANCE, answer).covered == 0


def test_a_keyword_list_earns_nothing() -> None:
    listing = "bias underfitting variance overfitting regularization more data"
    grade = grade_builtin(BIAS_VARIANCE, listing)
    assert grade.covered == 0 and "list of terms" in grade.note
    # Keywords strung into one sentence are capped: a sentence lends at most three phrases.
    stuffed = (
        "It is about bias and underfitting and variance and overfitting and regularization "
        "and more data. That is all there is to it really."
    )
    assert grade_builtin(BIAS_VARIANCE, stuffed).covered < 3


def test_a_negated_phrase_does_not_count() -> None:
    answer = (
        "The trade-off is not about bias at all in my view, and it never involves underfitting. "
        "Variance is sensitive to the training set, so flexible models overfit it. "
        "Regularization and more data help."
    )
    grade = grade_builtin(BIAS_VARIANCE, answer)
    assert [p.covered for p in grade.points] == [False, True, True]
    assert grade.rating == "hard"


def test_typos_in_long_words_and_british_spelling_are_forgiven() -> None:
    answer = (
        "High bias means the model is too simple and underfitts. High variance means it "
        "overfits the sample it saw. Regularisation helps, and so does more training data."
    )
    assert grade_builtin(BIAS_VARIANCE, answer).covered == 3


def test_prose_detection() -> None:
    assert not is_prose(sentences("bias, variance, overfitting"))
    assert is_prose(sentences(STRONG))
    assert ANSWER_MAX == 4000


def test_points_without_phrases_fall_back_to_their_own_words() -> None:
    legacy = BIAS_VARIANCE.model_copy(update={"key_terms": ()})
    answer = (
        "Bias comes from overly simple assumptions about the data. Variance is the sensitivity "
        "of the fit to the particular training sample that was drawn."
    )
    grade = grade_builtin(legacy, answer)
    assert [p.covered for p in grade.points][:2] == [True, True]


# Through the dispatcher, on the fixture bank (its one open item is ss-bias-variance).

STRONG_FIXTURE = (
    "The expected error decomposition splits it into bias squared, variance and noise. "
    "Bias comes from wrong assumptions in a model that is too simple. "
    "Variance comes from sensitivity to the particular sample the model was trained on."
)


async def test_an_interview_grades_free_text_and_shows_the_model_answer(app: App) -> None:
    replies = await say(app, BOB, "interview sample-stats 1")
    intro, card = replies[-2], replies[-1]
    assert isinstance(intro, Notice) and "Mock interview: 1 question" in intro.text
    assert "not stored after grading" in intro.text
    assert (
        isinstance(card, QuestionCard) and card.interview and card.question_id == "ss-bias-variance"
    )
    assert "Answer in your own words" in render(card)
    # A line that names no command is the answer while an interview question waits.
    replies = await say(app, BOB, STRONG_FIXTURE)
    table = next(r for r in replies if isinstance(r, TableView))
    assert table.title == "3/3 key points"
    assert all(label.startswith("✓ ") for label, _ in table.rows)
    model = next(r for r in replies if isinstance(r, Notice) and r.text.startswith("Model answer"))
    assert "flexible models lower bias" in model.text
    assert any(isinstance(r, Notice) and "Interview done: 3 of 3" in r.text for r in replies)
    # Scores are kept, the words are not (no `keep`).
    [history] = await say(app, BOB, "interview history")
    assert isinstance(history, TableView)
    [(when, line)] = history.rows
    assert "ss-bias-variance" in when and line == "3/3 key points (builtin)"


async def test_kept_answers_show_in_the_history_and_forgetme_removes_them(app: App) -> None:
    await say(app, BOB, "interview sample-stats keep")
    await say(app, BOB, "answer " + STRONG_FIXTURE)
    [history] = await say(app, BOB, "interview history")
    assert isinstance(history, TableView) and "expected error decomposition" in history.rows[0][1]
    await say(app, BOB, "forgetme confirm")
    [empty] = await say(app, BOB, "interview history")
    assert isinstance(empty, Notice) and "No graded interview answers" in empty.text


async def test_interview_refusals(app: App) -> None:
    assert errors(await say(app, BOB, "interview sample-stats 11")) == [
        "An interview has 1 to 10 questions."
    ]
    assert errors(await say(app, BOB, "interview sample-ml")) == [
        "No interview questions match sample-ml."
    ]
    await say(app, BOB, "interview sample-stats")
    [too_long] = errors(await say(app, BOB, "answer " + "word " * 1000))
    assert too_long.startswith("Keep an answer under 4000 characters")
    # A command still runs as a command during an interview.
    assert "Stats for Bob" in render((await say(app, BOB, "stats"))[0])
    assert errors(await say(app, BOB, "quiz stop")) == []  # either stop ends the session
    await say(app, BOB, "interview sample-stats")
    [stopped] = await say(app, BOB, "interview stop")
    assert isinstance(stopped, Notice) and "Interview stopped: 0 of 0" in stopped.text
    # Without an interview waiting, free text is an unknown command again.
    [unknown] = errors(await say(app, BOB, "bias is error from assumptions"))
    assert unknown.startswith("Unknown command 'bias'")


async def test_a_keyword_list_through_the_dispatcher_earns_nothing(app: App) -> None:
    await say(app, BOB, "interview sample-stats")
    replies = await say(app, BOB, "answer error decomposition bias assumptions variance sample")
    table = next(r for r in replies if isinstance(r, TableView))
    assert table.title == "0/3 key points" and "list of terms" in (table.footer or "")


async def test_interview_stop_with_nothing_or_a_quiz_running(app: App) -> None:
    assert errors(await say(app, BOB, "interview stop")) == [
        "You have no interview running. Start one with `interview [topic]`."
    ]
    await say(app, BOB, "quiz sample-ml 1")
    assert errors(await say(app, BOB, "interview stop")) == [
        "What runs now is a quiz, not an interview: `quiz stop` ends it."
    ]


OPEN_DECK = "".join(
    f'[[questions]]\nid = "why-{n}"\ntype = "open"\ndifficulty = "hard"\n'
    f'prompt = "Why do we cache features ({n})?"\nmodel_answer = "Latency and cost."\n'
    'key_points = ["latency matters", "cost matters", "freshness matters"]\n'
    'explanation = "Trade-offs."\n'
    for n in (1, 2)
)


async def test_an_interview_whose_next_question_left_with_its_deck_goes_on(app: App) -> None:
    admin = origin("Ada", admin=True)
    await app.dispatcher.dispatch(ImportDeck("ours", "ours.toml", OPEN_DECK), admin)
    started = await say(app, BOB, "interview ours 2")
    assert isinstance(started[-1], QuestionCard) and started[-1].interview
    assert (await say(app, admin, "deck delete ours"))[0]
    # The answered question was still in this process's memory; the next one is gone:
    # the session says so (in an interview's words) rather than failing.
    replies = await say(app, BOB, "answer latency matters because cost matters")
    shown = "\n".join(render(r) for r in replies)
    assert not errors(replies)
    assert "The next question of your interview was removed with its deck" in shown
    assert "`interview stop`" in shown
    # The next answer skips it, and the session ends with its summary.
    last = await say(app, BOB, "answer anything")
    assert not errors(last)
    assert "interview" in "\n".join(render(r) for r in last).lower()
