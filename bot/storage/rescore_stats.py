"""A rescore's last writes from its staged rows: streak stats, private notes, the audit sums."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from bot.storage.audit_tables import private_notes
from bot.storage.database import Database
from bot.storage.rescore_tables import after, players
from bot.storage.tables import answers, user_stats


def write_stats(db: Database, conn: sa.Connection) -> None:
    """Current streaks of the players whose chain changed to its end, and everyone's best
    streak again. The best is told from the rewritten answers' top streaks before and after
    (`old_top`, `new_top`) and the stored best: a new top at or above it is the new best;
    an old top below it left it standing (it is an answer not rewritten); only when the
    best itself was among the rewritten answers is it read again from all their answers
    (it may have been anywhere in their history)."""
    s, p = user_stats, players
    # Each player's answers by the user index (a join would walk every answer).
    probe = (
        sa.select(sa.func.max(answers.c.streak))
        .where(answers.c.user_id == p.c.user_id)
        .scalar_subquery()
    )
    stored = sa.func.coalesce(s.c.best_streak, 0)
    best = sa.case(
        (p.c.new_top >= stored, p.c.new_top),
        (p.c.old_top < stored, stored),
        else_=probe,
    )
    cur = sa.case((p.c.reset, p.c.cur), else_=sa.func.coalesce(s.c.current_streak, 0))
    last = sa.case((p.c.reset, p.c.last), else_=s.c.last_streak_round)
    proposals = (
        sa.select(
            p.c.user_id,
            cur.label("cur"),
            sa.func.coalesce(best, 0).label("top"),
            last.label("last"),
            s.c.user_id.label("had"),
            s.c.current_streak,
            s.c.best_streak,
            s.c.last_streak_round,
        )
        .select_from(p.outerjoin(s, s.c.user_id == p.c.user_id))
        # OFFSET 0 keeps both databases from merging this into the outer query, which would
        # copy the best-streak probe into each test of it below (three probes a player).
        .offset(0)
    )
    # PostgreSQL: a CTE, read by the update and the insert of one statement below (so the
    # proposals and their best-streak probes are computed once).
    proposed = proposals.subquery() if db.sqlite else proposals.cte("proposed")
    new = proposed.c
    fresh = new.had.is_(None) & ((new.cur > 0) | (new.top > 0))
    changed = new.had.is_not(None) & sa.tuple_(
        new.current_streak, new.best_streak, new.last_streak_round
    ).is_distinct_from(sa.tuple_(new.cur, new.top, new.last))
    columns = ["user_id", "current_streak", "best_streak", "last_streak_round"]
    stmt = db.insert(s)
    upsert = stmt.on_conflict_do_update(
        index_elements=[s.c.user_id],
        set_={name: stmt.excluded[name] for name in columns[1:]},
    )
    row = (new.user_id, new.cur, new.top, new.last)
    if db.sqlite:
        # Only rows that change (a void proposes every player of its round and changes
        # about half); from scratch a player with no streak ever would hold no row either.
        conn.execute(upsert.from_select(columns, sa.select(*row).where(sa.or_(fresh, changed))))
        return
    # PostgreSQL: the rows that exist by an UPDATE, the new ones by an insert, in one
    # statement over the proposals computed once. An upsert locks each row it conflicts with
    # before updating it, a WAL record more per player (8,500 in a rekey).
    update = (
        s.update()
        .where(s.c.user_id == new.user_id, changed)
        .values(current_streak=new.cur, best_streak=new.top, last_streak_round=new.last)
        .cte("rewritten")
    )
    conn.execute(upsert.from_select(columns, sa.select(*row).where(fresh)).add_cte(update))


def write_notes(
    conn: sa.Connection,
    all_time: int | None,
    channel_id: int,
    note: tuple[str, ...],
    at: dt.datetime,
) -> tuple[int, int, int]:
    """One private note per player whose all-time points row moved, its text filled in by
    the database from the core's template (`note`: literal text and `before` / `after` slots
    in turn), so ten thousand notes are one INSERT ... SELECT over the staged rows rather
    than a read of every player's points into the bot and an upload of every text. Returns
    the number of players and the sums of their points before and after. `all_time`: the
    number of the workspace's all-time users board."""
    # The players whose all-time points row moved: one note each, and the audit's sums.
    mine = after.c.board_id == all_time if all_time is not None else sa.false()
    values = {"before": after.c.points - after.c.dp, "after": after.c.points}
    text: Any = sa.literal(note[0], sa.Text)
    for k, part in enumerate(note[1:], start=1):
        text = text.concat(sa.cast(values[part], sa.Text) if k % 2 else sa.literal(part, sa.Text))
    conn.execute(
        private_notes.insert().from_select(
            ["channel_id", "user_id", "text", "created_at"],
            sa.select(
                sa.literal(channel_id, sa.Integer),
                after.c.subject_id,
                text,
                sa.literal(at, private_notes.c.created_at.type),
            )
            .where(mine)
            .order_by(after.c.subject_id),
        )
    )
    users, before, now = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(values["before"]), 0),
            sa.func.coalesce(sa.func.sum(values["after"]), 0),
        ).where(mine)
    ).one()
    return int(users), int(before), int(now)
