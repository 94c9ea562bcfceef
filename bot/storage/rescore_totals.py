"""A rescore's writes as set-based statements over staged changes: answers, events, totals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bot.records import POINT_SOURCES
from bot.storage.bulk import insert_rows
from bot.storage.database import Database
from bot.storage.rescore_buckets import move_buckets
from bot.storage.rescore_stats import write_notes, write_stats
from bot.storage.rescore_tables import after, created, events, gone, moved, players, stage
from bot.storage.tables import (
    answers,
    point_events,
    team_active,
    totals,
)

_KEY = (totals.c.workspace, totals.c.period, totals.c.kind, totals.c.subject_id)
_MOVED_KEY = (moved.c.workspace, moved.c.period, moved.c.kind, moved.c.subject_id)

Change = tuple[int, int, int, bool, int, int]  # answer id, round, user, correct, points, streak
Player = tuple[int, bool, int | None, int | None]  # user, reset, current streak, last round
Notes = tuple[int, tuple[str, ...], dt.datetime]  # channel, the core's template, time


def _int(column: Any) -> Any:
    return sa.cast(column, sa.Integer)


def apply_changes(
    db: Database,
    conn: sa.Connection,
    workspace: str,
    voided: int | None,
    changes: Sequence[Change],
    streaks: Sequence[Player],
    notes: Notes,
) -> tuple[int, int, int]:
    """Write the walk's results: the answers, their point events (the voided round's
    deleted), team activity, totals and rank buckets, the players' streak stats and their
    private notes (`notes`: channel, template, time). Returns the number of players whose
    all-time points row moved, and the sums of their points before and after."""
    staged = created(db.sqlite)
    for table in staged:
        table.create(conn)
    if not db.sqlite:
        # For this transaction only: the groupings of tens of thousands of staged rows fit in
        # memory (at the default 4 MB the tie blocks' sort spilled to disk).
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    try:
        insert_rows(conn, stage, changes)
        insert_rows(conn, players, streaks)
        _analyze(db, conn, (stage, "answer_id", "round_id", "user_id"), (players, "user_id"))
        if voided is not None:
            # The voided round's answers stay on record but earn nothing and carry no streak;
            # the wrong ones hold 0 and 0 already and are not written again.
            a = answers
            conn.execute(
                a.update()
                .where(a.c.round_id == voided, (a.c.points != 0) | (a.c.streak != 0))
                .values(points=0, streak=0)
            )
        _update_from(
            db,
            conn,
            answers,
            [(answers.c.id, stage.c.answer_id)],
            {"correct": stage.c.correct, "points": stage.c.points, "streak": stage.c.streak},
        )
        _move_events(db, conn, voided)
        if voided is not None:
            _drop_inactive(db, conn, workspace)
        _apply_totals(db, conn, workspace)
        write_stats(db, conn)
        return write_notes(conn, *notes)
    finally:
        for table in reversed(staged):
            table.drop(conn)


def _analyze(db: Database, conn: sa.Connection, *tables: tuple[sa.Table, *tuple[str, ...]]) -> None:
    """On PostgreSQL, the staged tables' sizes for the planner (a temporary table is never
    analyzed by autovacuum); SQLite plans by its indexes. Only the join keys' statistics,
    from a small sample: the plans need the row counts and the keys' distinct values, and a
    full ANALYZE of every column of 26,000 staged totals rows cost 40-50 ms of server CPU."""
    if db.sqlite:
        return
    conn.exec_driver_sql("SET LOCAL default_statistics_target = 10")
    conn.exec_driver_sql(
        "ANALYZE " + ", ".join(f"{t.name} ({', '.join(columns)})" for t, *columns in tables)
    )
    conn.exec_driver_sql("RESET default_statistics_target")


def _update_from(
    db: Database,
    conn: sa.Connection,
    target: sa.Table,
    on: list[tuple[sa.Column[Any], sa.Column[Any]]],
    values: dict[str, Any],
) -> None:
    """UPDATE `target` from the staged rows matched by `on` (target column, staged column);
    `values` are expressions over both. PostgreSQL joins (UPDATE ... FROM). SQLite's
    UPDATE ... FROM walks the whole target table and probes the staged rows, so there the
    rows are found by an IN over the staged keys (one index lookup each) and each value is
    read back from its staged row by key."""
    match = [column == staged for column, staged in on]
    if not db.sqlite:
        conn.execute(target.update().where(*match).values(values))
        return
    keys = sa.select(*(staged for _, staged in on))
    found = (
        on[0][0].in_(keys) if len(on) == 1 else sa.tuple_(*(column for column, _ in on)).in_(keys)
    )
    conn.execute(
        target.update()
        .where(found)
        .values({name: sa.select(v).where(*match).scalar_subquery() for name, v in values.items()})
    )


def _move_events(db: Database, conn: sa.Connection, voided: int | None) -> None:
    """Stage each event's change, then rewrite the changed events and delete the voided ones."""
    e = point_events
    on_stage = (e.c.round_id == stage.c.round_id) & (e.c.user_id == stage.c.user_id)
    parts = [
        sa.select(
            e.c.user_id,
            e.c.team_id,
            e.c.week,
            e.c.month,
            (stage.c.points - e.c.points).label("dp"),
            (_int(stage.c.correct) - _int(e.c.correct)).label("dc"),
            sa.literal(0).label("dn"),
        )
        .select_from(e.join(stage, on_stage))
        .where((e.c.points != stage.c.points) | (e.c.correct != stage.c.correct))
    ]
    if voided is not None:
        parts.append(
            sa.select(
                e.c.user_id,
                e.c.team_id,
                e.c.week,
                e.c.month,
                (-e.c.points).label("dp"),
                (-_int(e.c.correct)).label("dc"),
                sa.literal(-1).label("dn"),
            ).where(e.c.round_id == voided)
        )
    conn.execute(
        events.insert().from_select(
            ["user_id", "team_id", "week", "month", "dp", "dc", "dn"], sa.union_all(*parts)
        )
    )
    _analyze(db, conn, (events, "user_id"))
    # An answer whose streak alone moved (its bonus at the cap) leaves its event as it is:
    # a rewrite of the same values costs a new row version and an entry in every index.
    conn.execute(
        e.update()
        .where(on_stage, (e.c.points != stage.c.points) | (e.c.correct != stage.c.correct))
        .values(points=stage.c.points, correct=stage.c.correct)
    )
    if voided is not None:
        conn.execute(e.delete().where(e.c.round_id == voided))


