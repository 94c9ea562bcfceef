"""The grammar of the admin and report commands: `report`, `deck`, `question`, `audit`."""

from __future__ import annotations

import re
from pathlib import PurePath

from bot import commands as c
from bot import messages as m
from bot.deck_import import IMPORT_SUFFIXES, name_problem
from bot.grammar import Parsed, ParseError, unknown_sub, usage

REPORT_REASON_MAX = 500


def parse_report(rest: str) -> Parsed:
    head, _, tail = rest.partition(" ")
    if head.lower() == "list":
        if tail.strip():
            return ParseError(m.NO_ARGUMENTS.format(name="report list") + " " + usage("report"))
        return c.ListReports()
    if head.lower() == "question":
        rest = tail.strip()
    if len(rest) > REPORT_REASON_MAX:
        return ParseError(m.REPORT_TOO_LONG.format(limit=REPORT_REASON_MAX))
    return c.ReportQuestion(rest)


DECK_ACTIONS = ("show", "export", "enable", "disable", "delete")


def _file_shaped(word: str) -> bool:
    return "/" in word or "\\" in word or PurePath(word.lower()).suffix in IMPORT_SUFFIXES


def parse_deck(rest: str) -> Parsed:
    sub, _, arg = rest.partition(" ")
    sub = sub.lower()
    words = arg.split(maxsplit=1)
    if sub == "list":
        if words:
            return ParseError(m.NO_ARGUMENTS.format(name="deck list") + " " + usage("deck"))
        return c.ListDecks()
    if sub == "import":
        if not words:
            return ParseError(m.DECK_NAME_MISSING.format(sub=sub))
        path = words[1].strip() if len(words) > 1 else None
        if path is None and _file_shaped(words[0]):
            # `deck import questions.csv`: the file came first and the name was left out.
            stem = PurePath(words[0]).stem.lower().replace("_", "-").replace(" ", "-")
            name = stem if name_problem(stem) is None else "our-stack"
            return ParseError(m.DECK_NAME_FIRST.format(usage=f"deck import {name} {words[0]}"))
        return c.ImportDeck(name=words[0].lower(), filename=path or "", path=path)
    if sub in DECK_ACTIONS:
        if len(words) != 1:
            return ParseError(m.DECK_NAME_MISSING.format(sub=sub))
        return c.DeckAction(sub, words[0].lower())
    if not sub:
        return ParseError(m.SUB_MISSING.format(name="deck") + " " + usage("deck"))
    return unknown_sub("deck", sub, ("import", "list", *DECK_ACTIONS))


def _round_number(word: str) -> int | None:
    value = int(word) if re.fullmatch(r"\d{1,10}", word) else 0
    return value if 0 < value <= c.ID_MAX else None


def parse_question(rest: str) -> Parsed:
    sub, _, arg = rest.partition(" ")
    sub, arg = sub.lower(), arg.strip()
    if sub == "void":
        number = _round_number(arg)
        return c.VoidRound(number) if number is not None else ParseError(m.QUESTION_ROUND)
    if sub == "rekey":
        word, _, answer = arg.partition(" ")
        number = _round_number(word)
        if number is None:
            return ParseError(m.QUESTION_ROUND)
        if not answer.strip():
            return ParseError(m.QUESTION_REKEY_USAGE)
        if len(answer) > REPORT_REASON_MAX:
            return ParseError(m.REPORT_TOO_LONG.format(limit=REPORT_REASON_MAX))
        return c.RekeyRound(number, answer.strip())
    if sub == "retire":
        if not arg or len(arg.split()) != 1:
            return ParseError(m.QUESTION_RETIRE_USAGE)
        return c.RetireQuestion(arg.lower())
    if not sub:
        return ParseError(m.SUB_MISSING.format(name="question") + " " + usage("question"))
    return unknown_sub("question", sub, ("void", "rekey", "retire"))


def parse_audit(rest: str) -> Parsed:
    words = rest.lower().split()
    if words[:1] == ["list"]:
        words = words[1:]
    if not words:
        return c.ListAudit()
    if len(words) == 1 and re.fullmatch(r"\d{1,6}", words[0]) and int(words[0]) > 0:
        return c.ListAudit(int(words[0]))
    return ParseError(m.AUDIT_USAGE)
