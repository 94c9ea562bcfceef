"""Charts from fixed data: real PNGs of the right size, not blank, alt text with the numbers."""

from __future__ import annotations

import gc
import hashlib
import io
import logging
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from matplotlib import image as mpimg

from bot.charts import draw
from bot.charts.data import (
    BoardBar,
    BoardData,
    ChartData,
    ProgressData,
    RaceData,
    RaceLine,
    RetentionPoint,
    TopicPoint,
    WeekPoint,
)
from bot.charts.service import Charts, alt_text, cache_key
from bot.charts.style import MAX_LINES, PALETTE
from tests.conftest import ROOT

# Discord refuses attachments over 10 MB (25 MB with boosts); Slack takes far more.
DISCORD_LIMIT = 10 * 1024 * 1024
# A blank or one-colour image has no variance; a chart's text, bars and lines give plenty.
VARIANCE_FLOOR = 0.002

WEEKS = tuple(
    WeekPoint(label, points, answered, correct)
    for label, points, answered, correct in [
        ("31 Aug", 0, 0, 0),
        ("7 Sep", 20, 2, 1),
        ("14 Sep", 45, 5, 4),
        ("21 Sep", 0, 0, 0),
        ("28 Sep", 30, 4, 2),
        ("5 Oct", 60, 6, 5),
        ("12 Oct", 10, 1, 1),
        ("19 Oct", 25, 3, 2),
        ("26 Oct", 70, 8, 7),
        ("2 Nov", 40, 5, 3),
        ("9 Nov", 55, 6, 5),
        ("16 Nov", 35, 4, 3),
    ]
)
TOPICS = (TopicPoint("statistics-probability", 20, 15), TopicPoint("transformers-llm", 10, 4))
PROGRESS = ProgressData("Ada", WEEKS, TOPICS)
RACE = RaceData(
    "week of 2026-11-16",
    ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    (RaceLine("Owls", (10.0, 15.0, 25.0, 32.5)), RaceLine("Hawks", (20.0, 20.0, 22.0, 30.0))),
)
BOARD = BoardData(
    "users",
    "week of 2026-11-16",
    tuple(BoardBar(i, f"player {i}", 130 - 10 * i) for i in range(1, 11)),
)


def pixels(png: bytes) -> np.ndarray:
    return mpimg.imread(io.BytesIO(png), format="png")


def drawn(data: ChartData) -> bytes:
    from bot.charts.draw import draw

    return draw(data)


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (PROGRESS, (600, 800)),
        (ProgressData("Ada", WEEKS, TOPICS, (RetentionPoint("9 Nov", 10, 8),)), (600, 800)),
        (RACE, (450, 800)),
        (BOARD, (450, 800)),
        (BoardData("teams", "all time", ()), (450, 800)),
    ],
    ids=["progress", "progress-retention", "race", "board", "empty-board"],
)
def test_each_chart_is_a_png_of_the_expected_size_and_not_blank(
    data: ChartData, size: tuple[int, int]
) -> None:
    png = drawn(data)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert 0 < len(png) < DISCORD_LIMIT
    image = pixels(png)
    assert image.shape[:2] == size
    assert float(image[..., :3].var()) > VARIANCE_FLOOR
    # Opaque: the same card in light and dark chat themes.
    assert image.shape[2] == 3 or float(image[..., 3].min()) == 1.0


def test_a_blank_image_fails_the_variance_floor() -> None:
    # The floor means something: a plain card of the chart background is below it.
    from matplotlib.figure import Figure

    from bot.charts.style import BACKGROUND

    out = io.BytesIO()
    Figure(figsize=(8, 4.5), dpi=100, facecolor=BACKGROUND).savefig(out, format="png")
    assert float(pixels(out.getvalue())[..., :3].var()) < VARIANCE_FLOOR


def test_the_progress_alt_text_states_the_key_numbers() -> None:
    text = alt_text(PROGRESS)
    # 12 weeks: 390 points, 33 of 44 answers correct (75%), 35 points this week.
    assert "last 12 weeks" in text
    assert "390 points" in text and "33 of 44 answers correct (75%)" in text
    assert "this week 35 points" in text
    assert "statistics-probability 15/20 (75%)" in text and "transformers-llm 4/10 (40%)" in text
    assert "retention" not in text.lower()
    with_cards = ProgressData("Ada", WEEKS, TOPICS, (RetentionPoint("9 Nov", 10, 8),))
    assert "Review retention: 9 Nov 80% of 10." in alt_text(with_cards)


def test_the_race_and_board_alt_texts_state_the_key_numbers() -> None:
    race = alt_text(RACE)
    assert "Owls 32.5; Hawks 30" in race and "Leader: Owls with 32.5" in race
    board = alt_text(BOARD)
    assert board.startswith("Leaderboard chart, users, week of 2026-11-16: 1. player 1 120,")
    assert "10. player 10 30." in board


async def test_identical_inputs_are_a_cache_hit_and_others_are_drawn() -> None:
    calls: list[ChartData] = []

    def counting(data: ChartData) -> bytes:
        calls.append(data)
        return drawn(data)

    charts = Charts(counting)
    first = await charts.image(RACE, "team-race.png")
    again = await charts.image(
        RaceData(RACE.label, RACE.days, tuple(RaceLine(t.name, t.values) for t in RACE.teams)),
        "team-race.png",
    )
    assert first is not None and again is first
    assert (charts.hits, charts.misses, len(calls)) == (1, 1, 1)
    other = await charts.image(BOARD, "leaderboard.png")
    assert other is not None and other.data != first.data
    assert (charts.hits, charts.misses, len(calls)) == (1, 2, 2)
    assert cache_key(RACE) != cache_key(BOARD)
    assert first.alt_text == alt_text(RACE) and first.title == "Team race · week of 2026-11-16"
    charts.close()


