"""Daily rounds: opened once per channel and day, closed once with points and streaks."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

import sqlalchemy as sa

from bot.records import (
    ChannelRecord,
    RoundRecord,
)
from bot.storage.database import Database
from bot.storage.rows import (
    ROUND_CACHE_SIZE,
    order_text,
    round_record,
    utc,
)
from bot.storage.settle import settle_chunk
from bot.storage.short_pace import meter_of
from bot.storage.short_writes import ShortWrites
from bot.storage.tables import (
    rounds,
)

# Answers awarded per write transaction of a close (bot/storage/settle.py): a chunk holds
# the writer (and, on PostgreSQL, the event loop for its Python part) about 10 ms on a quiet
# machine, so an answer that arrives during a close waits at most that long. Between chunks
# the close rests (see _between_chunks).
CLOSE_CHUNK = 50
CLOSE_PAUSE_S = 0.002
# While users are being answered (a short write within ANSWERING_S), the close rests this
# many times as long as each chunk took: it takes at most a third of the writer and of the
# process's CPU. With nobody answering it goes at full speed. Before each chunk it lets the
# short writes queued for the writer go first, for at most YIELD_S (docs/scaling.md,
# session 11).
ANSWERING_S = 1.0
REST_PER_WORK = 2.0
YIELD_S = 0.05
_SET_POST_REF = (
    rounds.update()
    .where(rounds.c.id == sa.bindparam("k_id"))
    .values(post_ref=sa.bindparam("v_post_ref", type_=rounds.c.post_ref.type))
)
# Columns a new round is inserted with (the benchmark's loader writes the same, bench/boards.py).
OPENED = (
    "channel_id",
    "workspace",
    "local_date",
    "question_id",
    "choice_order",
    "opened_at",
    "closes_at",
    "question_json",
)


class SqlRoundStore:
    """Daily rounds and their close, which awards points in short resumable chunks."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._rounds: dict[int, RoundRecord] = {}
        self.close_chunk = CLOSE_CHUNK
        # Off only for bulk loading (the bench's build), where nothing waits beside the close.
        self.close_rest = True
        self._closing = asyncio.Lock()
        self._short = ShortWrites.of(db)
        # Built once, typed bound parameters, the new row returned whole: a fan-out opens a
        # round per channel, and building and keying the statement each time, then reading
        # the row back, was most of the round's CPU (docs/scaling.md, session 7).
        self._open = (
            db.insert(rounds)
            .values({name: sa.bindparam(name, type_=rounds.c[name].type) for name in OPENED})
            .on_conflict_do_nothing()
            .returning(*rounds.c)
        )

    async def create_round(
        self,
        channel: ChannelRecord,
        local_date: dt.date,
        question_id: str,
        order: Iterable[int],
        opened_at: dt.datetime,
        closes_at: dt.datetime,
        question_json: str | None = None,
    ) -> RoundRecord | None:
        """Open the channel's round for `local_date`; None when one exists already."""
        values = {
            "channel_id": channel.id,
            "workspace": channel.workspace,
            "local_date": local_date,
            "question_id": question_id,
            "choice_order": order_text(order),
            "opened_at": opened_at,
            "closes_at": closes_at,
            "question_json": question_json,
        }
        stmt = self._open

        def create(conn: sa.Connection) -> sa.Row[Any] | None:
            return conn.execute(stmt, values).first()

        # The insert returning its row, one short write: a fan-out opens a round per channel,
        # and on SQLite those that meet share a commit (ShortWrites).
        row = await self._short.write(create)
        return round_record(row) if row else None

    async def get_round(self, round_id: int) -> RoundRecord | None:
        query = sa.select(rounds).where(rounds.c.id == round_id)
        row = await self.db.read_sync(lambda conn: conn.execute(query).first(), short=True)
        return round_record(row) if row else None

    async def round_on(self, channel_id: int, local_date: dt.date) -> RoundRecord | None:
        query = sa.select(rounds).where(
            rounds.c.channel_id == channel_id, rounds.c.local_date == local_date
        )
        row = await self.db.read_sync(lambda conn: conn.execute(query).first(), short=True)
        return round_record(row) if row else None

    async def open_round(self, channel_id: int) -> RoundRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(rounds)
                    .where(rounds.c.channel_id == channel_id, rounds.c.closed_at.is_(None))
                    .order_by(rounds.c.id.desc())
                    .limit(1)
                )
            ).first()
        return round_record(row) if row else None

    async def set_post_ref(self, round_id: int, ref: str) -> None:
        params = {"k_id": round_id, "v_post_ref": ref}
        await self._short.write(lambda conn: conn.execute(_SET_POST_REF, params))

    async def used_questions(self, channel_id: int) -> set[str]:
        # An index range of one channel's rounds (a few hundred a year at most).
        query = sa.select(rounds.c.question_id).where(rounds.c.channel_id == channel_id)
        return await self.db.read_sync(lambda conn: set(conn.execute(query).scalars()), short=True)

    async def round_snapshot(self, round_id: int) -> RoundRecord | None:
        """The round as this process last read it. Its channel, workspace, question, option
        order and close time never change; `closed_at` may be stale (still None), so callers
        rely on it only when set, and writes re-check it in their transaction."""
        cached = self._rounds.get(round_id)
        if cached is not None:
            return cached
        found = await self.get_round(round_id)
        if found is not None:
            if len(self._rounds) >= ROUND_CACHE_SIZE:
                del self._rounds[next(iter(self._rounds))]
            self._rounds[round_id] = found
        return found

    async def rounds_due_to_close(self, now: dt.datetime) -> list[RoundRecord]:
        """Rounds past their close time, and closes a crash left unfinished (resumable)."""
        # Two queries, not an OR, so each keeps its own index.
        async with self.db.read() as conn:
            due = (
                await conn.execute(
                    sa.select(rounds).where(rounds.c.closed_at.is_(None), rounds.c.closes_at <= now)
                )
            ).all()
            unfinished = (
                await conn.execute(sa.select(rounds).where(rounds.c.settle_cursor.is_not(None)))
            ).all()
        found = sorted(
            (round_record(r) for r in [*due, *unfinished]), key=lambda r: (r.closes_at, r.id)
        )
        return found

    async def next_round_close(self, after: dt.datetime) -> dt.datetime | None:
        async with self.db.read() as conn:
            value = (
                await conn.execute(
                    sa.select(sa.func.min(rounds.c.closes_at)).where(
                        rounds.c.closed_at.is_(None), rounds.c.closes_at > after
                    )
                )
            ).scalar_one_or_none()
        return utc(value) if value is not None else None

    async def close_round(self, round_id: int, at: dt.datetime, base_points: int) -> bool:
        """Close the round, then award its points and streaks; True for the one call that
        finishes the awarding (exactly once, in any process).

        The close itself is one short transaction (from then on answers are refused). The
        awarding follows in chunks of `close_chunk` answers, each its own short write that
        moves a cursor kept on the round, so answers elsewhere never wait for a whole round
        and a crash between chunks leaves a close that the next call resumes where it
        stopped. The result equals one transaction over every answer: each player's answer,
        streak and totals are settled once, in the chunk holding their user id."""
        # Closes run one at a time in a process so that streaks follow rounds in close order.
        async with self._closing:
            # A few indexed statements: on the event loop when SQLite's write lock is free.
            started = await self.db.write_sync(
                lambda conn: self._start_close(conn, round_id, at, base_points), short=True
            )
            if started is None:
                return False
            workspace, closed_at = started
            # An earlier close of the workspace left unfinished (a crash): finish it first,
            # since this round's streaks follow from it.
            unfinished = (
                sa.select(rounds.c.id, rounds.c.closed_at)
                .where(
                    rounds.c.workspace == workspace,
                    rounds.c.settle_cursor.is_not(None),
                    rounds.c.id != round_id,
                )
                .order_by(rounds.c.closed_at, rounds.c.id)
            )
            earlier = await self.db.read_sync(
                lambda conn: conn.execute(unfinished).all(), short=True
            )
            for other in earlier:
                if (utc(other.closed_at), other.id) < (closed_at, round_id):
                    await self._settle(other.id)
            return await self._settle(round_id)

    def _start_close(
        self, conn: sa.Connection, round_id: int, at: dt.datetime, base_points: int
    ) -> tuple[str, dt.datetime] | None:
        """Set closed_at and the settle cursor; None when the round is closed and settled."""
        row = conn.execute(
            sa.select(rounds.c.workspace, rounds.c.closed_at, rounds.c.settle_cursor).where(
                rounds.c.id == round_id
            )
        ).first()
        if row is None:
            return None
        if row.closed_at is not None:
            # Closed already: resume its awarding if it never finished, else nothing to do.
            return (row.workspace, utc(row.closed_at)) if row.settle_cursor is not None else None
        previous = (
            sa.select(rounds.c.id)
            .where(
                rounds.c.workspace == row.workspace,
                rounds.c.closed_at.is_not(None),
                rounds.c.voided_at.is_(None),  # a voided round counts for nobody's streak
                rounds.c.id != round_id,
            )
            .order_by(rounds.c.closed_at.desc(), rounds.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        closed = conn.execute(
            rounds.update()
            .where(rounds.c.id == round_id, rounds.c.closed_at.is_(None))
            .values(
                closed_at=at,
                settle_cursor=0,
                settle_previous=previous,
                settle_points=base_points,
                base_points=base_points,
            )
        )
        if closed.rowcount != 1:  # another process closed it first: help it finish
            again = conn.execute(
                sa.select(rounds.c.closed_at, rounds.c.settle_cursor).where(rounds.c.id == round_id)
            ).one()
            if again.settle_cursor is None:
                return None
            return row.workspace, utc(again.closed_at)
        return row.workspace, at

    async def _settle(self, round_id: int) -> bool:
        """Award the round chunk by chunk from its cursor; True if this call finished it."""
        where = sa.select(rounds.c.settle_cursor).where(rounds.c.id == round_id)
        cursor = await self.db.read_sync(
            lambda conn: conn.execute(where).scalar_one_or_none(), short=True
        )
        while cursor is not None:
            began = time.perf_counter()
            step = await self.db.write_sync(
                partial(self._settle_chunk, round_id=round_id, since=cursor)
            )
            took = time.perf_counter() - began
            if step is None:
                # Another caller moved the cursor (a concurrent resume): read where it is.
                async with self.db.read() as conn:
                    cursor = (
                        await conn.execute(
                            sa.select(rounds.c.settle_cursor).where(rounds.c.id == round_id)
                        )
                    ).scalar_one_or_none()
                if cursor is None:
                    return False
                continue
            if step < 0:
                return True
            cursor = step
            await self._between_chunks(took)
        return False

    async def _between_chunks(self, took: float) -> None:
        # Paced by what users see, not by the close's own cost: while clicks come, rest
        # twice as long as the chunk took (a third of the writer and of the process's CPU,
        # the GIL), then let the clicks queued meanwhile write first; alone, barely rest.
        # Nobody waits on the close but its reveal.
        if not self.close_rest:
            await asyncio.sleep(0)
            return
        meter = meter_of(self.db)
        answering = meter.within(ANSWERING_S)
        await asyncio.sleep(max(CLOSE_PAUSE_S, took * REST_PER_WORK) if answering else 0)
        await meter.yield_to(YIELD_S)

    def _settle_chunk(self, conn: sa.Connection, round_id: int, since: int) -> int | None:
        return settle_chunk(self.db, conn, round_id, since, self.close_chunk)
