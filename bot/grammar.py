"""What every parser shares: the error a line can be, and a command's usage line."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot import commands as c
from bot import messages as m
from bot.catalog import BY_NAME


@dataclass(frozen=True)
class ParseError:
    """Why a line is not a command; shown privately, nothing is recorded."""

    message: str


Parsed = c.Command | ParseError


def usage(name: str) -> str:
    return m.USAGE.format(usage=BY_NAME[name].usage)


# "Did you mean": a plain edit similarity this high, or the start of exactly one option.
SUGGEST_CUTOFF = 70


def closest(word: str, options: Sequence[str]) -> str | None:
    """The option a mistyped word plausibly means, or None: a near spelling (`quizz`,
    `hlep`), the one option among its hyphenated parts (`post-time` names `time`), or an
    unambiguous start (`lead`); never a loose partial match (`foo`)."""
    from rapidfuzz import fuzz, process  # loads on the first near miss, not at start

    low = word.lower()
    found = process.extractOne(low, options, scorer=fuzz.ratio, score_cutoff=SUGGEST_CUTOFF)
    if found:
        return str(found[0])
    parts = {p for p in re.split(r"[-_./]", low) if p in options}
    if len(parts) == 1:
        return parts.pop()
    starts = [n for n in options if len(low) >= 3 and n.startswith(low)]
    return starts[0] if len(starts) == 1 else None


def unknown_sub(name: str, sub: str, subs: Sequence[str]) -> ParseError:
    """`NAME SUB` names no subcommand: said so, with the one it plausibly means, and the usage."""
    near = closest(sub, subs)
    hint = m.SUB_NEAR.format(name=name, sub=near) if near else ""
    return ParseError(m.SUB_UNKNOWN.format(name=name, sub=m.clip(sub)) + hint + " " + usage(name))
