"""Questions shown as written: every bank text through the real Slack renderer, mrkdwn read
back by a reference parser of Slack's rules, equals the bank's own text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.slack import render as slack_render
from adapters.slack.render import answer_modal, as_written, blocks_for
from adapters.slack.translate import ModalContext, Target
from bot.questions import QuestionType
from bot.replies import Notice
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
from tests.slack.mrkdwn import plain, visible

READINGS = pytest.mark.parametrize(
    "zwsp_is_space", [False, True], ids=["zwsp-letter", "zwsp-space"]
)


def texts(node: Any, zwsp_is_space: bool) -> Iterator[Styled]:
    """Every text object in a block tree as a reader sees it; plain_text shows verbatim."""
    if isinstance(node, list):
        for child in node:
            yield from texts(child, zwsp_is_space)
    elif isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield visible(node["text"], zwsp_is_space)
        elif node.get("type") == "plain_text" and isinstance(node.get("text"), str):
            yield [(ch, PLAIN) for ch in node["text"]]
        else:
            for key, child in node.items():
                if key != "value":  # a button's value is data, never shown
                    yield from texts(child, zwsp_is_space)


def unshown(item: BankItem, zwsp_is_space: bool) -> list[str]:
    q = item.question
    trees: list[Any] = [[b.to_dict() for b in blocks_for(reply)] for reply in item.replies]
    if q.type in (QuestionType.SHORT, QuestionType.NUMERIC, QuestionType.OPEN):
        modal = ModalContext(Target(quiz_id=1, question_id=q.id), q.type.value, "C1")
        trees.append(answer_modal(modal, q.prompt).to_dict())
    shown = Shown([part for tree in trees for part in texts(tree, zwsp_is_space)])
    return [f"{q.id} {field}: {text!r}" for field, text in item.texts if not shown.has(text)]


@READINGS
def test_the_reference_parser_reads_slack_markup(zwsp_is_space: bool) -> None:
    def v(text: str) -> Styled:
        return visible(text, zwsp_is_space)

    assert v("*bold* _it_ ~no~") == [
        *[(ch, frozenset({"bold"})) for ch in "bold"],
        (" ", PLAIN),
        *[(ch, frozenset({"italic"})) for ch in "it"],
        (" ", PLAIN),
        *[(ch, frozenset({"strike"})) for ch in "no"],
    ]
    # Markers inside words are text; formatting needs word boundaries.
    assert plain(v("1*3 + 2*1 snake_case_name")) == "1*3 + 2*1 snake_case_name"
    assert {s for _, s in v("2 * 3 * 4")} == {PLAIN}
    assert plain(v("(*x*)")) == "(x)"
    assert v("`a*b*`") == [(ch, CODE) for ch in "a*b*"]
    assert plain(v("a &lt;b&gt; &amp;amp; <@U1|ann>")) == "a <b> &amp; ann"
    assert v("&gt; quoted")[0] == ("q", frozenset({"quote"}))


@READINGS
def test_every_bank_text_is_shown_as_written(zwsp_is_space: bool) -> None:
    items = bank_items()
    missing = [problem for item in items for problem in unshown(item, zwsp_is_space)]
    assert missing == [], f"{len(missing)} fields altered, e.g. {missing[:5]}"


def test_the_check_catches_unescaped_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # Escaping &, < and > alone (what the renderer did before) leaves _x_ active: Slack's
    # word boundaries spare most of the bank, not all of it (`__call__`, `state_dict()`...).
    monkeypatch.setattr(slack_render, "as_written", slack_render.escape)
    altered = [item.question.id for item in bank_items() if unshown(item, zwsp_is_space=False)]
    assert "pt-call-vs-forward" in altered


@READINGS
@pytest.mark.parametrize(
    "text",
    [
        "*bold* _italic_ ~strike~",
        "(*x*) and _y_, ~z~.",
        "a * b * c and 1*3 + 2*1",
        "`code *kept*` and `a & b`",
        "> not a quote\n> nor this",
        "<@U1> <!here> & <https://example.com|x>",
        "`unclosed _x_",
    ],
)
def test_user_and_bank_text_round_trips(text: str, zwsp_is_space: bool) -> None:
    assert shows(visible(as_written(text), zwsp_is_space), text)


def test_notices_keep_their_code_and_quote_what_was_typed() -> None:
    notice = Notice("Unknown topic '_x_'. Send `topics` for the list.")
    [section] = [b.to_dict() for b in blocks_for(notice)]
    [shown] = list(texts(section, zwsp_is_space=False))
    assert shows(shown, notice.text)


def test_code_in_the_bank_stays_code() -> None:
    coded = [i for i in bank_items() if any(BANK_CODE.search(t) for _, t in i.texts)]
    assert coded, "the bank has code spans"
    prompt = coded[0].question.prompt
    [*_, section] = [b.to_dict() for b in blocks_for(Notice(prompt))]
    assert any(style == CODE for _, style in visible(section["text"]["text"]))


def test_button_labels_are_plain_text_and_never_escaped() -> None:
    # Slack shows a button's plain_text as it is: no entities, no zero-width spaces there.
    checked = 0
    for item in bank_items():
        q = item.question
        if q.type is not QuestionType.MCQ:
            continue
        blocks = [b.to_dict() for b in blocks_for(item.replies[0])]
        shown = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
        letters = "ABCDE"
        assert shown == [
            slack_render.clip(f"{letters[i]}. {c}", slack_render.BUTTON_TEXT)
            for i, c in enumerate(q.choices)
        ]
        checked += 1
    assert checked > 500
