"""Point awards: events and every running total they move, set-based."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.records import (
    PointAward,
)
from bot.schedule import month_key, week_key
from bot.storage.board_keys import board_numbers
from bot.storage.database import Database
from bot.storage.rows import (
    chunks,
)
from bot.storage.tables import (
    SCORE_BAND,
    TIE_BLOCK,
    memberships,
    point_events,
    score_bands,
    score_counts,
    team_active,
    tie_blocks,
    totals,
)

# A histogram move: (period, points, correct, block of the player's id) -> players in - out.
Buckets = Counter[tuple[str, int, int, int]]


async def award_many(
    db: Database, conn: AsyncConnection, workspace: str, awards: Sequence[PointAward]
) -> None:
    """award_rows on an async connection (one hop for the whole body)."""
    if awards:
        await conn.run_sync(lambda sync: award_rows(db, sync, workspace, awards))


def award_rows(
    db: Database, conn: sa.Connection, workspace: str, awards: Sequence[PointAward]
) -> None:
    """Record point events and move every running total they touch, set-based: the
    totals per user and team and period, the score histogram behind ranks, and each
    team's active members. Keys are written in sorted order, so concurrent transactions
    on PostgreSQL take their row locks in one order and cannot deadlock."""
    if not awards:
        return
    team_of: dict[int, int] = {}
    for chunk in chunks(sorted({a.user_id for a in awards})):
        found = conn.execute(
            sa.select(memberships.c.user_id, memberships.c.team_id).where(
                memberships.c.user_id.in_(chunk)
            )
        )
        team_of.update({r.user_id: r.team_id for r in found})
    events: list[dict[str, Any]] = []
    moved: dict[tuple[str, str, int], list[int]] = {}  # (period, kind, id): points, ok, n
    active: set[tuple[str, int, int]] = set()  # (period, team, user)
    keys: dict[dt.date, tuple[str, str]] = {}  # a close's awards all share one day
    for award in awards:
        team_id = team_of.get(award.user_id)
        day_keys = keys.get(award.day)
        if day_keys is None:
            day_keys = keys[award.day] = (week_key(award.day), month_key(award.day))
        week, month = day_keys
        events.append(
            {
                "workspace": workspace,
                "user_id": award.user_id,
                "team_id": team_id,
                "source": award.source,
                "points": award.points,
                "correct": award.correct,
                "week": week,
                "month": month,
                "day": award.day,
                "occurred_at": award.at,
                "round_id": award.round_id,
            }
        )
        for period in ("all", week, month):
            subjects = [("user", award.user_id)]
            if team_id is not None:
                subjects.append(("team", team_id))
                active.add((period, team_id, award.user_id))
            for kind, subject in subjects:
                total = moved.setdefault((period, kind, subject), [0, 0, 0])
                total[0] += award.points
                total[1] += int(award.correct)
                total[2] += 1
    conn.execute(point_events.insert(), events)

    # Only the transaction whose row lands counts a newly active member.
    newly_active: Counter[tuple[str, int]] = Counter()
    if active:
        landed = conn.execute(
            db.insert(team_active)
            .on_conflict_do_nothing()
            .returning(team_active.c.period, team_active.c.team_id),
            [
                {"workspace": workspace, "period": p, "team_id": t, "user_id": u}
                for p, t, u in sorted(active)
            ],
        )
        newly_active.update((r.period, r.team_id) for r in landed)

    number = board_numbers(db, conn, workspace, [(p, k) for p, k, _ in moved])
    key_of = {n: key for key, n in number.items()}
    stmt = db.insert(totals)
    stmt = stmt.on_conflict_do_update(
        index_elements=[totals.c.board_id, totals.c.subject_id],
        set_={
            "points": totals.c.points + stmt.excluded.points,
            "correct": totals.c.correct + stmt.excluded.correct,
            "answered": totals.c.answered + stmt.excluded.answered,
            "active": totals.c.active + stmt.excluded.active,
        },
    ).returning(totals.c.board_id, totals.c.subject_id, totals.c.points, totals.c.correct)
    after = conn.execute(
        stmt,
        [
            {
                "board_id": number[(period, kind)],
                "subject_id": subject,
                "kind": kind,
                "points": change[0],
                "correct": change[1],
                "answered": change[2],
                "active": newly_active[(period, subject)] if kind == "team" else 0,
            }
            # In key order (board, then subject): the row locks are taken in one order.
            for (period, kind, subject), change in sorted(
                moved.items(), key=lambda m: (number[m[0][:2]], m[0][2])
            )
        ],
    )
    # A player's (points, correct) moved from one histogram bucket to another; what it
    # was is what it is now less this change.
    buckets: Buckets = Counter()
    for r in after:
        period, kind = key_of[r.board_id]
        if kind != "user":
            continue
        change = moved[(period, "user", r.subject_id)]
        old = (r.points - change[0], r.correct - change[1])
        if old == (r.points, r.correct):
            continue
        block = r.subject_id // TIE_BLOCK
        if old[0] > 0:
            buckets[(period, *old, block)] -= 1
        if r.points > 0:
            buckets[(period, r.points, r.correct, block)] += 1
    move_buckets_sync(db, conn, workspace, buckets)


async def move_buckets(
    db: Database, conn: AsyncConnection, workspace: str, buckets: Buckets
) -> None:
    await conn.run_sync(lambda sync: move_buckets_sync(db, sync, workspace, buckets))


def move_buckets_sync(db: Database, conn: sa.Connection, workspace: str, buckets: Buckets) -> None:
    """Move players between the histogram's buckets, their tie blocks and their bands (each
    table's keys in sorted order, the tables always in this order: no deadlock)."""
    blocks = [
        {"workspace": workspace, "period": p, "points": pts, "correct": ok, "block": b, "users": n}
        for (p, pts, ok, b), n in sorted(buckets.items())
        if n
    ]
    if not blocks:
        return
    counts: Counter[tuple[str, int, int]] = Counter()
    bands: Counter[tuple[str, int]] = Counter()
    for (p, pts, ok, _), n in buckets.items():
        counts[(p, pts, ok)] += n
        bands[(p, pts // SCORE_BAND)] += n
    rows = [
        {"workspace": workspace, "period": p, "points": pts, "correct": ok, "users": n}
        for (p, pts, ok), n in sorted(counts.items())
        if n
    ]
    if rows:
        conn.execute(adding_to_counts(db.insert(score_counts)), rows)
    conn.execute(adding_to_counts(db.insert(tie_blocks)), blocks)
    band_rows = [
        {"workspace": workspace, "period": p, "band": band, "users": n}
        for (p, band), n in sorted(bands.items())
        if n
    ]
    if band_rows:
        conn.execute(adding_to_counts(db.insert(score_bands)), band_rows)


def adding_to_counts(stmt: Any) -> Any:
    """A dialect insert into score_counts (tie_blocks, score_bands) whose rows add their
    users to a bucket that exists (a user moved in or out of it), for awards and rescoring
    alike."""
    table = stmt.table
    return stmt.on_conflict_do_update(
        index_elements=[c for c in table.primary_key.columns],
        set_={"users": table.c.users + stmt.excluded.users},
    )
