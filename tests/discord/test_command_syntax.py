"""Discord replies name commands as slash commands with options, never in the text grammar."""

from __future__ import annotations

import re

import pytest

from adapters.discord.render import render
from adapters.discord.syntax import slash
from bot import messages as m
from bot.catalog import BY_NAME
from bot.replies import AnswerFeedback, Notice, TableView, Tone
from tests.command_text import (
    CODE_SPAN,
    NAMES_NO_COMMAND,
    core_texts,
    help_views,
    text_grammar_spans,
)
from tests.discord.helpers import embed_text

_OPTION = re.compile(r"^(\w+):")


def shown(text: str) -> str:
    return embed_text(render(Notice(text, Tone.ERROR)).embed)


def check_slash_command(span: str) -> None:
    """`span` is a command Discord has: its path is in the catalog and its options exist."""
    words = span.removeprefix("/").split()
    entry = BY_NAME[words[0]]
    rest = words[1:]
    if entry.subs and rest and rest[0] in {s.name for s in entry.subs}:
        word = rest.pop(0)
        sub = next(s for s in entry.subs if s.name == word)
        args = sub.args
    else:
        assert not entry.subs or not rest or rest[0].startswith(("[", "<", ".")) or "|" in rest[0]
        args = entry.args
    names = {a.name for a in args}
    for word in rest:
        option = _OPTION.match(word)
        if option:
            assert option[1] in names, (span, option[1])


@pytest.mark.parametrize(
    ("line", "want"),
    [
        ("quiz statistics 3", "/quiz topic:statistics count:3"),
        ("quiz hard 10", "/quiz difficulty:hard count:10"),
        ("quiz stop", "/quiz topic:stop"),
        ("forgetme confirm", "/forgetme confirm:confirm"),
        ("config time 09:30", "/config time time:09:30"),
        ("config weekly fri 17:00", "/config weekly day:fri time:17:00"),
        ("config channel", "/config channel"),
        ("team join Red Fox", "/team join name:Red Fox"),
        ("answer got it", "/answer text:got it"),
        ("help COMMAND", "/help command:COMMAND"),
        ("report QUESTION-ID what is wrong", "/report question reason:QUESTION-ID what is wrong"),
        ("report list", "/report list"),
        ("leaderboard teams month", "/leaderboard scope:teams period:month"),
        ("quiz [topic] [difficulty] [count]", "/quiz [topic] [difficulty] [count]"),
        (BY_NAME["quiz"].usage, "/quiz [topic] [difficulty] [count]"),
        (BY_NAME["team"].usage, "/team create|delete|join|leave|list"),
        (BY_NAME["leaderboard"].usage, "/leaderboard [scope] [period] [view]"),
        (BY_NAME["stats"].usage, "/stats [view] [user]"),
        ("stats chart Ada", "/stats view:chart user:Ada"),
        ("leaderboard teams chart", "/leaderboard scope:teams view:chart"),
    ],
)
def test_text_grammar_lines_become_slash_commands(line: str, want: str) -> None:
    assert slash(line) == want


def test_no_message_shows_the_text_grammar_on_discord() -> None:
    spans = 0
    for key, text in core_texts(prefix_excluded=("SLACK_",)):
        out = shown(text)
        assert "⟦" not in out and "⟧" not in out, out
        assert text_grammar_spans(out) == [], out
        for span in CODE_SPAN.findall(out):
            if key not in NAMES_NO_COMMAND and span.split()[0][1:] in BY_NAME:
                check_slash_command(span)
                spans += 1
    assert spans > 20  # the check above saw the commands, not an empty rendering


def test_the_command_hints_read_as_slash_commands() -> None:
    assert "send `/quiz topic:stop` first" in shown(m.QUIZ_ALREADY.format(position=1, total=3))
    assert "`/forgetme confirm:confirm`" in shown(m.FORGET_ASK)
    assert "`/config weekly day:fri time:17:00`" in shown(m.CONFIG_WEEKLY)
    assert "Start one with `/quiz [topic] [difficulty] [count]`" in shown(m.QUIZ_NONE)
    usage = shown(m.ANSWER_EMPTY + " " + m.USAGE.format(usage=BY_NAME["answer"].usage))
    assert usage.endswith("Usage: `/answer text:TEXT`")


def test_no_help_view_shows_the_text_grammar_on_discord() -> None:
    views = help_views()
    assert len(views) == len(BY_NAME) + 1
    for view in views:
        out = embed_text(render(view).embed)
        assert "⟦" not in out and text_grammar_spans(out) == [], out
        assert "send `help COMMAND`" not in out.lower()
        for line in out.splitlines()[1:]:
            if line.startswith("`"):
                assert line.startswith("`/"), line
                check_slash_command(CODE_SPAN.findall(line)[0])
    overview = embed_text(render(views[0]).embed)
    assert "Send `/help command:COMMAND` for details." in overview
    assert "`/quiz [topic] [difficulty] [count]` — Start a private quiz; `/quiz topic:stop`" in (
        overview
    )
    quiz = next(embed_text(render(v).embed) for v in views if v.title.endswith(": quiz"))
    assert "`/quiz topic:statistics-probability count:3` — example" in quiz
    config = next(embed_text(render(v).embed) for v in views if v.title.endswith(": config"))
    assert "`/config time time:09:30` — example" in config


def test_footers_and_notes_name_slash_commands() -> None:
    table = render(TableView("Topics", (("a", "b"),), m.TOPICS_FOOTER.format(n=3)))
    assert table.embed.footer.text == "3 questions in all. Start with `/quiz topic:TOPIC`."
    note = AnswerFeedback("q", True, "B", "B", "why", note=m.OPEN_RATE)
    assert "`/answer text:got it`" in (render(note).embed.footer.text or "")
