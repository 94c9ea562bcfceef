"""A small reference parser of Discord's markdown: what a reader sees, character by character.

It follows the rules of Discord's parser (simple-markdown with Discord's additions) for what
an embed can show: escapes, code blocks and code spans, spoilers, bold, italics, underline,
strike, quotes, headings, list bullets, masked links and mentions. Each visible character
carries the styles it is shown with; markup characters themselves are not visible.
"""

from __future__ import annotations

import re

from tests.bank_text import Styled

ESCAPE = re.compile(r"\\([^0-9A-Za-z\s])")
CODE_BLOCK = re.compile(r"```(?:([a-z0-9_+\-.#]+?)\n)?\n*([^\n][\s\S]*?)\n*```")
CODE_SPAN = re.compile(r"(`+)([\s\S]*?[^`])\1(?!`)")
QUOTE = re.compile(r">>> ([\s\S]*)|> ([^\n]*)")
HEADING = re.compile(r"(#{1,3}) ([^\n]+)")
BULLET = re.compile(r"[-*+] (?=\S)")
NUMBERED = re.compile(r"(\d{1,9})[.)] (?=\S)")
SPOILER = re.compile(r"\|\|([\s\S]+?)\|\|")
LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
MENTION = re.compile(r"<(?:@[!&]?\d+|#\d+|a?:\w+:\d+|t:-?\d+(?::[tTdDfFR])?)>|@(?:everyone|here)")
# Emphasis rules compete by length, as in simple-markdown (ties: em, then strong, then u).
EMPHASIS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("bold", re.compile(r"\*\*([\s\S]+?)\*\*(?!\*)"), 0.1),
    ("underline", re.compile(r"__([\s\S]+?)__(?!_)"), 0.0),
    (
        "italic",
        re.compile(
            r"\b_((?:__|\\[\s\S]|[^\\_])+?)_\b"
            r"|\*(?=\S)((?:\*\*|\\[\s\S]|\s+(?:\\[\s\S]|[^\s*\\]|\*\*)|[^\s*\\])+?)\*(?!\*)"
        ),
        0.2,
    ),
    ("strike", re.compile(r"~~([\s\S]+?)~~(?!_)"), 0.0),
)
# Plain text runs up to the next character some rule could start with.
TEXT = re.compile(r"[\s\S]+?(?=[^0-9A-Za-z\s\u00c0-\uffff]|\n\n| {2,}\n|\w+:\S|$)")


def visible(source: str) -> Styled:
    """The characters Discord shows for `source`, each with its styles."""
    return _parse(source, frozenset(), line_start=True)


def plain(styled: Styled) -> str:
    return "".join(ch for ch, _ in styled)


def _parse(source: str, styles: frozenset[str], line_start: bool) -> Styled:
    out: Styled = []
    i = 0
    while i < len(source):
        rest = source[i:]
        at_line_start = (i == 0 and line_start) or (i > 0 and source[i - 1] == "\n")
        step = _rule(rest, styles, at_line_start)
        if step is None:
            found = TEXT.match(rest)
            length = found.end() if found and found.end() else 1
            out += [(ch, styles) for ch in rest[:length]]
        else:
            length, shown = step
            out += shown
        i += length
    return out


def _inner(text: str, styles: frozenset[str], style: str) -> Styled:
    return _parse(text, styles | {style}, line_start=False)


def _rule(rest: str, styles: frozenset[str], line_start: bool) -> tuple[int, Styled] | None:
    if found := ESCAPE.match(rest):
        return found.end(), [(found[1], styles)]
    if found := CODE_BLOCK.match(rest):
        return found.end(), [(ch, styles | {"code"}) for ch in found[2]]
    if found := CODE_SPAN.match(rest):
        return found.end(), [(ch, styles | {"code"}) for ch in found[2]]
    if line_start:
        if found := QUOTE.match(rest):
            body = found[1] if found[1] is not None else found[2]
            return found.end(), _parse(body, styles | {"quote"}, line_start=True)
        if found := HEADING.match(rest):
            return found.end(), _inner(found[2], styles, "heading")
        if found := BULLET.match(rest):
            return found.end(), [("•", styles | {"list"}), (" ", styles | {"list"})]
        if found := NUMBERED.match(rest):
            # Discord renumbers and restyles the item: its marker is no longer the text.
            return found.end(), [(ch, styles | {"list"}) for ch in found[1] + ". "]
    if found := SPOILER.match(rest):
        return found.end(), _inner(found[1], styles, "spoiler")
    if found := LINK.match(rest):
        return found.end(), _inner(found[1], styles, "link")
    if found := MENTION.match(rest):
        return found.end(), [(ch, styles | {"mention"}) for ch in found.group()]
    best: tuple[float, str, re.Match[str]] | None = None
    for style, pattern, bonus in EMPHASIS:
        match = pattern.match(rest)
        if match and (best is None or match.end() + bonus > best[0]):
            best = (match.end() + bonus, style, match)
    if best is not None:
        _, style, match = best
        body = next(g for g in match.groups() if g is not None)
        return match.end(), _inner(body, styles, style)
    return None
