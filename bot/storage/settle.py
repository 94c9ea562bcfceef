"""One chunk of a round's close: points, streaks and totals for a range of user ids."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.records import CardReview, PointAward
from bot.review import rating_for_answer
from bot.scoring import streak_bonus
from bot.storage.awards import award_rows
from bot.storage.cards import apply_reviews
from bot.storage.database import Database
from bot.storage.rows import chunks, utc
from bot.storage.tables import answers, rounds, user_stats, users

# The widest range of user ids one chunk resets streaks over (a sparse round still moves in
# short transactions through a workspace of many players).
RESET_SPAN = 20_000


def settle_chunk(
    db: Database, conn: sa.Connection, round_id: int, since: int, chunk_size: int
) -> int | None:
    """Award the answers of users (since, upto] and reset the streaks of the workspace's
    other players in that range, then move the cursor in the same transaction. Returns
    the new cursor, -1 when the round is settled, None if the cursor was not `since`."""
    # Compare-and-set first: the row lock (PostgreSQL) or the writer (SQLite) makes two
    # callers on one round take turns, and the second finds the cursor moved.
    mine = conn.execute(
        rounds.update()
        .where(rounds.c.id == round_id, rounds.c.settle_cursor == since)
        .values(settle_cursor=since)
    )
    if mine.rowcount != 1:
        return None
    rnd = conn.execute(
        sa.select(
            rounds.c.workspace,
            rounds.c.local_date,
            rounds.c.closed_at,
            rounds.c.settle_previous,
            rounds.c.settle_points,
            rounds.c.question_id,
        ).where(rounds.c.id == round_id)
    ).one()
    previous, base_points, at = rnd.settle_previous, rnd.settle_points or 0, utc(rnd.closed_at)
    # The chunk ends at the user id of its close_chunk-th answer, and spans at most
    # RESET_SPAN ids so the streak reset of the range stays short too.
    nth = conn.execute(
        sa.select(answers.c.user_id)
        .where(answers.c.round_id == round_id, answers.c.user_id > since)
        .order_by(answers.c.user_id)
        .limit(1)
        .offset(chunk_size - 1)
    ).scalar_one_or_none()
    upto = since + RESET_SPAN if nth is None else min(nth, since + RESET_SPAN)
    in_range = sa.and_(answers.c.user_id > since, answers.c.user_id <= upto)
    rows = conn.execute(
        sa.select(answers.c.id, answers.c.user_id, answers.c.correct, answers.c.topic)
        .where(answers.c.round_id == round_id, in_range)
        .order_by(answers.c.id)
    ).all()
    correct_ids = sorted(r.user_id for r in rows if r.correct)
    streaks: dict[int, Any] = {}
    for chunk in chunks(correct_ids):
        found = conn.execute(sa.select(user_stats).where(user_stats.c.user_id.in_(chunk)))
        streaks.update({r.user_id: r for r in found})
    stats_rows: list[dict[str, int]] = []
    points_rows: list[dict[str, int]] = []
    awards: list[PointAward] = []
    for row in rows:
        points = 0
        if row.correct:
            stat = streaks.get(row.user_id)
            streak = (
                stat.current_streak + 1
                if stat and previous is not None and stat.last_streak_round == previous
                else 1
            )
            best = max(streak, stat.best_streak if stat else 0)
            stats_rows.append(
                {
                    "user_id": row.user_id,
                    "current_streak": streak,
                    "best_streak": best,
                    "last_streak_round": round_id,
                }
            )
            points = base_points + streak_bonus(streak)
            points_rows.append({"answer_id": row.id, "new_points": points, "streak": streak})
        awards.append(
            PointAward(row.user_id, points, row.correct, "daily", rnd.local_date, at, round_id)
        )
    if stats_rows:
        stmt = db.insert(user_stats)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[user_stats.c.user_id],
                set_={
                    "current_streak": stmt.excluded.current_streak,
                    "best_streak": stmt.excluded.best_streak,
                    "last_streak_round": stmt.excluded.last_streak_round,
                },
            ),
            sorted(stats_rows, key=lambda r: r["user_id"]),
        )
    if points_rows:
        conn.execute(
            answers.update()
            .where(answers.c.id == sa.bindparam("answer_id"))
            .values(points=sa.bindparam("new_points"), streak=sa.bindparam("streak")),
            points_rows,
        )
    award_rows(db, conn, rnd.workspace, awards)
    # The reveal is when a daily answer's result becomes the user's: their review cards
    # are scheduled here, in the chunk that awards the same answers.
    apply_reviews(
        db,
        conn,
        rnd.workspace,
        [
            CardReview(r.user_id, rnd.question_id, r.topic, rating_for_answer(r.correct), at)
            for r in rows
        ],
    )
    # Everyone else of the workspace in this id range loses their streak: they missed
    # this round.
    right_here = sa.select(answers.c.user_id).where(
        answers.c.round_id == round_id, answers.c.correct.is_(True), in_range
    )
    conn.execute(
        user_stats.update()
        .where(
            user_stats.c.user_id > since,
            user_stats.c.user_id <= upto,
            user_stats.c.current_streak > 0,
            user_stats.c.user_id.in_(
                sa.select(users.c.id).where(
                    users.c.workspace == rnd.workspace, users.c.id > since, users.c.id <= upto
                )
            ),
            user_stats.c.user_id.not_in(right_here),
        )
        .values(current_streak=0)
    )
    # Done once the range passes every user id (users created later hold no streak of
    # this workspace's rounds: closes of a workspace run one after another).
    last_user = conn.execute(sa.select(sa.func.max(users.c.id))).scalar_one_or_none() or 0
    more_answers = nth is not None and nth > upto
    done = upto >= last_user and not more_answers
    conn.execute(
        rounds.update()
        .where(rounds.c.id == round_id)
        .values(
            settle_cursor=None if done else upto,
            settle_previous=None if done else previous,
            settle_points=None if done else rnd.settle_points,
        )
    )
    return -1 if done else upto
