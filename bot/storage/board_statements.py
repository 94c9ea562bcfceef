"""The board and stats commands' statements, built once with bind parameters."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.storage.board_keys import board_of
from bot.storage.board_queries import USER_KIND, standing_rank, topic_counts, user_board
from bot.storage.review_tables import cards, learners, review_settings
from bot.storage.tables import (
    interview_answers,
    memberships,
    teams,
    totals,
    user_stats,
    users,
)
from bot.storage.team_order import TEAM, on_board, team_rows, team_share

# Building one of these statements took longer than running it (a profile of the board
# command: most of its CPU in SQLAlchemy's expression constructors), so each is built at
# import and called with its parameters; SQLAlchemy then finds the compiled form in its cache.
WORKSPACE = sa.bindparam("workspace", type_=sa.String)
PERIOD = sa.bindparam("period", type_=sa.String)
USER = sa.bindparam("user", type_=sa.Integer)
LIMIT = sa.bindparam("limit", type_=sa.Integer)
EXTERNAL = sa.bindparam("external", type_=sa.String)
# The asker by their platform id, found in the statement itself: a command can run its read
# beside the actor look-up instead of after it (bot/usecases/context.py Context.actor_and).
_asker = users.alias("asker")
ASKER = (
    sa.select(_asker.c.id)
    .where(_asker.c.workspace == WORKSPACE, _asker.c.external_id == EXTERNAL)
    .correlate(None)  # never tied to the `users` of the statement it sits in
    .scalar_subquery()
)
# The period's team board (the workspace and period parameters).
TEAM_BOARD_ID = board_of(WORKSPACE, PERIOD, TEAM)


def top_users(workspace: Any, period: Any, limit: Any) -> sa.Select[Any]:
    # Ties: more correct answers first, then the earlier player (lower id): deterministic,
    # and exactly the order of ix_totals_board, so even a tie of thousands is not sorted.
    return (
        user_board(workspace, period)
        .order_by(totals.c.points.desc(), totals.c.correct.desc(), totals.c.subject_id)
        .limit(limit)
    )


def _user_board(user: Any) -> sa.CompoundSelect[Any]:
    """The top `limit` rows (rank 0) and the asker's standing (its rank), one UNION ALL."""
    top = top_users(WORKSPACE, PERIOD, LIMIT).add_columns(sa.literal(0).label("rank"))
    mine = totals.alias("mine")
    standing = (
        sa.select(
            mine.c.subject_id,
            mine.c.points,
            mine.c.correct,
            users.c.display_name,
            standing_rank(WORKSPACE, PERIOD, mine).label("rank"),
        )
        .join(users, users.c.id == mine.c.subject_id)
        .where(
            mine.c.board_id == board_of(WORKSPACE, PERIOD, USER_KIND),
            mine.c.subject_id == user,
            mine.c.points > 0,
        )
    )
    return sa.union_all(sa.select(top.subquery()), standing)


def _team_columns(t: Any) -> tuple[Any, ...]:
    return (
        teams.c.id,
        teams.c.name,
        t.c.points,
        t.c.active,
        teams.c.members,
        t.c.correct,
        teams.c.deleted,
        team_share(t).label("share"),
    )


def _ordered_teams() -> sa.Select[Any]:
    """Every team of the board's period in the board's order (points per active member,
    then more correct answers, then the earlier team), ix_totals_teams read from its start:
    the weekly tally's table. The one team order: the board's top (`_top_teams`) and its
    ranks (`_team_rank`) read the same index with the same expression."""
    board = team_rows("board")
    return (
        sa.select(*_team_columns(board))
        .select_from(board.join(teams, teams.c.id == board.c.subject_id))
        .where(board.c.board_id == TEAM_BOARD_ID, on_board(board))
        .order_by(team_share(board).desc(), board.c.correct.desc(), board.c.subject_id)
    )


def _team_rank(mine: Any) -> Any:
    """The rank of the team whose totals row is `mine`: 1 + the teams ahead of it, counted
    as three ranges of ix_totals_teams (a better share; the same share and more correct
    answers; both the same and a lower id). At most the thousand teams' entries, read from
    the index, instead of numbering every team of the period."""
    ahead = team_rows("ahead")
    share, theirs = team_share(ahead), team_share(mine)

    def count(*terms: Any) -> Any:
        where = (ahead.c.board_id == mine.c.board_id, on_board(ahead))
        return sa.select(sa.func.count()).where(*where, *terms).scalar_subquery()

    tied = (share == theirs, ahead.c.correct == mine.c.correct)
    return (
        count(share > theirs)
        + count(share == theirs, ahead.c.correct > mine.c.correct)
        + count(*tied, ahead.c.subject_id < mine.c.subject_id)
        + 1
    )


def _top_teams() -> sa.Subquery:
    """The first `limit` team rows of the period in board order, before any join: on
    PostgreSQL a LIMIT over the join to `teams` was estimated at 50 rows out of 1,000, and
    the planner sorted every team (1-9 ms) rather than read ten index entries (0.2 ms)."""
    board = team_rows("board")
    return (
        sa.select(
            board.c.subject_id,
            board.c.points,
            board.c.active,
            board.c.correct,
            team_share(board).label("share"),
        )
        .where(board.c.board_id == TEAM_BOARD_ID, on_board(board))
        .order_by(team_share(board).desc(), board.c.correct.desc(), board.c.subject_id)
        .limit(LIMIT)
        .subquery("top")
    )


