"""Rescoring a closed round (void or rekey) exactly: answers, streaks, events, totals."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from bot.records import RescoreOutcome, RescoreRequest
from bot.scoring import streak_bonus
from bot.storage.audit_tables import audit_log
from bot.storage.bulk import fetch, int_list
from bot.storage.database import Database
from bot.storage.rescore_totals import Change, Player, apply_changes
from bot.storage.tables import rounds

# An answer as the walk reads it: id, correct, points, streak (a plain tuple: the walk builds
# one per answer read, tens of thousands, and a dataclass instance cost several times more).
_Answer = tuple[int, bool, int, int]


def rescore_round(db: Database, conn: sa.Connection, req: RescoreRequest) -> RescoreOutcome:
    """One transaction: the round's new key or void, every answer whose points or streak
    follow from it (this round's and later rounds' of the same players), their point events,
    streak stats and board totals, the audit row and the players' private notes."""
    # Every round of the workspace locked (PostgreSQL; SQLite has one writer): no close
    # starts or settles while its streaks are being recomputed.
    in_workspace = conn.execute(
        sa.select(
            rounds.c.id,
            rounds.c.channel_id,
            rounds.c.closed_at,
            rounds.c.settle_cursor,
            rounds.c.voided_at,
            rounds.c.base_points,
        )
        .where(rounds.c.workspace == req.workspace)
        .order_by(rounds.c.id)
        .with_for_update()
    ).all()
    rnd = next((r for r in in_workspace if r.id == req.round_id), None)
    if rnd is None:
        return RescoreOutcome("unknown")
    if rnd.closed_at is None or rnd.settle_cursor is not None:
        return RescoreOutcome("open")
    if rnd.voided_at is not None:
        return RescoreOutcome("voided")
    if any(r.settle_cursor is not None for r in in_workspace):
        return RescoreOutcome("busy")
    # The streak chain: the workspace's closed rounds in close order, voided ones left out
    # (the order the close itself follows; see SqlRoundStore._start_close).
    chain_rows = sorted(
        (r for r in in_workspace if r.closed_at is not None and r.voided_at is None),
        key=lambda r: (r.closed_at, r.id),
    )
    chain = [r.id for r in chain_rows]
    base = {r.id: r.base_points or 0 for r in chain_rows}
    pos = chain.index(rnd.id)
    prev = chain[pos - 1] if pos else None
    later = chain[pos + 1 :]
    here = _round_answers(conn, rnd.id)
    void = req.action == "void"
    if void:
        conn.execute(rounds.update().where(rounds.c.id == rnd.id).values(voided_at=req.at))
        walk = later
        # Whose streak can move: this round's players, and those right in the rounds either
        # side (the chain now runs from one straight to the other).
        who = set(here)
        for side in (prev, later[0] if later else None):
            if side is not None:
                who |= set(_correct_users(conn, side))
        verdict: dict[int, bool] = {}
    else:
        conn.execute(
            rounds.update().where(rounds.c.id == rnd.id).values(question_json=req.question_json)
        )
        walk = [rnd.id, *later]
        verdict = {u: req.correct.get(u, a[1]) for u, a in here.items()}
        who = {u for u, a in here.items() if verdict[u] != a[1]}
    users = sorted(who)
    # The last round that counts: a streak still running there continues at the next close.
    final = ([c for c in chain if not void or c != rnd.id] or [None])[-1]
    dropped = here if void else {}  # the voided round's answers lose their streaks
    changes, streaks = _walk(conn, rnd.id, prev, walk, users, here, verdict, base, final, dropped)
    users_moved, points_before, points_after = apply_changes(
        db,
        conn,
        req.workspace,
        rnd.id if void else None,
        changes,
        streaks,
        (rnd.channel_id, req.note, req.at),
    )
    audit_id = _audit(conn, req, users_moved, points_before, points_after)
    return RescoreOutcome("done", audit_id, users_moved, points_before, points_after)


def _correct_users(conn: sa.Connection, round_id: int) -> list[int]:
    # Through the driver: thousands of ids, no type processing needed.
    sql = "SELECT user_id FROM answers WHERE round_id = ? AND correct"
    return [user for (user,) in fetch(conn, sql, (round_id,))]


