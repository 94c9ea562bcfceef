"""A small reference parser of Slack's mrkdwn: what a reader sees, character by character.

Slack's rules: *bold*, _italic_ and ~strike~ count only where the marker touches a word
boundary (the opening one after a space or punctuation and before a non-space, the closing
one after a non-space and before a space, punctuation or the end, on the same line);
`code` and ```code blocks``` show their content unformatted; `>` (sent as &gt;) at the start
of a line quotes it; <...> is a link or mention; &amp; &lt; &gt; are the only entities. A
zero-width space is invisible; whether Slack takes it for a space or for a letter is chosen
by `zwsp_is_space`, so a check can hold under both readings.
"""

from __future__ import annotations

import re
import string

from tests.bank_text import Styled

ZWSP = "\u200b"
ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
ENTITY = re.compile(r"&(?:amp|lt|gt);")
CODE_BLOCK = re.compile(r"```([\s\S]*?)```")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
SPECIAL = re.compile(r"<([^>\n]*)>")
QUOTE = re.compile(r"(?:&gt;|>) ?")
MARKERS = {"*": "bold", "_": "italic", "~": "strike"}
PUNCTUATION = set(string.punctuation)


def decode(text: str) -> str:
    return ENTITY.sub(lambda found: ENTITIES[found.group()], text)


def visible(source: str, zwsp_is_space: bool = False) -> Styled:
    """The characters Slack shows for mrkdwn `source`, each with its styles."""
    shown = _parse(source, frozenset(), zwsp_is_space, line_start=True)
    return [(ch, style) for ch, style in shown if ch != ZWSP]


def plain(styled: Styled) -> str:
    return "".join(ch for ch, _ in styled)


def _space(ch: str, zwsp_is_space: bool) -> bool:
    return ch.isspace() or (zwsp_is_space and ch == ZWSP)


def _closer(source: str, start: int, marker: str, zwsp_is_space: bool) -> int | None:
    for j in range(start + 2, len(source)):
        if source[j] == "\n":
            return None
        if source[j] != marker or _space(source[j - 1], zwsp_is_space):
            continue
        after = source[j + 1] if j + 1 < len(source) else None
        if after is None or _space(after, zwsp_is_space) or after in PUNCTUATION:
            return j
    return None


def _parse(source: str, styles: frozenset[str], zwsp_is_space: bool, line_start: bool) -> Styled:
    out: Styled = []
    i = 0
    while i < len(source):
        at_line_start = (i == 0 and line_start) or (i > 0 and source[i - 1] == "\n")
        if at_line_start and (found := QUOTE.match(source, i)):
            end = source.find("\n", i)
            end = len(source) if end == -1 else end
            body = source[found.end() : end]
            out += _parse(body, styles | {"quote"}, zwsp_is_space, line_start=False)
            i = end
            continue
        if found := CODE_BLOCK.match(source, i) or CODE_SPAN.match(source, i):
            out += [(ch, styles | {"code"}) for ch in decode(found[1])]
            i = found.end()
            continue
        if found := SPECIAL.match(source, i):
            label = found[1].split("|", 1)[-1]
            out += [(ch, styles | {"link"}) for ch in decode(label)]
            i = found.end()
            continue
        if found := ENTITY.match(source, i):
            out.append((ENTITIES[found.group()], styles))
            i = found.end()
            continue
        ch = source[i]
        if ch in MARKERS:
            before = source[i - 1] if i else None
            after = source[i + 1] if i + 1 < len(source) else None
            opens = (
                (before is None or _space(before, zwsp_is_space) or before in PUNCTUATION)
                and after is not None
                and not _space(after, zwsp_is_space)
            )
            close = _closer(source, i, ch, zwsp_is_space) if opens else None
            if close is not None:
                inner = source[i + 1 : close]
                out += _parse(inner, styles | {MARKERS[ch]}, zwsp_is_space, line_start=False)
                i = close + 1
                continue
        out.append((ch, styles))
        i += 1
    return out
