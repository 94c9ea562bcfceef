"""Load and validate the TOML question decks of content/ into a QuestionBank."""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.questions import Difficulty, Question, QuestionType

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

ID_RE = re.compile(r"^[a-z0-9-]+$")
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Chat clients render none of these, so a formula must be written as plain text.
LATEX_RE = re.compile(
    r"\\(frac|sum|sigma|mathbf|mathrm|text|cdot|sqrt|left|right|alpha|beta|"
    r"theta|lambda|mu|partial|nabla|int|prod|log|exp|hat|bar|times|le|ge)\b|\$[^$]+\$|\\\(|\\\["
)
BANNED_CHOICES = ("all of the above", "none of the above", "both a and b", "all of these")


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
    key_points: list[str] | None = None
    tags: list[str] = []
    seeds: list[str] = []


@dataclass(frozen=True)
class Deck:
    topic: str
    title: str
    description: str
    path: Path
    questions: tuple[Question, ...]


@dataclass
class QuestionBank:
    """Every deck, indexed by question id and by topic."""

    decks: dict[str, Deck] = field(default_factory=dict)
    by_id: dict[str, Question] = field(default_factory=dict)

    @classmethod
    def from_decks(cls, decks: Iterable[Deck]) -> QuestionBank:
        bank = cls()
        for deck in decks:
            bank.decks[deck.topic] = deck
            for q in deck.questions:
                bank.by_id[q.id] = q
        return bank

    @property
    def topics(self) -> list[str]:
        return sorted(self.decks)

    def get(self, question_id: str) -> Question | None:
        return self.by_id.get(question_id)

    def select(
        self,
        topics: Iterable[str] | None = None,
        difficulty: Difficulty | None = None,
        auto_gradable_only: bool = False,
    ) -> list[Question]:
        """Questions matching the filters, in a stable order (deck order within sorted topics)."""
        wanted = sorted(set(topics)) if topics else self.topics
        out: list[Question] = []
        for topic in wanted:
            deck = self.decks.get(topic)
            if deck is None:
                continue
            for q in deck.questions:
                if difficulty is not None and q.difficulty is not difficulty:
                    continue
                if auto_gradable_only and not q.auto_gradable:
                    continue
                out.append(q)
        return out

    def __len__(self) -> int:
        return len(self.by_id)


def _spec_problems(file: str, item: str, error: ValidationError) -> Iterator[Problem]:
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


def _type_problems(spec: QuestionSpec) -> Iterator[tuple[str, str]]:
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
        yield from unused("choices", "answer", "accept", "tolerance")
    texts = {"prompt": spec.prompt, "explanation": spec.explanation}
    if spec.model_answer:
        texts["model_answer"] = spec.model_answer
    for i, choice in enumerate(spec.choices or []):
        texts[f"choices.{i}"] = choice
    for name, text in texts.items():
        if LATEX_RE.search(text):
            yield name, "contains LaTeX markup; write the formula as plain text"


def _to_question(topic: str, spec: QuestionSpec) -> Question:
    answer: int | bool | float | str | None = spec.answer
    if spec.type is QuestionType.NUMERIC and answer is not None:
        answer = float(answer)
    return Question(
        id=spec.id,
        topic=topic,
        type=spec.type,
        difficulty=spec.difficulty,
        prompt=spec.prompt.strip(),
        explanation=spec.explanation.strip(),
        choices=tuple(c.strip() for c in spec.choices or ()),
        answer=answer,
        accept=tuple(spec.accept or ()),
        tolerance=float(spec.tolerance or 0.0),
        model_answer=(spec.model_answer or "").strip(),
        key_points=tuple(spec.key_points or ()),
        tags=tuple(spec.tags),
        seeds=tuple(spec.seeds),
    )


