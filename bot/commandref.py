"""Command references in core text: markers each adapter shows in its own command syntax."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.catalog import BY_NAME, Arg, Entry, Sub

# A reference is a line of the text grammar between these brackets, written in bot/messages.py
# as `⟦quiz stop⟧`. They survive str.format and nobody types them, so user text cannot pass
# for one by accident (and an unknown command inside one still renders as plain code).
OPEN = "⟦"
CLOSE = "⟧"
_REF = re.compile(f"{OPEN}([^{OPEN}{CLOSE}\n]+){CLOSE}")

# How a platform spells a text-grammar line: the console types it as is, Slack after `/study`,
# Discord as a slash command with named options.
Syntax = Callable[[str], str]


def ref(line: str) -> str:
    """`line` (a command in the text grammar) marked as a command reference."""
    return f"{OPEN}{line}{CLOSE}"


def text_line(line: str) -> str:
    """The text grammar itself: the console's syntax."""
    return line


def render_refs(text: str, syntax: Syntax = text_line, code: str = "`") -> str:
    """`text` with every command reference spelled by `syntax`, inside `code` marks."""
    return _REF.sub(lambda found: f"{code}{syntax(found[1])}{code}", text)


def has_refs(text: str) -> bool:
    return bool(_REF.search(text))


@dataclass(frozen=True)
class Bound:
    """A text-grammar line matched to the catalog: its entry, subcommand and argument values.

    `usage` is set when the line is the entry's whole usage string with its alternatives (a
    `Usage:` hint), which a platform shows as its own usage of the command.
    """

    entry: Entry
    sub: Sub | None
    values: tuple[tuple[Arg | None, str], ...]
    usage: bool = False


def _placeholder(word: str) -> bool:
    # `[topic]`, `...`: a slot named in the line, not a value for any argument.
    return word.startswith("[") or word.strip(".…") == ""


def _accepts(arg: Arg, word: str) -> bool:
    if arg.kind == "choice":
        return word.lower() in arg.choices
    if arg.kind == "int":
        return word.isdigit()
    return True


def bind(line: str) -> Bound | None:
    """The catalog's reading of `line`, or None when it names no command.

    Words go to arguments the way the parser reads them: a choice word to its choice, a
    number to the count, anything else to the free argument (a text argument that comes last
    takes the rest of the line, as `answer got it` and `team join Red Fox` do).
    """
    words = line.split()
    entry = BY_NAME.get(words[0]) if words else None
    if entry is None:
        return None
    if line == entry.usage and "|" in line:
        # Alternatives (`a|b`, `x | y`) cannot be read word by word.
        return Bound(entry, None, (), usage=True)
    rest = words[1:]
    sub: Sub | None = None
    if entry.subs:
        subs = {s.name: s for s in entry.subs}
        if rest and rest[0] in subs:
            sub = subs[rest.pop(0)]
        elif rest and not _placeholder(rest[0]) and entry.default_sub:
            sub = subs[entry.default_sub]
    free = list(sub.args if sub else entry.args)
    values: list[tuple[Arg | None, str]] = []
    while rest:
        word = rest.pop(0)
        typed = [a for a in free if a.kind in ("choice", "int")]
        loose = [a for a in free if a.kind not in ("choice", "int")]
        arg = None
        if not _placeholder(word):
            arg = next((a for a in [*typed, *loose] if _accepts(a, word)), None)
        if arg is None:
            values.append((None, word))
            continue
        if arg.kind == "text" and arg is free[-1]:
            word = " ".join([word, *rest])
            rest = []
        free.remove(arg)
        values.append((arg, word))
    return Bound(entry, sub, tuple(values))
