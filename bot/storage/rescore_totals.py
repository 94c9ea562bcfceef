"""A rescore's point events and the running totals they move (boards, ranks, team activity)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from bot.storage.awards import move_buckets_sync
from bot.storage.bulk import many
from bot.storage.database import Database
from bot.storage.rows import chunks
from bot.storage.tables import point_events, team_active, totals

Key = tuple[str, str, int]  # (period, kind, subject id) of a totals row
SCAN_OVER = 1_000


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
    updates: list[tuple[int, bool, int]] = []
    for k, users in sorted(by_round.items()):
        # The round's events read whole by their key and filtered here (no IN list).
        wanted = set(users)
        for ev in conn.execute(sa.select(*columns).where(point_events.c.round_id == k)):
            if ev.user_id in wanted:
                right, points = changed[(k, ev.user_id)]
                if (ev.correct, ev.points) != (right, points):
                    move(ev, points - ev.points, int(right) - int(ev.correct), 0)
                    updates.append((points, right, ev.id))
    many(conn, "UPDATE point_events SET points = ?, correct = ? WHERE id = ?", updates)
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
    # Read (and on PostgreSQL lock) the rows, then write their new values: one driver-level
    # executemany instead of an upsert per row.
    old: dict[Key, Any] = {}
    by_kind: dict[tuple[str, str], list[int]] = {}
    for period, kind, subject in moved:
        by_kind.setdefault((period, kind), []).append(subject)
    for (period, kind), subjects in sorted(by_kind.items()):
        wanted = set(subjects)
        part = sa.select(
            totals.c.subject_id, totals.c.points, totals.c.correct, totals.c.answered
        ).where(totals.c.workspace == workspace, totals.c.period == period, totals.c.kind == kind)
        # Thousands of players: read the period's board whole (one index range) rather than
        # compile IN lists of thousands; a few: look them up.
        queries = (
            [part]
            if len(wanted) > SCAN_OVER
            else [part.where(totals.c.subject_id.in_(c)) for c in chunks(sorted(wanted))]
        )
        for query in queries:
            for r in conn.execute(query.with_for_update()):
                if r.subject_id in wanted:
                    old[(period, kind, r.subject_id)] = r
    buckets: Counter[tuple[str, int, int]] = Counter()
    result: dict[int, tuple[int, int]] = {}
    writes: list[tuple[Any, ...]] = []
    empty: list[tuple[Any, ...]] = []
    for key in sorted(moved):
        period, kind, subject = key
        dp, dc, dn, da = moved[key]
        was = old[key]
        points, correct, answered = was.points + dp, was.correct + dc, was.answered + dn
        where = (workspace, period, kind, subject)
        if answered <= 0:
            empty.append(where)  # from scratch this row would not exist
        else:
            writes.append((points, correct, answered, da, *where))
        if kind != "user":
            continue
        if period == "all":
            result[subject] = (was.points, points)
        if (was.points, was.correct) == (points, correct):
            continue
        if was.points > 0:
            buckets[(period, was.points, was.correct)] -= 1
        if points > 0:
            buckets[(period, points, correct)] += 1
    where_sql = "workspace = ? AND period = ? AND kind = ? AND subject_id = ?"
    many(
        conn,
        "UPDATE totals SET points = ?, correct = ?, answered = ?, active = active + ? WHERE "
        + where_sql,
        writes,
    )
    many(conn, "DELETE FROM totals WHERE " + where_sql, empty)
    move_buckets_sync(db, conn, workspace, buckets)
    return result
