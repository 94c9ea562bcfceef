"""A rescore's writes as set-based statements over staged changes: answers, events, totals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from bot.storage.board_keys import found_boards
from bot.storage.bulk import insert_rows, int_list
from bot.storage.database import Database
from bot.storage.rescore_active import ALL, drop_inactive
from bot.storage.rescore_buckets import move_buckets
from bot.storage.rescore_stats import write_notes, write_stats
from bot.storage.rescore_tables import after, events, gone, moved, players, stage, staging_ddl
from bot.storage.tables import (
    answers,
    boards,
    point_events,
    totals,
)

# answer id, round, user, correct, points, streak; and the verdict and points it held before
Change = tuple[int, int, int, bool, int, int, bool, int]
# user, reset, current streak, last round, top streak of their rewritten answers before, after
Player = tuple[int, bool, int | None, int | None, int, int]
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
    create, drop = staging_ddl(conn)
    for ddl in create:
        conn.exec_driver_sql(ddl)
    if not db.sqlite:
        # For this transaction only: the groupings of tens of thousands of staged rows fit in
        # memory (at the default 4 MB the tie blocks' sort spilled to disk).
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    # The rounds whose answers change: the joins with the staged answers (the events'; on
    # SQLite the answers' too) are held to them, so each reads those rounds' rows by the
    # round's index, not the whole table (a hash join over every point event of 30 rounds
    # read 300,000 rows).
    touched = sorted({change[1] for change in changes})
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
        answers.c.round_id.in_(touched) if db.sqlite else _among(answers.c.id, changes),
    )
    _move_events(db, conn, voided, touched)
    if voided is not None:
        drop_inactive(conn, workspace)
    all_time = _apply_totals(db, conn, workspace)
    write_stats(db, conn)
    outcome = write_notes(conn, all_time, *notes)
    # Dropped before the commit. Not on an error: the rollback takes them (they were created
    # in this transaction), and a DROP in a failed PostgreSQL transaction would only raise
    # over the error itself, so the log would name the DROP instead of the cause.
    for ddl in drop:
        conn.exec_driver_sql(ddl)
    return outcome


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


def _among(column: Any, changes: Sequence[Change]) -> Any:
    """PostgreSQL: `column` is one of the changed answers' ids, given as one array: the rows
    are found by the key index, only their own pages read (held to their rounds instead, the
    plan hashed the staged rows and read every answer of the table to probe them)."""
    ids = sa.func.string_to_array(sa.literal(int_list([c[0] for c in changes])), ",")
    return column == sa.any_(sa.cast(ids, ARRAY(sa.Integer)))


def _update_from(
    db: Database,
    conn: sa.Connection,
    target: sa.Table,
    on: list[tuple[sa.Column[Any], sa.Column[Any]]],
    values: dict[str, Any],
    *held: Any,
) -> None:
    """UPDATE `target` from the staged rows matched by `on` (target column, staged column),
    among the target's rows that meet `held`; `values` are expressions over both.
    PostgreSQL joins (UPDATE ... FROM). SQLite's UPDATE ... FROM walks the whole target
    table and probes the staged rows, so there the rows are found by an IN over the staged
    keys (one index lookup each) and each value is read back from its staged row by key."""
    match = [column == staged for column, staged in on]
    if not db.sqlite:
        conn.execute(target.update().where(*match, *held).values(values))
        return
    keys = sa.select(*(staged for _, staged in on))
    found = (
        on[0][0].in_(keys) if len(on) == 1 else sa.tuple_(*(column for column, _ in on)).in_(keys)
    )
    conn.execute(
        target.update()
        .where(found, *held)
        .values({name: sa.select(v).where(*match).scalar_subquery() for name, v in values.items()})
    )


def _move_events(db: Database, conn: sa.Connection, voided: int | None, touched: list[int]) -> None:
    """Stage each event's change, rewrite the changed events and delete the voided ones
    (`touched`: the rounds whose answers change)."""
    e, s = point_events, stage
    on_stage = (
        (e.c.round_id == s.c.round_id) & (e.c.user_id == s.c.user_id) & e.c.round_id.in_(touched)
    )
    # An answer whose streak alone moved (its bonus at the cap) leaves its event as it is:
    # a rewrite of the same values costs a new row version and an entry in every index.
    moves = (s.c.points != s.c.was_points) | (s.c.correct != s.c.was_correct)
    kept = (e.c.user_id, e.c.team_id, e.c.week, e.c.month)
    change = (
        (s.c.points - s.c.was_points).label("dp"),
        (_int(s.c.correct) - _int(s.c.was_correct)).label("dc"),
        sa.literal(0).label("dn"),
    )
    lost = ((-e.c.points).label("dp"), (-_int(e.c.correct)).label("dc"), sa.literal(-1).label("dn"))
    names = ["user_id", "team_id", "week", "month", "dp", "dc", "dn"]
    rewrite = e.update().where(on_stage, moves).values(points=s.c.points, correct=s.c.correct)
    drop = e.delete().where(e.c.round_id == voided)
    if not db.sqlite:
        # One statement: the rewrite's and the delete's RETURNING rows are the staged
        # changes (each event read once, where a staging read before the rewrite joined
        # every event of the touched rounds a second time).
        parts = [sa.select(rewrite.returning(*kept, *change).cte("rewritten"))]
        if voided is not None:
            parts.append(sa.select(drop.returning(*kept, *lost).cte("dropped")))
        conn.execute(events.insert().from_select(names, sa.union_all(*parts)))
        _analyze(db, conn, (events, "user_id"))
        return
    # SQLite has no data-modifying CTE: the changes are staged first, then written.
    staged = [sa.select(*kept, *change).select_from(e.join(s, on_stage)).where(moves)]
    if voided is not None:
        staged.append(sa.select(*kept, *lost).where(e.c.round_id == voided))
    conn.execute(events.insert().from_select(names, sa.union_all(*staged)))
    conn.execute(rewrite)
    if voided is not None:
        conn.execute(drop)


def _apply_totals(db: Database, conn: sa.Connection, workspace: str) -> int | None:
    """Sum the staged changes per totals row, add them (the rows exist: every change is of an
    event they counted), move the players' rank buckets, and drop rows left with no event.
    Returns the number of the workspace's all-time users board (None: it has none)."""
    spans = conn.execute(sa.select(events.c.week, events.c.month).distinct()).all()
    periods = {ALL, *(w for w, _ in spans), *(m for _, m in spans)}
    # The boards exist: each change is of an event they counted (a team board of a period
    # without team events is missing, and no change names it).
    number = found_boards(conn, workspace, [(p, k) for p in periods for k in ("user", "team")])

    def board(period: Any, kind: str) -> Any:
        """The board number of the staged rows' `period` (a column, or ALL) and `kind`: a
        CASE over the few periods staged, so the rows are grouped and ordered by two
        integers and joined to nothing (grouped by the period and kind texts and then joined
        to the boards, one traced run took 92 ms against 64)."""
        if isinstance(period, str):
            return sa.literal(number.get((period, kind)), sa.Integer)
        known = {p: n for (p, k), n in number.items() if k == kind}
        return sa.case(known, value=period) if known else sa.null()

    d = (events.c.dp, events.c.dc, events.c.dn, sa.literal(0))
    parts = [
        sa.select(board(period, kind), subject, *d).where(*where)
        for kind, subject, where in (
            ("user", events.c.user_id, ()),
            ("team", events.c.team_id, (events.c.team_id.is_not(None),)),
        )
        for period in (ALL, events.c.week, events.c.month)
    ]
    left = (gone.c.team_id, sa.literal(0), sa.literal(0), sa.literal(0), sa.literal(-1))
    parts.append(sa.select(board(gone.c.period, "team"), *left))
    every = sa.union_all(*parts).subquery()
    key = [every.c[i].label(name) for i, name in enumerate(("board_id", "subject_id"))]
    sums = [sa.func.sum(every.c[i]) for i in range(2, 6)]
    labelled = (total.label(n) for total, n in zip(sums, ("dp", "dc", "dn", "da"), strict=True))
    grouped = (
        sa.select(*key, *labelled)
        .group_by(*key)
        .having(sa.or_(*(s != 0 for s in sums)))
        # In key order: where these rows drive the write (SQLite's upsert, or PostgreSQL's
        # join when it probes the totals by them), the totals rows and their key index are
        # met in order rather than in the grouping's hash order (a third less server time
        # for the update of 26,000 rows, session 9).
        .order_by(*key)
    )
    if db.sqlite:
        conn.execute(moved.insert().from_select([c.name for c in moved.columns], grouped))
        _add_to_totals(db, conn, sorted(number.values()), moved)
    else:
        # PostgreSQL: the sums feed the update in the same statement (no temporary table
        # to write 26,000 rows into and analyze first).
        _add_to_totals(db, conn, sorted(number.values()), grouped.cte("moved"))
    # Its row count and keys for the planner: unanalyzed it was taken for a few dozen rows,
    # and the buckets' grouping sorted 50,000 rows instead of hashing them.
    _analyze(db, conn, (after, "board_id", "subject_id"))
    users_boards = {n: p for (p, k), n in number.items() if k == "user"}
    move_buckets(db, conn, workspace, users_boards)
    # From scratch there would be no row with no event.
    empty = sa.select(after.c.board_id, after.c.subject_id).where(after.c.answered <= 0)
    conn.execute(
        totals.delete().where(sa.tuple_(totals.c.board_id, totals.c.subject_id).in_(empty))
    )
    return number.get((ALL, "user"))


