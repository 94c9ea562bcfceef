"""The built-in interview grader: key points made in sentences count; keyword lists do not."""

from __future__ import annotations

from bot.interview import ANSWER_MAX, grade_builtin, is_prose, sentences
from bot.questions import Difficulty, Question, QuestionType

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
