"""A rescore's rank buckets: players moved between (points, correct) buckets, tie blocks, bands."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.storage.awards import adding_to_counts
from bot.storage.database import Database
from bot.storage.rescore_tables import after, nets
from bot.storage.tables import SCORE_BAND, TIE_BLOCK, score_bands, score_counts, tie_blocks


def move_buckets(
    db: Database, conn: sa.Connection, workspace: str, periods: dict[int, str]
) -> None:
    """One player fewer in the (points, correct) bucket each moved player left, one more in
    the one they reached (players on no points are in none). `periods`: the users boards'
    numbers and their periods (the staged rows name a board by its number; the counters by
    its period)."""
    if not periods:
        return
    a = after
    mine = (a.c.board_id.in_(sorted(periods)), (a.c.dp != 0) | (a.c.dc != 0))
    was = (a.c.points - a.c.dp, a.c.correct - a.c.dc)
    block = (a.c.subject_id // TIE_BLOCK).label("block")
    left = sa.select(
        a.c.board_id,
        was[0].label("points"),
        was[1].label("correct"),
        block,
        sa.literal(-1).label("n"),
    ).where(*mine, was[0] > 0)
    reached = sa.select(a.c.board_id, a.c.points, a.c.correct, block, sa.literal(1)).where(
        *mine, a.c.points > 0
    )
    both = sa.union_all(left, reached).subquery()

    def period(board: Any) -> Any:
        # On the grouped rows (a few dozen), not on each staged one.
        return sa.case(periods, value=board).label("period")

    group = (both.c.board_id, both.c.points, both.c.correct, both.c.block)
    grouped = sa.select(*group, sa.func.sum(both.c.n).label("users")).group_by(*group)
    if db.sqlite:
        # No data-modifying CTE: the moves grouped once into a staged table, then each
        # counter written from its few thousand rows (grouping the 50,000 moves of a rekey
        # once per counter cost 60-100 ms more).
        conn.execute(nets.insert().from_select([c.name for c in nets.columns], grouped))
        for stmt in _counter_writes(db, workspace, nets, period):
            conn.execute(stmt)
        return
    # PostgreSQL: one statement, the counters written by data-modifying CTEs over the
    # grouped moves (grouping them twice cost more than both writes).
    blocks, histogram, bands = _counter_writes(db, workspace, grouped.cte("net"), period)
    conn.execute(histogram.add_cte(blocks.cte("blocks"), bands.cte("bands")))


def _counter_writes(db: Database, workspace: str, net: Any, period: Any) -> tuple[Any, Any, Any]:
    """The upserts of the tie blocks, the histogram and the score bands from `net` (the
    moves' net per board, bucket and block of ids): the blocks as they are, the histogram
    by summing a bucket's blocks, the bands by summing the buckets of each band."""
    blocks = adding_to_counts(
        db.insert(tie_blocks).from_select(
            ["workspace", "period", "points", "correct", "block", "users"],
            # The WHERE also keeps SQLite from reading ON CONFLICT as a join's ON.
            sa.select(sa.literal(workspace), period(net.c.board_id), *list(net.c)[1:]).where(
                net.c.users != 0
            ),
        )
    )
    users = sa.func.sum(net.c.users)
    histogram = adding_to_counts(
        db.insert(score_counts).from_select(
            ["workspace", "period", "points", "correct", "users"],
            sa.select(
                sa.literal(workspace), period(net.c.board_id), net.c.points, net.c.correct, users
            )
            .where(sa.true())
            .group_by(net.c.board_id, net.c.points, net.c.correct)
            .having(users != 0),
        )
    )
    return blocks, histogram, _moving_bands(db, workspace, net, net.c.users, period)


def _moving_bands(db: Database, workspace: str, moves: Any, users: Any, period: Any) -> Any:
    """The insert that adds the moves (rows of board number, points and the players `users`
    in or out) to their score bands."""
    band = moves.c.points // SCORE_BAND
    net = sa.func.sum(users)
    return adding_to_counts(
        db.insert(score_bands).from_select(
            ["workspace", "period", "band", "users"],
            # The WHERE keeps SQLite from reading ON CONFLICT as a join's ON (as above).
            sa.select(sa.literal(workspace), period(moves.c.board_id), band, net)
            .where(sa.true())
            .group_by(moves.c.board_id, band)
            .having(net != 0),
        )
    )
