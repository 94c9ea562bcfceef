"""Leaderboards, stats and tally snapshots, read from the running totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.identity import UserRef
from bot.records import (
    BoardEntry,
    TallySnapshotRow,
    TeamEntry,
    UserStatsRecord,
)
from bot.storage.board_history import BoardHistory
from bot.storage.board_keys import board_totals as bt
from bot.storage.board_queries import stats_record, topic_counts
from bot.storage.board_statements import (
    ASKER_BOARD,
    ASKER_OWN_STATS,
    ASKER_STATS,
    ASKER_TEAM_BOARD,
    OWN_STATS,
    STATS,
    TEAM_BOARD,
    TEAM_TABLE,
    USER_BOARD,
    top_users,
)
from bot.storage.database import Database
from bot.storage.driver_sql import Compiled
from bot.storage.stats_rows import stats_parts, study_part
from bot.storage.tables import (
    SCORE_BAND,
    TIE_BLOCK,
    memberships,
    point_events,
    score_bands,
    score_counts,
    tally_rows,
    team_active,
    teams,
    tie_blocks,
    user_stats,
)
from bot.store_ports import StatsCard, StudyRead

# The board and stats statements run at the driver level (bot/storage/driver_sql.py).
_USER_BOARD = Compiled(USER_BOARD, "BoardRow")
_ASKER_BOARD = Compiled(ASKER_BOARD, "BoardRow")
_TEAM_BOARD = Compiled(TEAM_BOARD, "TeamBoardRow")
_ASKER_TEAM_BOARD = Compiled(ASKER_TEAM_BOARD, "TeamBoardRow")
_STATS = Compiled(STATS, "StatsRow")
_ASKER_STATS = Compiled(ASKER_STATS, "StatsRow")
_OWN_STATS = Compiled(OWN_STATS, "OwnStatsRow")
_ASKER_OWN_STATS = Compiled(ASKER_OWN_STATS, "OwnStatsRow")


class SqlBoardStore(BoardHistory):
    """Reads of the running totals, the rank histogram and tally snapshots."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def top_users(self, workspace: str, period: str, limit: int = 10) -> list[BoardEntry]:
        query = self.top_query(workspace, period, limit)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            BoardEntry(r.subject_id, r.display_name, r.points, r.correct, i)
            for i, r in enumerate(rows, start=1)
        ]

    async def user_rank(self, workspace: str, period: str, user_id: int) -> BoardEntry | None:
        return (await self.user_board(workspace, period, user_id, 0))[1]

    def top_query(self, workspace: str, period: str, limit: int) -> sa.Select[Any]:
        return top_users(workspace, period, limit)

    def user_board_query(
        self, workspace: str, period: str, user_id: int, limit: int
    ) -> sa.CompoundSelect[Any]:
        """The statement `user_board` runs, with its parameters bound (to read its plan)."""
        return USER_BOARD.params(workspace=workspace, period=period, user=user_id, limit=limit)

    async def user_board(
        self, workspace: str, period: str, user: int | UserRef, limit: int = 10
    ) -> tuple[list[BoardEntry], BoardEntry | None]:
        """The top of the board and the asker's own standing (None without points), in one
        statement: a leaderboard command is one round trip. `user`: the stored id, or the
        platform user, looked up in the same statement."""
        params: dict[str, Any] = {"workspace": workspace, "period": period, "limit": limit}
        stmt = _by_asker(params, user, _USER_BOARD, _ASKER_BOARD)
        rows = await self.db.read_sync(
            lambda conn: stmt.rows(conn, params), short=True, single=True
        )
        # Rank 0 marks the top rows; a union keeps no order, so the few rows are sorted here.
        board = sorted(
            (r for r in rows if r.rank == 0), key=lambda r: (-r.points, -r.correct, r.subject_id)
        )
        entries = [
            BoardEntry(r.subject_id, r.display_name, r.points, r.correct, i)
            for i, r in enumerate(board, start=1)
        ]
        viewer = next(
            (
                BoardEntry(r.subject_id, r.display_name, r.points, r.correct, int(r.rank))
                for r in rows
                if r.rank != 0
            ),
            None,
        )
        return entries, viewer

    async def team_board(
        self, workspace: str, period: str, user: int | UserRef, limit: int
    ) -> tuple[list[TeamEntry], int | None]:
        """The top `limit` teams, then the asker's team if it stands below them, with the
        asker's team id: one statement, reading the board's index (a thousand teams are
        neither sent over nor sorted)."""
        params: dict[str, Any] = {"workspace": workspace, "period": period, "limit": limit}
        stmt = _by_asker(params, user, _TEAM_BOARD, _ASKER_TEAM_BOARD)
        rows = await self.db.read_sync(
            lambda conn: stmt.rows(conn, params), short=True, single=True
        )
        # Rank 0 marks the top rows; a union keeps no order, so the few rows are sorted here
        # by the statement's own keys (the share comes back as the very double it ordered by).
        top = sorted((r for r in rows if r.rank == 0), key=lambda r: (-r.share, -r.correct, r.id))
        board = _team_entries(top)
        shown = {t.team_id for t in board}
        board += [_team_entry(r, int(r.rank)) for r in rows if r.rank != 0 and r.id not in shown]
        return board, rows[0].mine if rows else None

    async def stats_card(self, workspace: str, user: int | UserRef) -> StatsCard:
        """A player's answers by topic, streaks, all-time standing and team name, in one
        statement."""
        params: dict[str, Any] = {"workspace": workspace}
        stmt = _by_asker(params, user, _STATS, _ASKER_STATS)
        rows = await self.db.read_sync(
            lambda conn: stmt.rows(conn, params), short=True, single=True
        )
        return stats_parts(rows)

    async def own_stats(self, workspace: str, user: int | UserRef) -> tuple[StatsCard, StudyRead]:
        """`stats_card` and the player's review cards, study streak and review settings (the
        private part of own stats), in one statement."""
        params: dict[str, Any] = {"workspace": workspace}
        stmt = _by_asker(params, user, _OWN_STATS, _ASKER_OWN_STATS)
        rows = await self.db.read_sync(
            lambda conn: stmt.rows(conn, params), short=True, single=True
        )
        return stats_parts(rows), study_part(rows)

    async def team_table(self, workspace: str, period: str) -> list[TeamEntry]:
        """Every team of the period, in the team board's own order (one order for the board
        and the weekly tally). Active and member counts are kept beside the points (see
        award_rows and the team methods): one row per team, no count over the players."""
        params = {"workspace": workspace, "period": period}
        rows = await self.db.read_sync(
            lambda conn: conn.execute(TEAM_TABLE, params).all(), single=True
        )
        return _team_entries(rows)

    async def user_stats(self, user_id: int) -> UserStatsRecord:
        async with self.db.read() as conn:
            rows = (await conn.execute(topic_counts(user_id))).all()
            streak = (
                await conn.execute(sa.select(user_stats).where(user_stats.c.user_id == user_id))
            ).first()
        return stats_record(rows, streak)

    async def recount(self, workspace: str) -> dict[tuple[str, str, int], int]:
        """Totals recomputed from the raw point events; tests compare it with `totals`."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(point_events).where(point_events.c.workspace == workspace)
                )
            ).all()
        out: Counter[tuple[str, str, int]] = Counter()
        for r in rows:
            for period in ("all", r.week, r.month):
                out[(period, "user", r.user_id)] += r.points
                if r.team_id is not None:
                    out[(period, "team", r.team_id)] += r.points
        return dict(out)

    async def stored_totals(self, workspace: str) -> dict[tuple[str, str, int], int]:
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(bt).where(bt.c.workspace == workspace))).all()
        return {(r.period, r.kind, r.subject_id): r.points for r in rows}

    async def counter_drift(self, workspace: str) -> dict[str, list[Any]]:
        """Counters kept beside the totals that disagree with a recount of the rows they
        summarise (empty when all agree); tests and the benchmark loader check it."""
        drift: dict[str, list[Any]] = {}
        async with self.db.read() as conn:
            for table, keys in _RANK_COUNTERS:
                wrong = await _recount_drift(conn, workspace, table, keys)
                if wrong:
                    drift[table.name] = wrong
            active = sa.select(sa.func.count()).where(
                team_active.c.workspace == bt.c.workspace,
                team_active.c.period == bt.c.period,
                team_active.c.team_id == bt.c.subject_id,
            )
            wrong_active = (
                await conn.execute(
                    sa.select(bt.c.period, bt.c.subject_id, bt.c.active).where(
                        bt.c.workspace == workspace,
                        bt.c.kind == "team",
                        bt.c.active != active.scalar_subquery(),
                    )
                )
            ).all()
            if wrong_active:
                drift["active"] = [tuple(r) for r in wrong_active]
            members = sa.select(sa.func.count()).where(memberships.c.team_id == teams.c.id)
            wrong_members = (
                await conn.execute(
                    sa.select(teams.c.id, teams.c.members).where(
                        teams.c.workspace == workspace, teams.c.members != members.scalar_subquery()
                    )
                )
            ).all()
            if wrong_members:
                drift["members"] = [tuple(r) for r in wrong_members]
        return drift

    async def last_tally(
        self, channel_id: int, before: str
    ) -> tuple[str, dict[int, TallySnapshotRow]] | None:
        """The most recent tally snapshot of the channel for a week before `before`."""
        async with self.db.read() as conn:
            period = (
                await conn.execute(
                    sa.select(sa.func.max(tally_rows.c.period)).where(
                        tally_rows.c.channel_id == channel_id, tally_rows.c.period < before
                    )
                )
            ).scalar_one_or_none()
            if period is None:
                return None
            rows = (
                await conn.execute(
                    sa.select(tally_rows).where(
                        tally_rows.c.channel_id == channel_id, tally_rows.c.period == period
                    )
                )
            ).all()
        return period, {
            r.team_id: TallySnapshotRow(r.team_id, r.rank, r.points, r.active) for r in rows
        }

    async def save_tally(
        self, channel_id: int, period: str, rows: Iterable[TallySnapshotRow]
    ) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                tally_rows.delete().where(
                    tally_rows.c.channel_id == channel_id, tally_rows.c.period == period
                )
            )
            values = [
                {
                    "channel_id": channel_id,
                    "period": period,
                    "team_id": r.team_id,
                    "rank": r.rank,
                    "points": r.points,
                    "active": r.active,
                }
                for r in rows
            ]
            if values:
                await conn.execute(tally_rows.insert(), values)


# Query pieces shared by the methods above (module level keeps the store class short).

# The rank's counters, each by the expressions over a user's totals row that key it.
_BUCKET = {"period": bt.c.period, "points": bt.c.points, "correct": bt.c.correct}
_RANK_COUNTERS: tuple[tuple[sa.Table, dict[str, Any]], ...] = (
    (score_counts, _BUCKET),
    (tie_blocks, {**_BUCKET, "block": bt.c.subject_id // TIE_BLOCK}),
    (score_bands, {"period": bt.c.period, "band": bt.c.points // SCORE_BAND}),
)


async def _recount_drift(
    conn: AsyncConnection, workspace: str, table: sa.Table, keys: dict[str, Any]
) -> list[Any]:
    """The (key, players) pairs where a rank counter and a recount of the players' totals
    rows by the same key disagree (empty when they agree; a counter at 0 is no row)."""
    kept = await conn.execute(
        sa.select(*(table.c[k] for k in keys), table.c.users).where(
            table.c.workspace == workspace, table.c.users != 0
        )
    )
    counted = await conn.execute(
        sa.select(*keys.values(), sa.func.count())
        .where(bt.c.workspace == workspace, bt.c.kind == "user", bt.c.points > 0)
        .group_by(*keys.values())
    )
    stored = {(tuple(r[:-1]), r[-1]) for r in kept}
    return sorted(stored ^ {(tuple(r[:-1]), r[-1]) for r in counted})


def _team_entries(rows: Iterable[Any]) -> list[TeamEntry]:
    """Rows of the team statements (TEAM_BOARD's top, TEAM_TABLE), in board order, as
    board entries ranked 1, 2, ..."""
    return [_team_entry(r, i) for i, r in enumerate(rows, start=1)]


def _team_entry(r: Any, rank: int) -> TeamEntry:
    # bool(): sqlite3 at the driver level (the team board) gives a boolean as 0 or 1.
    deleted = bool(r.deleted)
    return TeamEntry(r.id, r.name, r.points, r.active, r.members, rank, r.correct, deleted)


def _by_asker(params: dict[str, Any], user: int | UserRef, by_id: Any, by_ref: Any) -> Any:
    """The statement for a stored id, or the one that finds the platform user itself."""
    if isinstance(user, UserRef):
        params["external"] = user.user_id
        return by_ref
    params["user"] = user
    return by_id