ALL = "all"


def _periods(*columns: Any) -> list[Any]:
    """The staged events once per period they count in: all time, their week, their month."""
    return [
        sa.select(period.label("period"), *columns)
        for period in (sa.literal(ALL), events.c.week, events.c.month)
    ]


def _drop_inactive(db: Database, conn: sa.Connection, workspace: str) -> None:
    """A team member whose only event of a period was voided is no longer active in it."""
    voided = (events.c.dn < 0, events.c.team_id.is_not(None))
    lost = sa.union(
        *(q.where(*voided) for q in _periods(events.c.team_id, events.c.user_id))
    ).subquery()
    found_spans = _spans(conn)
    if found_spans is None:
        return  # no voided event: nobody's activity moves
    spans, both = found_spans
    e = point_events

    def found(user: Any, team: Any, lo: Any, hi: Any, *period: Any) -> Any:
        # Each check probes the (user, source, day) index over the period's days only:
        # matched on the week or month key alone, it read every event of the member's
        # history up to the period (2 of the 2.3 s of CPU of a void on a 30-round
        # workspace, SQLite). A scalar subquery, not NOT EXISTS: PostgreSQL turns NOT
        # EXISTS into an anti-join whose probe cannot take the joined span's days into the
        # index condition (0.5-0.9 s on 30 rounds at load 7, against 0.26 s per row).
        return (
            sa.select(sa.literal(1))
            .where(
                e.c.user_id == user,
                e.c.source.in_(POINT_SOURCES),
                e.c.day.between(lo, hi),
                e.c.team_id == team,
                *period,
            )
            .limit(1)
            .scalar_subquery()
        )

    unsettled = sa.select(lost.c.period, lost.c.team_id, lost.c.user_id)
    if not db.sqlite:
        # PostgreSQL: one probe per member first, over the days in both the week and the
        # month of their voided event: another event for the team there keeps them active in
        # all three periods, and only the others are checked period by period (a void of a
        # round of 10,000 players: 10,000 probes instead of 30,000, 30,000 buffers instead of
        # 90,000). SQLite keeps the plan it had (not measured there in time).
        member = (
            sa.select(events.c.team_id, events.c.user_id, events.c.week, events.c.month)
            .where(*voided)
            .distinct()
            .subquery()
        )
        m = member.c
        pair = (both.c.week == m.week) & (both.c.month == m.month)  # its week and month
        days = (e.c.week == m.week, e.c.month == m.month)
        in_both = found(m.user_id, m.team_id, both.c.lo, both.c.hi, *days)
        busy = (
            sa.select(m.team_id, m.user_id)
            .select_from(member.join(both, pair))
            .where(in_both.is_not(None))
        )
        unsettled = unsettled.where(sa.tuple_(lost.c.team_id, lost.c.user_id).not_in(busy))
    left = unsettled.subquery()
    period = (left.c.period == ALL) | (e.c.week == left.c.period) | (e.c.month == left.c.period)
    conn.execute(
        gone.insert().from_select(
            ["period", "team_id", "user_id"],
            sa.select(left.c.period, left.c.team_id, left.c.user_id)
            .select_from(left.join(spans, spans.c.period == left.c.period))
            .where(found(left.c.user_id, left.c.team_id, spans.c.lo, spans.c.hi, period).is_(None)),
        )
    )
    t = team_active
    # By their keys, not a walk over the workspace's every membership row.
    conn.execute(
        t.delete().where(
            t.c.workspace == workspace,
            sa.tuple_(t.c.period, t.c.team_id, t.c.user_id).in_(
                sa.select(gone.c.period, gone.c.team_id, gone.c.user_id)
            ),
        )
    )


