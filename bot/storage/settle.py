"""One chunk of a round's close: points, streaks and totals for a range of user ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.records import CardReview, PointAward
from bot.review import ReviewPolicy, rating_for_answer
from bot.scoring import streak_bonus
from bot.storage.awards import AwardPlan, plan_awards, teams_of, write_awards
from bot.storage.card_batch import current_cards, policy_of, schedule_cards, upsert_cards
from bot.storage.database import Database
from bot.storage.rows import chunks, utc
from bot.storage.tables import answers, rounds, user_stats, users

# The widest range of user ids one chunk resets streaks over (a sparse round still moves in
# short transactions through a workspace of many players).
RESET_SPAN = 20_000

# The chunk's statements, built once: building them per chunk cost more CPU than SQLite's
# work on them, inside the writer's hold (docs/scaling.md, "Session 10").
_CLAIM = (
    rounds.update()
    .where(rounds.c.id == sa.bindparam("k_id"), rounds.c.settle_cursor == sa.bindparam("since"))
    .values(settle_cursor=sa.bindparam("since"))
)
_ROUND = sa.select(
    rounds.c.id,
    rounds.c.settle_cursor,
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


@dataclass(frozen=True)
class ChunkInputs:
    """Everything a chunk's writes are computed from, as read: two reads that compare
    equal give the same writes."""

    round: Any  # the round's row (settle cursor, previous round, base points, ...)
    nth: int | None  # the user id of the chunk's last answer, None past the round's answers
    upto: int  # the chunk's range of user ids is (cursor, upto]
    answers: tuple[Any, ...]  # (answer id, user id, correct, topic), in answer order
    streaks: tuple[Any, ...]  # user_stats rows of the players who answered right
    team_of: tuple[tuple[int, int], ...]
    cards: tuple[Any, ...]  # ((user id, question id), card) of the cards the answers review
    policy: ReviewPolicy


@dataclass(frozen=True)
class ChunkPlan:
    """A chunk's writes, worked out from its inputs without the database."""

    inputs: ChunkInputs
    stats: list[dict[str, int]]
    points: list[dict[str, int]]
    awards: AwardPlan
    cards: list[dict[str, Any]]


def settle_chunk(
    db: Database,
    conn: sa.Connection,
    round_id: int,
    since: int,
    chunk_size: int,
    planned: ChunkPlan | None = None,
) -> int | None:
    """Award the answers of users (since, upto] and reset the streaks of the workspace's
    other players in that range, then move the cursor in the same transaction. Returns
    the new cursor, -1 when the round is settled, None if the cursor was not `since`.

    `planned`: the chunk worked out beforehand from a read outside the writer (plan). The
    inputs are read again here, in the write transaction; when they equal the plan's, its
    writes are made as planned, else worked out again from what was read here, so the
    result is always that of the transaction's own reads."""
    # Compare-and-set first: the row lock (PostgreSQL) or the writer (SQLite) makes two
    # callers on one round take turns, and the second finds the cursor moved.
    if conn.execute(_CLAIM, {"k_id": round_id, "since": since}).rowcount != 1:
        return None
    inputs = read_chunk(conn, round_id, since, chunk_size)
    if inputs is None:  # the claim saw the cursor at `since`; only a race could move it
        return None
    plan = planned if planned is not None and planned.inputs == inputs else plan_chunk(inputs)
    return write_chunk(db, conn, plan)


def plan(conn: sa.Connection, round_id: int, since: int, chunk_size: int) -> ChunkPlan | None:
    """Read a chunk's inputs and work out its writes (a read, outside the writer)."""
    inputs = read_chunk(conn, round_id, since, chunk_size)
    return None if inputs is None else plan_chunk(inputs)


