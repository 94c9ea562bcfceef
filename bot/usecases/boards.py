"""Leaderboards, personal stats and the weekly team tally, read from running totals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from bot import commands as c
from bot import messages as m
from bot.charts.data import RaceData
from bot.identity import Origin, UserRef
from bot.records import ChannelRecord, TallySnapshotRow, TeamEntry
from bot.replies import (
    BoardRow,
    Image,
    LeaderboardView,
    Notice,
    Reply,
    StatsView,
    TeamTallyRow,
    TopicAccuracy,
    Visibility,
    WeeklyTally,
)
from bot.schedule import local_date, period_key, period_label
from bot.store_ports import StatsCard, StudyRead
from bot.usecases.charts import (
    RACE_FILE,
    board_image,
    progress_image,
    race_chart,
    review_retention,
)
from bot.usecases.context import Actor, Context, UserError
from bot.usecases.review import review_stats

T = TypeVar("T")

# Rows a board shows, for players and for teams alike: a workspace of hundreds of teams gets
# a board that fits one message, and everyone hears their own (team's) place privately.
BOARD_ROWS = 10


async def _period_read(
    ctx: Context,
    origin: Origin,
    period: str,
    read: Callable[[str, str, int | UserRef], Awaitable[T]],
) -> tuple[Actor, str, T]:
    """The asker, the period's label and `read(workspace, period key, asker)`: run beside the
    actor look-up for the timezone the channel had (one round trip each), and again after it
    when that guess's period key was not the one the asker's channel has now."""
    workspace = origin.place.workspace_key

    async def early(zone: str) -> tuple[str, T]:
        key = period_key(period, local_date(ctx.clock.now(), zone))
        return key, await read(workspace, key, origin.user)

    actor, got = await ctx.actor_and(origin, early)
    today = ctx.today(actor)
    key = period_key(period, today)
    if got is not None and got[0] == key:
        return actor, period_label(period, today), got[1]
    return actor, period_label(period, today), await read(actor.workspace, key, actor.user.id)


async def show_leaderboard(ctx: Context, cmd: c.ShowLeaderboard, origin: Origin) -> list[Reply]:
    """The board for the whole channel, marking nobody, and the asker's own standing in a
    private reply beside it: a public board that marked the asker's row would show everyone
    who asked and where they stand."""
    boards = ctx.stores.boards
    if cmd.scope == "teams":
        actor, label, (table, mine) = await _period_read(
            ctx, origin, cmd.period, lambda w, k, u: boards.team_board(w, k, u, BOARD_ROWS)
        )
        if not table:
            return [Notice(m.BOARD_EMPTY.format(label=label), visibility=Visibility.PUBLIC)]
        shown = table[:BOARD_ROWS]
        team_rows = tuple(BoardRow(t.rank, team_label(t), t.points, _team_detail(t)) for t in shown)
        entry = next((t for t in table if t.team_id == mine), None)
        if mine is None:
            standing = m.BOARD_NO_TEAM
        elif entry is None:
            # Only here is a second read needed: the asker's team, which has no row.
            team = await ctx.stores.teams.team_of(actor.user.id)
            standing = m.BOARD_TEAM_NOT_ON.format(name=team.name if team else "")
        else:
            standing = m.BOARD_TEAM_STANDING.format(
                name=entry.name, rank=entry.rank, points=entry.points, detail=_team_detail(entry)
            )
        view = LeaderboardView("teams", cmd.period, label, team_rows)
        if cmd.chart:
            names = [(t, r.name) for t, r in zip(shown, team_rows, strict=True)]
            view = replace(view, image=await board_image(ctx, "teams", label, teams=names))
        # The board is for the channel; the asker's own standing is told to the asker only.
        return [view, *_chart_failed(cmd.chart, view.image), Notice(standing)]

    _, label, (top, me) = await _period_read(
        ctx, origin, cmd.period, lambda w, k, u: boards.user_board(w, k, u, BOARD_ROWS)
    )
    if not top:
        return [Notice(m.BOARD_EMPTY.format(label=label), visibility=Visibility.PUBLIC)]
    rows = tuple(BoardRow(e.rank, e.name, e.points, f"{e.correct} correct") for e in top)
    standing = (
        m.BOARD_NOT_ON
        if me is None
        else m.BOARD_STANDING.format(rank=me.rank, points=me.points, correct=me.correct)
    )
    view = LeaderboardView("users", cmd.period, label, rows)
    if cmd.chart:
        view = replace(view, image=await board_image(ctx, "users", label, users=top))
    return [view, *_chart_failed(cmd.chart, view.image), Notice(standing)]


def _chart_failed(asked: bool, image: Image | None) -> list[Reply]:
    """The text went out without the chart that was asked for (logged by the renderer)."""
    return [Notice(m.CHART_FAILED)] if asked and image is None else []


def _team_detail(team: TeamEntry) -> str:
    return m.BOARD_TEAM_DETAIL.format(
        per_active=team.per_active, active=team.active, members=team.members
    )


def team_label(team: TeamEntry) -> str:
    """A team's name on a board; a deleted team's is marked, so a new team of the same name
    is told apart from it."""
    return m.TEAM_DELETED_MARK.format(name=team.name) if team.deleted else team.name


async def show_stats(ctx: Context, cmd: c.ShowStats, origin: Origin) -> list[Reply]:
    boards = ctx.stores.boards
    study: StudyRead | None = None
    if cmd.user_name:
        actor = await ctx.actor(origin)
        found = await ctx.stores.users.find_user(actor.workspace, cmd.user_name)
        if found is None:
            raise UserError(m.STATS_UNKNOWN_USER.format(name=m.clip(cmd.user_name)))
        user = found
        if user.id == actor.user.id:  # your own stats by name: with their private part
            (stats, rank, team), study = await boards.own_stats(actor.workspace, user.id)
        else:
            stats, rank, team = await boards.stats_card(actor.workspace, user.id)
    else:
        # Own stats do not depend on the timezone: the stats and the review cards are one
        # read, run beside the actor look-up.
        async def own_card(_zone: str) -> tuple[StatsCard, StudyRead]:
            return await boards.own_stats(origin.place.workspace_key, origin.user)

        actor, early = await ctx.actor_and(origin, own_card)
        user = actor.user
        if early is None:
            early = await boards.own_stats(actor.workspace, user.id)
        (stats, rank, team), study = early
    # Interview practice is private: shown on your own stats only, never on anyone else's.
    practice = (0, 0.0)
    extra: list[Reply] = []
    if user.id == actor.user.id:
        practice = (stats.interview_answers, stats.interview_share)
    image = None
    if cmd.chart:
        today = ctx.today(actor)
        # Review recall is private, like the cards: drawn on your own chart only.
        own = user.id == actor.user.id
        retention = await review_retention(ctx, user.id, today) if own else None
        image = await progress_image(ctx, user.display_name, user.id, today, stats, retention)
    if study is not None:
        # Review cards are private too (own stats only): what is due and how well it is
        # remembered.
        cards = review_stats(ctx, actor, study)
        extra = [cards] if cards else []
    return [
        StatsView(
            user.display_name,
            rank.points if rank else 0,
            rank.rank if rank else None,
            stats.answered,
            stats.correct,
            stats.current_streak,
            stats.best_streak,
            team,
            tuple(TopicAccuracy(t, n, ok) for t, n, ok in stats.by_topic),
            *practice,
            image=image,
            subject=None if user.id == actor.user.id else user.display_name,
        ),
        *_chart_failed(cmd.chart, image),
        *extra,
    ]


async def weekly_tally(ctx: Context, channel: ChannelRecord, at: dt.datetime) -> WeeklyTally:
    """The weekly tally with its team race drawn (the image is None when it could not be)."""
    tally, race = await tally_and_race(ctx, channel, at)
    return await with_race(ctx, tally, race)


async def with_race(ctx: Context, tally: WeeklyTally, race: RaceData | None) -> WeeklyTally:
    """The tally with its team race drawn (off the event loop; the text alone on failure)."""
    if race is None:
        return tally
    return replace(tally, image=await ctx.charts.image(race, RACE_FILE))


async def tally_and_race(
    ctx: Context, channel: ChannelRecord, at: dt.datetime
) -> tuple[WeeklyTally, RaceData | None]:
    """The team board and top players of the week containing `at`, with the change since
    the channel's previous tally; stores this tally so the next one can compare. The team
    race comes as data, to be drawn outside the scheduler's database gate."""
    boards = ctx.stores.boards
    day = local_date(at, channel.schedule.timezone)
    week = period_key("week", day)
    table = await boards.team_table(channel.workspace, week)
    previous = await boards.last_tally(channel.id, week)
    before = previous[1] if previous else {}
    teams = []
    for t in table:
        old = before.get(t.team_id)
        change = None if previous is None else t.points - (old.points if old else 0)
        teams.append(
            TeamTallyRow(
                t.rank,
                team_label(t),
                t.points,
                t.per_active,
                t.active,
                t.members,
                change,
                old.rank - t.rank if old else None,
            )
        )
    await boards.save_tally(
        channel.id,
        week,
        [TallySnapshotRow(t.team_id, t.rank, t.points, t.active) for t in table],
    )
    top = await boards.top_users(channel.workspace, week, 3)
    players = tuple(BoardRow(e.rank, e.name, e.points, f"{e.correct} correct") for e in top)
    label = period_label("week", day)
    race = await race_chart(ctx, channel.workspace, day, label, table, [t.name for t in teams])
    return WeeklyTally(label, tuple(teams), players), race