def _literal_rows(rows: list[tuple[Any, ...]], columns: dict[str, Any]) -> Any:
    """A few rows given as literals, as a subquery with `columns` (name: type)."""
    return sa.union(
        *(
            sa.select(
                *(
                    sa.literal(v, kind).label(n)
                    for v, (n, kind) in zip(r, columns.items(), strict=True)
                )
            )
            for r in rows
        )
    ).subquery()


def _spans(conn: sa.Connection) -> tuple[Any, Any] | None:
    """The days of each period the voided events count in (a few rows): all time, and each
    ISO week and calendar month key (the keys awards derive from an event's day); and for
    each (week, month) pair of them, the days in both."""
    rows = [(ALL, dt.date.min, dt.date.max)]
    both = []
    for week, month in conn.execute(
        sa.select(events.c.week, events.c.month).where(events.c.dn < 0).distinct()
    ):
        year, number = week.split("-W")
        monday = dt.date.fromisocalendar(int(year), int(number), 1)
        rows.append((week, monday, monday + dt.timedelta(days=6)))
        first = dt.date(int(month[:4]), int(month[5:7]), 1)
        following = (first + dt.timedelta(days=31)).replace(day=1)
        rows.append((month, first, following - dt.timedelta(days=1)))
        (_, w_lo, w_hi), (_, m_lo, m_hi) = rows[-2:]
        both.append((week, month, max(w_lo, m_lo), min(w_hi, m_hi)))
    if not both:
        return None
    day = sa.Date
    return (
        _literal_rows(sorted(set(rows)), {"period": sa.String, "lo": day, "hi": day}),
        _literal_rows(both, {"week": sa.String, "month": sa.String, "lo": day, "hi": day}),
    )


def _apply_totals(db: Database, conn: sa.Connection, workspace: str) -> None:
    """Sum the staged changes per totals row, add them (the rows exist: every change is of an
    event they counted), move the players' rank buckets, and drop rows left with no event."""
    d = (events.c.dp, events.c.dc, events.c.dn, sa.literal(0).label("da"))
    users = _periods(sa.literal("user").label("kind"), events.c.user_id.label("subject_id"), *d)
    teams = [
        q.where(events.c.team_id.is_not(None))
        for q in _periods(sa.literal("team").label("kind"), events.c.team_id, *d)
    ]
    left = sa.select(
        gone.c.period,
        sa.literal("team").label("kind"),
        gone.c.team_id,
        sa.literal(0),
        sa.literal(0),
        sa.literal(0),
        sa.literal(-1),
    )
    every = sa.union_all(*users, *teams, left).subquery()
    sums = [sa.func.sum(every.c[name]) for name in ("dp", "dc", "dn", "da")]
    key = (every.c.period, every.c.kind, every.c.subject_id)
    conn.execute(
        moved.insert().from_select(
            ["workspace", "period", "kind", "subject_id", "dp", "dc", "dn", "da"],
            sa.select(sa.literal(workspace), *key, *sums)
            .group_by(*key)
            .having(sa.or_(*(s != 0 for s in sums)))
            # Staged in key order, which the update then follows (the staged rows drive its
            # join): the totals rows and their key index are met in order rather than in the
            # grouping's hash order (a third less server CPU for the update of 26,000 rows).
            # SQLite's GROUP BY sorts by the whole key already. On PostgreSQL the order is
            # by subject alone: a sort led by the period and kind texts cost 4 to 5 times
            # one by an integer (26,000 rows, either collation), and by subject each
            # period's rows still come in key order, the periods interleaved.
            .order_by(*(key if db.sqlite else key[2:])),
        )
    )
    _analyze(db, conn, (moved, "period", "subject_id"))
    _add_to_totals(db, conn, workspace)
    # Its row count and keys for the planner: unanalyzed it was taken for a few dozen rows,
    # and the buckets' grouping sorted 50,000 rows by their period text instead of hashing.
    _analyze(db, conn, (after, "kind", "period", "subject_id"))
    move_buckets(db, conn, workspace)
    # From scratch there would be no row with no event.
    empty = sa.select(after.c.period, after.c.kind, after.c.subject_id).where(after.c.answered <= 0)
    conn.execute(
        totals.delete().where(
            totals.c.workspace == workspace,
            sa.tuple_(totals.c.period, totals.c.kind, totals.c.subject_id).in_(empty),
        )
    )


