"""Daily answers: locked in once per user and round, batched under bursts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bot.records import (
    AnswerRecord,
    DailyAnswer,
    DailyAnswerOutcome,
    RoundTally,
)
from bot.storage import click_sql
from bot.storage.batch import WriteBatcher
from bot.storage.database import Database
from bot.storage.round_tally import round_tally
from bot.storage.rows import (
    CLOSED,
    FORGOTTEN,
    NO_CHANNEL,
    forgotten_key,
    name_key,
    pairs_in,
    utc,
)
from bot.storage.tables import (
    answers,
    channels,
    forgotten_answers,
    rounds,
    users,
)


def _is_forgotten(round_id: int, workspace: str, external_id: str) -> sa.Select[Any]:
    return sa.select(forgotten_answers.c.round_id).where(
        forgotten_answers.c.round_id == round_id,
        forgotten_answers.c.user_key == forgotten_key(round_id, workspace, external_id),
    )


def _drop_forgotten(
    conn: sa.Connection,
    batch: Sequence[DailyAnswer],
    live: list[int],
    out: list[DailyAnswerOutcome | None],
) -> list[int]:
    """Mark the answers of people who answered the round before `forgetme`; the rest."""
    keys = {
        i: forgotten_key(batch[i].round_id, batch[i].workspace, batch[i].external_id) for i in live
    }
    if not keys:
        return live
    pairs = sorted({(batch[i].round_id, k) for i, k in keys.items()})
    locked = {
        (r.round_id, r.user_key)
        for r in conn.execute(
            sa.select(forgotten_answers).where(
                pairs_in(
                    forgotten_answers.c.round_id,
                    forgotten_answers.c.user_key,
                    pairs,
                    conn.dialect.name == "sqlite",
                )
            )
        )
    }
    for i in live:
        if (batch[i].round_id, keys[i]) in locked:
            out[i] = FORGOTTEN
    return [i for i in live if out[i] is None]


# A batch's one look-up: its channels, its rounds still open, and whether any of those holds
# a forgotten user's lock. Built once: building and keying a statement per batch cost more
# than running it. FOR SHARE (PostgreSQL; the SQLite writer lock already excludes it): a
# round being closed by another process waits for these answers to commit, or these answers
# see it closed.
BATCH_LOOKUP = (
    sa.select(
        channels.c.workspace,
        channels.c.external_id,
        channels.c.timezone,
        rounds.c.id,
        sa.exists().where(forgotten_answers.c.round_id == rounds.c.id).label("locks"),
    )
    .select_from(
        channels.join(
            rounds,
            sa.and_(
                rounds.c.id.in_(sa.bindparam("round_ids", expanding=True)),
                rounds.c.closed_at.is_(None),
            ),
        )
    )
    .where(
        sa.tuple_(channels.c.workspace, channels.c.external_id).in_(
            sa.bindparam("places", expanding=True)
        )
    )
    .with_for_update(read=True, of=rounds)
)


class SqlAnswerStore:
    """Answers to daily rounds; bursts share one write (group commit)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._daily_answers = WriteBatcher(db, self.write_daily_answers)
        # The batch's writes, built once for this database's dialect (see BATCH_LOOKUP).
        upsert = db.insert(users)
        self._upsert_users = upsert.on_conflict_do_update(
            index_elements=[users.c.workspace, users.c.external_id],
            set_={
                "display_name": upsert.excluded.display_name,
                "name_key": upsert.excluded.name_key,
            },
        ).returning(users.c.id, users.c.workspace, users.c.external_id)
        self._insert_answers = (
            db.insert(answers)
            .on_conflict_do_nothing()
            .returning(answers.c.round_id, answers.c.user_id)
        )

    async def flush(self) -> None:
        """Wait for queued batched writes (before the engine is disposed)."""
        await self._daily_answers.idle()

    async def add_answer(
        self,
        round_id: int,
        user_id: int,
        topic: str,
        given: str,
        normalized: str,
        correct: bool,
        at: dt.datetime,
    ) -> bool:
        """Lock in one answer; False when the user already answered (any process, any click)."""
        stmt = (
            self.db.insert(answers)
            .values(
                round_id=round_id,
                user_id=user_id,
                topic=topic,
                given=given[:300],
                normalized=normalized[:300],
                correct=correct,
                answered_at=at,
            )
            .on_conflict_do_nothing()
            .returning(answers.c.id)
        )
        async with self.db.write() as conn:
            # The round must still be open inside the same transaction as the insert; FOR
            # SHARE makes a close in another PostgreSQL process wait for this answer (or this
            # answer see it closed). SQLite's writer lock already orders them.
            still_open = (
                await conn.execute(
                    sa.select(rounds.c.id)
                    .where(rounds.c.id == round_id, rounds.c.closed_at.is_(None))
                    .with_for_update(read=True)
                )
            ).first()
            if still_open is None:
                return False
            who = (
                await conn.execute(
                    sa.select(users.c.workspace, users.c.external_id).where(users.c.id == user_id)
                )
            ).first()
            if (
                who is not None
                and (
                    await conn.execute(
                        sa.select(forgotten_answers.c.round_id).where(
                            forgotten_answers.c.round_id == round_id,
                            forgotten_answers.c.user_key
                            == forgotten_key(round_id, who.workspace, who.external_id),
                        )
                    )
                ).first()
            ):
                return False  # answered, then forgotten: the round stays locked for them
            return (await conn.execute(stmt)).scalar_one_or_none() is not None

    async def forgotten(self, round_id: int, workspace: str, external_id: str) -> bool:
        """Whether this platform user answered the round and then used `forgetme`."""
        async with self.db.read() as conn:
            row = (await conn.execute(_is_forgotten(round_id, workspace, external_id))).first()
        return row is not None

    async def submit_daily_answer(self, answer: DailyAnswer) -> DailyAnswerOutcome:
        """Upsert the user and lock the answer in, as one write shared with
        every answer arriving meanwhile (group commit). `no_channel` writes nothing."""
        return await self._daily_answers.submit(answer)

    def write_daily_answers(
        self, conn: sa.Connection, batch: Sequence[DailyAnswer]
    ) -> list[DailyAnswerOutcome]:
        """A batch of daily answers in the caller's transaction (this store's batcher, or an
        inbox batch writing clicks with their rows): one outcome per answer, in order."""
        # Set-based: three statements per batch in the usual case, whatever its size. Rows
        # are written in key order so two processes writing overlapping keys cannot deadlock.
        out: list[DailyAnswerOutcome | None] = [None] * len(batch)
        places = sorted({(a.workspace, a.channel) for a in batch})
        round_ids = sorted({a.round_id for a in batch})
        zones: dict[tuple[str, str], str] = {}
        open_rounds: set[int] = set()
        locked_rounds: set[int] = set()
        found = (
            click_sql.batch_lookup(conn, round_ids, places)
            if self.db.sqlite
            else conn.execute(BATCH_LOOKUP, {"round_ids": round_ids, "places": places})
        )
        for r in found:
            zones[(r.workspace, r.external_id)] = r.timezone
            open_rounds.add(r.id)
            if r.locks:
                locked_rounds.add(r.id)
        unseen = [p for p in places if p not in zones]
        if unseen:  # a channel whose rounds are all closed, or no channel at all
            for row in conn.execute(
                sa.select(channels.c.workspace, channels.c.external_id, channels.c.timezone).where(
                    pairs_in(channels.c.workspace, channels.c.external_id, unseen, self.db.sqlite)
                )
            ):
                zones[(row.workspace, row.external_id)] = row.timezone
        live: list[int] = []
        for i, a in enumerate(batch):
            if (a.workspace, a.channel) in zones:
                live.append(i)
            else:
                out[i] = NO_CHANNEL  # the caller takes the general path, which creates it

        # Answered, then forgotten: the round stays locked for them; the general path says so.
        # Looked up per user only in a round holding such a lock, or no longer open (rare):
        # the usual batch pays no statement for it.
        suspects = [
            i
            for i in live
            if batch[i].round_id in locked_rounds or batch[i].round_id not in open_rounds
        ]
        if suspects:
            _drop_forgotten(conn, batch, suspects, out)
            live = [i for i in live if out[i] is None]

        user_ids = self._ensure_users(conn, [batch[i] for i in live])
        first_answer: dict[tuple[int, int], int] = {}
        repeats: list[tuple[int, tuple[int, int]]] = []
        for i in live:
            a = batch[i]
            if a.round_id not in open_rounds:
                out[i] = CLOSED
                continue
            key = (a.round_id, user_ids[(a.workspace, a.external_id)])
            if key in first_answer:
                repeats.append((i, key))  # a second click in the same batch
            else:
                first_answer[key] = i
        inserted: set[tuple[int, int]] = set()
        if first_answer:
            inserted = self._insert_first(conn, batch, first_answer)
        earlier: dict[tuple[int, int], str] = {}
        taken = sorted(k for k in first_answer if k not in inserted)
        if taken:
            given_rows = (
                click_sql.given(conn, taken)
                if self.db.sqlite
                else conn.execute(
                    sa.select(answers.c.round_id, answers.c.user_id, answers.c.given).where(
                        pairs_in(answers.c.round_id, answers.c.user_id, taken, False)
                    )
                )
            )
            earlier = {(r.round_id, r.user_id): r.given for r in given_rows}

        def locked(key: tuple[int, int]) -> DailyAnswerOutcome:
            if key in inserted:
                return DailyAnswerOutcome("already", given=batch[first_answer[key]].given[:300])
            if key in earlier:
                return DailyAnswerOutcome("already", given=earlier[key])
            return CLOSED  # the earlier answer vanished (forgotten user): as add_answer says

        for key, i in first_answer.items():
            a = batch[i]
            zone = zones[(a.workspace, a.channel)]
            out[i] = DailyAnswerOutcome("stored", zone) if key in inserted else locked(key)
        for i, key in repeats:
            out[i] = locked(key)
        assert all(o is not None for o in out)
        return [o for o in out if o is not None]

    def _insert_first(
        self,
        conn: sa.Connection,
        batch: Sequence[DailyAnswer],
        first_answer: dict[tuple[int, int], int],
    ) -> set[tuple[int, int]]:
        """Insert each (round, user)'s first answer of the batch; the keys inserted."""
        if self.db.sqlite:  # driver-level: plain tuples, the timestamp as SQLite's text
            rows = [
                (
                    key[0],
                    key[1],
                    batch[i].topic,
                    batch[i].given[:300],
                    batch[i].normalized[:300],
                    batch[i].correct,
                    click_sql.ts(batch[i].at),
                )
                for key, i in sorted(first_answer.items())
            ]
            return {(r[0], r[1]) for r in click_sql.returning(conn, click_sql.INSERT_ANSWERS, rows)}
        return {
            (r.round_id, r.user_id)
            for r in conn.execute(
                self._insert_answers,
                [
                    {
                        "round_id": key[0],
                        "user_id": key[1],
                        "topic": batch[i].topic,
                        "given": batch[i].given[:300],
                        "normalized": batch[i].normalized[:300],
                        "correct": batch[i].correct,
                        "answered_at": batch[i].at,
                    }
                    for key, i in sorted(first_answer.items())
                ],
            )
        }

    def _ensure_users(
        self, conn: sa.Connection, wanted: Sequence[DailyAnswer]
    ) -> dict[tuple[str, str], int]:
        """ensure_user for many in one statement: the same rows and names it would leave."""
        names = {(a.workspace, a.external_id): a.display_name for a in wanted}  # last one wins
        if not names:
            return {}
        # Upserting every user (not only the new or renamed) saves a round trip per batch;
        # the row ends the same, and the batch is a write transaction anyway.
        at = wanted[0].at
        if self.db.sqlite:
            created = click_sql.ts(at)
            found = click_sql.returning(
                conn,
                click_sql.UPSERT_USERS,
                [
                    (ws, ext, names[(ws, ext)], name_key(names[(ws, ext)]), created)
                    for ws, ext in sorted(names)
                ],
            )
            return {(ws, ext): user_id for user_id, ws, ext in found}
        rows = conn.execute(
            self._upsert_users,
            [
                {
                    "workspace": ws,
                    "external_id": ext,
                    "display_name": names[(ws, ext)],
                    "name_key": name_key(names[(ws, ext)]),
                    "created_at": at,
                }
                for ws, ext in sorted(names)
            ],
        )
        return {(r.workspace, r.external_id): r.id for r in rows}

    async def get_answer(self, round_id: int, user_id: int) -> AnswerRecord | None:
        found = await self._answers(round_id, user_id)
        return found[0] if found else None

    async def round_answers(self, round_id: int) -> list[AnswerRecord]:
        return await self._answers(round_id, None)

    async def round_tally(self, round_id: int) -> RoundTally:
        # One hop (a reader thread on SQLite): nothing of it runs on the event loop there.
        return await self.db.read_sync(lambda conn: round_tally(conn, round_id))

    async def _answers(self, round_id: int, user_id: int | None) -> list[AnswerRecord]:
        query = (
            sa.select(answers, users.c.display_name)
            .join(users, users.c.id == answers.c.user_id)
            .where(answers.c.round_id == round_id)
            .order_by(answers.c.id)
        )
        if user_id is not None:
            query = query.where(answers.c.user_id == user_id)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            AnswerRecord(
                r.user_id,
                r.display_name,
                r.given,
                r.normalized,
                r.correct,
                r.points,
                utc(r.answered_at),
            )
            for r in rows
        ]
