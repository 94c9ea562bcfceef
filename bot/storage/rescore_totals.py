"""A rescore's point events and the running totals they move (boards, ranks, team activity)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from bot.storage.awards import move_buckets_sync
from bot.storage.database import Database
from bot.storage.rows import chunks
from bot.storage.tables import point_events, team_active, totals

Key = tuple[str, str, int]  # (period, kind, subject id) of a totals row


def move_events(
    conn: sa.Connection, voided: int | None, changed: dict[tuple[int, int], tuple[bool, int]]
) -> tuple[dict[Key, list[int]], set[tuple[str, int, int]]]:
    """Rewrite (or, for the voided round, delete) the point events; the change per totals
    row (points, correct, answered, active) and the (period, team, user) that lost an event."""
    moved: dict[Key, list[int]] = {}
    lost: set[tuple[str, int, int]] = set()

    def move(ev: Any, points: int, correct: int, answered: int) -> None:
        for period in ("all", ev.week, ev.month):
            subjects = [("user", ev.user_id)]
            if ev.team_id is not None:
                subjects.append(("team", ev.team_id))
                if answered:
                    lost.add((period, ev.team_id, ev.user_id))
            for kind, subject in subjects:
                row = moved.setdefault((period, kind, subject), [0, 0, 0, 0])
                row[0] += points
                row[1] += correct
                row[2] += answered

    columns = (
        point_events.c.id,
        point_events.c.round_id,
        point_events.c.user_id,
        point_events.c.team_id,
        point_events.c.points,
        point_events.c.correct,
        point_events.c.week,
        point_events.c.month,
    )
    if voided is not None:
        for ev in conn.execute(sa.select(*columns).where(point_events.c.round_id == voided)):
            move(ev, -ev.points, -int(ev.correct), -1)
        conn.execute(point_events.delete().where(point_events.c.round_id == voided))
    by_round: dict[int, list[int]] = {}
    for k, user in changed:
        by_round.setdefault(k, []).append(user)
    updates: list[dict[str, Any]] = []
    for k, users in sorted(by_round.items()):
        for chunk in chunks(sorted(users)):
            for ev in conn.execute(
                sa.select(*columns).where(
                    point_events.c.round_id == k, point_events.c.user_id.in_(chunk)
                )
            ):
                right, points = changed[(k, ev.user_id)]
                if (ev.correct, ev.points) != (right, points):
                    move(ev, points - ev.points, int(right) - int(ev.correct), 0)
                    updates.append({"eid": ev.id, "pts": points, "ok": right})
    if updates:
        conn.execute(
            point_events.update()
            .where(point_events.c.id == sa.bindparam("eid"))
            .values(points=sa.bindparam("pts"), correct=sa.bindparam("ok")),
            updates,
        )
    return moved, lost


def drop_inactive(
    conn: sa.Connection,
    workspace: str,
    lost: set[tuple[str, int, int]],
    moved: dict[Key, list[int]],
) -> None:
    """A team member whose only event of a period was voided is no longer active in it."""
    still: set[tuple[str, int, int]] = set()
    for chunk in chunks(sorted({u for _, _, u in lost})):
        for ev in conn.execute(
            sa.select(
                point_events.c.user_id,
                point_events.c.team_id,
                point_events.c.week,
                point_events.c.month,
            )
            .where(point_events.c.user_id.in_(chunk), point_events.c.team_id.is_not(None))
            .distinct()
        ):
            for period in ("all", ev.week, ev.month):
                still.add((period, ev.team_id, ev.user_id))
    gone = sorted(lost - still)
    if not gone:
        return
    conn.execute(
        team_active.delete().where(
            team_active.c.workspace == workspace,
            team_active.c.period == sa.bindparam("p"),
            team_active.c.team_id == sa.bindparam("t"),
            team_active.c.user_id == sa.bindparam("u"),
        ),
        [{"p": p, "t": t, "u": u} for p, t, u in gone],
    )
    for period, team, _ in gone:
        moved.setdefault((period, "team", team), [0, 0, 0, 0])[3] -= 1


def apply_totals(
    db: Database, conn: sa.Connection, workspace: str, moved: dict[Key, list[int]]
) -> dict[int, tuple[int, int]]:
    """Add the changes to the totals rows (they exist: every change is of an event they
    counted), move the players' score histogram buckets, and drop rows left with no event.
    Returns each moved player's all-time points before and after."""
    moved = {k: v for k, v in moved.items() if any(v)}
    if not moved:
        return {}
    stmt = db.insert(totals)
    stmt = stmt.on_conflict_do_update(
        index_elements=[totals.c.workspace, totals.c.period, totals.c.kind, totals.c.subject_id],
        set_={
            "points": totals.c.points + stmt.excluded.points,
            "correct": totals.c.correct + stmt.excluded.correct,
            "answered": totals.c.answered + stmt.excluded.answered,
            "active": totals.c.active + stmt.excluded.active,
        },
    ).returning(
        totals.c.period,
        totals.c.kind,
        totals.c.subject_id,
        totals.c.points,
        totals.c.correct,
        totals.c.answered,
    )
    after = conn.execute(
        stmt,
        [
            {
                "workspace": workspace,
                "period": period,
                "kind": kind,
                "subject_id": subject,
                "points": change[0],
                "correct": change[1],
                "answered": change[2],
                "active": change[3],
            }
            for (period, kind, subject), change in sorted(moved.items())
        ],
    ).all()
    buckets: Counter[tuple[str, int, int]] = Counter()
    empty: list[dict[str, Any]] = []
    result: dict[int, tuple[int, int]] = {}
    for r in after:
        change = moved[(r.period, r.kind, r.subject_id)]
        if r.answered <= 0:
            empty.append({"p": r.period, "k": r.kind, "s": r.subject_id})
        if r.kind != "user":
            continue
        old = (r.points - change[0], r.correct - change[1])
        if r.period == "all" and (change[0] or change[1] or change[2]):
            result[r.subject_id] = (old[0], r.points)
        if old == (r.points, r.correct):
            continue
        if old[0] > 0:
            buckets[(r.period, *old)] -= 1
        if r.points > 0:
            buckets[(r.period, r.points, r.correct)] += 1
    move_buckets_sync(db, conn, workspace, buckets)
    if empty:
        conn.execute(
            totals.delete().where(
                totals.c.workspace == workspace,
                totals.c.period == sa.bindparam("p"),
                totals.c.kind == sa.bindparam("k"),
                totals.c.subject_id == sa.bindparam("s"),
            ),
            empty,
        )
    return result