def _add_to_totals(db: Database, conn: sa.Connection, workspace: str) -> None:
    """Add each staged change to its totals row, and stage the row's new values with the
    change (`rescore_after`), so the rank buckets and the players' points before and after
    need no further join over a board."""
    t = totals
    kept = (t.c.period, t.c.kind, t.c.subject_id, moved.c.dp, moved.c.dc)
    now = (t.c.points, t.c.correct, t.c.answered)
    if not db.sqlite:
        # One statement: the update's RETURNING rows go straight into the staged table.
        # Joins: the planner hashes or loops as the sizes say (the staged table is
        # analyzed); a subquery per row would trust the totals table's statistics, which
        # a table written heavily since its last analyze makes misleading.
        # The totals side of the join held to this workspace and the periods staged (a few:
        # all time and the rounds' weeks and months), as literals the planner can estimate:
        # it hashes those rows only, or probes their key range, not every board row of every
        # workspace and period, so a big server with a long history keeps the same plan. The
        # staged workspace (one value) is not joined on: equal to a literal, the planner
        # would carry the literal over to the staged rows as a filter of unknown selectivity
        # (estimated at 152 of 30,300 rows in a trial) and loop over them.
        periods = conn.execute(sa.select(moved.c.period).distinct()).scalars().all()
        row = [c == k for c, k in zip(_KEY[1:], _MOVED_KEY[1:], strict=True)]
        row += [t.c.workspace == workspace, t.c.period.in_(sorted(periods))]
        change = {"points": "dp", "correct": "dc", "answered": "dn", "active": "da"}
        added = (
            t.update()
            .where(*row)
            .values({n: t.c[n] + moved.c[d] for n, d in change.items()})
            .returning(*kept, *now)
            .cte("added")
        )
        conn.execute(after.insert().from_select([c.name for c in after.columns], sa.select(added)))
        return
    # SQLite's UPDATE ... FROM walks every board row of the workspace: an upsert driven by
    # the staged rows finds each totals row by its primary key instead. The rows exist
    # (every change is of an event they counted), so nothing is inserted.
    stmt = db.insert(t)
    conn.execute(
        stmt.from_select(
            [*(c.name for c in _KEY), "points", "correct", "answered", "active"],
            # The WHERE keeps SQLite from reading ON CONFLICT as a join's ON.
            sa.select(*_MOVED_KEY, moved.c.dp, moved.c.dc, moved.c.dn, moved.c.da).where(sa.true()),
        ).on_conflict_do_update(
            index_elements=list(_KEY),
            set_={
                name: t.c[name] + stmt.excluded[name]
                for name in ("points", "correct", "answered", "active")
            },
        )
    )
    # CROSS JOIN keeps SQLite's order: the staged rows outside, each totals row found by
    # its primary key (no index is built over the staged rows).
    conn.exec_driver_sql(
        "INSERT INTO rescore_after"
        " SELECT t.period, t.kind, t.subject_id, m.dp, m.dc, t.points, t.correct, t.answered"
        " FROM rescore_moved m CROSS JOIN totals t"
        " WHERE t.workspace = m.workspace AND t.period = m.period"
        " AND t.kind = m.kind AND t.subject_id = m.subject_id"
    )
