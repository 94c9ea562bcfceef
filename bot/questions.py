"""Question types and pure answer checking for every question kind."""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from pydantic import BaseModel, ConfigDict
from rapidfuzz.distance import Levenshtein


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


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_DASHES = re.compile(r"[\u2010-\u2015\-_/]+")
_PUNCT = re.compile(r"[^\w\s+#.]")  # keep + # . so "c++", "c#", "l2" style answers survive
_SPACES = re.compile(r"\s+")
_ARTICLES = {"a", "an", "the"}


def normalize_text(text: str) -> str:
    """Fold case, quotes, hyphens, punctuation and spacing so only the words remain."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    text = _DASHES.sub(" ", text)
    text = _PUNCT.sub(" ", text)
    text = text.replace(".", " ").strip()
    words = [w for w in _SPACES.split(text) if w and w not in _ARTICLES]
    return " ".join(words)


def _compact(text: str) -> str:
    return text.replace(" ", "")


# A typo is forgiven only when the key is long enough for an edit to be a slip rather than
# another word: one edit from 5 characters, two from 12. "RANSAK" passes, "not RANSAC" does not.
SHORT_MIN_FUZZY_LEN = 5
SHORT_TWO_EDITS_LEN = 12
_NEGATIONS = {"not", "no", "never", "isn't", "isnt", "without"}


def check_short(question: Question, given: str) -> Check:
    norm = normalize_text(given)
    if not norm:
        return Check(Verdict.INVALID, problem="empty")
    keys = [normalize_text(k) for k in (str(question.answer), *question.accept)]
    keys = [k for k in keys if k]
    words = set(norm.split())
    if words & _NEGATIONS and not any(set(k.split()) & _NEGATIONS for k in keys):
        return Check(Verdict.WRONG, norm)
    for key in keys:
        if norm == key or _compact(norm) == _compact(key):
            return Check(Verdict.CORRECT, norm)
    for key in keys:
        a, b = _compact(norm), _compact(key)
        if len(b) < SHORT_MIN_FUZZY_LEN:
            continue
        allowed = 2 if len(b) >= SHORT_TWO_EDITS_LEN else 1
        # An edit budget, not containment: a key hidden inside a longer guess stays wrong.
        if Levenshtein.distance(a, b, score_cutoff=allowed) <= allowed:
            return Check(Verdict.CORRECT, norm)
    return Check(Verdict.WRONG, norm)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_number(text: str) -> float | None:
    """Read `0.05`, `5%`, `5e-2`, `1/20`, `1,000` or `-3`; None when it is not a number."""
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
        return None
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


def check_answer(question: Question, given: str, order: tuple[int, ...] = ()) -> Check:
    """Grade `given` against `question`; INVALID means ask again, record nothing."""
    if question.type is QuestionType.MCQ:
        return check_mcq(question, given, order)
    checker = {
        QuestionType.TRUE_FALSE: check_true_false,
        QuestionType.SHORT: check_short,
        QuestionType.NUMERIC: check_numeric,
        QuestionType.OPEN: check_open,
    }[question.type]
    return checker(question, given)
