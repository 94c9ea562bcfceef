"""Print candidate grading cases for the bank's short and numeric items, to be reviewed by hand.

Run `python -m tests.grading_candidates > /tmp/candidates.toml`; nothing here is a label until a
person has read it and copied it into tests/grading_cases.toml (ambiguous candidates are dropped).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from rapidfuzz.distance import OSA

from bot.content import load_bank, load_terms
from bot.deck_format import TERMS_FILE
from bot.grading import compact, tokens
from bot.questions import Question, QuestionType

ROOT = Path(__file__).resolve().parent.parent
WORDS = {
    0: "zero", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
    8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen",
    14: "fourteen", 15: "fifteen", 16: "sixteen", 17: "seventeen", 18: "eighteen",
    19: "nineteen", 20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty",
    70: "seventy", 80: "eighty", 90: "ninety",
}  # fmt: skip
BRITISH = (
    ("ization", "isation"),
    ("izing", "ising"),
    ("eling", "elling"),
    ("neighbor", "neighbour"),
)


def typos(word: str, rng: random.Random) -> list[str]:
    """A dropped letter and a swapped pair inside the word, never at its first letter."""
    i = rng.randrange(2, len(word) - 1)
    dropped = word[:i] + word[i + 1 :]
    j = rng.randrange(2, len(word) - 2)
    swapped = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return [t for t in (dropped, swapped) if t != word]


def short_cases(
    q: Question, terms: list[str], vocabulary: list[str], rng: random.Random
) -> tuple[list[str], list[str]]:
    key = str(q.answer)
    keys = [key, *q.accept]
    key_forms = {compact(tokens(k)) for k in keys}
    right = [key.upper() if key.islower() else key.lower(), f"I think it's {key}"]
    right.append(f"the answer is {key}")
    for a, b in BRITISH:
        if a in key.lower():
            right.append(key.lower().replace(a, b))
    long_words = [w for w in key.split() if len(w) >= 6 and w.isalpha()]
    if long_words:
        right.extend(key.replace(w, t) for w in long_words[:1] for t in typos(w, rng))
    others = [t for t in terms if compact(tokens(t)) not in key_forms]
    wrong = [f"not {key}", f"{key} or {rng.choice(others)}", f"{rng.choice(others)} with {key}"]
    # Neighbours: terms a slip away from a key; short keys only count a single edit.
    reach = 1 if min(len(f) for f in key_forms) <= 5 else 2
    near: dict[str, tuple[int, str]] = {}
    for t in vocabulary:
        form = compact(tokens(t))
        if not form or form in key_forms:
            continue
        dist = min(OSA.distance(form, f) for f in key_forms)
        if dist <= reach and (form not in near or near[form][0] > dist):
            near[form] = (dist, t)
    wrong.extend(t for _, t in sorted(near.values())[:5])
    for word in tokens(key):
        if any(c.isdigit() for c in word):
            bumped = "".join(str((int(c) + 1) % 10) if c.isdigit() else c for c in word)
            wrong.append(" ".join(bumped if w == word else w for w in tokens(key)))
    wrong.append(f"{key}, {rng.choice(others)}, {rng.choice(others)}")
    wrong.append(rng.choice(others))
    return right, wrong


def number_cases(q: Question) -> tuple[list[str], list[str]]:
    value = float(q.answer or 0)
    right: list[str] = []
    wrong: list[str] = []
    if value == int(value) and int(value) in WORDS:
        right.append(WORDS[int(value)])
        for other in (int(value) - 1, int(value) + 1):
            if other in WORDS:
                wrong.append(WORDS[other])
    # "twice" is left out: as the answer to "what is the value" it reads oddly, so it is ambiguous.
    for text, v in (("half", 0.5), ("a quarter", 0.25), ("a third", 1 / 3)):
        if abs(v - value) <= max(q.tolerance, 1e-9):
            right.append(text)
        elif abs(v - value) < 0.1:
            wrong.append(text)
    if 0 < value < 1 and round(value * 100, 6) == int(value * 100):
        right.append(f"{int(value * 100)} percent")
        if q.tolerance < 0.01:
            wrong.append(f"{int(value * 100) + 1} percent")
    return right, wrong


def main() -> None:
    rng = random.Random(7)
    bank, _ = load_bank(ROOT / "content")
    terms_text = [str(q.answer) for q in bank.by_id.values() if q.type is QuestionType.SHORT]
    terms = sorted(set(terms_text))
    vocabulary = set(load_terms(ROOT / "content" / TERMS_FILE)[0])
    for q in bank.by_id.values():
        vocabulary.update(q.tags)
        if q.type is QuestionType.SHORT:
            vocabulary.update((str(q.answer), *q.accept))
    for q in bank.by_id.values():
        if q.type is QuestionType.SHORT:
            right, wrong = short_cases(q, terms, sorted(vocabulary), rng)
        elif q.type is QuestionType.NUMERIC:
            right, wrong = number_cases(q)
        else:
            continue
        if not right and not wrong:
            continue
        print(f"\n[[item]]\nid = {json.dumps(q.id)}  # {q.answer!s}")
        print(f"right = {json.dumps(right, ensure_ascii=False)}")
        print(f"wrong = {json.dumps(wrong, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
