"""Question types and pure answer checking for every question kind."""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from bot.grading import (
    EMPTY_VOCABULARY,
    Vocabulary,
    match_short,
    normalize_text,
)
from bot.number_words import parse_number_words


class QuestionType(enum.StrEnum):
    MCQ = "mcq"
    TRUE_FALSE = "true_false"
    SHORT = "short"
    NUMERIC = "numeric"
    OPEN = "open"

    @property
    def auto_gradable(self) -> bool:
        return self is not QuestionType.OPEN


class Difficulty(enum.StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class Question(BaseModel):
    """One validated question of the bank; fields that a type does not use stay empty."""

    model_config = ConfigDict(frozen=True)

    id: str
    topic: str
    type: QuestionType
    difficulty: Difficulty
    prompt: str
    explanation: str
    choices: tuple[str, ...] = ()
    # mcq: the 0-based index; true_false: bool; short: canonical text; numeric: float.
    answer: int | bool | float | str | None = None
    accept: tuple[str, ...] = ()
    tolerance: float = 0.0
    model_answer: str = ""
    key_points: tuple[str, ...] = ()
    # Per key point, the phrases that show it was made (`a|b` lists synonyms); open items only.
    key_terms: tuple[tuple[str, ...], ...] = ()
    tags: tuple[str, ...] = ()
    seeds: tuple[str, ...] = ()

    @property
    def auto_gradable(self) -> bool:
        return self.type.auto_gradable

    def answer_text(self) -> str:
        """The correct answer as a user would read it."""
        if self.type is QuestionType.MCQ:
            assert isinstance(self.answer, int)
            return f"{letter(self.answer)}. {self.choices[self.answer]}"
        if self.type is QuestionType.TRUE_FALSE:
            return "True" if self.answer else "False"
        if self.type is QuestionType.NUMERIC:
            return format_number(float(self.answer or 0))
        if self.type is QuestionType.OPEN:
            return self.model_answer
        return str(self.answer)


class Verdict(enum.Enum):
    CORRECT = "correct"
    WRONG = "wrong"
    INVALID = "invalid"  # the input is not an answer of the right shape; nothing is recorded


@dataclass(frozen=True)
class Check:
    """The outcome of checking one answer; `normalized` is what gets stored."""

    verdict: Verdict
    normalized: str = ""
    problem: str = ""  # for INVALID: which shape was expected

    @property
    def correct(self) -> bool:
        return self.verdict is Verdict.CORRECT


LETTERS = "ABCDE"


def letter(index: int) -> str:
    return LETTERS[index]


def format_number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def check_short(question: Question, given: str, vocabulary: Vocabulary = EMPTY_VOCABULARY) -> Check:
    norm = normalize_text(given)
    if not given.strip():
        return Check(Verdict.INVALID, problem="empty")
    keys = (str(question.answer), *question.accept)
    # A lone option letter is someone answering as if there were options (`answer B`):
    # refused, so a daily round is not spent on it, unless a key is itself one character.
    # A lone article ("a") leaves no words to grade either way.
    word = given.strip().upper()
    lone = len(word) == 1 and word in LETTERS and all(len(k.strip()) > 1 for k in keys)
    if not norm or lone:
        return Check(Verdict.INVALID, problem="words")
    context = (question.prompt, *question.tags)
    ok = match_short(given, keys, context, vocabulary)
    return Check(Verdict.CORRECT if ok else Verdict.WRONG, norm)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_number(text: str) -> float | None:
    """Read `0.05`, `5%`, `5e-2`, `1/20`, `1,000`, `-3` or `a quarter`; None if not a number."""
    raw = text.strip().replace("\u2212", "-").replace(" ", "")
    if not raw:
        return None
    percent = raw.endswith("%")
    if percent:
        raw = raw[:-1]
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", raw):
        raw = raw.replace(",", "")
    value: float
    if "/" in raw:
        num, _, den = raw.partition("/")
        if not (_NUMBER.match(num) and _NUMBER.match(den)):
            return None
        try:
            value = float(Fraction(num) / Fraction(den))
        except (ZeroDivisionError, ValueError):
            return None
    elif _NUMBER.match(raw):
        value = float(raw)
    else:
        return parse_number_words(text)
    if not math.isfinite(value):
        return None
    return value / 100 if percent else value


def check_numeric(question: Question, given: str) -> Check:
    value = parse_number(given)
    if value is None:
        return Check(Verdict.INVALID, problem="numeric")
    expected = float(question.answer or 0)
    # A tolerance of 0 still forgives float noise such as 0.1 + 0.2.
    tolerance = max(question.tolerance, 1e-9 * max(1.0, abs(expected)))
    ok = abs(value - expected) <= tolerance
    return Check(Verdict.CORRECT if ok else Verdict.WRONG, format_number(value))


_TRUE = {"true", "t", "yes", "y"}
_FALSE = {"false", "f", "no", "n"}


def check_true_false(question: Question, given: str) -> Check:
    norm = normalize_text(given)
    if norm in _TRUE:
        value = True
    elif norm in _FALSE:
        value = False
    else:
        return Check(Verdict.INVALID, problem="true_false")
    ok = value is question.answer
    return Check(Verdict.CORRECT if ok else Verdict.WRONG, "true" if value else "false")


def mcq_index(question: Question, given: str, order: tuple[int, ...] = ()) -> int | None:
    """Map a shown letter (`B`, `b)`), a 1-based number or an option's text to its original index.

    `order[k]` is the original index of the option shown in position k; letters refer to
    what the user saw, while stored answers always use original indexes.
    """
    order = order or tuple(range(len(question.choices)))
    raw = given.strip()
    stripped = raw.rstrip(").:").strip()
    if len(stripped) == 1 and stripped.upper() in LETTERS[: len(order)]:
        return order[LETTERS.index(stripped.upper())]
    if stripped.isdigit() and 1 <= int(stripped) <= len(order):
        return order[int(stripped) - 1]
    norm = normalize_text(raw)
    for index, choice in enumerate(question.choices):
        if norm and norm == normalize_text(choice):
            return index
    return None


def check_mcq(question: Question, given: str, order: tuple[int, ...] = ()) -> Check:
    index = mcq_index(question, given, order)
    if index is None:
        return Check(Verdict.INVALID, problem="mcq")
    ok = index == question.answer
    return Check(Verdict.CORRECT if ok else Verdict.WRONG, str(index))


SELF_RATINGS = {
    "got it": "got",
    "got": "got",
    "yes": "got",
    "partly": "partly",
    "partial": "partly",
    "missed": "missed",
    "missed it": "missed",
    "no": "missed",
}


def check_open(question: Question, given: str) -> Check:
    """Open items are self-assessed: the answer is the user's own rating."""
    rating = SELF_RATINGS.get(normalize_text(given))
    if rating is None:
        return Check(Verdict.INVALID, problem="open")
    return Check(Verdict.CORRECT if rating == "got" else Verdict.WRONG, rating)


def check_answer(
    question: Question,
    given: str,
    order: tuple[int, ...] = (),
    *,
    vocabulary: Vocabulary | None = None,
) -> Check:
    """Grade `given` against `question`; INVALID means ask again, record nothing.

    `vocabulary` (the bank's, `QuestionBank.vocabulary`) lets a short answer be told apart from
    its neighbours; without it only the identity-token rules guard against them.
    """
    if question.type is QuestionType.MCQ:
        return check_mcq(question, given, order)
    if question.type is QuestionType.SHORT:
        return check_short(question, given, vocabulary or EMPTY_VOCABULARY)
    checker = {
        QuestionType.TRUE_FALSE: check_true_false,
        QuestionType.SHORT: check_short,
        QuestionType.NUMERIC: check_numeric,
        QuestionType.OPEN: check_open,
    }[question.type]
    return checker(question, given)
