"""Board numbers: read by a board's key inside a statement, or looked up (and made) for writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from bot.storage.board_tables import boards, totals
from bot.storage.database import Database

Key = tuple[str, str]  # (period, kind)


def board_of(workspace: Any, period: Any, kind: Any) -> Any:
    """The board's number as a scalar subquery. Uncorrelated, so each database runs it once
    per statement and then reads the totals' indexes by a known number: the board's order
    is the index's order, and a top ten is read without a sort."""
    return (
        sa.select(boards.c.id)
        .where(boards.c.workspace == workspace, boards.c.period == period, boards.c.kind == kind)
        .correlate(None)
        .scalar_subquery()
    )


def board_numbers(
    db: Database, conn: sa.Connection, workspace: str, keys: Iterable[Key]
) -> dict[Key, int]:
    """The number of each (period, kind) board of the workspace, made first when missing.
    One read when every board exists (a close meets a new board once a week); a missing one
    is inserted with ON CONFLICT DO NOTHING and read again, so two writers making the same
    board both end with its one number (on PostgreSQL the second insert waits for the
    first to commit, and the read after it, a new statement, sees that row)."""
    wanted = sorted(set(keys))
    found = found_boards(conn, workspace, wanted)
    missing = [k for k in wanted if k not in found]
    if missing:
        conn.execute(
            db.insert(boards).on_conflict_do_nothing(),
            [{"workspace": workspace, "period": p, "kind": k} for p, k in missing],
        )
        found.update(found_boards(conn, workspace, missing))
    return found


def found_boards(conn: sa.Connection, workspace: str, keys: Iterable[Key]) -> dict[Key, int]:
    """The numbers of those (period, kind) boards of the workspace that exist."""
    keys = list(keys)
    if not keys:
        return {}
    rows = conn.execute(
        sa.select(boards.c.id, boards.c.period, boards.c.kind).where(
            boards.c.workspace == workspace,
            boards.c.period.in_(sorted({p for p, _ in keys})),
        )
    )
    wanted = set(keys)
    return {(r.period, r.kind): r.id for r in rows if (r.period, r.kind) in wanted}


# The totals with their board's key, for reads that are not on a hot path (checks, recounts,
# a forgotten player's rows): a row per totals row, named as before boards had numbers.
board_totals = (
    sa.select(
        boards.c.workspace,
        boards.c.period,
        totals.c.kind,
        totals.c.subject_id,
        totals.c.points,
        totals.c.correct,
        totals.c.answered,
        totals.c.active,
        totals.c.board_id,
    )
    .select_from(totals.join(boards, boards.c.id == totals.c.board_id))
    .subquery("board_totals")
)


def insert_by_key(db: Database, conn: sa.Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Insert totals rows given by their board's key (workspace, period, kind, subject,
    counts) under their boards' numbers, the boards made when missing: for loaders and
    checks that write totals directly rather than through awards."""
    given = list(rows)
    numbers: dict[tuple[str, str, str], int] = {}
    for workspace in sorted({r["workspace"] for r in given}):
        found = board_numbers(
            db,
            conn,
            workspace,
            [(r["period"], r["kind"]) for r in given if r["workspace"] == workspace],
        )
        numbers.update({(workspace, p, k): n for (p, k), n in found.items()})
    conn.execute(
        totals.insert(),
        [
            {
                "board_id": numbers[(r["workspace"], r["period"], r["kind"])],
                **{k: v for k, v in r.items() if k not in ("workspace", "period")},
            }
            for r in given
        ],
    )
