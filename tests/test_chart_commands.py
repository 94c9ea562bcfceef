"""`stats chart`, `leaderboard chart` and the tally's team race, on each database."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from matplotlib import image as mpimg

from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.charts.data import ChartData
from bot.charts.service import Charts
from bot.identity import Origin
from bot.replies import (
    AnswerFeedback,
    LeaderboardView,
    Notice,
    QuestionCard,
    Reply,
    StatsView,
)
from bot.usecases import boards
from bot.usecases.charts import race_data
from tests.conftest import START, origin
from tests.helpers import correct_text, say, wrong_text

ADA = origin("Ada", admin=True)
BOB = origin("Bob")
CY = origin("Cy")


async def play(app: App, who: Origin, line: str, right: bool = True) -> list[AnswerFeedback]:
    """Run a quiz, answering every question right (or wrong); the feedback of each answer."""
    replies = await say(app, who, line)
    out = []
    while isinstance(replies[-1], QuestionCard):
        card = replies[-1]
        answer = correct_text(app, card) if right else wrong_text(app, card)
        replies = await say(app, who, f"answer {answer}")
        out.append(next(r for r in replies if isinstance(r, AnswerFeedback)))
    assert out, line
    return out


def one(replies: list[Reply], kind: type) -> object:
    [found] = [r for r in replies if isinstance(r, kind)]
    return found


def png_size(data: bytes) -> tuple[int, int]:
    shape = mpimg.imread(io.BytesIO(data), format="png").shape
    return shape[0], shape[1]


async def test_stats_chart_draws_points_and_accuracy_by_week(app: App, clock: ManualClock) -> None:
    clock.set(START - dt.timedelta(days=6))  # Tuesday of the week before
    before = await play(app, ADA, "quiz sample-ml medium 1")
    clock.set(START + dt.timedelta(hours=2))  # this week
    now = [
        *await play(app, ADA, "quiz sample-stats easy 1", right=False),
        *await play(app, ADA, "quiz sample-ml easy 1"),
    ]
    weekly = await app.stores.boards.weekly_points(1, START.date() - dt.timedelta(weeks=11))
    assert weekly == {
        "2026-W46": (sum(f.points for f in before), 1, 1),
        "2026-W47": (sum(f.points for f in now), 2, 1),
    }

    replies = await say(app, ADA, "stats chart")
    view = one(replies, StatsView)
    assert isinstance(view, StatsView) and view.image is not None
    assert not [r for r in replies if isinstance(r, Notice)]
    assert view.image.filename == "progress.png" and png_size(view.image.data) == (600, 800)
    total = sum(f.points for f in [*before, *now])
    alt = view.image.alt_text
    assert f"{total} points, 2 of 3 answers correct (67%)" in alt
    assert f"this week {sum(f.points for f in now)} points" in alt
    assert "sample-ml 2/2 (100%)" in alt and "sample-stats 0/1 (0%)" in alt
    # The text is all still there: the chart adds to it.
    assert (view.answered, view.correct) == (3, 2)
    # Without `chart`, nothing is drawn.
    plain = one(await say(app, ADA, "stats"), StatsView)
    assert isinstance(plain, StatsView) and plain.image is None


async def test_stats_chart_of_someone_else(app: App) -> None:
    await play(app, BOB, "quiz sample-ml medium 1")
    view = one(await say(app, ADA, "stats chart Bob"), StatsView)
    assert isinstance(view, StatsView) and view.name == "Bob" and view.image is not None
    assert "Progress chart for Bob" in view.image.alt_text
    assert "1 of 1 answers correct (100%)" in view.image.alt_text


async def test_leaderboard_chart_keeps_the_board_options(app: App) -> None:
    for name in ("Owls", "Hawks"):
        await say(app, ADA, f"team create {name}")
    await say(app, ADA, "team join Owls")
    await say(app, BOB, "team join Owls")
    await say(app, CY, "team join Hawks")
    ada = sum(f.points for f in await play(app, ADA, "quiz sample-ml medium 1"))
    bob = sum(f.points for f in await play(app, BOB, "quiz sample-ml easy 1"))
    cy = sum(f.points for f in await play(app, CY, "quiz sample-ml hard 1"))

    users = one(await say(app, BOB, "leaderboard chart"), LeaderboardView)
    assert isinstance(users, LeaderboardView) and users.image is not None
    assert png_size(users.image.data) == (450, 800)
    order = sorted([("Ada", ada), ("Bob", bob), ("Cy", cy)], key=lambda p: -p[1])
    rows = ", ".join(f"{i}. {n} {p}" for i, (n, p) in enumerate(order, start=1))
    assert users.image.alt_text == f"Leaderboard chart, users, {users.period_label}: {rows}."
    assert [(r.name, r.points) for r in users.rows] == order  # the text board as ever

    teams = one(await say(app, BOB, "leaderboard teams all chart"), LeaderboardView)
    assert isinstance(teams, LeaderboardView) and teams.scope == "teams"
    assert teams.period == "all" and teams.image is not None
    per_active = {"Owls": (ada + bob) / 2, "Hawks": float(cy)}
    ranked = sorted(per_active.items(), key=lambda p: -p[1])
    shown = ", ".join(
        f"{i}. {n} {v:.0f}" if v.is_integer() else f"{i}. {n} {v:.1f}"
        for i, (n, v) in enumerate(ranked, start=1)
    )
    assert teams.image.alt_text == f"Leaderboard chart, teams, all time: {shown}."


async def test_a_drawing_failure_sends_the_text_and_says_so(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(data: ChartData) -> bytes:
        raise MemoryError("out of memory")

    app.ctx.charts = Charts(broken)
    await play(app, ADA, "quiz sample-ml medium 1")
    with caplog.at_level(logging.WARNING):
        replies = await say(app, ADA, "leaderboard chart")
    view = replies[0]
    assert isinstance(view, LeaderboardView) and view.image is None and view.rows
    assert Notice(m.CHART_FAILED) in replies
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    stats = await say(app, ADA, "stats chart")
    assert isinstance(stats[0], StatsView) and stats[0].image is None
    assert Notice(m.CHART_FAILED) in stats


async def test_the_weekly_tally_carries_the_team_race(app: App, clock: ManualClock) -> None:
    for name in ("Owls", "Hawks"):
        await say(app, ADA, f"team create {name}")
    await say(app, ADA, "team join Owls")
    await say(app, BOB, "team join Owls")
    await say(app, CY, "team join Hawks")
    ada = sum(f.points for f in await play(app, ADA, "quiz sample-ml medium 1"))  # Monday
    clock.advance(dt.timedelta(days=2))  # Wednesday
    bob = sum(f.points for f in await play(app, BOB, "quiz sample-ml easy 1"))
    cy = sum(f.points for f in await play(app, CY, "quiz sample-ml hard 1"))
    clock.advance(dt.timedelta(days=2))  # Friday
    channel = await app.stores.channels.get_channel(ADA.place.workspace_key, "general")
    assert channel is not None

    events = await app.stores.boards.team_days(ADA.place.workspace_key, "2026-W47", [1, 2])
    assert sorted((t, d.isoformat(), p) for t, d, _, p in events) == sorted(
        [(1, "2026-11-16", ada), (1, "2026-11-18", bob), (2, "2026-11-18", cy)]
    )
    tally = await boards.weekly_tally(app.ctx, channel, clock.now())
    assert tally.image is not None and tally.image.filename == "team-race.png"
    assert png_size(tally.image.data) == (450, 800)
    final = {t.name: t.per_active for t in tally.teams}
    assert final == {"Owls": (ada + bob) / 2, "Hawks": float(cy)}
    leader = tally.teams[0]
    assert f"Leader: {leader.name} with" in tally.image.alt_text
    for name, value in final.items():
        shown = f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
        assert f"{name} {shown}" in tally.image.alt_text


def test_the_race_is_cumulative_points_per_active_member_by_day() -> None:
    monday = dt.date(2026, 11, 16)
    day = monday + dt.timedelta(days=3)  # a Thursday tally
    events = [
        (1, monday, 10, 30),  # Owls: one member on Monday
        (1, monday + dt.timedelta(days=2), 11, 10),  # a second member joins the race Wednesday
        (1, monday + dt.timedelta(days=2), 10, 30),
        (2, monday + dt.timedelta(days=1), 12, 15),  # Hawks: from Tuesday
        (2, monday + dt.timedelta(days=5), 12, 99),  # after the tally day: not drawn
    ]
    race = race_data("week", day, [(1, "Owls"), (2, "Hawks")], events)
    assert race.days == m.CHART_DAYS
    assert [(t.name, t.values) for t in race.teams] == [
        ("Owls", (30.0, 30.0, 35.0, 35.0)),  # (30 + 10 + 30) / 2 members from Wednesday
        ("Hawks", (0.0, 15.0, 15.0, 15.0)),
    ]


async def test_your_progress_chart_shows_review_recall_and_nobody_elses_does(
    app: App, clock: ManualClock
) -> None:
    def chart(replies: list[Reply]) -> StatsView:
        view = one(replies, StatsView)
        assert isinstance(view, StatsView) and view.image is not None
        return view

    await play(app, BOB, "quiz sample-ml medium 1", right=False)  # a miss: a card due tomorrow
    assert "Review retention" not in chart(await say(app, BOB, "stats chart")).image.alt_text
    clock.advance(dt.timedelta(days=1))
    feedback = await play(app, BOB, "review")
    assert [f.correct for f in feedback] == [True]
    mine = chart(await say(app, BOB, "stats chart")).image.alt_text
    assert "Review retention: " in mine and "100% of 1." in mine
    # Recall is as private as the cards: Cy looking at Bob's chart sees no review panel.
    await say(app, CY, "topics")
    theirs = chart(await say(app, CY, "stats chart Bob")).image.alt_text
    assert "Review retention" not in theirs
