"""The question bank a workspace sees: built-in decks minus its disabled topics plus its decks."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from bot.content import Deck, QuestionBank
from bot.deck_import import WORKSPACE_ID_PREFIX
from bot.deck_import import WORKSPACE_ID_PREFIX as PREFIX
from bot.deck_ports import DeckStore
from bot.questions import Question
from bot.records import DeckRecord

TOPIC = "topic"  # the kind of a disabled built-in topic in the store
QUESTION = "question"  # the kind of a retired question (`question retire`)


def global_id(deck_id: int, local_id: str) -> str:
    """A workspace item's question id: its deck's row id keeps it apart from another
    workspace's, and the `x--` prefix from built-in ids (which may not start with it)."""
    return f"{WORKSPACE_ID_PREFIX}{deck_id}-{local_id}"


def local_id(question_id: str) -> str:
    """The id as written in the deck (what `deck export` writes back)."""
    return question_id.removeprefix(WORKSPACE_ID_PREFIX).split("-", 1)[-1]


def deck_questions(record: DeckRecord) -> tuple[Question, ...]:
    """The stored items of a deck, topic and ids as the workspace sees them."""
    items = json.loads(record.items) if record.items else []
    return tuple(
        Question.model_validate(
            {**item, "id": global_id(record.id, item["id"]), "topic": record.name}
        )
        for item in items
    )


def items_json(questions: tuple[Question, ...]) -> str:
    return json.dumps([q.model_dump(mode="json") for q in questions], ensure_ascii=False)


def build_bank(
    builtin: QuestionBank,
    decks: list[DeckRecord],
    disabled_topics: Collection[str],
    retired: Collection[str] = (),
) -> QuestionBank:
    """Built-in decks not disabled, then the enabled workspace decks, each without the
    questions the workspace retired: every pool (quiz, daily, interview, flashcards) reads
    the decks, so none offers them. Every question of the workspace stays findable by id (a
    running quiz or an open report may name it) unless its deck was deleted."""
    own = [(d, deck_questions(d)) for d in decks]
    kept = [deck for topic, deck in builtin.decks.items() if topic not in disabled_topics]
    added = [
        Deck(d.name, d.title, "", builtin_path(builtin), questions)
        for d, questions in own
        if d.enabled
    ]
    bank = QuestionBank.from_decks([*kept, *added], builtin.terms)
    bank.by_id = {**builtin.by_id, **{q.id: q for _, qs in own for q in qs}, **bank.by_id}
    if retired:
        # After the vocabulary is built: retiring a question leaves other answers' grading.
        out = frozenset(retired)
        bank.retired = out
        bank.decks = {
            topic: dataclasses.replace(
                deck, questions=tuple(q for q in deck.questions if q.id not in out)
            )
            for topic, deck in bank.decks.items()
        }
    return bank


def builtin_path(builtin: QuestionBank) -> Path:
    first = next(iter(builtin.decks.values()), None)
    return first.path.parent if first is not None else Path(".")


@dataclass
class WorkspaceBanks:
    """One bank per workspace, cached until the workspace's bank version moves: a single
    indexed read per command tells whether this or another process changed it."""

    builtin: QuestionBank
    store: DeckStore
    _cache: dict[str, tuple[int, QuestionBank]] = field(default_factory=dict)
    # Every workspace question this process has loaded, by id: ids carry their deck's row id,
    # so one index serves every workspace (a running quiz finds its question by id alone).
    questions: dict[str, Question] = field(default_factory=dict)

    def question(self, question_id: str) -> Question | None:
        return self.builtin.by_id.get(question_id) or self.questions.get(question_id)

    async def bank(self, workspace: str, version: int | None = None) -> QuestionBank:
        """The workspace's bank; `version` is its bank version if the caller just read it."""
        if version is None:
            version = await self.store.bank_version(workspace)
        if version == 0:
            return self.builtin  # never imported nor disabled anything
        cached = self._cache.get(workspace)
        if cached is not None and cached[0] == version:
            return cached[1]
        version, decks, disabled = await self.store.bank_parts(workspace)
        bank = build_bank(
            self.builtin, decks, disabled.get(TOPIC, set()), disabled.get(QUESTION, set())
        )
        old = self._cache.get(workspace)
        for qid in old[1].by_id.keys() - self.builtin.by_id.keys() if old else ():
            self.questions.pop(qid, None)  # a deleted deck's items leave with it
        self.questions.update((q.id, q) for q in bank.by_id.values() if q.id.startswith(PREFIX))
        self._cache[workspace] = (version, bank)
        return bank