def load_deck(path: Path, label: str | None = None) -> tuple[Deck | None, list[Problem]]:
    """Parse one deck file; return the deck (None if unusable) and every problem found."""
    file = label or path.name
    problems: list[Problem] = []
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return None, [Problem(file, "-", "toml", str(exc))]
    unknown = sorted(set(data) - {"deck", "questions"})
    for key in unknown:
        problems.append(Problem(file, "-", key, "unknown top-level table"))
    try:
        meta = DeckMeta.model_validate(data.get("deck", {}))
    except ValidationError as exc:
        problems.extend(_spec_problems(file, "deck", exc))
        return None, problems
    if meta.topic != path.stem:
        problems.append(
            Problem(file, "deck", "topic", f"'{meta.topic}' must equal the file name '{path.stem}'")
        )
    if not SLUG_RE.match(meta.topic):
        problems.append(
            Problem(file, "deck", "topic", "use a lower-case slug such as 'deep-learning'")
        )
    raw_questions = data.get("questions", [])
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.append(Problem(file, "deck", "questions", "the deck has no [[questions]]"))
        raw_questions = []
    questions: list[Question] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_questions, start=1):
        item = str(raw.get("id") or f"#{n}") if isinstance(raw, dict) else f"#{n}"
        try:
            spec = QuestionSpec.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_spec_problems(file, item, exc))
            continue
        found = [Problem(file, item, f, m) for f, m in _type_problems(spec)]
        if spec.id in seen:
            found.append(Problem(file, item, "id", "duplicate id in this deck"))
        seen.add(spec.id)
        problems.extend(found)
        if not found:
            questions.append(_to_question(meta.topic, spec))
    deck = Deck(meta.topic, meta.title, meta.description, path, tuple(questions))
    return deck, problems


def load_seed_ids(shared: Path | None) -> set[str] | None:
    """Ids of the seed inventory, or None when `../shared` is not beside the checkout."""
    if shared is None:
        return None
    ids: set[str] = set()
    for name in ("seed_questions.json", "seed_headings.json"):
        path = shared / name
        if not path.exists():
            return None
        ids.update(entry["id"] for entry in json.loads(path.read_text(encoding="utf-8")))
    return ids


def load_bank(
    directory: Path, seed_ids: set[str] | None = None
) -> tuple[QuestionBank, list[Problem]]:
    """Load every `*.toml` deck under `directory`, checking ids across the whole bank."""
    decks: list[Deck] = []
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        problems.append(Problem(str(directory), "-", "decks", "no *.toml deck found"))
    for path in paths:
        deck, found = load_deck(path)
        problems.extend(found)
        if deck is None:
            continue
        kept: list[Question] = []
        for q in deck.questions:
            if q.id in owner:
                # Both files named, and which copy the bot uses: the first file by name.
                problems.append(
                    Problem(
                        path.name,
                        q.id,
                        "id",
                        f"duplicate id, also in {owner[q.id]} (the copy there is used)",
                    )
                )
                continue
            owner[q.id] = path.name
            if seed_ids is not None:
                bad = [s for s in q.seeds if s not in seed_ids]
                if bad:
                    problems.append(
                        Problem(path.name, q.id, "seeds", f"unknown seed id {', '.join(bad)}")
                    )
            kept.append(q)
        decks.append(Deck(deck.topic, deck.title, deck.description, deck.path, tuple(kept)))
    return QuestionBank.from_decks(decks), problems


@dataclass(frozen=True)
class BankStats:
    by_topic: dict[str, Counter[str]]
    uncited: list[str] | None
    longest: dict[str, tuple[int, int, str]]  # field -> (length, limit, question id)


def bank_stats(bank: QuestionBank, seed_ids: set[str] | None) -> BankStats:
    by_topic: dict[str, Counter[str]] = {}
    cited: set[str] = set()
    longest: dict[str, tuple[int, int, str]] = {
        "prompt": (0, PROMPT_MAX, ""),
        "choice": (0, CHOICE_MAX, ""),
        "explanation": (0, EXPLANATION_MAX, ""),
        "model_answer": (0, MODEL_ANSWER_MAX, ""),
    }

    def see(name: str, text: str, qid: str) -> None:
        if len(text) > longest[name][0]:
            longest[name] = (len(text), longest[name][1], qid)

    for q in bank.by_id.values():
        counts = by_topic.setdefault(q.topic, Counter())
        counts["total"] += 1
        counts[f"type:{q.type.value}"] += 1
        counts[f"difficulty:{q.difficulty.value}"] += 1
        if q.auto_gradable:
            counts["auto"] += 1
            counts[f"auto:{q.difficulty.value}"] += 1
            if q.type is not QuestionType.MCQ:
                counts["auto:not-mcq"] += 1
        cited.update(q.seeds)
        see("prompt", q.prompt, q.id)
        see("explanation", q.explanation, q.id)
        see("model_answer", q.model_answer, q.id)
        for c in q.choices:
            see("choice", c, q.id)
    uncited = sorted(seed_ids - cited, key=_seed_sort_key) if seed_ids is not None else None
    return BankStats(by_topic, uncited, longest)


def _seed_sort_key(seed_id: str) -> tuple[str, list[int]]:
    prefix, _, rest = seed_id.partition("-l")
    return prefix, [int(part) for part in rest.split("-") if part.isdigit()]
