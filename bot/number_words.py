"""Numbers written as words: `two`, `twenty-one`, `half`, `a third`, `five percent`."""

from __future__ import annotations

import re
import unicodedata

from bot.grading import APOSTROPHE, QUOTES

# --- numbers written as words ------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20,
}  # fmt: skip
_TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90, "twenty": 20}  # fmt: skip
_DIGITS = re.compile(r"^(\d+(?:\.\d+)?)(%?)$")
_FRACTIONS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4}
_NUMBER_FILLER = (
    ("its",),
    ("it", "is"),
    ("answer", "is"),
    ("the", "answer", "is"),
    ("i", "think"),
    ("i", "think", "its"),
)


def _word_integer(words: list[str]) -> int | None:
    if len(words) == 1:
        w = words[0]
        if w in _UNITS:
            return _UNITS[w]
        return _TENS.get(w)
    if len(words) == 2 and words[0] in _TENS and words[1] in _UNITS and 0 < _UNITS[words[1]] < 10:
        return _TENS[words[0]] + _UNITS[words[1]]
    return None


def parse_number_words(text: str) -> float | None:
    """Read `two`, `twenty one`, `half`, `a third`, `three quarters`, `twice`, `five percent`."""
    raw = unicodedata.normalize("NFKC", text).translate(QUOTES).casefold().replace("-", " ")
    raw = re.sub(r"[^\w\s.%]", " ", APOSTROPHE.sub("", raw))
    words = [w for w in raw.split() if w]
    for filler in sorted(_NUMBER_FILLER, key=len, reverse=True):
        if tuple(words[: len(filler)]) == filler and len(words) > len(filler):
            words = words[len(filler) :]
            break
    if not words:
        return None
    scale = 1.0
    if words[-1] in ("percent", "%"):
        scale, words = 0.01, words[:-1]
    elif len(words) >= 2 and words[-2:] == ["per", "cent"]:
        scale, words = 0.01, words[:-2]
    if words == ["twice"]:
        return 2.0 * scale
    if words and words[-1] in _FRACTIONS:
        denominator = _FRACTIONS[words[-1]]
        count = words[:-1]
        if count in ([], ["a"], ["one"]) and not words[-1].endswith("s"):
            return scale / denominator
        n = _word_integer(count)
        if n is not None and words[-1].endswith("s") and n > 1:
            return scale * n / denominator
        return None
    if len(words) == 1 and (digits := _DIGITS.match(words[0])):
        # "it's 4" or "it's 5%": a plain number once the lead-in is gone
        value = float(digits.group(1)) * scale
        return value / 100 if digits.group(2) else value
    n = _word_integer(words)
    return None if n is None else n * scale
