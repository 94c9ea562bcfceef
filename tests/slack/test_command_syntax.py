"""Slack replies name commands as `/study ...`, the one slash command the app has."""

from __future__ import annotations

import re
from typing import Any

from adapters.slack import render
from bot import messages as m
from bot.commandref import render_refs
from bot.replies import Notice, Tone
from tests.command_text import CODE_SPAN, help_views, text_grammar_spans, texts_with_refs

_REFS = re.compile(r"⟦([^⟧]+)⟧")


def block_text(node: Any) -> str:
    """Every text a block tree shows, one per line."""
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return "\n".join([*own, *(block_text(v) for v in node.values() if not isinstance(v, str))])
    if isinstance(node, list):
        return "\n".join(block_text(v) for v in node)
    return ""


def shown(reply: Notice | Any) -> str:
    return block_text([b.to_dict() for b in render.blocks_for(reply)])


def test_every_command_in_a_message_reads_as_study() -> None:
    texts = texts_with_refs()
    assert len(texts) > 20
    for _, text in texts:
        out = shown(Notice(text, Tone.ERROR))
        assert "⟦" not in out and text_grammar_spans(out) == [], out
        for line in _REFS.findall(text):
            assert f"`/study {render.escape(line)}`" in out, (line, out)
        fallback = render.fallback([Notice(text)])
        assert "⟦" not in fallback and "`/study " in fallback, fallback


def test_help_lists_study_commands() -> None:
    for view in help_views():
        out = shown(view)
        assert "⟦" not in out and text_grammar_spans(out) == [], out
        usages = [line for line in out.splitlines() if line.startswith("`")]
        assert usages and all(line.startswith("`/study ") for line in usages), out
    overview = shown(help_views()[0])
    assert "Send `/study help COMMAND` for details." in overview
    assert "Start a private quiz; `/study quiz stop` ends it." in overview


def test_the_modal_error_and_the_console_spell_their_own() -> None:
    assert "`/study forgetme confirm`" in render.field_error(m.FORGET_ASK)
    # The console (and the core's own rendering) keeps the text grammar.
    assert "Send `forgetme confirm` to go ahead." in render_refs(m.FORGET_ASK)
    assert CODE_SPAN.findall(render_refs(m.QUIZ_STOP_ALONE)) == ["quiz stop"]