def _add_to_totals(db: Database, conn: sa.Connection, numbers: list[int], sums: Any) -> None:
    """Add each change (`sums`: rows of board, subject and the four sums) to its totals
    row, and stage the row's new values with the change (`rescore_after`), so the rank
    buckets and the players' points before and after need no further join over a board."""
    t = totals
    on_key = (t.c.board_id == sums.c.board_id, t.c.subject_id == sums.c.subject_id)
    if not db.sqlite:
        # One statement: the update's RETURNING rows go straight into the staged table.
        # Joins: the planner hashes or loops as the sizes say (the staged table is
        # analyzed); a subquery per row would trust the totals table's statistics, which
        # a table written heavily since its last analyze makes misleading.
        # The totals side of the join held to the boards staged (a few: all time and the
        # rounds' weeks and months, users and teams), as literals the planner can estimate:
        # it hashes those rows only, or probes their key range, not every row of every
        # board, so a big server with a long history keeps the same plan.
        change = {"points": "dp", "correct": "dc", "answered": "dn", "active": "da"}
        added = (
            t.update()
            .where(*on_key, t.c.board_id.in_(numbers))
            .values({n: t.c[n] + sums.c[d] for n, d in change.items()})
            .returning(
                t.c.board_id,
                t.c.subject_id,
                sums.c.dp,
                sums.c.dc,
                t.c.points,
                t.c.correct,
                t.c.answered,
            )
            .cte("added")
        )
        conn.execute(after.insert().from_select([c.name for c in after.columns], sa.select(added)))
        return
    # SQLite's UPDATE ... FROM walks every row of the boards: an upsert driven by the staged
    # rows finds each totals row by its primary key instead. The rows exist (every change is
    # of an event they counted), so nothing is inserted.
    stmt = db.insert(t)
    m = sums.c
    conn.execute(
        stmt.from_select(
            ["board_id", "subject_id", "kind", "points", "correct", "answered", "active"],
            # The WHERE keeps SQLite from reading ON CONFLICT as a join's ON. The kind from
            # the board (one key lookup a row), so that even a row that did not exist would
            # land whole.
            sa.select(m.board_id, m.subject_id, boards.c.kind, m.dp, m.dc, m.dn, m.da)
            .select_from(sums.join(boards, boards.c.id == m.board_id))
            .where(sa.true()),
        ).on_conflict_do_update(
            index_elements=[t.c.board_id, t.c.subject_id],
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
        " SELECT m.board_id, m.subject_id, m.dp, m.dc, t.points, t.correct, t.answered"
        " FROM rescore_moved m CROSS JOIN totals t"
        " WHERE t.board_id = m.board_id AND t.subject_id = m.subject_id"
    )
