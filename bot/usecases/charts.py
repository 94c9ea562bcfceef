"""Chart data from the stores, drawn through ctx.charts: progress, team race, leaderboard."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from bot import messages as m
from bot.charts.data import (
    BoardBar,
    BoardData,
    ProgressData,
    RaceData,
    RaceLine,
    RetentionPoint,
    TopicPoint,
    WeekPoint,
)
from bot.charts.style import MAX_LINES
from bot.records import BoardEntry, TeamEntry, UserStatsRecord
from bot.replies import Image
from bot.schedule import week_key
from bot.usecases.context import Context

# The progress chart's span: this week and the eleven before it.
PROGRESS_WEEKS = 12


def chart_mondays(today: dt.date) -> list[dt.date]:
    """The Mondays of the progress chart's weeks, oldest first, ending with today's week."""
    this_monday = today - dt.timedelta(days=today.weekday())
    return [this_monday - dt.timedelta(weeks=back) for back in range(PROGRESS_WEEKS - 1, -1, -1)]


def week_label(monday: dt.date) -> str:
    return m.CHART_WEEK.format(day=monday.day, month=m.CHART_MONTHS[monday.month - 1])


def progress_data(
    name: str,
    today: dt.date,
    weekly: dict[str, tuple[int, int, int]],
    stats: UserStatsRecord,
    retention: tuple[RetentionPoint, ...] | None = None,
) -> ProgressData:
    """Twelve weeks ending with today's, oldest first; weeks without answers are zeros."""
    weeks = []
    for monday in chart_mondays(today):
        points, answered, correct = weekly.get(week_key(monday), (0, 0, 0))
        weeks.append(WeekPoint(week_label(monday), points, answered, correct))
    topics = tuple(TopicPoint(t, n, ok) for t, n, ok in stats.by_topic)
    return ProgressData(name, tuple(weeks), topics, retention)


def retention_weeks(
    today: dt.date, answers: Sequence[tuple[dt.datetime, bool]]
) -> tuple[RetentionPoint, ...] | None:
    """Review recall per week over the progress chart's twelve weeks (by the UTC day of each
    answer); None without a review in them, so the chart draws no empty panel."""
    counts: dict[dt.date, list[int]] = {}
    for at, recalled in answers:
        day = at.astimezone(dt.UTC).date()
        tally = counts.setdefault(day - dt.timedelta(days=day.weekday()), [0, 0])
        tally[0] += 1
        tally[1] += int(recalled)
    if not counts:
        return None
    return tuple(
        RetentionPoint(week_label(d), *counts.get(d, [0, 0])) for d in chart_mondays(today)
    )


async def review_retention(
    ctx: Context, user_id: int, today: dt.date
) -> tuple[RetentionPoint, ...] | None:
    """The retention panel's data: the user's review answers of the chart's weeks."""
    start = dt.datetime.combine(chart_mondays(today)[0], dt.time(), dt.UTC)
    return retention_weeks(today, await ctx.stores.cards.review_answers(user_id, start))


async def progress_image(
    ctx: Context,
    name: str,
    user_id: int,
    today: dt.date,
    stats: UserStatsRecord,
    retention: tuple[RetentionPoint, ...] | None = None,
) -> Image | None:
    """The personal progress chart (one more read: points by week). `retention`: review
    cards' recall by week, when the player has cards (None draws no retention panel)."""
    weekly = await ctx.stores.boards.weekly_points(user_id, chart_mondays(today)[0])
    data = progress_data(name, today, weekly, stats, retention)
    return await ctx.charts.image(data, "progress.png")


def race_data(
    label: str,
    day: dt.date,
    table: Sequence[tuple[int, str]],
    events: Sequence[tuple[int, dt.date, int, int]],
) -> RaceData:
    """Each team's cumulative points per active member, Monday to `day`. `table`: (team id,
    name) in tally order; `events`: (team, day, member, points). Active as on the boards:
    a member with any answer in the week so far; the last value is the tally's figure."""
    monday = day - dt.timedelta(days=day.weekday())
    span = (day - monday).days + 1
    by_team: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for team, when, member, points in events:
        by_team[team][(when - monday).days].append((member, points))
    lines = []
    for team_id, name in table:
        days = by_team.get(team_id, {})
        members: set[int] = set()
        total = 0
        values = []
        for offset in range(span):
            for member, points in days.get(offset, ()):
                members.add(member)
                total += points
            values.append(round(total / len(members), 2) if members else 0.0)
        lines.append(RaceLine(name, tuple(values)))
    return RaceData(label, m.CHART_DAYS, tuple(lines))


async def race_chart(
    ctx: Context,
    workspace: str,
    day: dt.date,
    label: str,
    table: Sequence[TeamEntry],
    names: Sequence[str],
) -> RaceData | None:
    """The team race of the week containing `day` (the top teams of the tally: one colour
    each), in one more read; None without teams."""
    top = [(t.team_id, name) for t, name in zip(table, names, strict=True)][:MAX_LINES]
    if not top:
        return None
    events = await ctx.stores.boards.team_days(workspace, week_key(day), [t for t, _ in top])
    return race_data(label, day, top, events)


RACE_FILE = "team-race.png"


async def board_image(
    ctx: Context,
    scope: str,
    label: str,
    users: Sequence[BoardEntry] = (),
    teams: Sequence[tuple[TeamEntry, str]] = (),
) -> Image | None:
    """The top 10 as bars: points for players, points per active member for teams (the
    figure teams are ranked by)."""
    if scope == "teams":
        bars = tuple(BoardBar(t.rank, name, round(t.per_active, 1)) for t, name in teams)
    else:
        bars = tuple(BoardBar(e.rank, e.name, e.points) for e in users)
    return await ctx.charts.image(BoardData(scope, label, bars[:10]), "leaderboard.png")
