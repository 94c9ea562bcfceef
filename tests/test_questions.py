"""Answer checking for every question type."""

from __future__ import annotations

import pytest

from bot.messages import INVALID_ANSWER
from bot.questions import Difficulty, Question, QuestionType, Verdict, check_answer, parse_number


def q(kind: QuestionType, answer: object, **extra: object) -> Question:
    return Question(
        id="x",
        topic="t",
        type=kind,
        difficulty=Difficulty.EASY,
        prompt="p",
        explanation="e",
        answer=answer,
        **extra,
    )  # type: ignore[arg-type]


MCQ = q(QuestionType.MCQ, 2, choices=("Mean", "Mode", "Median", "Range"))


@pytest.mark.parametrize("given", ["C", "c", "c)", " C. ", "3", "median", "MEDIAN"])
def test_mcq_accepts_letter_number_or_text(given: str) -> None:
    assert check_answer(MCQ, given).verdict is Verdict.CORRECT


def test_mcq_letters_follow_the_shown_order() -> None:
    order = (2, 0, 3, 1)  # the user saw Median as A
    assert check_answer(MCQ, "A", order).verdict is Verdict.CORRECT
    assert check_answer(MCQ, "C", order).verdict is Verdict.WRONG
    assert check_answer(MCQ, "C", order).normalized == "3"


@pytest.mark.parametrize("given", ["F", "5", "the middle one", ""])
def test_mcq_rejects_non_options(given: str) -> None:
    assert check_answer(MCQ, given).verdict is Verdict.INVALID


@pytest.mark.parametrize(
    ("given", "verdict"),
    [
        ("true", Verdict.CORRECT),
        ("T", Verdict.CORRECT),
        ("yes", Verdict.CORRECT),
        ("False", Verdict.WRONG),
        ("no", Verdict.WRONG),
        ("f", Verdict.WRONG),
        ("maybe", Verdict.INVALID),
    ],
)
def test_true_false(given: str, verdict: Verdict) -> None:
    assert check_answer(q(QuestionType.TRUE_FALSE, True), given).verdict is verdict


RANSAC = q(QuestionType.SHORT, "RANSAC", accept=("random sample consensus",))
SGD = q(QuestionType.SHORT, "stochastic gradient descent", accept=("SGD",))


@pytest.mark.parametrize(
    "given",
    [
        "RANSAC",
        "ransac",
        " Ransac. ",
        "RANSAK",
        "random-sample consensus",
        "Random Sample Consensus",
        "the RANSAC",
        "“ransac”",
    ],
)
def test_short_accepts_normalized_aliases_and_typos(given: str) -> None:
    assert check_answer(RANSAC, given).verdict is Verdict.CORRECT


@pytest.mark.parametrize(
    "given",
    [
        "not RANSAC",
        "RANSAC or Hough",
        "least squares, RANSAC, LMedS",
        "Hough transform",
        "RAN",
    ],
)
def test_short_gives_no_credit_for_buried_or_negated_answers(given: str) -> None:
    assert check_answer(RANSAC, given).verdict is Verdict.WRONG


def test_short_typos_need_length() -> None:
    assert check_answer(SGD, "sgd").verdict is Verdict.CORRECT
    assert check_answer(SGD, "sdg").verdict is Verdict.WRONG  # too short to forgive
    assert check_answer(SGD, "stochastic gradiant descent").verdict is Verdict.CORRECT


def test_short_empty_is_invalid() -> None:
    assert check_answer(RANSAC, "  ?! ").verdict is Verdict.INVALID
    assert check_answer(RANSAC, "   ").problem == "empty"


@pytest.mark.parametrize("given", ["B", "a", " A ", "the", "e"])
def test_short_refuses_a_lone_letter_or_article_with_its_own_message(given: str) -> None:
    check = check_answer(RANSAC, given)
    assert (check.verdict, check.problem) == (Verdict.INVALID, "words")
    assert INVALID_ANSWER["words"] != INVALID_ANSWER["empty"]


def test_short_grades_a_lone_letter_when_a_key_is_one_character() -> None:
    language = q(QuestionType.SHORT, "R", accept=("GNU R",))
    assert check_answer(language, "r").verdict is Verdict.CORRECT
    assert check_answer(language, "B").verdict is Verdict.WRONG


@pytest.mark.parametrize("given", ["CD", "ab", "BCDE"])
def test_short_grades_two_or_more_letters_as_an_answer(given: str) -> None:
    # Letters that are not one option letter are a word or an abbreviation: graded.
    delivery = q(QuestionType.SHORT, "CD", accept=("continuous delivery",))
    assert check_answer(delivery, given).verdict is not Verdict.INVALID
    assert check_answer(delivery, "cd").verdict is Verdict.CORRECT


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.05", 0.05),
        ("5%", 0.05),
        ("5e-2", 0.05),
        ("1/20", 0.05),
        (".05", 0.05),
        ("-3", -3.0),
        ("1,000", 1000.0),
        (" 2 / 4 ", 0.5),
        ("−1", -1.0),
    ],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "1/0", "5%%", "1e999", "", "0x10", "1/2/3"])
def test_parse_number_rejects(text: str) -> None:
    assert parse_number(text) is None


def test_numeric_tolerance() -> None:
    item = q(QuestionType.NUMERIC, 0.05, tolerance=0.001)
    assert check_answer(item, "5%").verdict is Verdict.CORRECT
    assert check_answer(item, "0.0509").verdict is Verdict.CORRECT
    assert check_answer(item, "0.052").verdict is Verdict.WRONG
    # Number words are numbers now: "five" is a wrong answer, not an unreadable one.
    assert check_answer(item, "five").verdict is Verdict.WRONG
    assert check_answer(item, "five percent").verdict is Verdict.CORRECT
    assert check_answer(item, "fivish").verdict is Verdict.INVALID
    exact = q(QuestionType.NUMERIC, 0.3)
    assert check_answer(exact, "0.30000000000000004").verdict is Verdict.CORRECT


def test_open_is_self_rated() -> None:
    item = q(QuestionType.OPEN, None, model_answer="m", key_points=("a", "b", "c"))
    assert check_answer(item, "got it").verdict is Verdict.CORRECT
    assert check_answer(item, "partly").normalized == "partly"
    assert check_answer(item, "Missed").verdict is Verdict.WRONG
    assert check_answer(item, "dunno").verdict is Verdict.INVALID


@pytest.mark.parametrize(
    ("question", "given"),
    [
        (MCQ, "F"),
        (q(QuestionType.TRUE_FALSE, True), "perhaps"),
        (q(QuestionType.NUMERIC, 0.05, tolerance=0.001), "about a half"),
        (q(QuestionType.SHORT, "median"), "  "),
        (q(QuestionType.OPEN, None, model_answer="m", key_points=("a", "b", "c")), "dunno"),
    ],
    ids=["mcq", "true_false", "numeric", "short", "open"],
)
def test_every_refusal_has_its_own_message(question: Question, given: str) -> None:
    check = check_answer(question, given)
    assert check.verdict is Verdict.INVALID
    assert check.problem in INVALID_ANSWER
    if question.type is not QuestionType.SHORT:
        assert INVALID_ANSWER[check.problem] != INVALID_ANSWER["empty"]
