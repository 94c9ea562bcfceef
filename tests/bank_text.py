"""The real question bank as the replies that show its text, for the "shown as written" checks.

Each platform's test renders these replies with its real renderer, strips the markup with a
reference parser of that platform's rules and checks that every text field of the bank is
still there, character for character, with no formatting the bank did not ask for. The bank's
only markup is code, written between backticks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from bot.content import load_bank
from bot.questions import Question, QuestionType, letter
from bot.replies import (
    AnswerFeedback,
    Flashcard,
    Option,
    OptionShare,
    QuestionCard,
    Reply,
    RoundReveal,
)
from tests.conftest import ROOT

# A code span as the bank writes it (and as Discord reads it): a run of backticks, text
# that does not end in a backtick, the same run again.
BANK_CODE = re.compile(r"(`+)([\s\S]*?[^`])\1(?!`)")

# One visible character and the styles it is shown with ("code", "bold", "spoiler", ...).
Styled = list[tuple[str, frozenset[str]]]
CODE = frozenset({"code"})
PLAIN: frozenset[str] = frozenset()


def written(text: str) -> Styled:
    """What the bank means a field to look like: its characters, code spans as code."""
    out: Styled = []
    done = 0
    for span in BANK_CODE.finditer(text):
        out += [(ch, PLAIN) for ch in text[done : span.start()]]
        out += [(ch, CODE) for ch in span.group(2)]
        done = span.end()
    out += [(ch, PLAIN) for ch in text[done:]]
    return out


def shows(shown: Styled, text: str) -> bool:
    """`text` appears in `shown` exactly as the bank wrote it: same characters, code where
    the bank has code, and no other style (no spoiler, emphasis, underline, strike...)."""
    return Shown([shown]).has(text)


class Shown:
    """The parts a reader sees, each part's characters joined once: `has(text)` asks `shows`
    of every part. (The bank checks ask it of every field against every part of ~700
    questions; joining the parts again for each field was most of their minute.)"""

    def __init__(self, parts: list[Styled]) -> None:
        self.parts = [("".join(ch for ch, _ in part), part) for part in parts]

    def has(self, text: str) -> bool:
        want = written(text)
        goal = "".join(ch for ch, _ in want)
        return any(_found(seen, part, want, goal) for seen, part in self.parts)


def _found(seen: str, shown: Styled, want: Styled, goal: str) -> bool:
    start = seen.find(goal)
    while start != -1:
        got = shown[start : start + len(want)]
        if all(g[1] == w[1] for g, w in zip(got, want, strict=True)):
            return True
        start = seen.find(goal, start + 1)
    return False


@dataclass(frozen=True)
class BankItem:
    question: Question
    replies: tuple[Reply, ...]
    texts: tuple[tuple[str, str], ...]  # (field, text as written) every one must show


def _options(q: Question) -> tuple[Option, ...]:
    if q.type is QuestionType.MCQ:
        return tuple(Option(letter(i), text, i) for i, text in enumerate(q.choices))
    if q.type is QuestionType.TRUE_FALSE:
        return (Option("T", "True", 1), Option("F", "False", 0))
    return ()


@cache
def bank_items() -> tuple[BankItem, ...]:
    bank, problems = load_bank(ROOT / "content")
    assert not problems, problems[:3]
    items = []
    for q in bank.by_id.values():
        options = _options(q)
        answer = q.answer_text()
        card = QuestionCard(
            q.id, q.topic, q.difficulty, q.type, q.prompt, options, quiz_id=1, position=1, total=1
        )
        replies: list[Reply] = [card]
        texts = [("prompt", q.prompt), ("explanation", q.explanation)]
        texts += [(f"choice {i}", c) for i, c in enumerate(q.choices)]
        if q.type is QuestionType.OPEN:
            replies.append(Flashcard(q.id, 1, q.model_answer, q.key_points))
            texts.append(("model_answer", q.model_answer))
            texts += [(f"key point {i}", p) for i, p in enumerate(q.key_points)]
            # The explanation of an open item shows with its feedback.
            replies.append(AnswerFeedback(q.id, True, "got it", answer, q.explanation))
        else:
            # What a user typed comes back in the feedback too: here, the answer itself.
            replies.append(AnswerFeedback(q.id, False, answer, answer, q.explanation))
            shares = tuple(OptionShare(o.label, o.text, 1, o.index == q.answer) for o in options)
            replies.append(
                RoundReveal(1, q.id, q.prompt, answer, q.explanation, 2, 1, shares, (), None)
            )
            texts.append(("answer", answer))
        items.append(BankItem(q, tuple(replies), tuple(texts)))
    return tuple(items)
