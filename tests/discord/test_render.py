"""Rendering replies as embeds and views: Discord's limits hold however large the reply."""

from __future__ import annotations

from typing import Any

import pytest
from discord import AllowedMentions, Embed

from adapters.discord.components import (
    ANSWER_ITEMS,
    BUTTON_ITEMS,
    DYNAMIC_ITEMS,
    ChartButton,
    StaleButton,
    Target,
    submitted_value,
)
from adapters.discord.render import Rendered, as_written, clip, render, within
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

HUGE = "x" * 10_000
NASTY = "**@everyone** <@123> _under_ `tick` ~~gone~~ ||spoiler|| > quote "
BIG_ID = 10**19 - 1  # the largest id the templates accept (19 digits)
LONG_QID = "q" * 40  # question ids are at most 40 characters


def card(kind: QuestionType, **extra: Any) -> QuestionCard:
    options: tuple[Option, ...] = ()
    if kind is QuestionType.MCQ:
        options = tuple(Option("ABCDE"[i], HUGE[:500] + str(i), i) for i in range(5))
    elif kind is QuestionType.TRUE_FALSE:
        options = (Option("T", "True", 1), Option("F", "False", 0))
    return QuestionCard(
        LONG_QID, "topic", Difficulty.HARD, kind, HUGE, options, closes_at=HUGE, **extra
    )


OVERSIZE: list[Reply] = [
    Notice(HUGE, Tone.ERROR),
    *(card(kind, quiz_id=BIG_ID, position=3, total=20) for kind in QuestionType),
    *(card(kind, round_id=BIG_ID) for kind in QuestionType),
    AnswerFeedback(LONG_QID, False, NASTY * 200, HUGE, HUGE, 0, HUGE),
    Flashcard(LONG_QID, BIG_ID, HUGE, tuple(HUGE[:2000] for _ in range(10))),
    QuizSummary(20, 10, 20, 50, rated={f"r{i}": i for i in range(500)}),
    RoundReveal(
        BIG_ID,
        LONG_QID,
        HUGE,
        HUGE,
        HUGE,
        5000,
        4000,
        tuple(OptionShare("ABCDE"[i], HUGE[:900], 1000, i == 1) for i in range(5)),
        tuple(f"{NASTY}{i}" for i in range(4000)),
        NASTY * 100,
    ),
    LeaderboardView(
        "users",
        "all",
        HUGE,
        tuple(BoardRow(i, NASTY * 3, 10_000 - i, HUGE[:300]) for i in range(1, 2000)),
    ),
    StatsView(
        NASTY * 100,
        10,
        None,
        100,
        50,
        3,
        9,
        NASTY * 100,
        tuple(TopicAccuracy(HUGE[:200] + str(i), 10, 5) for i in range(200)),
    ),
    HelpView(HUGE, tuple(HelpLine(HUGE[:300], HUGE[:300], True) for i in range(100)), HUGE),
    TableView(HUGE, tuple((NASTY * 10, NASTY * 50) for _ in range(300)), HUGE),
    WeeklyTally(
        HUGE,
        tuple(TeamTallyRow(i, NASTY * 5, 100, 12.5, 3, 9, -4, 2) for i in range(1, 300)),
        tuple(BoardRow(i, NASTY * 5, 10) for i in range(1, 300)),
    ),
    # An export whose file was refused: its whole content as text.
    FileView(HUGE, None, NASTY * 2000),
]


def assert_within_limits(embed: Embed) -> None:
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    for field in embed.fields:
        assert field.name and len(field.name) <= 256
        assert field.value and len(field.value) <= 1024
    assert len(embed.footer.text or "") <= 2048
    assert len(embed) <= 6000


def assert_view_within_limits(rendered: Rendered) -> None:
    if rendered.view is None:
        return
    items = rendered.view.children
    assert 0 < len(items) <= 25
    rows = rendered.view.to_components()
    assert len(rows) <= 5 and all(len(row["components"]) <= 5 for row in rows)
    for row in rows:
        for button in row["components"]:
            assert len(button["label"]) <= 80
            assert len(button["custom_id"]) <= 100
            # Exactly one kind of button takes the id (the catch-all steps aside).
            matches = [
                item
                for item in BUTTON_ITEMS
                if item.__discord_ui_compiled_template__.fullmatch(button["custom_id"])
            ]
            assert len(matches) == 1, button["custom_id"]


@pytest.mark.parametrize("reply", OVERSIZE, ids=lambda r: type(r).__name__)
def test_oversize_replies_fit_discord(reply: Reply) -> None:
    rendered = render(reply)
    assert_within_limits(rendered.embed)
    assert_view_within_limits(rendered)
    assert rendered.send_kwargs()["allowed_mentions"].to_dict() == AllowedMentions.none().to_dict()
    assert rendered.ephemeral is (reply.visibility is Visibility.PRIVATE)


