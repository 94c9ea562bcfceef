"""The interaction inbox: written before every ack, one short transaction per batch."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from bot.faults import fault_point
from bot.inbox import (
    KEEP_ANY,
    KEEP_DONE,
    MAX_ATTEMPTS,
    Admission,
    InboxEntry,
    InboxRecord,
    Payload,
    State,
    StoredReply,
)
from bot.storage import click_pg, click_sql
from bot.storage.batch import WriteBatcher
from bot.storage.database import Database
from bot.storage.inbox_rows import done_record, fresh, new_row, new_tuple, to_record
from bot.storage.inbox_tables import UNFINISHED_SQL
from bot.storage.pg_pool import autocommit
from bot.storage.rows import pairs_in
from bot.storage.tables import inbox

Finish = tuple[int, State, str | None, dt.datetime]
Admit = tuple[InboxEntry, dt.timedelta]
# A one-write request: its entry, lease, the item its effect writes, its stored reply and
# its payload (built only if the row is held for the general path).
OneWriteItem = tuple[InboxEntry, dt.timedelta, object, StoredReply, Payload]
# A store's batch writer for one kind of item: one outcome per item, in order.
Effect = Callable[[sa.Connection, Sequence[Any]], Sequence[Any]]
# New rows inserted for keys in order: (id, platform, key) of each row inserted.
Insert = Callable[[Sequence[tuple[str, str]], Mapping[tuple[str, str], Admit]], Sequence[Any]]
# Rows still being worked on; done rows only answer repeats, failed ones wait for a retry.
UNFINISHED = ("received", "processing")
# The same as the text of the partial index's condition, which a planner needs to see in the
# query to use it (bot/storage/inbox_tables.py).
STILL_WORKED_ON = sa.text(UNFINISHED_SQL)
PAIR = (inbox.c.platform, inbox.c.dedupe_key)
# PostgreSQL: click batches written at once, each on its own connection (one at the server
# while the next is prepared; a burst's clicks are split between them). SQLite: one writer.
ONE_WRITE_LANES = 2
# PostgreSQL: rows of keys seen before that are done, an index probe per key whatever the
# statistics (a fresh table's `(platform, key) IN (...)` was planned as a scan of the
# platform's rows, the keys a filter).
DONE_BEFORE = """
SELECT b.* FROM unnest($1::text[], $2::text[]) AS k(platform, dedupe_key)
CROSS JOIN LATERAL (
  SELECT * FROM inbox WHERE inbox.platform = k.platform AND inbox.dedupe_key = k.dedupe_key
  OFFSET 0
) b
WHERE b.state = 'done'
"""


class SqlInboxStore:
    """Bursts of interactions share one write for their inbox rows and one for their
    outcomes (group commit); a one-write request (a click on a daily card) shares one
    transaction with its row, its effect and its outcome (`admit_writing`)."""

    def __init__(
        self,
        db: Database,
        effects: Mapping[type, Effect] | None = None,
        fused: tuple[type, click_pg.Fused] | None = None,
    ) -> None:
        self.db = db
        # What a one-write request may carry: item type -> the store's batch writer for it.
        self.effects = dict(effects or {})
        # A batch whose items are all of this type writes its new rows and their items in
        # one statement (PostgreSQL: one round trip instead of one per statement).
        self.fused = fused
        # Built once (a statement built and keyed per batch cost more than running it); a new
        # row's record is what was inserted, so only its id and key come back.
        self._insert = (
            db.insert(inbox)
            .on_conflict_do_nothing()
            .returning(inbox.c.id, inbox.c.platform, inbox.c.dedupe_key)
        )
        self._admits = WriteBatcher(db, self._write_admits)
        self._one_writes = WriteBatcher(db, self._write_one_writes, lanes=ONE_WRITE_LANES)
        self._finishes = WriteBatcher(db, self._write_finishes)

    async def flush(self) -> None:
        await self._admits.idle()
        await self._one_writes.idle()
        await self._finishes.idle()

    async def admit(self, entry: InboxEntry, lease: dt.timedelta) -> Admission:
        return await self._admits.submit((entry, lease))

    async def admit_writing(
        self,
        entry: InboxEntry,
        lease: dt.timedelta,
        item: object,
        reply: StoredReply,
        payload: Payload,
    ) -> Admission:
        if type(item) not in self.effects:
            raise TypeError(f"no store writes {type(item).__name__} with an inbox row")
        return await self._one_writes.submit((entry, lease, item, reply, payload))

    def _write_one_writes(
        self, conn: sa.Connection, batch: Sequence[OneWriteItem]
    ) -> list[Admission]:
        """With `fused` (PostgreSQL clicks), one self-committing statement writes every
        click it can finish (row, answer, reply), one read finds keys done before, and the
        rest (a zone not known yet, a round closed, a different second answer, a key held
        elsewhere) go through one transaction, as below."""
        if self.fused is None or not all(type(item[2]) is self.fused[0] for item in batch):
            return self._write_together(conn, batch)
        written: dict[tuple[str, str], Admission] = {}
        for key, (e, row, o, r) in click_pg.write_alone(conn, batch, self.fused[1]).items():
            done = done_record(fresh(e, row), r[0])
            written[key] = Admission("written", done, o, r[1])
        rest = [item for item in batch if (item[0].platform, item[0].key) not in written]
        if rest:
            written.update(_done_before(conn, rest))
            rest = [item for item in rest if (item[0].platform, item[0].key) not in written]
        return click_pg.merged(batch, written, self._write_together(conn, rest) if rest else [])

    def _write_together(
        self, conn: sa.Connection, batch: Sequence[OneWriteItem]
    ) -> list[Admission]:
        """Rows, effects and outcomes in one transaction: the rows first (a repeat is known
        before anything is written for it), then each kind's effects as one batch of that
        store, then the rows done with their replies, set-based throughout. With `fused`
        (PostgreSQL clicks) one statement does all three for keys not seen before."""
        fused: dict[tuple[str, str], tuple[Any, Any]] = {}
        insert: Insert | None = None
        if self.fused is not None and all(type(item[2]) is self.fused[0] for item in batch):
            write = self.fused[1]

            def insert(
                keys: Sequence[tuple[str, str]], firsts: Mapping[tuple[str, str], Admit]
            ) -> Sequence[tuple[int, str, str]]:
                place: dict[tuple[str, str], int] = {}
                for seq, item in enumerate(batch):
                    place.setdefault((item[0].platform, item[0].key), seq)
                rows, written = write(
                    conn,
                    [(*firsts[k], place[k]) for k in keys],
                    [batch[place[k]][2] for k in keys],
                    [batch[place[k]][3] for k in keys],
                )
                fused.update(written)
                return rows

        # On SQLite a new row is inserted done, as nearly all end in this transaction: it
        # never enters the index of unfinished rows (one WAL page fewer a click); a row held
        # for the general path is set back to received with its payload (click_sql.HOLD).
        admitted = self._write_admits(
            conn, [(item[0], item[1]) for item in batch], insert, state="done"
        )
        held = [i for i, a in enumerate(admitted) if a.verdict == "new"]
        kinds: dict[type, list[int]] = {}
        outcomes: dict[int, Any] = {}
        replies: dict[int, tuple[str, Any] | None] = {}
        for i in held:
            key = (admitted[i].record.platform, admitted[i].record.key)
            if key in fused:  # inserted (and written) by the one statement
                outcomes[i], done = fused[key]
                if done is not None:  # inserted done, with this reply
                    replies[i] = done
            else:  # a row seen before, held again (failed, or its holder died)
                kinds.setdefault(type(batch[i][2]), []).append(i)
        for kind, idx in kinds.items():
            results = self.effects[kind](conn, [batch[i][2] for i in idx])
            outcomes.update(zip(idx, results, strict=True))
        # Rows not inserted done: their replies rendered now, and finished by one statement.
        finished: list[tuple[int, str]] = []
        for i in held:
            if i not in replies:
                replies[i] = reply = batch[i][3](outcomes[i])
                if reply is not None:
                    finished.append((admitted[i].record.id, reply[0]))
        finished.sort()
        now = max(item[0].received_at for item in batch)
        if finished:
            self._finish(conn, [(e, "done", r, now) for e, r in finished])
        # Rows held for the general path may be replayed after a crash: they get their
        # payload in this transaction (a row written done at once never needs it).
        payloads = {i: batch[i][4]() for i, r in replies.items() if r is None}
        if payloads:
            held_rows = sorted((admitted[i].record.id, p) for i, p in payloads.items())
            if self.db.sqlite:
                click_sql.hold(conn, held_rows)
            else:
                click_pg.hold(conn, held_rows)
        # Killed (or failing) here, nothing of the batch is committed and nothing was acked.
        fault_point("inbox.uncommitted")
        out: list[Admission] = []
        written: dict[tuple[str, str], InboxRecord] = {}
        for i, admission in enumerate(admitted):
            reply = replies.get(i)
            if reply is not None:
                done = done_record(admission.record, reply[0])
                written[(done.platform, done.key)] = done
                out.append(Admission("written", done, outcomes[i], reply[1]))
            elif i in outcomes:
                held_row = dataclasses.replace(admission.record, payload=payloads[i])
                out.append(Admission("new", held_row, outcomes[i]))
            else:
                out.append(admission)
        # A repeat of a key written in this same batch sees it done, as it is at the commit.
        return [
            Admission("done", written[(a.record.platform, a.record.key)])
            if a.verdict == "busy" and (a.record.platform, a.record.key) in written
            else a
            for a in out
        ]

    def _write_admits(
        self,
        conn: sa.Connection,
        batch: Sequence[Admit],
        insert: Insert | None = None,
        state: str = "received",
    ) -> list[Admission]:
        # Set-based: one insert for the batch, and for keys seen before one takeover and one
        # look-up, whatever the batch's size. Keys in order, so two PostgreSQL processes
        # admitting overlapping keys cannot deadlock. A new row's record is what was
        # inserted: only its id comes back.
        firsts: dict[tuple[str, str], Admit] = {}
        for entry, lease in batch:
            firsts.setdefault((entry.platform, entry.key), (entry, lease))
        keys = sorted(firsts)
        inserted: Sequence[tuple[Any, ...]]
        if insert is not None:
            inserted = insert(keys, firsts)
        elif self.db.sqlite:  # driver-level: no per-row bind processing (click_sql)
            rows = [new_tuple(*firsts[k], state) for k in keys]
            inserted = click_sql.returning(conn, click_sql.INSERT_INBOX, rows)
        else:
            inserted = list(conn.execute(self._insert, [new_row(*firsts[k]) for k in keys]))
        held = {
            (platform, key): fresh(firsts[(platform, key)][0], row_id)
            for row_id, platform, key in inserted
        }
        seen = [k for k in keys if k not in held]
        if seen:
            held.update(self._take_over(conn, seen, batch, self.db.sqlite))
        rest = [k for k in seen if k not in held]
        found: dict[tuple[str, str], InboxRecord] = {}
        if rest:
            looked: Any = (
                click_sql.inbox_rows(conn, rest)
                if self.db.sqlite
                else conn.execute(sa.select(inbox).where(pairs_in(*PAIR, rest, False)))
            )
            found = {(row.platform, row.dedupe_key): to_record(row) for row in looked}
        out: list[Admission] = []
        for entry, _ in batch:
            key = (entry.platform, entry.key)
            mine = held.pop(key, None)  # the batch's first delivery of a key holds the row
            if mine is not None:
                out.append(Admission("new", mine))
                found[key] = mine
            else:
                # Seen before (or twice in this batch): its stored reply, or still running.
                record = found[key]
                out.append(Admission("done" if record.state == "done" else "busy", record))
        return out

    @staticmethod
    def _take_over(
        conn: sa.Connection,
        keys: Sequence[tuple[str, str]],
        batch: Sequence[Admit],
        sqlite: bool,
    ) -> dict[tuple[str, str], InboxRecord]:
        """Rows seen before that this batch may hold again: a failed row, or one whose holder
        died (lease expired). That is what makes "Please try again" true."""
        now = max(entry.received_at for entry, _ in batch)
        lease = max(lease for _, lease in batch)
        if sqlite:  # driver-level: a statement built and compiled per batch cost more
            again = click_sql.take_over(conn, keys, now, now + lease)
            return {(r.platform, r.dedupe_key): to_record(r) for r in again}
        taken = conn.execute(
            sa.update(inbox)
            .where(
                pairs_in(*PAIR, keys, False),  # SQLite returned above
                sa.or_(
                    inbox.c.state == "failed",
                    sa.and_(inbox.c.state.in_(UNFINISHED), inbox.c.lease_until <= now),
                ),
            )
            .values(state="processing", attempts=inbox.c.attempts + 1, lease_until=now + lease)
            .returning(*inbox.c)
        )
        return {(r.platform, r.dedupe_key): to_record(r) for r in taken}

    async def finish(
        self, entry_id: int, state: State, reply: str | None, now: dt.datetime
    ) -> None:
        await self._finishes.submit((entry_id, state, reply, now))

    def _write_finishes(self, conn: sa.Connection, batch: Sequence[Finish]) -> list[None]:
        self._finish(conn, batch)
        return [None] * len(batch)

    def _finish(self, conn: sa.Connection, rows: Sequence[Finish]) -> None:
        # One statement for the whole batch: on SQLite the driver's executemany of plain
        # tuples, on PostgreSQL one UPDATE over arrays. lease_until = the finish: a failed
        # row is free at once, a redelivery or a retry may take it.
        if self.db.sqlite:
            click_sql.finish(conn, rows)
        else:
            click_pg.finish(conn, rows)

    async def take_due(
        self, platforms: Sequence[str], now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> list[InboxRecord]:
        async with self.db.write() as conn:
            taken = await conn.execute(taken_over(platforms, now, lease, limit))
            rows = [to_record(r) for r in taken]
        # A row that failed MAX_ATTEMPTS times is set aside (state failed), not replayed.
        return sorted((r for r in rows if r.state == "processing"), key=lambda r: r.id)

    async def prune(self, now: dt.datetime) -> int:
        async with self.db.write() as conn:
            gone = await conn.execute(pruned(now))
        return int(gone.rowcount or 0)

    async def get(self, platform: str, key: str) -> InboxRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(inbox).where(inbox.c.platform == platform, inbox.c.dedupe_key == key)
                )
            ).first()
        return to_record(row) if row is not None else None


def _done_before(
    conn: sa.Connection, rest: Sequence[OneWriteItem]
) -> dict[tuple[str, str], Admission]:
    """Keys of `rest` done before (redeliveries) with their stored reply, read by one
    statement that needs no transaction: a batch whose rest is only those opens none."""
    keys = sorted({(item[0].platform, item[0].key) for item in rest})
    with autocommit(conn):
        found = conn.exec_driver_sql(DONE_BEFORE, ([k[0] for k in keys], [k[1] for k in keys]))
        return {(r.platform, r.dedupe_key): Admission("done", to_record(r)) for r in found}


def taken_over(
    platforms: Sequence[str], now: dt.datetime, lease: dt.timedelta, limit: int
) -> sa.Update:
    """The replay's take-over: the oldest unfinished rows whose lease ran out, leased anew
    (set aside as failed past MAX_ATTEMPTS)."""
    due = (
        sa.select(inbox.c.id)
        .where(
            STILL_WORKED_ON,
            inbox.c.lease_until <= now,
            inbox.c.platform.in_(list(platforms)),
        )
        .order_by(inbox.c.received_at, inbox.c.id)
        .limit(limit)
    )
    # Guarded again in the update: another process may have taken a row meanwhile.
    return (
        sa.update(inbox)
        .where(
            inbox.c.id.in_(due.scalar_subquery()),
            inbox.c.state.in_(UNFINISHED),
            inbox.c.lease_until <= now,
        )
        .values(
            state=sa.case((inbox.c.attempts >= MAX_ATTEMPTS, "failed"), else_="processing"),
            attempts=inbox.c.attempts + 1,
            lease_until=now + lease,
        )
        .returning(*inbox.c)
    )


def pruned(now: dt.datetime) -> sa.Delete:
    """The rows `prune` deletes. Done rows are in no index on their state
    (ix_inbox_unfinished): old rows are found in id order instead. Ids grow with arrival,
    so every row old enough to go lies below the first row that is not: a walk over the old
    rows from the oldest, then a range of ids. A row that arrived out of order (another
    process's clock) goes at a later prune, never early: each row's own time is checked."""
    first_young = (
        sa.select(inbox.c.id)
        .where(inbox.c.received_at >= now - KEEP_DONE)
        .order_by(inbox.c.id)
        .limit(1)
        .scalar_subquery()
    )
    past_last = sa.select(sa.func.max(inbox.c.id) + 1).scalar_subquery()
    return sa.delete(inbox).where(
        inbox.c.id < sa.func.coalesce(first_young, past_last),
        sa.or_(
            sa.and_(inbox.c.state == "done", inbox.c.received_at < now - KEEP_DONE),
            inbox.c.received_at < now - KEEP_ANY,
        ),
    )
