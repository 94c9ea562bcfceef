"""The deck format: field shapes, limits and the rules per question type, as problems."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.questions import Difficulty, QuestionType

# Limits from the platform budget (DESIGN.md section 4): they keep every card inside one
# Discord embed and one Slack section without truncation.
ID_MAX = 40
PROMPT_MAX = 300
OPEN_PROMPT_MAX = 500
CHOICE_MAX = 80
CHOICES_MIN, CHOICES_MAX = 3, 5
EXPLANATION_MAX = 700
MODEL_ANSWER_MAX = 900
KEY_POINTS_MIN, KEY_POINTS_MAX = 3, 6
# Phrases per key point: enough to recognise the point, few enough to stay specific.
KEY_TERMS_MAX = 6

ID_RE = re.compile(r"^[a-z0-9-]+$")
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Chat clients render none of these, so a formula must be written as plain text.
LATEX_RE = re.compile(
    r"\\(frac|sum|sigma|mathbf|mathrm|text|cdot|sqrt|left|right|alpha|beta|"
    r"theta|lambda|mu|partial|nabla|int|prod|log|exp|hat|bar|times|le|ge)\b|\$[^$]+\$|\\\(|\\\["
)
BANNED_CHOICES = ("all of the above", "none of the above", "both a and b", "all of these")
# Curated ML terms that widen the grading vocabulary; it sits beside the decks but is not one.
TERMS_FILE = "terms.toml"
TERM_MAX = 60


@dataclass(frozen=True)
class Problem:
    """One validation finding, printed as `file: question id: field: problem`."""

    file: str
    item: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.field}: {self.message}"


class DeckMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str
    title: str
    description: str = ""
    # Other words people use for the topic (`stats`, `cv`); `quiz WORD` takes them.
    aliases: list[str] = []


class KeyPointSpec(BaseModel):
    """An open item's key point: the sentence shown, and the phrases that show it was made.

    Each phrase may list synonyms separated by `|` (`bias|underfitting`); the built-in grader
    counts a point as covered when the answer uses at least half of its phrases."""

    model_config = ConfigDict(extra="forbid")

    text: str
    terms: list[str] = []


class QuestionSpec(BaseModel):
    """The raw shape of one `[[questions]]` table before type-specific rules."""

    model_config = ConfigDict(extra="forbid")

    id: str
    type: QuestionType
    difficulty: Difficulty
    prompt: str
    explanation: str
    choices: list[str] | None = None
    answer: int | bool | float | str | None = None
    accept: list[str] | None = None
    tolerance: float | int | None = None
    model_answer: str | None = None
    key_points: list[KeyPointSpec] | None = None
    tags: list[str] = []
    seeds: list[str] = []

    @field_validator("key_points", mode="before")
    @classmethod
    def _plain_points(cls, value: Any) -> Any:
        # A key point may be a plain string (no phrases yet) or a {text, terms} table.
        if isinstance(value, list):
            return [{"text": v} if isinstance(v, str) else v for v in value]
        return value


def spec_problems(file: str, item: str, error: ValidationError) -> Iterator[Problem]:
    for err in error.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "-"
        kind = err["type"]
        if kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            message = "unknown field (check the spelling against the deck format)"
        else:
            message = err["msg"][0].lower() + err["msg"][1:]
        yield Problem(file, item, loc, message)


def type_problems(spec: QuestionSpec) -> Iterator[tuple[str, str]]:
    """Type-specific rules as (field, problem) pairs."""
    t = spec.type
    prompt_max = OPEN_PROMPT_MAX if t is QuestionType.OPEN else PROMPT_MAX
    if not spec.prompt.strip():
        yield "prompt", "is empty"
    if len(spec.prompt) > prompt_max:
        yield "prompt", f"{len(spec.prompt)} characters, limit {prompt_max}"
    if not spec.explanation.strip():
        yield "explanation", "is empty"
    if len(spec.explanation) > EXPLANATION_MAX:
        yield "explanation", f"{len(spec.explanation)} characters, limit {EXPLANATION_MAX}"
    if len(spec.id) > ID_MAX:
        yield "id", f"{len(spec.id)} characters, limit {ID_MAX}"
    if not ID_RE.match(spec.id):
        yield "id", "use only a-z, 0-9 and '-'"

    def unused(*names: str) -> Iterator[tuple[str, str]]:
        for name in names:
            if getattr(spec, name) is not None:
                yield name, f"not used by type {t.value}"

    if t is QuestionType.MCQ:
        choices = spec.choices or []
        if spec.choices is None:
            yield "choices", "required for mcq"
        elif not CHOICES_MIN <= len(choices) <= CHOICES_MAX:
            yield "choices", f"{len(choices)} options, need {CHOICES_MIN} to {CHOICES_MAX}"
        for i, choice in enumerate(choices):
            if not choice.strip():
                yield f"choices.{i}", "is empty"
            if len(choice) > CHOICE_MAX:
                yield f"choices.{i}", f"{len(choice)} characters, limit {CHOICE_MAX}"
            if choice.strip().lower().rstrip(".") in BANNED_CHOICES:
                yield f"choices.{i}", f"'{choice}' is not allowed; write a real option"
        folded = [c.strip().casefold() for c in choices]
        if len(set(folded)) != len(folded):
            yield "choices", "two options are the same"
        if isinstance(spec.answer, bool) or not isinstance(spec.answer, int):
            yield "answer", "mcq needs the 0-based index of the correct option"
        elif choices and not 0 <= spec.answer < len(choices):
            yield "answer", f"index {spec.answer} is out of range 0..{len(choices) - 1}"
        yield from unused("accept", "tolerance", "model_answer", "key_points")
    elif t is QuestionType.TRUE_FALSE:
        if not isinstance(spec.answer, bool):
            yield "answer", "true_false needs true or false"
        yield from unused("choices", "accept", "tolerance", "model_answer", "key_points")
    elif t is QuestionType.SHORT:
        if not isinstance(spec.answer, str) or not spec.answer.strip():
            yield "answer", "short needs the canonical answer as a string"
        for i, alias in enumerate(spec.accept or []):
            if not alias.strip():
                yield f"accept.{i}", "is empty"
        yield from unused("choices", "tolerance", "model_answer", "key_points")
    elif t is QuestionType.NUMERIC:
        if isinstance(spec.answer, bool) or not isinstance(spec.answer, int | float):
            yield "answer", "numeric needs a number"
        if spec.tolerance is not None and spec.tolerance < 0:
            yield "tolerance", "must be 0 or more"
        yield from unused("choices", "accept", "model_answer", "key_points")
    elif t is QuestionType.OPEN:
        if not spec.model_answer or not spec.model_answer.strip():
            yield "model_answer", "required for open"
        elif len(spec.model_answer) > MODEL_ANSWER_MAX:
            yield "model_answer", f"{len(spec.model_answer)} characters, limit {MODEL_ANSWER_MAX}"
        points = spec.key_points or []
        if not KEY_POINTS_MIN <= len(points) <= KEY_POINTS_MAX:
            yield "key_points", f"{len(points)} points, need {KEY_POINTS_MIN} to {KEY_POINTS_MAX}"
        for i, point in enumerate(points):
            if not point.text.strip():
                yield f"key_points.{i}", "is empty"
            if len(point.terms) > KEY_TERMS_MAX:
                yield (
                    f"key_points.{i}.terms",
                    f"{len(point.terms)} phrases, at most {KEY_TERMS_MAX}",
                )
            for j, term in enumerate(point.terms):
                words = [w.strip() for w in term.split("|")]
                if not all(words):
                    yield f"key_points.{i}.terms.{j}", "has an empty phrase or synonym"
                if len(term) > TERM_MAX:
                    yield (
                        f"key_points.{i}.terms.{j}",
                        f"{len(term)} characters, limit {TERM_MAX}",
                    )
        yield from unused("choices", "answer", "accept", "tolerance")
    texts = {"prompt": spec.prompt, "explanation": spec.explanation}
    if spec.model_answer:
        texts["model_answer"] = spec.model_answer
    for i, choice in enumerate(spec.choices or []):
        texts[f"choices.{i}"] = choice
    for name, text in texts.items():
        if LATEX_RE.search(text):
            yield name, "contains LaTeX markup; write the formula as plain text"
