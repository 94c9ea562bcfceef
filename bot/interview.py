"""The built-in interview grader: which key points a free-text answer makes, without a model."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.grading import EMPTY_VOCABULARY, NEGATIONS, Vocabulary, key_edits, tokens
from bot.questions import Question

# Longer answers are refused, not clipped: the user should know what was read.
ANSWER_MAX = 4000
# Below this an answer is a list of words, not an explanation.
SENTENCE_MIN_WORDS = 5
SENTENCES_MIN = 2
LONG_SENTENCE_WORDS = 14  # one long sentence is also an explanation
# A sentence counts for at most this many key phrases: a run of keywords is not an answer.
PHRASES_PER_SENTENCE = 3
# Words that a sentence of prose contains and a keyword list does not.
_GLUE = frozenset({
    "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these",
    "those", "which", "who", "because", "so", "since", "when", "if", "then", "than", "while",
    "whereas", "but", "and", "or", "to", "of", "in", "on", "for", "with", "by", "as", "at",
    "from", "into", "can", "could", "would", "should", "will", "may", "might", "must", "do",
    "does", "did", "has", "have", "had", "we", "you", "they", "i",
})  # fmt: skip
_NOT = NEGATIONS | {"doesnt", "dont", "cannot", "cant", "wont", "arent", "wasnt", "shouldnt"}
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
_STOP = _GLUE | {"a", "an", "the", "each", "any", "all", "more", "less", "not", "no"}


@dataclass(frozen=True)
class PointVerdict:
    """One key point: covered or not, and one line why."""

    text: str
    covered: bool
    why: str


@dataclass(frozen=True)
class InterviewGrade:
    points: tuple[PointVerdict, ...]
    grader: str  # builtin | model
    note: str = ""  # e.g. why the built-in grader stood in for the model

    @property
    def covered(self) -> int:
        return sum(1 for p in self.points if p.covered)

    @property
    def total(self) -> int:
        return len(self.points)

    @property
    def rating(self) -> str:
        """The review rating: all points Good, half or more Hard, fewer Again."""
        if self.total and self.covered == self.total:
            return "good"
        if self.covered * 2 >= self.total and self.covered > 0:
            return "hard"
        return "again"


def sentences(answer: str) -> list[tuple[str, ...]]:
    """The answer's sentences as normalised words (empty ones dropped)."""
    return [words for part in _SENTENCE_END.split(answer) if (words := tokens(part))]


def is_prose(found: Sequence[tuple[str, ...]], phrase_words: frozenset[str] = frozenset()) -> bool:
    """Real sentences, not a keyword list: enough words and the glue words prose has. Glue
    words that belong to the key phrases themselves ("time and memory") do not count, so a
    list of the phrases never passes for prose."""
    glue = _GLUE - phrase_words
    real = [s for s in found if len(s) >= SENTENCE_MIN_WORDS and glue & set(s)]
    return len(real) >= SENTENCES_MIN or any(len(s) >= LONG_SENTENCE_WORDS for s in real)


def _alternatives(phrase: str) -> list[tuple[str, ...]]:
    return [t for alt in phrase.split("|") if (t := tokens(alt))]


def _found_at(sentence: tuple[str, ...], phrase: tuple[str, ...], vocabulary: Vocabulary) -> int:
    """Where `phrase` occurs in `sentence` (a typo in a long word forgiven), else -1."""
    n = len(phrase)
    for start in range(len(sentence) - n + 1):
        window = sentence[start : start + n]
        if key_edits(window, phrase, vocabulary) is None:
            continue
        # "not overfitting" says the opposite of the point.
        if set(sentence[max(0, start - 2) : start]) & _NOT:
            continue
        return start
    return -1


def _phrases_of(question: Question, index: int) -> list[str]:
    terms = question.key_terms[index] if index < len(question.key_terms) else ()
    if terms:
        return list(terms)
    # A point written before phrases existed: its own content words stand in for them.
    words = [w for w in tokens(question.key_points[index]) if w not in _STOP and len(w) > 3]
    return list(dict.fromkeys(words))[:4]


def grade_builtin(
    question: Question, answer: str, vocabulary: Vocabulary = EMPTY_VOCABULARY
) -> InterviewGrade:
    """Grade `answer` against the question's key points by the phrases that show each one."""
    found = sentences(answer)
    points = question.key_points
    phrase_words = frozenset(
        word
        for i in range(len(points))
        for phrase in _phrases_of(question, i)
        for alt in _alternatives(phrase)
        for word in alt
    )
    if not is_prose(found, phrase_words):
        return InterviewGrade(
            tuple(PointVerdict(p, False, "answer in sentences to get credit") for p in points),
            "builtin",
            "an answer needs a few real sentences; a list of terms earns nothing",
        )
    # Each sentence lends at most PHRASES_PER_SENTENCE matches, in reading order.
    budget = [PHRASES_PER_SENTENCE] * len(found)
    verdicts: list[PointVerdict] = []
    for i, point in enumerate(points):
        phrases = _phrases_of(question, i)
        hit: list[str] = []
        missed: list[str] = []
        for phrase in phrases:
            alternatives = _alternatives(phrase)
            spot = next(
                (
                    s
                    for s, words in enumerate(found)
                    if budget[s] > 0
                    and any(_found_at(words, alt, vocabulary) >= 0 for alt in alternatives)
                ),
                None,
            )
            label = phrase.split("|")[0].strip()
            if spot is None:
                missed.append(label)
            else:
                budget[spot] -= 1
                hit.append(label)
        need = math.ceil(len(phrases) / 2) if phrases else 1
        if phrases and len(hit) >= need:
            why = "you mention " + ", ".join(hit)
            verdicts.append(PointVerdict(point, True, why))
        else:
            why = "not made: say something about " + ", ".join(missed or [point])
            verdicts.append(PointVerdict(point, False, why))
    return InterviewGrade(tuple(verdicts), "builtin")


class BuiltinGrader:
    """The grader that needs no model: key phrases in real sentences."""

    def __init__(self, vocabulary: Vocabulary = EMPTY_VOCABULARY) -> None:
        self.vocabulary = vocabulary

    async def grade(self, question: Question, answer: str) -> InterviewGrade:
        return grade_builtin(question, answer, self.vocabulary)
