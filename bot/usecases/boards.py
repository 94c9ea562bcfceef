"""Leaderboards, personal stats and the weekly team tally, read from running totals."""

from __future__ import annotations

import datetime as dt

from bot import commands as c
from bot import messages as m
from bot.identity import Origin
from bot.records import ChannelRecord, TallySnapshotRow, TeamEntry
from bot.replies import (
    BoardRow,
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
from bot.usecases.context import Context, UserError


async def show_leaderboard(ctx: Context, cmd: c.ShowLeaderboard, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    boards = ctx.stores.boards
    today = ctx.today(actor)
    key = period_key(cmd.period, today)
    label = period_label(cmd.period, today)
    if cmd.scope == "teams":
        table = await boards.team_table(actor.workspace, key)
        mine = await ctx.stores.teams.team_of(actor.user.id)
        rows = tuple(
            BoardRow(
                t.rank,
                team_label(t),
                t.points,
                m.BOARD_TEAM_DETAIL.format(
                    per_active=t.per_active, active=t.active, members=t.members
                ),
                highlight=mine is not None and mine.id == t.team_id,
            )
            for t in table
        )
        if not rows:
            return [Notice(m.BOARD_EMPTY.format(label=label), visibility=Visibility.PUBLIC)]
        return [LeaderboardView("teams", cmd.period, label, rows)]
    top = await boards.top_users(actor.workspace, key, 10)
    if not top:
        return [Notice(m.BOARD_EMPTY.format(label=label), visibility=Visibility.PUBLIC)]
    rows = tuple(
        BoardRow(
            e.rank,
            e.name,
            e.points,
            f"{e.correct} correct",
            highlight=e.subject_id == actor.user.id,
        )
        for e in top
    )
    viewer = None
    if all(e.subject_id != actor.user.id for e in top):
        me = await boards.user_rank(actor.workspace, key, actor.user.id)
        if me is not None:
            viewer = BoardRow(me.rank, me.name, me.points, f"{me.correct} correct", highlight=True)
    return [LeaderboardView("users", cmd.period, label, rows, viewer)]


def team_label(team: TeamEntry) -> str:
    """A team's name on a board; a deleted team's is marked, so a new team of the same name
    is told apart from it."""
    return m.TEAM_DELETED_MARK.format(name=team.name) if team.deleted else team.name


async def show_stats(ctx: Context, cmd: c.ShowStats, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    user = actor.user
    if cmd.user_name:
        found = await ctx.stores.users.find_user(actor.workspace, cmd.user_name)
        if found is None:
            raise UserError(m.STATS_UNKNOWN_USER.format(name=m.clip(cmd.user_name)))
        user = found
    stats = await ctx.stores.boards.user_stats(user.id)
    rank = await ctx.stores.boards.user_rank(actor.workspace, "all", user.id)
    team = await ctx.stores.teams.team_of(user.id)
    # Interview practice is private: shown on your own stats only, never on anyone else's.
    practice = (0, 0.0)
    if user.id == actor.user.id:
        practice = await ctx.stores.interviews.interview_practice(user.id)
    return [
        StatsView(
            user.display_name,
            rank.points if rank else 0,
            rank.rank if rank else None,
            stats.answered,
            stats.correct,
            stats.current_streak,
            stats.best_streak,
            team.name if team else None,
            tuple(TopicAccuracy(t, n, ok) for t, n, ok in stats.by_topic),
            *practice,
        )
    ]


async def weekly_tally(ctx: Context, channel: ChannelRecord, at: dt.datetime) -> WeeklyTally:
    """The team board and top players of the week containing `at`, with the change since
    the channel's previous tally; stores this tally so the next one can compare."""
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
    return WeeklyTally(period_label("week", day), tuple(teams), players)