def read_chunk(
    conn: sa.Connection, round_id: int, since: int, chunk_size: int
) -> ChunkInputs | None:
    """A chunk's inputs from the cursor at `since`; None if the cursor is elsewhere."""
    rnd = conn.execute(_ROUND, {"k_id": round_id}).one()
    if rnd.settle_cursor != since:
        return None
    # The chunk ends at the user id of its chunk_size-th answer, and spans at most
    # RESET_SPAN ids so the streak reset of the range stays short too.
    nth = conn.execute(
        _NTH, {"k_id": round_id, "since": since, "skip": chunk_size - 1}
    ).scalar_one_or_none()
    upto = since + RESET_SPAN if nth is None else min(nth, since + RESET_SPAN)
    rows = tuple(conn.execute(_ANSWERS, {"k_id": round_id, "since": since, "upto": upto}))
    correct_ids = sorted(r.user_id for r in rows if r.correct)
    streaks: list[Any] = []
    for chunk in chunks(correct_ids):
        streaks.extend(conn.execute(_STREAKS, {"ids": chunk}))
    cards = current_cards(conn, _reviews(rnd, rows))
    return ChunkInputs(
        round=rnd,
        nth=nth,
        upto=upto,
        answers=rows,
        streaks=tuple(sorted(streaks)),
        team_of=tuple(sorted(teams_of(conn, {r.user_id for r in rows}).items())),
        cards=tuple(sorted(cards.items())),
        policy=policy_of(conn, rnd.workspace),
    )


def _reviews(rnd: Any, rows: tuple[Any, ...]) -> list[CardReview]:
    # The reveal is when a daily answer's result becomes the user's: their review cards
    # are scheduled in the chunk that awards the same answers.
    at = utc(rnd.closed_at)
    return [
        CardReview(r.user_id, rnd.question_id, r.topic, rating_for_answer(r.correct), at)
        for r in rows
    ]


def plan_chunk(inputs: ChunkInputs) -> ChunkPlan:
    """The chunk's writes from its inputs: streaks, points, awards and scheduled cards."""
    rnd = inputs.round
    previous, base_points, at = rnd.settle_previous, rnd.settle_points or 0, utc(rnd.closed_at)
    streaks = {s.user_id: s for s in inputs.streaks}
    stats_rows: list[dict[str, int]] = []
    points_rows: list[dict[str, int]] = []
    awards: list[PointAward] = []
    for row in inputs.answers:
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
                    "last_streak_round": rnd.id,
                }
            )
            points = base_points + streak_bonus(streak)
            points_rows.append({"answer_id": row.id, "new_points": points, "streak": streak})
        awards.append(
            PointAward(row.user_id, points, row.correct, "daily", rnd.local_date, at, rnd.id)
        )
    return ChunkPlan(
        inputs,
        sorted(stats_rows, key=lambda r: r["user_id"]),
        points_rows,
        plan_awards(rnd.workspace, awards, dict(inputs.team_of)),
        schedule_cards(dict(inputs.cards), _reviews(rnd, inputs.answers), inputs.policy),
    )


def write_chunk(db: Database, conn: sa.Connection, plan: ChunkPlan) -> int:
    """Make a chunk's writes and move the cursor: the new cursor, -1 when settled."""
    inputs = plan.inputs
    rnd, since, upto = inputs.round, inputs.round.settle_cursor, inputs.upto
    if plan.stats:
        conn.execute(_upsert_stats(db), plan.stats)
    if plan.points:
        conn.execute(_POINTS, plan.points)
    write_awards(db, conn, rnd.workspace, plan.awards)
    upsert_cards(db, conn, plan.cards)
    conn.execute(_RESET, {"k_id": rnd.id, "since": since, "upto": upto, "workspace": rnd.workspace})
    # Done once the range passes every user id (users created later hold no streak of
    # this workspace's rounds: closes of a workspace run one after another).
    last_user = conn.execute(_LAST_USER).scalar_one_or_none() or 0
    more_answers = inputs.nth is not None and inputs.nth > upto
    done = upto >= last_user and not more_answers
    conn.execute(
        _MOVE,
        {
            "k_id": rnd.id,
            "v_cursor": None if done else upto,
            "v_previous": None if done else rnd.settle_previous,
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
