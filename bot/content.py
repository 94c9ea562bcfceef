"""Load and validate the TOML question decks of content/ into a QuestionBank."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.deck_format import (
    SLUG_RE,
    TERM_MAX,
    TERMS_FILE,
    DeckMeta,
    Problem,
    QuestionSpec,
    spec_problems,
    type_problems,
)
from bot.grading import Vocabulary
from bot.questions import Difficulty, Question, QuestionType

# Workspace deck items are `x--<deck row id>-<id>` (bot/workspace_bank.py), so no built-in id
# may start with it.
RESERVED_ID_PREFIX = "x--"


@dataclass(frozen=True)
class Deck:
    topic: str
    title: str
    description: str
    path: Path
    questions: tuple[Question, ...]
    aliases: tuple[str, ...] = ()


@dataclass
class QuestionBank:
    """Every deck, indexed by question id and by topic."""

    decks: dict[str, Deck] = field(default_factory=dict)
    by_id: dict[str, Question] = field(default_factory=dict)
    # Every short answer, alias, tag and curated term: the neighbours a short answer must beat.
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    # The curated terms it was built with, so a workspace's bank can be built from this one.
    terms: tuple[str, ...] = ()
    # Questions the workspace retired: out of every deck (no pool offers them) yet still
    # findable by id, for a running quiz, an open report or a rekey of an old round.
    retired: frozenset[str] = frozenset()
    # select()'s answers, each with the decks it was computed from: the decks are replaced
    # whole (bot/workspace_bank.py), never changed in place, so an entry holds while its
    # decks are still the bank's. A daily post picked from the whole bank at about 5 ms.
    _pools: dict[tuple[object, ...], tuple[dict[str, Deck], tuple[Question, ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def from_decks(cls, decks: Iterable[Deck], terms: Iterable[str] = ()) -> QuestionBank:
        bank = cls(terms=tuple(terms))
        texts: list[str] = list(bank.terms)
        for deck in decks:
            bank.decks[deck.topic] = deck
            for q in deck.questions:
                bank.by_id[q.id] = q
                texts.extend(q.tags)
                if q.type is QuestionType.SHORT:
                    texts.extend((str(q.answer), *q.accept))
        bank.vocabulary = Vocabulary.build(texts)
        return bank

    @property
    def topics(self) -> list[str]:
        return sorted(self.decks)

    def get(self, question_id: str) -> Question | None:
        return self.by_id.get(question_id)

    def in_rotation(self, question_id: str) -> Question | None:
        """The question, unless this workspace retired it (what review asks of a card)."""
        return None if question_id in self.retired else self.by_id.get(question_id)

    def select(
        self,
        topics: Iterable[str] | None = None,
        difficulty: Difficulty | None = None,
        auto_gradable_only: bool = False,
    ) -> list[Question]:
        """Questions matching the filters, in a stable order (deck order within sorted topics)."""
        wanted = sorted(set(topics)) if topics else self.topics
        key = (tuple(wanted), difficulty, auto_gradable_only)
        cached = self._pools.get(key)
        if cached is not None and cached[0] is self.decks:
            return list(cached[1])
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
        self._pools[key] = (self.decks, tuple(out))
        return out

    def __len__(self) -> int:
        return len(self.by_id)


def to_question(topic: str, spec: QuestionSpec) -> Question:
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
        key_points=tuple(
            p if isinstance(p, str) else p.text.strip() for p in spec.key_points or ()
        ),
        key_terms=tuple(
            () if isinstance(p, str) else tuple(t.strip() for t in p.terms)
            for p in spec.key_points or ()
        ),
        tags=tuple(spec.tags),
        seeds=tuple(spec.seeds),
    )


def check_questions(
    file: str, topic: str, items: Iterable[tuple[str, Any]]
) -> tuple[list[Question], list[Problem]]:
    """The one question validator, for `content check`, start-up and workspace imports: every
    item labelled (its id, `#3`, `line 4`) through the field shapes and the rules per type,
    duplicate ids refused; returns the valid questions and every problem found."""
    questions: list[Question] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for item, raw in items:
        try:
            spec = QuestionSpec.model_validate(raw)
        except ValidationError as exc:
            problems.extend(spec_problems(file, item, exc))
            continue
        found = [Problem(file, item, f, m) for f, m in type_problems(spec)]
        if spec.id in seen:
            found.append(Problem(file, item, "id", "duplicate id in this deck"))
        seen.add(spec.id)
        problems.extend(found)
        if not found:
            questions.append(to_question(topic, spec))
    return questions, problems


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
        problems.extend(spec_problems(file, "deck", exc))
        return None, problems
    if meta.topic != path.stem:
        problems.append(
            Problem(file, "deck", "topic", f"'{meta.topic}' must equal the file name '{path.stem}'")
        )
    if not SLUG_RE.match(meta.topic):
        problems.append(
            Problem(file, "deck", "topic", "use a lower-case slug such as 'deep-learning'")
        )
    for alias in meta.aliases:
        if not SLUG_RE.match(alias):
            problems.append(
                Problem(file, "deck", "aliases", f"'{alias}' must be a lower-case slug like 'cv'")
            )
    aliases = tuple(a for a in meta.aliases if SLUG_RE.match(a) and a != meta.topic)
    raw_questions = data.get("questions", [])
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.append(Problem(file, "deck", "questions", "the deck has no [[questions]]"))
        raw_questions = []
    labelled = [
        (str(raw.get("id") or f"#{n}") if isinstance(raw, dict) else f"#{n}", raw)
        for n, raw in enumerate(raw_questions, start=1)
    ]
    questions, found = check_questions(file, meta.topic, labelled)
    problems.extend(found)
    deck = Deck(meta.topic, meta.title, meta.description, path, tuple(questions), aliases)
    return deck, problems


def load_terms(path: Path) -> tuple[list[str], list[Problem]]:
    """Read the curated term lists of `terms.toml`: tables of `group = ["term", ...]`."""
    file = path.name
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return [], [Problem(file, "-", "toml", str(exc))]
    terms: list[str] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for group, values in data.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(Problem(file, group, "terms", "must be a list of strings"))
            continue
        for i, term in enumerate(values):
            folded = " ".join(term.casefold().split())
            if not folded:
                problems.append(Problem(file, group, f"{i}", "is empty"))
            elif len(term) > TERM_MAX:
                problems.append(Problem(file, group, f"{i}", f"longer than {TERM_MAX} characters"))
            elif folded in seen:
                problems.append(Problem(file, group, f"{i}", f"'{term}' repeats {seen[folded]}"))
            else:
                seen[folded] = group
                terms.append(term)
    return terms, problems


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
    """Load every `*.toml` deck under `directory`, checking ids across the whole bank.

    `terms.toml`, when present, is not a deck: its terms join the grading vocabulary.
    """
    decks: list[Deck] = []
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    named: dict[str, str] = {path.stem: path.name for path in directory.glob("*.toml")}
    terms: list[str] = []
    if (directory / TERMS_FILE).exists():
        terms, problems = load_terms(directory / TERMS_FILE)
    paths = sorted(p for p in directory.glob("*.toml") if p.name != TERMS_FILE)
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
            if q.id.startswith(RESERVED_ID_PREFIX):
                problems.append(
                    Problem(path.name, q.id, "id", f"'{RESERVED_ID_PREFIX}' starts workspace ids")
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
        aliases = []
        for alias in deck.aliases:
            if named.setdefault(alias, path.name) != path.name:
                problems.append(
                    Problem(path.name, "deck", "aliases", f"'{alias}' is taken by {named[alias]}")
                )
            else:
                aliases.append(alias)
        decks.append(
            Deck(deck.topic, deck.title, deck.description, deck.path, tuple(kept), tuple(aliases))
        )
    return QuestionBank.from_decks(decks, terms), problems
