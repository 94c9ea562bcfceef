"""Point awards: events and every running total they move, set-based."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.records import (
    PointAward,
)
from bot.schedule import month_key, week_key
from bot.storage import award_driver
from bot.storage.database import Database
from bot.storage.rows import (
    chunks,
)
from bot.storage.tables import (
    TIE_BLOCK,
    memberships,
    point_events,
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


@dataclass(frozen=True)
class AwardPlan:
    """What a set of awards writes, worked out before the write transaction: the point
    events, the change of every running total and the team members made active."""

    events: list[dict[str, Any]]
    moved: dict[tuple[str, str, int], list[int]]  # (period, kind, id): points, ok, n
    active: set[tuple[str, int, int]]  # (period, team, user)


def award_rows(
    db: Database, conn: sa.Connection, workspace: str, awards: Sequence[PointAward]
) -> None:
    """Record point events and move every running total they touch, set-based: the
    totals per user and team and period, the score histogram behind ranks, and each
    team's active members. Keys are written in sorted order, so concurrent transactions
    on PostgreSQL take their row locks in one order and cannot deadlock."""
    if not awards:
        return
    team_of = teams_of(conn, {a.user_id for a in awards})
    write_awards(db, conn, workspace, plan_awards(workspace, awards, team_of))


def teams_of(conn: sa.Connection, user_ids: Collection[int]) -> dict[int, int]:
    """The team of each of `user_ids` that has one."""
    team_of: dict[int, int] = {}
    for chunk in chunks(sorted(user_ids)):
        found = conn.execute(_TEAMS_OF, {"ids": chunk})
        team_of.update({r.user_id: r.team_id for r in found})
    return team_of


def plan_awards(workspace: str, awards: Sequence[PointAward], team_of: dict[int, int]) -> AwardPlan:
    """The events and total changes of `awards`, given each player's team (no database)."""
    events: list[dict[str, Any]] = []
    moved: dict[tuple[str, str, int], list[int]] = {}
    active: set[tuple[str, int, int]] = set()
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
    return AwardPlan(events, moved, active)


def write_awards(db: Database, conn: sa.Connection, workspace: str, plan: AwardPlan) -> None:
    """Write a plan's events and move its totals, histogram and active members."""
    if not plan.events:
        return
    moved, active = plan.moved, plan.active
    statements = _statements(db)
    direct = award_driver.usable(conn)
    if direct:
        award_driver.insert_events(conn, plan.events)
    else:
        conn.execute(point_events.insert(), plan.events)

    # Only the transaction whose row lands counts a newly active member.
    newly_active: Counter[tuple[str, int]] = Counter()
    if active:
        landed = conn.execute(
            statements.activate,
            [
                {"workspace": workspace, "period": p, "team_id": t, "user_id": u}
                for p, t, u in sorted(active)
            ],
        )
        newly_active.update((r.period, r.team_id) for r in landed)

    changes = [
        (
            workspace,
            period,
            kind,
            subject,
            change[0],
            change[1],
            change[2],
            newly_active[(period, subject)] if kind == "team" else 0,
        )
        for (period, kind, subject), change in sorted(moved.items())
    ]
    if direct:
        after = award_driver.upsert_totals(conn, changes)
    else:
        after = [
            tuple(r)
            for r in conn.execute(
                statements.totals,
                [dict(zip(award_driver.TOTAL_COLUMNS, row, strict=True)) for row in changes],
            )
        ]
    # A player's (points, correct) moved from one histogram bucket to another; what it
    # was is what it is now less this change.
    buckets: Buckets = Counter()
    for period, kind, subject_id, points, correct in after:
        if kind != "user":
            continue
        change = moved[(period, "user", subject_id)]
        old = (points - change[0], correct - change[1])
        if old == (points, correct):
            continue
        block = subject_id // TIE_BLOCK
        if old[0] > 0:
            buckets[(period, *old, block)] -= 1
        if points > 0:
            buckets[(period, points, correct, block)] += 1
    move_buckets_sync(db, conn, workspace, buckets)


async def move_buckets(
    db: Database, conn: AsyncConnection, workspace: str, buckets: Buckets
) -> None:
    await conn.run_sync(lambda sync: move_buckets_sync(db, sync, workspace, buckets))


def move_buckets_sync(db: Database, conn: sa.Connection, workspace: str, buckets: Buckets) -> None:
    """Move players between the histogram's buckets and their tie blocks."""
    blocks = [
        {"workspace": workspace, "period": p, "points": pts, "correct": ok, "block": b, "users": n}
        for (p, pts, ok, b), n in sorted(buckets.items())
        if n
    ]
    if not blocks:
        return
    counts: Counter[tuple[str, int, int]] = Counter()
    for (p, pts, ok, _), n in buckets.items():
        counts[(p, pts, ok)] += n
    rows = [
        {"workspace": workspace, "period": p, "points": pts, "correct": ok, "users": n}
        for (p, pts, ok), n in sorted(counts.items())
        if n
    ]
    statements = _statements(db)
    if rows:
        conn.execute(statements.counts, rows)
    conn.execute(statements.blocks, blocks)


def adding_to_counts(stmt: Any) -> Any:
    """A dialect insert into score_counts (or tie_blocks) whose rows add their users to a
    bucket that exists (a user moved in or out of it), for awards and rescoring alike."""
    table = stmt.table
    return stmt.on_conflict_do_update(
        index_elements=[c for c in table.primary_key.columns],
        set_={"users": table.c.users + stmt.excluded.users},
    )


_TEAMS_OF = sa.select(memberships.c.user_id, memberships.c.team_id).where(
    memberships.c.user_id.in_(sa.bindparam("ids", expanding=True))
)


@dataclass(frozen=True)
class _Statements:
    activate: Any
    totals: Any
    counts: Any
    blocks: Any


# One set per dialect, built once: building an upsert (its `excluded` columns above all) cost
# more CPU than running it, and a close runs these once per chunk inside the writer's hold
# (docs/scaling.md, "Session 10: answers beside a close").
_BUILT: dict[bool, _Statements] = {}


def _statements(db: Database) -> _Statements:
    built = _BUILT.get(db.sqlite)
    if built is not None:
        return built
    stmt = db.insert(totals)
    stmt = stmt.on_conflict_do_update(
        index_elements=[
            totals.c.workspace,
            totals.c.period,
            totals.c.kind,
            totals.c.subject_id,
        ],
        set_={
            "points": totals.c.points + stmt.excluded.points,
            "correct": totals.c.correct + stmt.excluded.correct,
            "answered": totals.c.answered + stmt.excluded.answered,
            "active": totals.c.active + stmt.excluded.active,
        },
    ).returning(
        totals.c.period, totals.c.kind, totals.c.subject_id, totals.c.points, totals.c.correct
    )
    built = _BUILT[db.sqlite] = _Statements(
        activate=db.insert(team_active)
        .on_conflict_do_nothing()
        .returning(team_active.c.period, team_active.c.team_id),
        totals=stmt,
        counts=adding_to_counts(db.insert(score_counts)),
        blocks=adding_to_counts(db.insert(tie_blocks)),
    )
    return built
