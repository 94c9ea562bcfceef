"""The board queries: rows, standings and stats, shared by the board store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa

from bot.records import (
    UserStatsRecord,
)
from bot.storage.board_keys import board_of
from bot.storage.tables import (
    SCORE_BAND,
    TIE_BLOCK,
    answers,
    point_events,
    quiz_answers,
    rounds,
    score_bands,
    score_counts,
    tie_blocks,
    totals,
    users,
)

# The kind of a users board, as a constant in the SQL text (like team_order.TEAM).
USER_KIND = sa.literal_column("'user'", sa.String)
# A value, or the bind parameter of a statement built once (bot/storage/board_statements.py).
Text = str | sa.BindParameter[str]
Id = int | sa.BindParameter[int]


def user_board(workspace: Text, period: Text) -> sa.Select[Any]:
    return (
        sa.select(totals.c.subject_id, totals.c.points, totals.c.correct, users.c.display_name)
        .join(users, users.c.id == totals.c.subject_id)
        .where(totals.c.board_id == board_of(workspace, period, USER_KIND), totals.c.points > 0)
    )


def standing_rank(workspace: Text, period: Text, mine: Any) -> Any:
    """The rank of the player whose totals row is `mine` (an alias in the outer query):
    everyone in a better (points, correct) bucket of the histogram (whole bands of points
    above the asker's, then the buckets of the asker's band), plus those tied on
    both who played first (lower id): the tie's blocks of ids below the asker's block
    (tie_blocks) and, inside that block, a range of ix_totals_board of at most TIE_BLOCK
    entries. Bounded however deep in a tie of tens of thousands the asker stands."""

    # Separate sums, not one over an OR: SQLite planned the OR as two index ranges merged
    # into a row set and read back, twice the cost of the two ranges on their own.
    def histogram(*terms: Any) -> Any:
        total = sa.func.coalesce(sa.func.sum(score_counts.c.users), 0)
        where = (score_counts.c.workspace == workspace, score_counts.c.period == period)
        return sa.select(total).where(*where, *terms).scalar_subquery()

    # Better points: the bands above the asker's (score_bands), then the buckets above the
    # asker's points inside the asker's band.
    band = mine.c.points // SCORE_BAND
    above = sa.select(sa.func.coalesce(sa.func.sum(score_bands.c.users), 0)).where(
        score_bands.c.workspace == workspace,
        score_bands.c.period == period,
        score_bands.c.band > band,
    )
    better = histogram(
        score_counts.c.points > mine.c.points,
        score_counts.c.points < (band + 1) * SCORE_BAND,
    )
    more_correct = histogram(
        score_counts.c.points == mine.c.points, score_counts.c.correct > mine.c.correct
    )
    block = mine.c.subject_id // TIE_BLOCK
    below = sa.select(sa.func.coalesce(sa.func.sum(tie_blocks.c.users), 0)).where(
        tie_blocks.c.workspace == workspace,
        tie_blocks.c.period == period,
        tie_blocks.c.points == mine.c.points,
        tie_blocks.c.correct == mine.c.correct,
        tie_blocks.c.block < block,
    )
    tie = totals.alias("tie")
    tied = sa.select(sa.func.count()).where(
        tie.c.board_id == mine.c.board_id,
        tie.c.points == mine.c.points,
        tie.c.correct == mine.c.correct,
        tie.c.subject_id >= block * TIE_BLOCK,
        tie.c.subject_id < mine.c.subject_id,
    )
    ahead = above.scalar_subquery() + better + more_correct
    return ahead + below.scalar_subquery() + tied.scalar_subquery() + 1


def topic_counts(user_id: Id) -> sa.Select[Any]:
    # A daily answer counts once its round has closed: until the reveal its result is
    # private, on every view (stats, boards, App Home, tallies); a voided round counts for
    # nobody (`question void`).
    daily = (
        sa.select(answers.c.topic, answers.c.correct)
        .join(rounds, rounds.c.id == answers.c.round_id)
        .where(
            answers.c.user_id == user_id,
            rounds.c.closed_at.is_not(None),
            rounds.c.voided_at.is_(None),
        )
    )
    quiz = sa.select(quiz_answers.c.topic, quiz_answers.c.correct).where(
        quiz_answers.c.user_id == user_id, quiz_answers.c.gradable.is_(True)
    )
    both = sa.union_all(daily, quiz).subquery()
    return sa.select(
        both.c.topic,
        sa.func.count().label("n"),
        sa.func.sum(sa.case((both.c.correct, 1), else_=0)).label("ok"),
    ).group_by(both.c.topic)


def stats_record(topics: Iterable[Any], streak: Any) -> UserStatsRecord:
    # Sorted here rather than by the database's collation (see list_teams).
    by_topic = tuple(sorted((r.topic, int(r.n), int(r.ok or 0)) for r in topics))
    return UserStatsRecord(
        answered=sum(n for _, n, _ in by_topic),
        correct=sum(ok for _, _, ok in by_topic),
        current_streak=(streak.current_streak or 0) if streak else 0,
        best_streak=(streak.best_streak or 0) if streak else 0,
        by_topic=by_topic,
    )


def weekly_points(user_id: int, since: dt.date) -> sa.Select[Any]:
    """A player's points, answers and correct answers per ISO week from `since` on, from the
    point events (a daily answer has one only once its round has closed: private until the
    reveal). Reads ix_point_events_user_source_day."""
    return (
        sa.select(
            point_events.c.week,
            sa.func.sum(point_events.c.points).label("points"),
            sa.func.count().label("answered"),
            sa.func.sum(sa.case((point_events.c.correct, 1), else_=0)).label("correct"),
        )
        .where(point_events.c.user_id == user_id, point_events.c.day >= since)
        .group_by(point_events.c.week)
    )


def team_days(workspace: str, week: str, team_ids: Collection[int]) -> sa.Select[Any]:
    """Points per team, day and member in one week: the team race. A member with any event
    that day (a wrong answer too) is active, as on the team boards."""
    return (
        sa.select(
            point_events.c.team_id,
            point_events.c.day,
            point_events.c.user_id,
            sa.func.sum(point_events.c.points).label("points"),
        )
        .where(
            point_events.c.workspace == workspace,
            point_events.c.week == week,
            point_events.c.team_id.in_(sorted(team_ids)),
        )
        .group_by(point_events.c.team_id, point_events.c.day, point_events.c.user_id)
    )