def _walk(
    conn: sa.Connection,
    target: int,
    prev: int | None,
    walk: list[int],
    users: list[int],
    here: dict[int, _Answer],
    verdict: dict[int, bool],
    base: dict[int, int],
    final: int | None,
    dropped: dict[int, _Answer],
) -> tuple[list[Change], list[Player]]:
    """Score the players again round by round along the chain: each answer whose verdict,
    points or streak differs, and each player's streak at the end. A player leaves the walk
    once their new streak meets the old one (the same streak meets the same later answers),
    and the walk stops reading rounds when nobody is left: a rekey of an old round reads as
    many later rounds as its longest changed streak, not the whole history."""
    before = _round_answers(conn, prev, users) if prev is not None else {}
    streak: dict[int, int] = {}
    for user in users:
        a = before.get(user)
        streak[user] = a[3] if a is not None and a[1] else 0
    walking = set(users)
    changes: list[Change] = []
    # Per player, the top streak among their rewritten answers before and after.
    tops = {user: [a[3], 0] for user, a in dropped.items()}
    bonus = functools.cache(streak_bonus)  # a few distinct streaks, thousands of players
    for k in walk:
        if not walking:
            break
        # Per round, not per player: the walk visits tens of thousands of answers.
        fixed = k == target
        found = here if fixed else _round_answers(conn, k, walking)
        points_base = base[k]
        for user in sorted(walking):
            a = found.get(user)
            right = verdict.get(user, False) if fixed else a is not None and a[1]
            now = streak[user] + 1 if right else 0
            points = points_base + bonus(now) if right else 0
            if a is not None and a[1:] != (right, points, now):
                changes.append((a[0], k, user, right, points, now, a[1], a[2]))
                top = tops.get(user)
                if top is None:
                    tops[user] = [a[3], now]
                else:
                    top[0], top[1] = max(top[0], a[3]), max(top[1], now)
            streak[user] = now
            if not fixed and now == (a[3] if a is not None else 0):
                walking.discard(user)
    # Those still walking at the end hold a new current streak; the others' stays as it is.
    streaks: list[Player] = []
    for u in users:
        old_top, new_top = tops.get(u, (0, 0))
        if u in walking:
            streaks.append((u, True, streak[u], final if streak[u] > 0 else None, old_top, new_top))
        else:
            streaks.append((u, False, None, None, old_top, new_top))
    return changes, streaks


def _round_answers(
    conn: sa.Connection, round_id: int, users: Collection[int] | None = None
) -> dict[int, _Answer]:
    """A round's answers by player (only `users`' when given), read through the driver
    (thousands of rows). A walk down a long history keeps only a few players after its
    first rounds: reading just theirs, not every answer of each later round, is what keeps
    an old round's rekey from costing the bot a full round read per later round."""
    sql = "SELECT id, user_id, correct, points, streak FROM answers WHERE round_id = ?"
    params: tuple[Any, ...] = (round_id,)
    if users is not None:
        if conn.dialect.name == "postgresql":
            sql += " AND user_id = ANY(string_to_array(?, ',')::integer[])"
            params += (int_list(users),)
        else:
            # One bound JSON array rather than one placeholder per player; each value is
            # looked up in the (round_id, user_id) index.
            sql += " AND user_id IN (SELECT value FROM json_each(?))"
            params += (json.dumps(list(users)),)
    return {
        user: (answer_id, bool(correct), points, streak)
        for answer_id, user, correct, points, streak in fetch(conn, sql, params)
    }


def _audit(
    conn: sa.Connection, req: RescoreRequest, users: int, points_before: int, points_after: int
) -> int:
    """The audit row: who, when, what, and the moved players' points before and after."""
    question_id = conn.execute(
        sa.select(rounds.c.question_id).where(rounds.c.id == req.round_id)
    ).scalar_one()
    audit_id: int = conn.execute(
        audit_log.insert()
        .values(
            workspace=req.workspace,
            actor_ref=req.actor_ref,
            actor_name=req.actor_name,
            action=req.action,
            round_id=req.round_id,
            question_id=question_id,
            detail=req.detail,
            users=users,
            points_before=points_before,
            points_after=points_after,
            created_at=req.at,
        )
        .returning(audit_log.c.id)
    ).scalar_one()
    return audit_id
