"""SqlStore: every query and transaction of the core, on SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import (
    AnswerRecord,
    BoardEntry,
    ChannelRecord,
    ClaimRecord,
    PointAward,
    QuizRecord,
    QuizTally,
    RoundRecord,
    TallySnapshotRow,
    TeamEntry,
    TeamRecord,
    UserRecord,
    UserStatsRecord,
)
from bot.schedule import ChannelSchedule, mask_to_days, month_key, parse_hhmm, week_key
from bot.scoring import streak_bonus
from bot.storage.batch import WriteBatcher
from bot.storage.database import Database
from bot.storage.tables import (
    answers,
    channels,
    claims,
    deliveries,
    memberships,
    point_events,
    quiz_answers,
    quizzes,
    rounds,
    score_counts,
    tally_rows,
    team_active,
    teams,
    totals,
    user_stats,
    users,
)


def utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back naive; everything is stored in UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _order_text(order: Iterable[int]) -> str:
    return ",".join(str(i) for i in order)


def _order_parse(text: str) -> tuple[int, ...]:
    return tuple(int(i) for i in text.split(",") if i != "")


def _channel(row: Any) -> ChannelRecord:
    schedule = ChannelSchedule(
        timezone=row.timezone,
        post_time=parse_hhmm(row.post_time),
        close_time=parse_hhmm(row.close_time),
        days=mask_to_days(row.days),
        weekly_day=row.weekly_day,
        weekly_time=parse_hhmm(row.weekly_time),
        paused=row.paused,
    )
    topics = tuple(t for t in row.topics.split(",") if t)
    return ChannelRecord(
        row.id,
        row.platform,
        row.workspace,
        row.external_id,
        row.enabled,
        schedule,
        topics,
        row.difficulty,
    )


def _round(row: Any) -> RoundRecord:
    return RoundRecord(
        id=row.id,
        channel_id=row.channel_id,
        workspace=row.workspace,
        local_date=row.local_date,
        question_id=row.question_id,
        order=_order_parse(row.choice_order),
        opened_at=utc(row.opened_at),
        closes_at=utc(row.closes_at),
        closed_at=utc(row.closed_at) if row.closed_at else None,
        post_ref=row.post_ref,
    )


def _claim(row: Any) -> ClaimRecord:
    return ClaimRecord(
        row.channel_id,
        row.kind,
        row.period,
        row.status,
        row.attempts,
        row.owner,
        row.message_ref,
        row.error,
    )


def _quiz(row: Any) -> QuizRecord:
    ids = tuple(row.question_ids.split(","))
    orders = tuple(_order_parse(part) for part in row.orders.split(";"))
    return QuizRecord(
        row.id, row.user_id, ids, orders, row.position, row.awaiting_rating, row.active
    )


# How many rounds `round_snapshot` remembers; a process sees a handful of open rounds a day.
ROUND_CACHE_SIZE = 4096
# Ids per IN list: PostgreSQL (asyncpg) takes at most 32767 parameters per statement.
IN_CHUNK = 5000


def _chunks(values: Sequence[int], size: int = IN_CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class DailyAnswer:
    """A daily-round answer that passed every check the core makes without the database."""

    platform: str
    delivery_id: str | None
    workspace: str
    external_id: str
    display_name: str
    channel: str
    round_id: int
    topic: str
    given: str
    normalized: str
    correct: bool
    at: dt.datetime


@dataclass(frozen=True)
class DailyAnswerOutcome:
    """What became of a DailyAnswer: stored | already | closed | duplicate | no_channel."""

    status: str
    timezone: str = "UTC"  # the channel's, read in the same transaction
    given: str = ""  # the answer locked in earlier, when `already`


NO_CHANNEL = DailyAnswerOutcome("no_channel")
DUPLICATE = DailyAnswerOutcome("duplicate")
CLOSED = DailyAnswerOutcome("closed")


class SqlStore:
    """The core's storage port over SQLAlchemy Core; one method is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._rounds: dict[int, RoundRecord] = {}
        self._daily_answers = WriteBatcher(db, self._write_daily_answers)

    async def flush(self) -> None:
        """Wait for queued batched writes (before the engine is disposed)."""
        await self._daily_answers.idle()

    # -- users -------------------------------------------------------------------------

    async def ensure_user(
        self, workspace: str, external_id: str, display_name: str, now: dt.datetime
    ) -> UserRecord:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(users).where(
                        users.c.workspace == workspace, users.c.external_id == external_id
                    )
                )
            ).first()
        if row is not None and row.display_name == display_name:
            return UserRecord(row.id, workspace, external_id, display_name)
        stmt = self.db.insert(users).values(
            workspace=workspace,
            external_id=external_id,
            display_name=display_name,
            name_key=name_key(display_name),
            created_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[users.c.workspace, users.c.external_id],
            set_={"display_name": display_name, "name_key": name_key(display_name)},
        ).returning(users.c.id)
        async with self.db.write() as conn:
            user_id = (await conn.execute(stmt)).scalar_one()
        return UserRecord(user_id, workspace, external_id, display_name)

    async def find_user(self, workspace: str, name: str) -> UserRecord | None:
        key = name_key(name)
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(users)
                    .where(
                        users.c.workspace == workspace,
                        sa.or_(users.c.name_key == key, users.c.external_id == name),
                    )
                    .order_by(users.c.id)
                    .limit(1)
                )
            ).first()
        return UserRecord(row.id, row.workspace, row.external_id, row.display_name) if row else None

    # -- teams -------------------------------------------------------------------------

    async def create_team(self, workspace: str, name: str, now: dt.datetime) -> TeamRecord | None:
        stmt = (
            self.db.insert(teams)
            .values(workspace=workspace, name=name, name_key=name_key(name), created_at=now)
            .on_conflict_do_nothing()
            .returning(teams.c.id)
        )
        async with self.db.write() as conn:
            team_id = (await conn.execute(stmt)).scalar_one_or_none()
        return TeamRecord(team_id, name) if team_id is not None else None

    async def find_team(self, workspace: str, name: str) -> TeamRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(teams.c.id, teams.c.name).where(
                        teams.c.workspace == workspace,
                        teams.c.name_key == name_key(name),
                        teams.c.deleted.is_(False),
                    )
                )
            ).first()
        return TeamRecord(row.id, row.name) if row else None

    async def _lock_teams(self, conn: AsyncConnection, team_ids: Iterable[int]) -> list[int]:
        """Membership changes of a team queue behind each other on PostgreSQL (SQLite's
        writer lock already does), so each member recount sees every committed change."""
        ids = sorted(set(team_ids))
        if ids:
            await conn.execute(
                sa.select(teams.c.id)
                .where(teams.c.id.in_(ids))
                .order_by(teams.c.id)
                .with_for_update()
            )
        return ids

    async def _recount_members(self, conn: AsyncConnection, team_ids: list[int]) -> None:
        if team_ids:
            count = (
                sa.select(sa.func.count())
                .where(memberships.c.team_id == teams.c.id)
                .scalar_subquery()
            )
            await conn.execute(teams.update().where(teams.c.id.in_(team_ids)).values(members=count))

    async def _membership_for_update(self, conn: AsyncConnection, user_id: int) -> int | None:
        return (
            await conn.execute(
                sa.select(memberships.c.team_id)
                .where(memberships.c.user_id == user_id)
                .with_for_update()
            )
        ).scalar_one_or_none()

    async def delete_team(self, team_id: int) -> None:
        async with self.db.write() as conn:
            # Membership rows before team rows, the order join, leave and forget take them in.
            await conn.execute(
                sa.select(memberships.c.user_id)
                .where(memberships.c.team_id == team_id)
                .order_by(memberships.c.user_id)
                .with_for_update()
            )
            locked = await self._lock_teams(conn, [team_id])
            await conn.execute(memberships.delete().where(memberships.c.team_id == team_id))
            await self._recount_members(conn, locked)
            # Keep the row for past points, free the name for a new team.
            await conn.execute(
                teams.update()
                .where(teams.c.id == team_id)
                .values(
                    deleted=True, name_key=teams.c.name_key + "#" + sa.cast(teams.c.id, sa.String)
                )
            )

    async def team_of(self, user_id: int) -> TeamRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(teams.c.id, teams.c.name)
                    .join(memberships, memberships.c.team_id == teams.c.id)
                    .where(memberships.c.user_id == user_id)
                )
            ).first()
        return TeamRecord(row.id, row.name) if row else None

    async def join_team(self, user_id: int, team_id: int, now: dt.datetime) -> None:
        stmt = self.db.insert(memberships).values(user_id=user_id, team_id=team_id, joined_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[memberships.c.user_id], set_={"team_id": team_id, "joined_at": now}
        )
        async with self.db.write() as conn:
            before = await self._membership_for_update(conn, user_id)
            locked = await self._lock_teams(conn, [team_id, *([before] if before else [])])
            await conn.execute(stmt)
            await self._recount_members(conn, locked)

    async def leave_team(self, user_id: int) -> None:
        async with self.db.write() as conn:
            before = await self._membership_for_update(conn, user_id)
            locked = await self._lock_teams(conn, [before] if before else [])
            await conn.execute(memberships.delete().where(memberships.c.user_id == user_id))
            await self._recount_members(conn, locked)

    async def list_teams(self, workspace: str) -> list[TeamRecord]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        teams.c.id,
                        teams.c.name,
                        teams.c.name_key,
                        users.c.display_name,
                        users.c.name_key.label("member_key"),
                    )
                    .select_from(
                        teams.outerjoin(memberships, memberships.c.team_id == teams.c.id).outerjoin(
                            users, users.c.id == memberships.c.user_id
                        )
                    )
                    .where(teams.c.workspace == workspace, teams.c.deleted.is_(False))
                )
            ).all()
        # Sorted here, not by ORDER BY: text order in SQL follows the database's collation
        # (code points on SQLite, linguistic on a default PostgreSQL); the list must not.
        grouped: dict[int, tuple[str, list[str]]] = {}
        for row in sorted(rows, key=lambda r: (r.name_key, r.member_key or "")):
            entry = grouped.setdefault(row.id, (row.name, []))
            if row.display_name:
                entry[1].append(row.display_name)
        return [TeamRecord(tid, name, tuple(members)) for tid, (name, members) in grouped.items()]

    # -- channels ----------------------------------------------------------------------

    async def get_channel(self, workspace: str, external_id: str) -> ChannelRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(channels).where(
                        channels.c.workspace == workspace, channels.c.external_id == external_id
                    )
                )
            ).first()
        return _channel(row) if row else None

    async def get_channel_by_id(self, channel_id: int) -> ChannelRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(sa.select(channels).where(channels.c.id == channel_id))
            ).first()
        return _channel(row) if row else None

    async def ensure_channel(
        self, platform: str, workspace: str, external_id: str, now: dt.datetime
    ) -> ChannelRecord:
        found = await self.get_channel(workspace, external_id)
        if found is not None:
            return found
        stmt = (
            self.db.insert(channels)
            .values(platform=platform, workspace=workspace, external_id=external_id, updated_at=now)
            .on_conflict_do_nothing()
        )
        async with self.db.write() as conn:
            await conn.execute(stmt)
        found = await self.get_channel(workspace, external_id)
        assert found is not None
        return found

    async def update_channel(
        self, channel_id: int, values: Mapping[str, Any], now: dt.datetime
    ) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                channels.update()
                .where(channels.c.id == channel_id)
                .values(**values, updated_at=now)
            )

    async def enabled_channels(self) -> list[ChannelRecord]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(channels).where(channels.c.enabled.is_(True)).order_by(channels.c.id)
                )
            ).all()
        return [_channel(r) for r in rows]

    # -- daily rounds ------------------------------------------------------------------

    async def create_round(
        self,
        channel: ChannelRecord,
        local_date: dt.date,
        question_id: str,
        order: Iterable[int],
        opened_at: dt.datetime,
        closes_at: dt.datetime,
    ) -> RoundRecord | None:
        """Open the channel's round for `local_date`; None when one exists already."""
        stmt = (
            self.db.insert(rounds)
            .values(
                channel_id=channel.id,
                workspace=channel.workspace,
                local_date=local_date,
                question_id=question_id,
                choice_order=_order_text(order),
                opened_at=opened_at,
                closes_at=closes_at,
            )
            .on_conflict_do_nothing()
            .returning(rounds.c.id)
        )
        async with self.db.write() as conn:
            round_id = (await conn.execute(stmt)).scalar_one_or_none()
        return await self.get_round(round_id) if round_id is not None else None

    async def get_round(self, round_id: int) -> RoundRecord | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(rounds).where(rounds.c.id == round_id))).first()
        return _round(row) if row else None

    async def round_on(self, channel_id: int, local_date: dt.date) -> RoundRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(rounds).where(
                        rounds.c.channel_id == channel_id, rounds.c.local_date == local_date
                    )
                )
            ).first()
        return _round(row) if row else None

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
        return _round(row) if row else None

    async def set_post_ref(self, round_id: int, ref: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(rounds.update().where(rounds.c.id == round_id).values(post_ref=ref))

    async def used_questions(self, channel_id: int) -> set[str]:
        async with self.db.read() as conn:
            rows = (
                (
                    await conn.execute(
                        sa.select(rounds.c.question_id).where(rounds.c.channel_id == channel_id)
                    )
                )
                .scalars()
                .all()
            )
        return set(rows)

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
            return (await conn.execute(stmt)).scalar_one_or_none() is not None

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

    async def submit_daily_answer(self, answer: DailyAnswer) -> DailyAnswerOutcome:
        """Claim the delivery, upsert the user and lock the answer in, as one write shared with
        every answer arriving meanwhile (group commit). `no_channel` writes nothing."""
        return await self._daily_answers.submit(answer)

    def _write_daily_answers(
        self, conn: sa.Connection, batch: Sequence[DailyAnswer]
    ) -> list[DailyAnswerOutcome]:
        # Set-based: four statements per batch in the usual case, whatever its size. Rows are
        # written in key order so two processes writing overlapping keys cannot deadlock.
        out: list[DailyAnswerOutcome | None] = [None] * len(batch)
        places = sorted({(a.workspace, a.channel) for a in batch})
        round_ids = sorted({a.round_id for a in batch})
        # One look-up for the channels and the rounds still open. FOR SHARE (PostgreSQL; the
        # SQLite writer lock already excludes it): a round being closed by another process
        # waits for these answers to commit, or these answers see it closed.
        zones: dict[tuple[str, str], str] = {}
        open_rounds: set[int] = set()
        for r in conn.execute(
            sa.select(
                channels.c.workspace, channels.c.external_id, channels.c.timezone, rounds.c.id
            )
            .select_from(
                channels.join(
                    rounds, sa.and_(rounds.c.id.in_(round_ids), rounds.c.closed_at.is_(None))
                )
            )
            .where(sa.tuple_(channels.c.workspace, channels.c.external_id).in_(places))
            .with_for_update(read=True, of=rounds)
        ):
            zones[(r.workspace, r.external_id)] = r.timezone
            open_rounds.add(r.id)
        unseen = [p for p in places if p not in zones]
        if unseen:  # a channel whose rounds are all closed, or no channel at all
            for row in conn.execute(
                sa.select(channels.c.workspace, channels.c.external_id, channels.c.timezone).where(
                    sa.tuple_(channels.c.workspace, channels.c.external_id).in_(unseen)
                )
            ):
                zones[(row.workspace, row.external_id)] = row.timezone
        live: list[int] = []
        for i, a in enumerate(batch):
            if (a.workspace, a.channel) in zones:
                live.append(i)
            else:
                out[i] = NO_CHANNEL  # the caller takes the general path, which creates it

        # A redelivered event or repeated click id is answered "duplicate" and does nothing else.
        first_delivery: dict[tuple[str, str], int] = {}
        for i in live:
            a = batch[i]
            if a.delivery_id is not None:
                first_delivery.setdefault((a.platform, a.delivery_id), i)
        if first_delivery:
            claimed = {
                (r.platform, r.delivery_id)
                for r in conn.execute(
                    self.db.insert(deliveries)
                    .on_conflict_do_nothing()
                    .returning(deliveries.c.platform, deliveries.c.delivery_id),
                    [
                        {"platform": p, "delivery_id": d, "received_at": batch[i].at}
                        for (p, d), i in sorted(first_delivery.items())
                    ],
                )
            }
            kept = []
            for i in live:
                a = batch[i]
                if a.delivery_id is None:
                    kept.append(i)
                    continue
                delivery = (a.platform, a.delivery_id)
                if first_delivery[delivery] == i and delivery in claimed:
                    kept.append(i)
                else:
                    out[i] = DUPLICATE
            live = kept

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
            inserted = {
                (r.round_id, r.user_id)
                for r in conn.execute(
                    self.db.insert(answers)
                    .on_conflict_do_nothing()
                    .returning(answers.c.round_id, answers.c.user_id),
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
        earlier: dict[tuple[int, int], str] = {}
        taken = sorted(k for k in first_answer if k not in inserted)
        if taken:
            earlier = {
                (r.round_id, r.user_id): r.given
                for r in conn.execute(
                    sa.select(answers.c.round_id, answers.c.user_id, answers.c.given).where(
                        sa.tuple_(answers.c.round_id, answers.c.user_id).in_(taken)
                    )
                )
            }

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

    def _ensure_users(
        self, conn: sa.Connection, wanted: Sequence[DailyAnswer]
    ) -> dict[tuple[str, str], int]:
        """ensure_user for many in one statement: the same rows and names it would leave."""
        names = {(a.workspace, a.external_id): a.display_name for a in wanted}  # last one wins
        if not names:
            return {}
        # Upserting every user (not only the new or renamed) saves a round trip per batch;
        # the row ends the same, and the batch is a write transaction anyway.
        stmt = self.db.insert(users)
        stmt = stmt.on_conflict_do_update(
            index_elements=[users.c.workspace, users.c.external_id],
            set_={"display_name": stmt.excluded.display_name, "name_key": stmt.excluded.name_key},
        ).returning(users.c.id, users.c.workspace, users.c.external_id)
        at = wanted[0].at
        rows = conn.execute(
            stmt,
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

    async def close_round(self, round_id: int, at: dt.datetime, base_points: int) -> bool:
        """Close once, then award points and streaks in the same transaction: a handful of
        set-based statements, whatever the number of answers (the writer is held throughout)."""
        async with self.db.write() as conn:
            closed = await conn.execute(
                rounds.update()
                .where(rounds.c.id == round_id, rounds.c.closed_at.is_(None))
                .values(closed_at=at)
            )
            if closed.rowcount != 1:
                return False
            rnd = _round(
                (await conn.execute(sa.select(rounds).where(rounds.c.id == round_id))).one()
            )
            previous = (
                await conn.execute(
                    sa.select(rounds.c.id)
                    .where(
                        rounds.c.workspace == rnd.workspace,
                        rounds.c.closed_at.is_not(None),
                        rounds.c.id != round_id,
                    )
                    .order_by(rounds.c.closed_at.desc(), rounds.c.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            rows = (
                await conn.execute(
                    sa.select(answers.c.id, answers.c.user_id, answers.c.correct)
                    .where(answers.c.round_id == round_id)
                    .order_by(answers.c.id)
                )
            ).all()
            correct_ids = sorted(r.user_id for r in rows if r.correct)
            streaks: dict[int, Any] = {}
            for chunk in _chunks(correct_ids):
                found = await conn.execute(
                    sa.select(user_stats).where(user_stats.c.user_id.in_(chunk))
                )
                streaks.update({r.user_id: r for r in found})
            stats_rows: list[dict[str, int]] = []
            points_rows: list[dict[str, int]] = []
            awards: list[PointAward] = []
            for row in rows:
                points = 0
                if row.correct:
                    stat = streaks.get(row.user_id)
                    streak = (
                        stat.current_streak + 1
                        if stat and previous is not None and stat.last_streak_round == previous
                        else 1
                    )
                    best = max(streak, stat.best_streak if stat else 0)
                    stats_rows.append(
                        {
                            "user_id": row.user_id,
                            "current_streak": streak,
                            "best_streak": best,
                            "last_streak_round": round_id,
                        }
                    )
                    points = base_points + streak_bonus(streak)
                    points_rows.append({"answer_id": row.id, "new_points": points})
                awards.append(
                    PointAward(row.user_id, points, row.correct, "daily", rnd.local_date, at)
                )
            if stats_rows:
                stmt = self.db.insert(user_stats)
                await conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[user_stats.c.user_id],
                        set_={
                            "current_streak": stmt.excluded.current_streak,
                            "best_streak": stmt.excluded.best_streak,
                            "last_streak_round": stmt.excluded.last_streak_round,
                        },
                    ),
                    sorted(stats_rows, key=lambda r: r["user_id"]),
                )
            if points_rows:
                await conn.execute(
                    answers.update()
                    .where(answers.c.id == sa.bindparam("answer_id"))
                    .values(points=sa.bindparam("new_points")),
                    points_rows,
                )
            await self._award_many(conn, rnd.workspace, awards)
            # Everyone else in the workspace loses their streak: they missed this round.
            right_here = sa.select(answers.c.user_id).where(
                answers.c.round_id == round_id, answers.c.correct.is_(True)
            )
            await conn.execute(
                user_stats.update()
                .where(
                    user_stats.c.current_streak > 0,
                    user_stats.c.user_id.in_(
                        sa.select(users.c.id).where(users.c.workspace == rnd.workspace)
                    ),
                    user_stats.c.user_id.not_in(right_here),
                )
                .values(current_streak=0)
            )
        return True

    async def _award_many(
        self, conn: AsyncConnection, workspace: str, awards: Sequence[PointAward]
    ) -> None:
        """Record point events and move every running total they touch, set-based: the
        totals per user and team and period, the score histogram behind ranks, and each
        team's active members. Keys are written in sorted order, so concurrent transactions
        on PostgreSQL take their row locks in one order and cannot deadlock."""
        if not awards:
            return
        team_of: dict[int, int] = {}
        for chunk in _chunks(sorted({a.user_id for a in awards})):
            found = await conn.execute(
                sa.select(memberships.c.user_id, memberships.c.team_id).where(
                    memberships.c.user_id.in_(chunk)
                )
            )
            team_of.update({r.user_id: r.team_id for r in found})
        events: list[dict[str, Any]] = []
        moved: dict[tuple[str, str, int], list[int]] = {}  # (period, kind, id): points, ok, n
        active: set[tuple[str, int, int]] = set()  # (period, team, user)
        for award in awards:
            team_id = team_of.get(award.user_id)
            week, month = week_key(award.day), month_key(award.day)
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
        await conn.execute(point_events.insert(), events)

        # Only the transaction whose row lands counts a newly active member.
        newly_active: Counter[tuple[str, int]] = Counter()
        if active:
            landed = await conn.execute(
                self.db.insert(team_active)
                .on_conflict_do_nothing()
                .returning(team_active.c.period, team_active.c.team_id),
                [
                    {"workspace": workspace, "period": p, "team_id": t, "user_id": u}
                    for p, t, u in sorted(active)
                ],
            )
            newly_active.update((r.period, r.team_id) for r in landed)

        stmt = self.db.insert(totals)
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
        after = await conn.execute(
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
                    "active": newly_active[(period, subject)] if kind == "team" else 0,
                }
                for (period, kind, subject), change in sorted(moved.items())
            ],
        )
        # A player's (points, correct) moved from one histogram bucket to another; what it
        # was is what it is now less this change.
        buckets: Counter[tuple[str, int, int]] = Counter()
        for r in after:
            if r.kind != "user":
                continue
            change = moved[(r.period, "user", r.subject_id)]
            old = (r.points - change[0], r.correct - change[1])
            if old == (r.points, r.correct):
                continue
            if old[0] > 0:
                buckets[(r.period, *old)] -= 1
            if r.points > 0:
                buckets[(r.period, r.points, r.correct)] += 1
        await self._move_buckets(conn, workspace, buckets)

    async def _move_buckets(
        self, conn: AsyncConnection, workspace: str, buckets: Counter[tuple[str, int, int]]
    ) -> None:
        rows = [
            {"workspace": workspace, "period": p, "points": pts, "correct": ok, "users": n}
            for (p, pts, ok), n in sorted(buckets.items())
            if n
        ]
        if rows:
            stmt = self.db.insert(score_counts)
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[
                        score_counts.c.workspace,
                        score_counts.c.period,
                        score_counts.c.points,
                        score_counts.c.correct,
                    ],
                    set_={"users": score_counts.c.users + stmt.excluded.users},
                ),
                rows,
            )

    # -- quizzes -----------------------------------------------------------------------

    async def active_quiz(self, user_id: int) -> QuizRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(quizzes).where(
                        quizzes.c.user_id == user_id, quizzes.c.active.is_(True)
                    )
                )
            ).first()
        return _quiz(row) if row else None

    async def get_quiz(self, quiz_id: int) -> QuizRecord | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(quizzes).where(quizzes.c.id == quiz_id))).first()
        return _quiz(row) if row else None

    async def start_quiz(
        self,
        user_id: int,
        channel_id: int,
        question_ids: list[str],
        orders: list[tuple[int, ...]],
        now: dt.datetime,
    ) -> QuizRecord | None:
        """Create the user's running quiz; None when one is already running."""
        try:
            async with self.db.write() as conn:
                quiz_id = (
                    await conn.execute(
                        quizzes.insert()
                        .values(
                            user_id=user_id,
                            channel_id=channel_id,
                            question_ids=",".join(question_ids),
                            orders=";".join(_order_text(o) for o in orders),
                            started_at=now,
                        )
                        .returning(quizzes.c.id)
                    )
                ).scalar_one()
        except IntegrityError:
            return None
        return await self.get_quiz(quiz_id)

    async def seen_quiz_questions(self, user_id: int) -> set[str]:
        async with self.db.read() as conn:
            rows = (
                (
                    await conn.execute(
                        sa.select(quiz_answers.c.question_id).where(
                            quiz_answers.c.user_id == user_id
                        )
                    )
                )
                .scalars()
                .all()
            )
        return set(rows)

    async def correct_before(self, user_id: int, question_id: str) -> bool:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(quiz_answers.c.id)
                    .where(
                        quiz_answers.c.user_id == user_id,
                        quiz_answers.c.question_id == question_id,
                        quiz_answers.c.correct.is_(True),
                        quiz_answers.c.gradable.is_(True),
                    )
                    .limit(1)
                )
            ).first()
        return row is not None

    async def quiz_points_on(self, user_id: int, day: dt.date) -> int:
        async with self.db.read() as conn:
            value = (
                await conn.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(point_events.c.points), 0)).where(
                        point_events.c.user_id == user_id,
                        point_events.c.source == "quiz",
                        point_events.c.day == day,
                    )
                )
            ).scalar_one()
        return int(value)

    async def set_awaiting_rating(self, quiz_id: int, position: int) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(
                quizzes.update()
                .where(
                    quizzes.c.id == quiz_id,
                    quizzes.c.active.is_(True),
                    quizzes.c.position == position,
                    quizzes.c.awaiting_rating.is_(False),
                )
                .values(awaiting_rating=True)
            )
        return result.rowcount == 1

    async def record_quiz_answer(
        self,
        quiz: QuizRecord,
        workspace: str,
        question_id: str,
        topic: str,
        gradable: bool,
        given: str,
        correct: bool,
        rating: str | None,
        award: PointAward | None,
        now: dt.datetime,
    ) -> bool:
        """Record the answer to the quiz's current question and move on; False if stale."""
        finished = quiz.position + 1 >= len(quiz.question_ids)
        async with self.db.write() as conn:
            # Advancing on the expected position makes a double submit a no-op.
            moved = await conn.execute(
                quizzes.update()
                .where(
                    quizzes.c.id == quiz.id,
                    quizzes.c.active.is_(True),
                    quizzes.c.position == quiz.position,
                )
                .values(
                    position=quiz.position + 1,
                    awaiting_rating=False,
                    active=not finished,
                    finished_at=now if finished else None,
                )
            )
            if moved.rowcount != 1:
                return False
            await conn.execute(
                quiz_answers.insert().values(
                    quiz_id=quiz.id,
                    user_id=quiz.user_id,
                    question_id=question_id,
                    topic=topic,
                    gradable=gradable,
                    given=given[:300],
                    correct=correct,
                    rating=rating,
                    points=award.points if award else 0,
                    answered_at=now,
                )
            )
            if award is not None:
                await self._award_many(conn, workspace, [award])
        return True

    async def stop_quiz(self, quiz_id: int, now: dt.datetime) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                quizzes.update()
                .where(quizzes.c.id == quiz_id, quizzes.c.active.is_(True))
                .values(active=False, stopped=True, finished_at=now)
            )

    async def quiz_tally(self, quiz_id: int) -> QuizTally:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(sa.select(quiz_answers).where(quiz_answers.c.quiz_id == quiz_id))
            ).all()
        graded = [r for r in rows if r.gradable]
        rated = Counter(r.rating for r in rows if r.rating)
        return QuizTally(
            len(graded),
            sum(1 for r in graded if r.correct),
            sum(r.points for r in rows),
            dict(rated),
        )

    # -- leaderboards and stats ----------------------------------------------------------

    def _user_board(self, workspace: str, period: str) -> sa.Select[Any]:
        return (
            sa.select(totals.c.subject_id, totals.c.points, totals.c.correct, users.c.display_name)
            .join(users, users.c.id == totals.c.subject_id)
            .where(
                totals.c.workspace == workspace,
                totals.c.period == period,
                totals.c.kind == "user",
                totals.c.points > 0,
            )
        )

    async def top_users(self, workspace: str, period: str, limit: int = 10) -> list[BoardEntry]:
        # Ties: more correct answers first, then the earlier player (lower id): deterministic.
        query = (
            self._user_board(workspace, period)
            .order_by(totals.c.points.desc(), totals.c.correct.desc(), totals.c.subject_id)
            .limit(limit)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            BoardEntry(r.subject_id, r.display_name, r.points, r.correct, i)
            for i, r in enumerate(rows, start=1)
        ]

    async def user_rank(self, workspace: str, period: str, user_id: int) -> BoardEntry | None:
        async with self.db.read() as conn:
            mine = (
                await conn.execute(
                    self._user_board(workspace, period).where(totals.c.subject_id == user_id)
                )
            ).first()
            if mine is None:
                return None
            # Ahead: everyone in a better (points, correct) bucket of the histogram, and those
            # tied on both who played first (lower id): a short range of ix_totals_rank.
            ahead = sa.select(sa.func.coalesce(sa.func.sum(score_counts.c.users), 0)).where(
                score_counts.c.workspace == workspace,
                score_counts.c.period == period,
                sa.or_(
                    score_counts.c.points > mine.points,
                    sa.and_(
                        score_counts.c.points == mine.points,
                        score_counts.c.correct > mine.correct,
                    ),
                ),
            )
            tied = sa.select(sa.func.count()).where(
                totals.c.workspace == workspace,
                totals.c.period == period,
                totals.c.kind == "user",
                totals.c.points == mine.points,
                totals.c.correct == mine.correct,
                totals.c.subject_id < user_id,
            )
            better = (
                await conn.execute(sa.select(ahead.scalar_subquery() + tied.scalar_subquery()))
            ).scalar_one()
        return BoardEntry(user_id, mine.display_name, mine.points, mine.correct, int(better) + 1)

    async def team_table(self, workspace: str, period: str) -> list[TeamEntry]:
        # Active and member counts are kept beside the points (see _award_many and the team
        # methods): one row per team, no count over the workspace's players.
        query = (
            sa.select(
                teams.c.id,
                teams.c.name,
                totals.c.points,
                totals.c.active,
                teams.c.members,
            )
            .join(teams, teams.c.id == totals.c.subject_id)
            .where(
                totals.c.workspace == workspace, totals.c.period == period, totals.c.kind == "team"
            )
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        # Rank by points per active member so small teams compete fairly; ties by total, name
        # (then id: a deleted team keeps its name). Plain tuples: a board has a row per team.
        ranked = sorted(
            (
                -(points / active if active else 0),
                -points,
                name.casefold(),
                team,
                name,
                points,
                active,
                members,
            )
            for team, name, points, active, members in rows
        )
        return [TeamEntry(*r[3:], i) for i, r in enumerate(ranked, start=1)]

    async def user_stats(self, user_id: int) -> UserStatsRecord:
        daily = sa.select(answers.c.topic, answers.c.correct).where(answers.c.user_id == user_id)
        quiz = sa.select(quiz_answers.c.topic, quiz_answers.c.correct).where(
            quiz_answers.c.user_id == user_id, quiz_answers.c.gradable.is_(True)
        )
        both = sa.union_all(daily, quiz).subquery()
        query = sa.select(
            both.c.topic,
            sa.func.count().label("n"),
            sa.func.sum(sa.case((both.c.correct, 1), else_=0)).label("ok"),
        ).group_by(both.c.topic)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
            streak = (
                await conn.execute(sa.select(user_stats).where(user_stats.c.user_id == user_id))
            ).first()
        # Sorted here rather than by the database's collation (see list_teams).
        by_topic = tuple(sorted((r.topic, int(r.n), int(r.ok or 0)) for r in rows))
        return UserStatsRecord(
            answered=sum(n for _, n, _ in by_topic),
            correct=sum(ok for _, _, ok in by_topic),
            current_streak=streak.current_streak if streak else 0,
            best_streak=streak.best_streak if streak else 0,
            by_topic=by_topic,
        )

    async def recount(self, workspace: str) -> dict[tuple[str, str, int], int]:
        """Totals recomputed from the raw point events; tests compare it with `totals`."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(point_events).where(point_events.c.workspace == workspace)
                )
            ).all()
        out: Counter[tuple[str, str, int]] = Counter()
        for r in rows:
            for period in ("all", r.week, r.month):
                out[(period, "user", r.user_id)] += r.points
                if r.team_id is not None:
                    out[(period, "team", r.team_id)] += r.points
        return dict(out)

    async def stored_totals(self, workspace: str) -> dict[tuple[str, str, int], int]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(sa.select(totals).where(totals.c.workspace == workspace))
            ).all()
        return {(r.period, r.kind, r.subject_id): r.points for r in rows}

    # -- scheduled work ----------------------------------------------------------------

    async def claim(
        self,
        channel_id: int,
        kind: str,
        period: str,
        now: dt.datetime,
        owner: str,
        status: str = "claimed",
    ) -> bool:
        """True for the one caller (in any process) that takes this piece of work first."""
        stmt = (
            self.db.insert(claims)
            .values(
                channel_id=channel_id,
                kind=kind,
                period=period,
                status=status,
                owner=owner[:64],
                claimed_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(claims.c.id)
        )
        async with self.db.write() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none() is not None

    async def finish_claim(
        self,
        channel_id: int,
        kind: str,
        period: str,
        status: str,
        attempts: int,
        now: dt.datetime,
        message_ref: str | None = None,
        error: str | None = None,
    ) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                claims.update()
                .where(
                    claims.c.channel_id == channel_id,
                    claims.c.kind == kind,
                    claims.c.period == period,
                )
                .values(
                    status=status,
                    attempts=attempts,
                    message_ref=message_ref,
                    error=error[:300] if error else None,
                    updated_at=now,
                )
            )

    async def get_claim(self, channel_id: int, kind: str, period: str) -> ClaimRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(claims).where(
                        claims.c.channel_id == channel_id,
                        claims.c.kind == kind,
                        claims.c.period == period,
                    )
                )
            ).first()
        return _claim(row) if row else None

    async def list_claims(self) -> list[ClaimRecord]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(claims).order_by(claims.c.channel_id, claims.c.kind, claims.c.period)
                )
            ).all()
        return [_claim(r) for r in rows]

    async def rounds_due_to_close(self, now: dt.datetime) -> list[RoundRecord]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(rounds)
                    .where(rounds.c.closed_at.is_(None), rounds.c.closes_at <= now)
                    .order_by(rounds.c.closes_at, rounds.c.id)
                )
            ).all()
        return [_round(r) for r in rows]

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

    async def last_tally(
        self, channel_id: int, before: str
    ) -> tuple[str, dict[int, TallySnapshotRow]] | None:
        """The most recent tally snapshot of the channel for a week before `before`."""
        async with self.db.read() as conn:
            period = (
                await conn.execute(
                    sa.select(sa.func.max(tally_rows.c.period)).where(
                        tally_rows.c.channel_id == channel_id, tally_rows.c.period < before
                    )
                )
            ).scalar_one_or_none()
            if period is None:
                return None
            rows = (
                await conn.execute(
                    sa.select(tally_rows).where(
                        tally_rows.c.channel_id == channel_id, tally_rows.c.period == period
                    )
                )
            ).all()
        return period, {
            r.team_id: TallySnapshotRow(r.team_id, r.rank, r.points, r.active) for r in rows
        }

    async def save_tally(
        self, channel_id: int, period: str, rows: Iterable[TallySnapshotRow]
    ) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                tally_rows.delete().where(
                    tally_rows.c.channel_id == channel_id, tally_rows.c.period == period
                )
            )
            values = [
                {
                    "channel_id": channel_id,
                    "period": period,
                    "team_id": r.team_id,
                    "rank": r.rank,
                    "points": r.points,
                    "active": r.active,
                }
                for r in rows
            ]
            if values:
                await conn.execute(tally_rows.insert(), values)

    # -- deliveries and privacy ----------------------------------------------------------

    async def claim_delivery(self, platform: str, delivery_id: str, now: dt.datetime) -> bool:
        """True the first time a platform delivery id is seen, False for every retry."""
        stmt = (
            self.db.insert(deliveries)
            .values(platform=platform, delivery_id=delivery_id, received_at=now)
            .on_conflict_do_nothing()
            .returning(deliveries.c.delivery_id)
        )
        async with self.db.write() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none() is not None

    async def forget_user(self, user_id: int) -> None:
        """Delete the user and everything that is theirs, and take their points off the totals
        and off every counter kept beside them."""
        async with self.db.write() as conn:
            team = await self._membership_for_update(conn, user_id)
            locked = await self._lock_teams(conn, [team] if team else [])
            events = (
                await conn.execute(sa.select(point_events).where(point_events.c.user_id == user_id))
            ).all()
            team_points: Counter[tuple[str, str, int]] = Counter()
            team_correct: Counter[tuple[str, str, int]] = Counter()
            team_answered: Counter[tuple[str, str, int]] = Counter()
            for e in events:
                if e.team_id is None:
                    continue
                for period in ("all", e.week, e.month):
                    key = (e.workspace, period, e.team_id)
                    team_points[key] += e.points
                    team_correct[key] += int(e.correct)
                    team_answered[key] += 1
            team_active_rows = {
                (r.workspace, r.period, r.team_id)
                for r in await conn.execute(
                    sa.select(team_active).where(team_active.c.user_id == user_id)
                )
            }
            for key in sorted(set(team_points) | team_active_rows):
                workspace, period, team_id = key
                await conn.execute(
                    totals.update()
                    .where(
                        totals.c.workspace == workspace,
                        totals.c.period == period,
                        totals.c.kind == "team",
                        totals.c.subject_id == team_id,
                    )
                    .values(
                        points=totals.c.points - team_points[key],
                        correct=totals.c.correct - team_correct[key],
                        answered=totals.c.answered - team_answered[key],
                        active=totals.c.active - int(key in team_active_rows),
                    )
                )
            buckets: dict[str, Counter[tuple[str, int, int]]] = {}
            for r in await conn.execute(
                sa.select(totals).where(
                    totals.c.kind == "user", totals.c.subject_id == user_id, totals.c.points > 0
                )
            ):
                buckets.setdefault(r.workspace, Counter())[(r.period, r.points, r.correct)] -= 1
            for workspace, moved in sorted(buckets.items()):
                await self._move_buckets(conn, workspace, moved)
            await conn.execute(
                totals.delete().where(totals.c.kind == "user", totals.c.subject_id == user_id)
            )
            await conn.execute(team_active.delete().where(team_active.c.user_id == user_id))
            for table in (point_events, quiz_answers, quizzes, answers, memberships, user_stats):
                await conn.execute(table.delete().where(table.c.user_id == user_id))
            await conn.execute(users.delete().where(users.c.id == user_id))
            await self._recount_members(conn, locked)

    async def counter_drift(self, workspace: str) -> dict[str, list[Any]]:
        """Counters kept beside the totals that disagree with a recount of the rows they
        summarise (empty when all agree); tests and the benchmark loader check it."""
        drift: dict[str, list[Any]] = {}
        async with self.db.read() as conn:
            histogram = {
                (r.period, r.points, r.correct): r.users
                for r in await conn.execute(
                    sa.select(score_counts).where(
                        score_counts.c.workspace == workspace, score_counts.c.users != 0
                    )
                )
            }
            recounted = {
                (r.period, r.points, r.correct): r.n
                for r in await conn.execute(
                    sa.select(
                        totals.c.period,
                        totals.c.points,
                        totals.c.correct,
                        sa.func.count().label("n"),
                    )
                    .where(
                        totals.c.workspace == workspace,
                        totals.c.kind == "user",
                        totals.c.points > 0,
                    )
                    .group_by(totals.c.period, totals.c.points, totals.c.correct)
                )
            }
            if histogram != recounted:
                drift["score_counts"] = sorted(set(histogram.items()) ^ set(recounted.items()))
            active = sa.select(sa.func.count()).where(
                team_active.c.workspace == totals.c.workspace,
                team_active.c.period == totals.c.period,
                team_active.c.team_id == totals.c.subject_id,
            )
            wrong_active = (
                await conn.execute(
                    sa.select(totals.c.period, totals.c.subject_id, totals.c.active).where(
                        totals.c.workspace == workspace,
                        totals.c.kind == "team",
                        totals.c.active != active.scalar_subquery(),
                    )
                )
            ).all()
            if wrong_active:
                drift["active"] = [tuple(r) for r in wrong_active]
            members = sa.select(sa.func.count()).where(memberships.c.team_id == teams.c.id)
            wrong_members = (
                await conn.execute(
                    sa.select(teams.c.id, teams.c.members).where(
                        teams.c.workspace == workspace, teams.c.members != members.scalar_subquery()
                    )
                )
            ).all()
            if wrong_members:
                drift["members"] = [tuple(r) for r in wrong_members]
        return drift
