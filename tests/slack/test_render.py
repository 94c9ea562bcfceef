"""Block Kit rendering: every reply type, oversize replies within Slack's limits, escaping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from adapters.slack import render
from adapters.slack.translate import (
    ModalContext,
    Target,
    answer_action,
    answer_command,
    open_action,
    open_request,
)
from bot.questions import Difficulty, QuestionType
from bot.replies import (
    AnswerFeedback,
    BoardRow,
    FileView,
    Flashcard,
    HelpLine,
    HelpView,
    LeaderboardView,
    Notice,
    Option,
    OptionShare,
    QuestionCard,
    QuizSummary,
    Reply,
    RoundReveal,
    StatsView,
    TableView,
    TeamTallyRow,
    Tone,
    TopicAccuracy,
    Visibility,
    WeeklyTally,
)

HUGE = "x<&>" * 3000  # 12,000 characters, every fourth one in need of escaping
NAME = "<@U123> & <!channel>"


def oversize() -> list[Reply]:
    return [
        Notice(HUGE, Tone.ERROR),
        QuestionCard(
            "q" * 300,
            "t" * 200,
            Difficulty.HARD,
            QuestionType.MCQ,
            HUGE,
            tuple(Option(f"L{i}", HUGE, i) for i in range(30)),
            quiz_id=7,
            position=1,
            total=2,
        ),
        QuestionCard("q" * 300, "t", Difficulty.EASY, QuestionType.NUMERIC, HUGE, round_id=3),
        QuestionCard(
            "q", "t", Difficulty.EASY, QuestionType.TRUE_FALSE, HUGE, closes_at=HUGE, round_id=3
        ),
        AnswerFeedback("q", False, HUGE, HUGE, HUGE, note=HUGE),
        Flashcard("q" * 300, 9, HUGE, tuple(HUGE for _ in range(40))),
        QuizSummary(3, 2, 5, 10, rated={HUGE: 2}),
        RoundReveal(
            1,
            "q",
            HUGE,
            HUGE,
            HUGE,
            1000,
            900,
            tuple(OptionShare(NAME, HUGE, 10, True) for _ in range(40)),
            tuple(f"{NAME} {i}" for i in range(2000)),
            NAME * 500,
        ),
        LeaderboardView(
            "users",
            "week",
            HUGE,
            tuple(BoardRow(i, NAME * 50, i, HUGE) for i in range(1, 400)),
        ),
        StatsView(
            HUGE,
            10,
            None,
            0,
            0,
            0,
            0,
            HUGE,
            tuple(TopicAccuracy(NAME * 20, 3, 1) for _ in range(500)),
        ),
        HelpView(HUGE, tuple(HelpLine(HUGE, HUGE, True) for _ in range(200)), HUGE),
        TableView(HUGE, tuple((NAME * 10, HUGE) for _ in range(300)), HUGE),
        WeeklyTally(
            HUGE,
            tuple(TeamTallyRow(i, NAME * 30, 5, 1.5, 1, 2, 3, -1) for i in range(300)),
            tuple(BoardRow(i, HUGE, i) for i in range(300)),
        ),
        FileView(HUGE, None, NAME * 5000),  # an export as text: its file could not go
    ]


def every(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from every(value)
    elif isinstance(node, list):
        for value in node:
            yield from every(value)


def check_block(block: dict[str, Any]) -> None:
    kind = block["type"]
    if kind == "section":
        if "text" in block:
            assert 0 < len(block["text"]["text"]) <= 3000
        assert len(block.get("fields", [])) <= 10
        for f in block.get("fields", []):
            assert len(f["text"]) <= 2000
    elif kind == "header":
        assert 0 < len(block["text"]["text"]) <= 150
    elif kind == "actions":
        assert 0 < len(block["elements"]) <= 25
        ids = [e["action_id"] for e in block["elements"]]
        assert len(ids) == len(set(ids))  # unique within the block
    elif kind == "context":
        assert 0 < len(block["elements"]) <= 10
        for e in block["elements"]:
            assert len(e["text"]) <= 3000
    for node in every(block):
        if node.get("type") == "button":
            assert 0 < len(node["text"]["text"]) <= 75
            assert len(node["action_id"]) <= 255
            assert len(node.get("value", "")) <= 2000
        if node.get("type") == "mrkdwn":
            # Only escaped text: no pings, no special mentions, no links.
            assert "<" not in node["text"] and ">" not in node["text"]
            # Not preprocessed either: a bare `@channel` or `evil.example` stays text.
            assert node.get("verbatim") is True


def as_dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    for block in blocks:
        block.validate_json()  # slack_sdk's own checks of each block's limits
    return [b.to_dict() for b in blocks]


@pytest.mark.parametrize("reply", oversize(), ids=lambda r: type(r).__name__)
def test_oversize_replies_stay_within_slack_limits(reply: Reply) -> None:
    messages = render.messages([reply])
    assert messages
    for message in messages:
        assert 0 < len(message.blocks) <= 50
        assert 0 < len(message.text) <= 3000
        assert "<" not in message.text and ">" not in message.text
        for block in as_dicts(message.blocks):
            check_block(block)


def test_many_replies_split_into_messages_of_at_most_fifty_blocks() -> None:
    replies = [Notice(f"note {i}") for i in range(120)]
    messages = render.messages(replies)
    assert [len(m.blocks) for m in messages] == [50, 50, 20]


def test_replies_are_grouped_by_visibility() -> None:
    replies: list[Reply] = [
        Notice("a"),
        Notice("b"),
        Notice("c", visibility=Visibility.PUBLIC),
        Notice("d"),
    ]
    assert [(m.public, len(m.blocks)) for m in render.messages(replies)] == [
        (False, 2),
        (True, 1),
        (False, 1),
    ]


def test_the_home_view_holds_at_most_a_hundred_blocks() -> None:
    view = render.home_view(oversize())
    view.validate_json()
    blocks = view.to_dict()["blocks"]
    assert len(blocks) == 100
    assert "more" in json.dumps(blocks[-1])
    for block in blocks:
        check_block(block)


def test_the_answer_modal_fits_and_round_trips_its_context() -> None:
    context = ModalContext(Target(quiz_id=4, question_id="q-1"), "open", "C1", "https://r/1")
    view = render.answer_modal(context, HUGE)
    view.validate_json()
    data = view.to_dict()
    assert data["callback_id"] == "studybot:answer"
    assert len(data["private_metadata"]) <= 3000
    assert data["blocks"][-1]["element"]["multiline"] is True
    for block in data["blocks"][:-1]:
        check_block(block)
    assert ModalContext.load(data["private_metadata"]) == context
    command = context.command("my answer", "view:V1:h:abc")
    assert (command.quiz_id, command.question_id, command.text) == (4, "q-1", "my answer")


def test_unusable_modal_metadata_is_rejected() -> None:
    for text in ("", "{}", "[]", '{"t": "x9", "k": "short", "c": "C1"}', "not json"):
        assert ModalContext.load(text) is None


def test_escaping_and_clipping() -> None:
    assert render.escape("a <@U1> & <!here>") == "a &lt;@U1&gt; &amp; &lt;!here&gt;"
    assert render.clip("abcdef", 4) == "abc…"
    # A cut never leaves half an entity behind.
    clipped = render.clip(render.escape("ab&cd"), 5)
    assert clipped == "ab…" and len(clipped) <= 5


def test_names_are_cut_with_a_count() -> None:
    text = render.names([f"person {i}" for i in range(100)], 60)
    assert len(text) <= 60 and text.endswith("more")
    assert render.names(["a", "b"], 60) == "a, b"


@pytest.mark.parametrize(
    ("target", "option", "expected"),
    [
        (Target(round_id=12), "c2", {"round_id": 12, "choice": 2, "text": ""}),
        (Target(round_id=12), "true", {"round_id": 12, "choice": None, "text": "true"}),
        (Target(quiz_id=3, question_id="ss-x"), "false", {"quiz_id": 3, "question_id": "ss-x"}),
        (Target(quiz_id=3, question_id="ss-x"), "got", {"text": "got it", "question_id": "ss-x"}),
        (Target(quiz_id=3, question_id="ss-x"), "missed", {"text": "missed"}),
    ],
)
def test_answer_action_ids_round_trip(
    target: Target, option: str, expected: dict[str, Any]
) -> None:
    action_id = answer_action(target, option)
    assert action_id.startswith("studybot:ans:")
    command = answer_command(action_id, "action:U1:1.2")
    assert command is not None and command.delivery_id == "action:U1:1.2"
    for key, value in expected.items():
        assert getattr(command, key) == value


def test_an_overlong_question_id_is_dropped_from_the_action_id() -> None:
    action_id = answer_action(Target(quiz_id=3, question_id="q" * 300), "c1")
    assert len(action_id) <= 255
    command = answer_command(action_id, None)
    assert command is not None and (command.quiz_id, command.question_id) == (3, None)


def test_open_action_ids_round_trip() -> None:
    request = open_request(open_action(Target(round_id=5), "numeric"))
    assert request is not None and request.target == Target(round_id=5)
    assert request.question_type == "numeric"


@pytest.mark.parametrize(
    "action_id", ["studybot:ans:r1:c", "studybot:ans:x1:c1", "studybot:ans:r1:maybe", "other"]
)
def test_foreign_action_ids_are_ignored(action_id: str) -> None:
    assert answer_command(action_id, None) is None
    assert open_request(action_id) is None