async def test_the_cache_keeps_only_the_newest_images() -> None:
    charts = Charts(lambda data: b"png", size=2)
    boards = [BoardData("users", f"week {i}", ()) for i in range(3)]
    for board in boards:
        await charts.image(board, "leaderboard.png")
    await charts.image(boards[0], "leaderboard.png")  # evicted: drawn again
    assert (charts.hits, charts.misses) == (0, 4)
    charts.close()


async def test_a_failed_drawing_gives_none_and_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(data: ChartData) -> bytes:
        raise RuntimeError("no fonts")

    charts = Charts(broken)
    with caplog.at_level(logging.WARNING, logger="bot.charts.service"):
        assert await charts.image(BOARD, "leaderboard.png") is None
    [warning] = caplog.records
    assert (
        "leaderboard.png not drawn" in warning.getMessage() and "no fonts" in warning.getMessage()
    )
    charts.close()


def test_the_race_draws_at_most_one_line_per_palette_colour() -> None:
    teams = tuple(RaceLine(f"team {i}", (float(i), float(2 * i))) for i in range(MAX_LINES + 3))
    assert len(PALETTE) == MAX_LINES
    # Teams past the palette would repeat a colour: they are left out, so the image is the
    # same as without them.
    crowded = drawn(RaceData("w", RACE.days, teams))
    assert crowded == drawn(RaceData("w", RACE.days, teams[:MAX_LINES]))
    assert crowded != drawn(RaceData("w", RACE.days, teams[: MAX_LINES - 1]))


# Inputs of every shape a kept figure must forget: more and fewer topics, bars and teams than
# the fixed data above, and the empty cases (no topics, no bars, no teams, no reviews).
OTHERS: tuple[ChartData, ...] = (
    ProgressData(
        "Grace",
        WEEKS[::-1],
        tuple(TopicPoint(f"topic {i}", 10 + i, i) for i in range(9)),
    ),
    ProgressData("Alan", WEEKS, ()),
    ProgressData("Alan", WEEKS, TOPICS, (RetentionPoint("9 Nov", 0, 0),)),
    RaceData("w", RACE.days, tuple(RaceLine(f"team {i}", (50.0 * i,) * 7) for i in range(7))),
    RaceData("w", RACE.days, ()),
    RaceData("w", RACE.days, (RaceLine("Solo", (3.0,)),)),
    BoardData("teams", "all time", (BoardBar(1, "x" * 40, 5000.0),)),
    BoardData("teams", "all time", ()),
)
FIXED: tuple[ChartData, ...] = (
    PROGRESS,
    ProgressData("Ada", WEEKS, TOPICS, (RetentionPoint("9 Nov", 10, 8),)),
    RACE,
    BOARD,
)


def test_a_kept_figure_draws_each_chart_as_a_fresh_one_would() -> None:
    # Each kind's figure is built once and filled in place: what one drawing sets (limits,
    # bars, texts, the legend, hidden panels) must never show in the next. The fixed charts
    # drawn in a fresh interpreter, where each is its figure's first drawing, are the
    # reference; here they are drawn after every other shape.
    script = textwrap.dedent(
        """
        import hashlib
        from bot.charts.draw import draw
        from tests.test_charts import FIXED
        for data in FIXED:
            print(hashlib.sha256(draw(data)).hexdigest())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    fresh = done.stdout.split()
    for data in OTHERS:
        drawn(data)
    assert [hashlib.sha256(drawn(data)).hexdigest() for data in FIXED] == fresh
    # And the others differ from them: the comparison can tell charts apart.
    assert {hashlib.sha256(drawn(data)).hexdigest() for data in OTHERS}.isdisjoint(fresh)


def test_names_are_drawn_as_typed_never_as_tex() -> None:
    # matplotlib would read "$...$" as mathematics; this one is not even valid TeX.
    odd = r"Bob $\frac{a}$"
    png = drawn(BoardData("users", "week", (BoardBar(1, odd, 10),)))
    assert float(pixels(png)[..., :3].var()) > VARIANCE_FLOOR
    drawn(RaceData("w", RACE.days, (RaceLine(odd, (1.0, 2.0)),)))
    drawn(ProgressData(odd, WEEKS, (TopicPoint(odd, 2, 1),)))


def test_drawing_leaves_the_long_lived_objects_out_of_full_collections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # After a kind's first drawing, what is alive then (matplotlib, its font caches, the kept
    # figure) is frozen: full collections, the pauses in the drawing time's tail, skip it.
    # No figure kept yet (another test may have drawn one, and an app's close unfreezes).
    monkeypatch.setattr(draw, "_SHEETS", {})
    gc.unfreeze()
    drawn(BOARD)
    assert gc.get_freeze_count() > 100_000


def test_starting_the_bot_does_not_import_matplotlib(tmp_path: object) -> None:
    # Start-up time: matplotlib loads when the first chart is drawn, never before.
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        import bot, bot.usecases.boards, bot.usecases.scheduling, adapters.cli, adapters.host
        import adapters.console.app, adapters.discord.runtime, adapters.slack.runtime
        from bot.bootstrap import build_app
        from bot.settings import Settings

        async def main():
            app = await build_app(
                Settings(_env_file=None), db_url="sqlite+aiosqlite:///{tmp_path}/s.db"
            )
            await app.close()

        asyncio.run(main())
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "PIL", "numpy")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
