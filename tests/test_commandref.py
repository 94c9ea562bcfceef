"""Command references: the core names commands once, in its grammar, for every platform."""

from __future__ import annotations

import re

from bot.catalog import BY_NAME
from bot.commandref import bind, ref, render_refs
from tests.command_text import texts_with_refs

_REFS = re.compile(r"⟦([^⟧]+)⟧")


def test_every_reference_in_the_messages_names_a_catalog_command() -> None:
    found = 0
    for key, text in texts_with_refs():
        for line in _REFS.findall(text):
            bound = bind(line)
            assert bound is not None, (key, line)
            found += 1
    assert found > 25


def test_the_console_reads_its_own_grammar_and_others_spell_theirs() -> None:
    text = f"Answer it, or send {ref('quiz stop')} first."
    assert render_refs(text) == "Answer it, or send `quiz stop` first."
    assert render_refs(text, lambda line: f"/study {line}") == (
        "Answer it, or send `/study quiz stop` first."
    )
    assert render_refs(text, str.upper, code="") == "Answer it, or send QUIZ STOP first."


def test_words_bind_to_arguments_as_the_parser_reads_them() -> None:
    quiz = bind("quiz hard statistics 3")
    assert quiz is not None and quiz.sub is None
    assert [(a.name if a else None, v) for a, v in quiz.values] == [
        ("difficulty", "hard"),
        ("topic", "statistics"),
        ("count", "3"),
    ]
    team = bind("team join Red Fox")
    assert team is not None and team.sub is not None and team.sub.name == "join"
    assert [(a.name if a else None, v) for a, v in team.values] == [("name", "Red Fox")]
    report = bind("report stat-pvalue the key is B")
    assert report is not None and report.sub is not None and report.sub.name == "question"
    assert [v for _, v in report.values] == ["stat-pvalue the key is B"]
    placeholders = bind("quiz [topic] [difficulty]")
    assert placeholders is not None
    assert [(a, v) for a, v in placeholders.values] == [(None, "[topic]"), (None, "[difficulty]")]
    usage = bind(BY_NAME["config"].usage)
    assert usage is not None and usage.usage
    assert bind("frobnicate now") is None