def test_every_reply_type_has_a_rendering() -> None:
    covered = {type(r) for r in OVERSIZE}
    assert covered == set(Reply.__args__)


def test_clip_marks_the_cut() -> None:
    assert clip("short", 10) == "short"
    cut = clip("a" * 300, 256)
    assert len(cut) == 256 and cut.endswith("…")
    assert clip("ab\\c", 4) == "ab\\c"
    assert not clip("abc\\" + "d" * 10, 5).endswith("\\…")


def test_within_keeps_whole_lines_and_counts_the_rest() -> None:
    lines = [f"line {i}" for i in range(1000)]
    text = within(lines, 100)
    assert len(text) <= 100
    kept = text.splitlines()
    assert kept[:-1] == lines[: len(kept) - 1]
    assert kept[-1] == f"… and {1000 - len(kept) + 1} more"


def test_names_are_shown_as_typed_never_as_markup_or_mentions() -> None:
    escaped = as_written("**Bold** @everyone <@123456789012345678> @here")
    assert "\\*\\*Bold\\*\\*" in escaped
    # A backslash before @ and < keeps them text: no mention, no @everyone.
    assert "\\@everyone" in escaped and "\\@here" in escaped
    assert "\\<\\@123456789012345678\\>" in escaped
    board = render(LeaderboardView("users", "week", "week 47", (BoardRow(1, "**Ann**", 9),)))
    assert "\\*\\*Ann\\*\\*" in (board.embed.description or "")


def test_quiz_button_ids_fit_at_their_longest() -> None:
    target = Target(quiz_id=BIG_ID, question_id=LONG_QID)
    assert len(f"{target.prefix}:rpartly") <= 100
    rendered = render(card(QuestionType.MCQ, quiz_id=BIG_ID, position=1, total=1))
    assert_view_within_limits(rendered)
    labels = [b["label"] for row in rendered.view.to_components() for b in row["components"]]  # type: ignore[union-attr]
    assert labels[0].startswith("A. ") and labels[0].endswith("…")


def test_card_buttons_carry_original_option_indexes() -> None:
    shuffled = QuestionCard(
        "q1",
        "t",
        Difficulty.EASY,
        QuestionType.MCQ,
        "Pick",
        (Option("A", "third", 2), Option("B", "first", 0), Option("C", "second", 1)),
        round_id=7,
    )
    ids = [
        b["custom_id"]
        for row in render(shuffled).view.to_components()  # type: ignore[union-attr]
        for b in row["components"]
    ]
    assert ids == ["sb:d:7:c2", "sb:d:7:c0", "sb:d:7:c1"]


def test_every_studybot_id_has_a_registered_handler() -> None:
    # The answer buttons, the Chart button, and a catch-all that refuses what none takes.
    assert set(BUTTON_ITEMS) == {*ANSWER_ITEMS, ChartButton}
    assert set(DYNAMIC_ITEMS) == {*BUTTON_ITEMS, StaleButton}
    catch_all = StaleButton.__discord_ui_compiled_template__
    assert catch_all.fullmatch("sb:d:1:c0") and catch_all.fullmatch("sb:odd\nid")
    assert Target(round_id=2**31 - 1).in_range and not Target(round_id=2**31).in_range
    assert not Target(quiz_id=0, question_id="q").in_range


def test_modal_values_are_read_in_either_layout() -> None:
    text_input = {"type": 4, "custom_id": "answer", "value": "0.05"}
    in_a_row = [{"type": 1, "components": [text_input]}]
    in_a_label = [{"type": 10, "id": 1, "content": "x"}, {"type": 18, "component": text_input}]
    assert submitted_value(in_a_row, "answer") == "0.05"
    assert submitted_value(in_a_label, "answer") == "0.05"
    assert submitted_value([{"type": 1, "components": []}], "answer") is None


def test_text_stats_offer_a_chart_button_naming_whose_stats() -> None:
    from bot.replies import Image, StatsView

    def stats(**extra: Any) -> StatsView:
        return StatsView("Bob", 10, 1, 2, 1, 0, 0, None, (), **extra)

    def ids(reply: StatsView) -> list[str]:
        view = render(reply).view
        return (
            [] if view is None else [c["custom_id"] for c in view.to_components()[0]["components"]]
        )

    assert ids(stats()) == ["sb:chart"]
    assert ids(stats(subject="Bob")) == ["sb:chart:Bob"]
    assert ids(stats(subject="x" * 92)) == []  # past the 100-character custom_id
    assert ids(stats(image=Image("progress.png", b"png", "alt"))) == []  # the chart is there
