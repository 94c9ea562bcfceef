"""Every core text that can name a command, filled in, for the per-platform syntax tests."""

from __future__ import annotations

import asyncio
import re
import string
from typing import Any, cast

from bot import commands as c
from bot import messages as m
from bot.bootstrap import ManualClock, SeededRng
from bot.catalog import CATALOG
from bot.commandref import has_refs
from bot.content import QuestionBank
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.replies import HelpView
from bot.usecases.context import Context
from bot.usecases.help import show_help

# What a placeholder holds when a message is filled in: names that can stand in a command.
_SAMPLES: dict[str, Any] = {"name": "quiz", "sub": "time", "closest": "quiz", "again": "/time +1d"}
_SAMPLES_FOR: dict[str, dict[str, Any]] = {
    "TEAM_NAME_MISSING": {"sub": "join"},
    "DECK_NAME_MISSING": {"sub": "show"},
    "SUB_MISSING": {"name": "team"},
    "SUB_UNKNOWN": {"name": "team", "sub": "rename"},
    "TEAM_CREATED": {"name": "Red Fox"},
    "SUB_ALONE": {"sub": "interview stop"},
}
# Echoes what was typed, which names no command the platform has.
NAMES_NO_COMMAND = frozenset({"SUB_UNKNOWN"})
CODE_SPAN = re.compile(r"`([^`\n]+)`")
COMMAND_NAMES = frozenset(entry.name for entry in CATALOG)


def _fill(key: str, text: str) -> list[tuple[str, str]]:
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    samples = {**_SAMPLES, **_SAMPLES_FOR.get(key, {})}
    if "usage" in fields:
        return [(key, _fill_one(text, samples, usage=entry.usage)) for entry in CATALOG]
    return [(key, _fill_one(text, samples))]


def _fill_one(text: str, samples: dict[str, Any], **given: Any) -> str:
    values = {name: samples.get(name, 1) for _, name, _, _ in string.Formatter().parse(text)}
    return text.format(**{k: v for k, v in values.items() if k and k not in given}, **given)


def core_texts(prefix_excluded: tuple[str, ...] = ("SLACK_", "DISCORD_")) -> list[tuple[str, str]]:
    """Every sentence of bot/messages.py (platform-specific ones excluded), filled in, with
    the name of its constant."""
    out: list[tuple[str, str]] = []
    for name in dir(m):
        if name.startswith("_") or name.startswith(prefix_excluded):
            continue
        value = getattr(m, name)
        if isinstance(value, str):
            out += _fill(name, value)
        elif isinstance(value, dict):
            out += [t for v in value.values() if isinstance(v, str) for t in _fill(name, v)]
    out += [("unknown_command", m.unknown_command("quizz", "quiz"))]
    out += [("unknown_command", m.unknown_command("xyzzy", None))]
    out += [("unknown_topic", m.unknown_topic("cooking", ["statistics"]))]
    return out


def texts_with_refs() -> list[tuple[str, str]]:
    return [(key, text) for key, text in core_texts() if has_refs(text)]


def help_views() -> list[HelpView]:
    """The help overview and the help of every command, as the core builds them."""
    origin = Origin(
        user=UserRef(Platform.CONSOLE, "u"),
        place=PlaceRef(Platform.CONSOLE, "w", "c"),
        display_name="u",
        is_admin=False,
    )
    views: list[HelpView] = []
    # Help reads only the bank from the context (the topics of commands that take one).
    ctx = Context(
        stores=cast(Any, None), bank=QuestionBank(), clock=ManualClock(), rng=SeededRng(1)
    )
    for command in [None, *COMMAND_NAMES]:
        replies = asyncio.run(show_help(ctx, c.ShowHelp(command), origin))
        views += [r for r in replies if isinstance(r, HelpView)]
    return views


def text_grammar_spans(text: str) -> list[str]:
    """Code spans that spell a command the console's way (`quiz stop`, `help COMMAND`)."""
    return [s for s in CODE_SPAN.findall(text) if s.split()[0] in COMMAND_NAMES]
