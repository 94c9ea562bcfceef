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

# The chunk's statements, built once: building them per chunk cost more CPU than SQLite's
# work on them, inside the writer's hold (docs/scaling.md, sessions 10 and 11).
_CLAIM = (
    rounds.update()
    .where(rounds.c.id == sa.bindparam("k_id"), rounds.c.settle_cursor == sa.bindparam("since"))
    .values(settle_cursor=sa.bindparam("since"))
)
_ROUND = sa.select(
    rounds.c.workspace,
    rounds.c.local_date,
    rounds.c.closed_at,
    rounds.c.settle_previous,
    rounds.c.settle_points,
    rounds.c.question_id,
).where(rounds.c.id == sa.bindparam("k_id"))
_NTH = (
    sa.select(answers.c.user_id)
    .where(answers.c.round_id == sa.bindparam("k_id"), answers.c.user_id > sa.bindparam("since"))
    .order_by(answers.c.user_id)
    .limit(1)
    .offset(sa.bindparam("skip"))
)
_ANSWERS = (
    sa.select(answers.c.id, answers.c.user_id, answers.c.correct, answers.c.topic)
    .where(
        answers.c.round_id == sa.bindparam("k_id"),
        answers.c.user_id > sa.bindparam("since"),
        answers.c.user_id <= sa.bindparam("upto"),
    )
    .order_by(answers.c.id)
)
_STREAKS = sa.select(user_stats).where(
    user_stats.c.user_id.in_(sa.bindparam("ids", expanding=True))
)
_POINTS = (
    answers.update()
    .where(answers.c.id == sa.bindparam("answer_id"))
    .values(points=sa.bindparam("new_points"), streak=sa.bindparam("streak"))
)
_RIGHT_HERE = sa.select(answers.c.user_id).where(
    answers.c.round_id == sa.bindparam("k_id"),
    answers.c.correct.is_(True),
    answers.c.user_id > sa.bindparam("since"),
    answers.c.user_id <= sa.bindparam("upto"),
)
# Everyone else of the workspace in the chunk's id range loses their streak: they missed
# this round. The workspace is checked per player by primary key: as `IN (SELECT id FROM
# users WHERE workspace = ? AND id in range)` SQLite read the workspace's whole index
# range (every player of it) once per chunk, the chunk's costliest statement.
_RESET = (
    user_stats.update()
    .where(
        user_stats.c.user_id > sa.bindparam("since"),
        user_stats.c.user_id <= sa.bindparam("upto"),
        user_stats.c.current_streak > 0,
        sa.exists().where(
            users.c.id == user_stats.c.user_id, users.c.workspace == sa.bindparam("workspace")
        ),
        user_stats.c.user_id.not_in(_RIGHT_HERE),
    )
    .values(current_streak=0)
)
_LAST_USER = sa.select(sa.func.max(users.c.id))
_MOVE = (
    rounds.update()
    .where(rounds.c.id == sa.bindparam("k_id"))
    .values(
        settle_cursor=sa.bindparam("v_cursor", type_=sa.Integer),
        settle_previous=sa.bindparam("v_previous", type_=sa.Integer),
        settle_points=sa.bindparam("v_points", type_=sa.Integer),
    )
)
_UPSERT_STATS: dict[bool, Any] = {}


def settle_chunk(
    db: Database, conn: sa.Connection, round_id: int, since: int, chunk_size: int
) -> int | None:
    """Award the answers of users (since, upto] and reset the streaks of the workspace's
    other players in that range, then move the cursor in the same transaction. Returns
    the new cursor, -1 when the round is settled, None if the cursor was not `since`."""
    # Compare-and-set first: the row lock (PostgreSQL) or the writer (SQLite) makes two
    # callers on one round take turns, and the second finds the cursor moved.
    if conn.execute(_CLAIM, {"k_id": round_id, "since": since}).rowcount != 1:
        return None
    rnd = conn.execute(_ROUND, {"k_id": round_id}).one()
    previous, base_points, at = rnd.settle_previous, rnd.settle_points or 0, utc(rnd.closed_at)
    # The chunk ends at the user id of its chunk_size-th answer, and spans at most
    # RESET_SPAN ids so the streak reset of the range stays short too.
    nth = conn.execute(
        _NTH, {"k_id": round_id, "since": since, "skip": chunk_size - 1}
    ).scalar_one_or_none()
    upto = since + RESET_SPAN if nth is None else min(nth, since + RESET_SPAN)
    span = {"k_id": round_id, "since": since, "upto": upto}
    rows = conn.execute(_ANSWERS, span).all()
    correct_ids = sorted(r.user_id for r in rows if r.correct)
    streaks: dict[int, Any] = {}
    for chunk in chunks(correct_ids):
        streaks.update({r.user_id: r for r in conn.execute(_STREAKS, {"ids": chunk})})
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
        conn.execute(_upsert_stats(db), sorted(stats_rows, key=lambda r: r["user_id"]))
    if points_rows:
        conn.execute(_POINTS, points_rows)
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
    conn.execute(_RESET, {**span, "workspace": rnd.workspace})
    # Done once the range passes every user id (users created later hold no streak of
    # this workspace's rounds: closes of a workspace run one after another).
    last_user = conn.execute(_LAST_USER).scalar_one_or_none() or 0
    more_answers = nth is not None and nth > upto
    done = upto >= last_user and not more_answers
    conn.execute(
        _MOVE,
        {
            "k_id": round_id,
            "v_cursor": None if done else upto,
            "v_previous": None if done else previous,
            "v_points": None if done else rnd.settle_points,
        },
    )
    return -1 if done else upto


def _upsert_stats(db: Database) -> Any:
    stmt = _UPSERT_STATS.get(db.sqlite)
    if stmt is None:
        insert = db.insert(user_stats)
        stmt = _UPSERT_STATS[db.sqlite] = insert.on_conflict_do_update(
            index_elements=[user_stats.c.user_id],
            set_={
                "current_streak": insert.excluded.current_streak,
                "best_streak": insert.excluded.best_streak,
                "last_streak_round": insert.excluded.last_streak_round,
            },
        )
    return stmt
