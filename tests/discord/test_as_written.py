"""Questions shown as written: every bank text through the real Discord renderer, markdown
read back by a reference parser of Discord's rules, equals the bank's own text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.discord import render as discord_render
from adapters.discord.components import clip_label
from adapters.discord.render import Rendered, as_written, render
from bot.questions import QuestionType
from bot.replies import Notice, Reply
from tests.bank_text import (
    BANK_CODE,
    CODE,
    PLAIN,
    BankItem,
    Shown,
    Styled,
    bank_items,
    shows,
)
from tests.discord.markdown import plain, visible


def parts(rendered: Rendered) -> Iterator[Styled]:
    """Every text of an embed as a reader sees it. Footers are plain text on Discord."""
    embed = rendered.embed
    for text in (embed.title, embed.description):
        if text:
            yield visible(text)
    for field in embed.fields:
        yield visible(field.name or "")
        yield visible(field.value or "")
    if embed.footer.text:
        yield [(ch, PLAIN) for ch in embed.footer.text]


def unshown(item: BankItem) -> list[str]:
    """The fields of one bank question that no rendered reply shows as written."""
    shown = Shown([part for reply in item.replies for part in parts(render(reply))])
    return [
        f"{item.question.id} {field}: {text!r}" for field, text in item.texts if not shown.has(text)
    ]


def test_the_reference_parser_reads_discord_markup() -> None:
    # The three cases from the bug report, and the rest of the rules the renderer defuses.
    assert visible("||x - y||") == [(ch, frozenset({"spoiler"})) for ch in "x - y"]
    styled = visible("1*3 + 2*1")
    assert plain(styled) == "13 + 21"
    assert {ch for ch, style in styled if "italic" in style} == set("3 + 2")
    assert visible("__init__") == [(ch, frozenset({"underline"})) for ch in "init"]
    assert plain(visible("**a** ~~b~~ `c*d` > e")) == "a b c*d > e"
    assert visible("> quoted")[0] == ("q", frozenset({"quote"}))
    assert visible("`a*b`") == [(ch, CODE) for ch in "a*b"]
    assert plain(visible("\\*\\_\\|\\|")) == "*_||"
    assert plain(visible("- item")) == "• item"
    assert visible("1) item")[0] == ("1", frozenset({"list"}))
    assert visible("<@123>")[0][1] == frozenset({"mention"})


def test_every_bank_text_is_shown_as_written() -> None:
    items = bank_items()
    assert len(items) > 1000  # the real bank, not the test fixture
    missing = [problem for item in items for problem in unshown(item)]
    assert missing == [], f"{len(missing)} fields altered, e.g. {missing[:5]}"


def test_the_check_catches_unescaped_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the escaping, spoilers, italics and underlines eat the bank's text again.
    monkeypatch.setattr(discord_render, "as_written", lambda text: text)
    # A field with two `||` outside code is a spoiler pair: 23 questions in the bank today.
    spoiled = [
        item
        for item in bank_items()
        if any(BANK_CODE.sub("", text).count("||") >= 2 for _, text in item.texts)
    ]
    assert len(spoiled) >= 20
    assert all(unshown(item) for item in spoiled)


@pytest.mark.parametrize(
    "text",
    [
        "||x - y||",
        "1*3 + 2*1",
        "__init__",
        "a \\*b\\* \\ c",
        "`unclosed *x*",
        "> not a quote\n# not a heading\n- not a list\n1) nor this\n2. nor that",
        "[link](https://example.com) <@123> @everyone <#1> <t:0:R>",
        "use `x ** 2` and ``a`b``",
    ],
)
def test_user_and_bank_text_round_trips(text: str) -> None:
    assert shows(visible(as_written(text)), text)


def test_notices_keep_their_code_and_quote_what_was_typed() -> None:
    # A refusal quoting a topic someone typed: the name stays, `topics` stays code.
    notice = Notice("Unknown topic 'foo_bar_'. Send `topics` for the list.")
    [description] = [p for p in parts(render(notice))]
    assert plain(description) == "Unknown topic 'foo_bar_'. Send topics for the list."
    assert shows(description, notice.text)


def labels(reply: Reply) -> list[str]:
    view = render(reply).view
    assert view is not None
    return [
        str(b["label"])
        for row in view.to_components()
        for b in row["components"]
        if b.get("type") == 2
    ]


def test_button_labels_are_plain_text_and_never_escaped() -> None:
    # Discord shows a button label verbatim: a backslash there would be seen.
    checked = 0
    for item in bank_items():
        question = item.question
        if question.type is not QuestionType.MCQ:
            continue
        card = item.replies[0]
        expected = [clip_label(f"{'ABCDE'[i]}. {c}") for i, c in enumerate(question.choices)]
        assert labels(card) == expected
        checked += 1
    assert checked > 500