def _team_board(user: Any) -> sa.CompoundSelect[Any]:
    """The top `limit` teams (rank 0) and the asker's team with its rank, one UNION ALL; on
    every row the asker's team id (`mine`)."""
    team_of = sa.select(memberships.c.team_id).where(memberships.c.user_id == user)
    mine_id = team_of.scalar_subquery().label("mine")
    top = _top_teams()
    first = sa.select(
        teams.c.id,
        teams.c.name,
        top.c.points,
        top.c.active,
        teams.c.members,
        top.c.correct,
        teams.c.deleted,
        top.c.share,
        sa.literal(0).label("rank"),
        mine_id,
    ).select_from(top.join(teams, teams.c.id == top.c.subject_id))
    mine = totals.alias("mine_row")
    standing = (
        sa.select(*_team_columns(mine), _team_rank(mine).label("rank"), mine_id)
        .select_from(mine.join(teams, teams.c.id == mine.c.subject_id))
        .where(
            mine.c.board_id == TEAM_BOARD_ID,
            on_board(mine),
            mine.c.subject_id == team_of.scalar_subquery(),
        )
    )
    return sa.union_all(first, standing)


def _stats_card(user: Any, own: bool) -> sa.Select[Any]:
    """One row: the player, all-time standing, streaks, team name and interview practice;
    for own stats (`own`) also the study streak and the workspace's review settings."""
    mine = totals.alias("mine")
    # A question skipped because the deck changed (no key points) is not an answer.
    practised = sa.and_(interview_answers.c.user_id == users.c.id, interview_answers.c.total > 0)
    share = sa.cast(interview_answers.c.covered, sa.Float) / sa.cast(
        interview_answers.c.total, sa.Float
    )
    joined = (
        users.outerjoin(
            mine,
            sa.and_(
                mine.c.board_id == board_of(WORKSPACE, "all", USER_KIND),
                mine.c.subject_id == users.c.id,
                mine.c.points > 0,
            ),
        )
        .outerjoin(user_stats, user_stats.c.user_id == users.c.id)
        .outerjoin(memberships, memberships.c.user_id == users.c.id)
        .outerjoin(teams, teams.c.id == memberships.c.team_id)
    )
    study: tuple[Any, ...] = ()
    if own:
        joined = joined.outerjoin(learners, learners.c.user_id == users.c.id).outerjoin(
            review_settings, review_settings.c.workspace == users.c.workspace
        )
        study = (
            learners.c.streak.label("l_streak"),
            learners.c.best_streak.label("l_best_streak"),
            learners.c.last_study_day.label("l_last_study_day"),
            review_settings.c.retention.label("s_retention"),
            review_settings.c.maximum_interval.label("s_maximum_interval"),
        )
    return (
        sa.select(
            users.c.id,
            users.c.display_name,
            mine.c.points,
            mine.c.correct,
            sa.case(
                (mine.c.points.is_(None), None),
                else_=standing_rank(WORKSPACE, "all", mine),
            ).label("rank"),
            user_stats.c.current_streak,
            user_stats.c.best_streak,
            teams.c.name.label("team"),
            # Interview practice rides along: stats stay one statement.
            sa.select(sa.func.count()).where(practised).scalar_subquery().label("practice_n"),
            sa.select(sa.func.avg(share)).where(practised).scalar_subquery().label("practice"),
            *study,
        )
        .select_from(joined)
        .where(users.c.id == user)
    )


# The review card's columns own stats read (bot.records.CardGlance), after `topic`.
GLANCE = ("question_id", "due", "stability", "last_review")


def _stats(user: Any, own: bool = False) -> sa.CompoundSelect[Any]:
    """The stats card (part 0, one row) and the answers by topic (part 1, a row a topic) in
    one statement: on PostgreSQL one round trip instead of a transaction of two. Own stats
    (`own`) add the asker's review cards (part 2, a row a card, its topic in `topic`): the
    cards are private, and read in the same round trip rather than beside it."""
    card = _stats_card(user, own).subquery("card")
    topics = topic_counts(user).subquery("topics")
    null = sa.null()
    # Typed: PostgreSQL resolves a UNION's column types two parts at a time, and two bare
    # NULLs would make the cards' instants text.
    glance = tuple(sa.cast(null, cards.c[name].type).label(name) for name in GLANCE) if own else ()
    card_part = sa.select(
        sa.literal(0).label("part"),
        *card.c,
        null.label("topic"),
        null.label("n"),
        null.label("ok"),
        *glance,
    )
    blank = tuple(null for _ in card.c)
    topic_part = sa.select(sa.literal(1), *blank, topics.c.topic, topics.c.n, topics.c.ok, *glance)
    if not own:
        return sa.union_all(card_part, topic_part)
    cards_part = sa.select(
        sa.literal(2),
        *blank,
        cards.c.topic,
        null,
        null,
        *(cards.c[name] for name in GLANCE),
    ).where(cards.c.user_id == user)
    return sa.union_all(card_part, topic_part, cards_part)


USER_BOARD = _user_board(USER)
TEAM_BOARD = _team_board(USER)
TEAM_TABLE = _ordered_teams()
STATS = _stats(USER)
# The same, for the asker named by workspace and platform id (parameter `external`).
ASKER_BOARD = _user_board(ASKER)
ASKER_TEAM_BOARD = _team_board(ASKER)
ASKER_STATS = _stats(ASKER)
# Own stats, with the review cards, the study streak and the review settings.
OWN_STATS = _stats(USER, own=True)
ASKER_OWN_STATS = _stats(ASKER, own=True)
