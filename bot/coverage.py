"""Bank statistics for `studybot content stats`: counts per topic, seed coverage, longest texts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.content import QuestionBank
from bot.deck_format import CHOICE_MAX, EXPLANATION_MAX, MODEL_ANSWER_MAX, PROMPT_MAX
from bot.questions import QuestionType


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
        if q.type is QuestionType.OPEN and q.key_terms and all(q.key_terms):
            counts["open:terms"] += 1
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
