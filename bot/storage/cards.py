"""Review cards: FSRS updates inside an answer's transaction, due reads, streaks, reminders."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bot.records import CardRecord, CardReview, LearnerRecord, ReminderRecord
from bot.review import ReviewPolicy, reviewed
from bot.storage.database import Database
from bot.storage.review_tables import cards, learners, review_settings
from bot.storage.rows import chunks, utc
from bot.storage.tables import channels, quiz_answers, quizzes, users

CARD_COLUMNS = (
    "topic",
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
)


def card_record(row: Any) -> CardRecord:
    return CardRecord(
        user_id=row.user_id,
        question_id=row.question_id,
        topic=row.topic,
        state=row.state,
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=utc(row.due),
        last_review=utc(row.last_review) if row.last_review else None,
        reps=row.reps,
        lapses=row.lapses,
    )


def learner_record(row: Any) -> LearnerRecord:
    return LearnerRecord(
        user_id=row.user_id,
        streak=row.streak,
        best_streak=row.best_streak,
        last_study_day=row.last_study_day,
        remind_time=row.remind_time,
        remind_zone=row.remind_zone,
        remind_next_at=utc(row.remind_next_at) if row.remind_next_at else None,
        remind_channel_id=row.remind_channel_id,
    )


def policy_of(conn: sa.Connection, workspace: str) -> ReviewPolicy:
    row = conn.execute(
        sa.select(review_settings).where(review_settings.c.workspace == workspace)
    ).first()
    default = ReviewPolicy()
    if row is None:
        return default
    return ReviewPolicy(
        row.retention if row.retention is not None else default.retention,
        row.maximum_interval if row.maximum_interval is not None else default.maximum_interval,
    )


def apply_reviews(
    db: Database, conn: sa.Connection, workspace: str, reviews: Sequence[CardReview]
) -> None:
    """Schedule each reviewed card anew with FSRS, inside the caller's transaction (the one
    that records the answers), and keep the study streak of `review` answers."""
    if not reviews:
        return
    policy = policy_of(conn, workspace)
    ordered = sorted(reviews, key=lambda r: (r.user_id, r.question_id, r.at))
    current: dict[tuple[int, str], CardRecord] = {}
    for qid in sorted({r.question_id for r in ordered}):
        users = sorted({r.user_id for r in ordered if r.question_id == qid})
        for chunk in chunks(users):
            found = conn.execute(
                sa.select(cards).where(cards.c.question_id == qid, cards.c.user_id.in_(chunk))
            )
            current.update({(r.user_id, r.question_id): card_record(r) for r in found})
    # A close reviews many cards alike (new, same rating, same instant): FSRS runs once per
    # distinct schedule, which keeps a chunk's transaction short.
    alike: dict[tuple[Any, ...], CardRecord] = {}
    for r in ordered:
        key = (r.user_id, r.question_id)
        card = current.get(key)
        state = None if card is None else dataclasses.replace(card, user_id=0, question_id="")
        memo = (state, r.topic, r.rating, r.at)
        if memo not in alike:
            alike[memo] = reviewed(state, 0, "", r.topic, r.rating, r.at, policy)
        current[key] = dataclasses.replace(
            alike[memo], user_id=r.user_id, question_id=r.question_id
        )
    rows = [
        {
            "user_id": c.user_id,
            "question_id": c.question_id,
            **{k: getattr(c, k) for k in CARD_COLUMNS},
        }
        for c in (current[k] for k in sorted({(r.user_id, r.question_id) for r in ordered}))
    ]
    stmt = db.insert(cards)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[cards.c.user_id, cards.c.question_id],
            set_={k: stmt.excluded[k] for k in CARD_COLUMNS},
        ),
        rows,
    )
    for r in ordered:
        if r.study_day is not None:
            _keep_streak(db, conn, r.user_id, r.study_day)


def _keep_streak(db: Database, conn: sa.Connection, user_id: int, day: dt.date) -> None:
    """A day with at least one review extends the streak; a day missed starts it again."""
    row = conn.execute(sa.select(learners).where(learners.c.user_id == user_id)).first()
    if row is not None and row.last_study_day == day:
        return
    yesterday = day - dt.timedelta(days=1)
    streak = row.streak + 1 if row is not None and row.last_study_day == yesterday else 1
    best = max(streak, row.best_streak if row is not None else 0)
    stmt = db.insert(learners).values(
        user_id=user_id, streak=streak, best_streak=best, last_study_day=day
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[learners.c.user_id],
            set_={"streak": streak, "best_streak": best, "last_study_day": day},
        )
    )


class SqlCardStore:
    """Review cards, the study streak, reminders and the workspace's review settings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def review_answers(
        self, user_id: int, since: dt.datetime
    ) -> list[tuple[dt.datetime, bool]]:
        """The user's answers in `review` sessions since `since`, oldest first: when, and
        whether the card was recalled (right, or a flashcard rated got it or partly)."""
        recalled = sa.or_(quiz_answers.c.correct, quiz_answers.c.rating.in_(("got", "partly")))
        query = (
            sa.select(quiz_answers.c.answered_at, recalled)
            .select_from(quiz_answers.join(quizzes, quizzes.c.id == quiz_answers.c.quiz_id))
            .where(
                quiz_answers.c.user_id == user_id,
                quizzes.c.kind == "review",
                quiz_answers.c.answered_at >= since,
            )
            .order_by(quiz_answers.c.answered_at)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [(utc(at), bool(ok)) for at, ok in rows]

    async def review(self, workspace: str, reviews: Sequence[CardReview]) -> None:
        """Apply reviews in a transaction of their own (tests, imports)."""
        await self.db.write_sync(lambda conn: apply_reviews(self.db, conn, workspace, reviews))

    async def due_cards(
        self, user_id: int, before: dt.datetime, limit: int = 200
    ) -> list[CardRecord]:
        """The user's cards due before `before`, most overdue first (a hot read: one hop to
        a reader thread on SQLite)."""
        query = (
            sa.select(cards)
            .where(cards.c.user_id == user_id, cards.c.due < before)
            .order_by(cards.c.due, cards.c.question_id)
            .limit(limit)
        )
        return await self.db.read_sync(lambda conn: [card_record(r) for r in conn.execute(query)])

    async def next_due(self, user_id: int, after: dt.datetime) -> CardRecord | None:
        """The user's first card due at or after `after`: one probe of (user_id, due)."""
        query = (
            sa.select(cards)
            .where(cards.c.user_id == user_id, cards.c.due >= after)
            .order_by(cards.c.due)
            .limit(1)
        )

        def read(conn: sa.Connection) -> CardRecord | None:
            row = conn.execute(query).first()
            return card_record(row) if row else None

        return await self.db.read_sync(read)

    async def user_cards(self, user_id: int) -> list[CardRecord]:
        async with self.db.read() as conn:
            rows = await conn.execute(sa.select(cards).where(cards.c.user_id == user_id))
            return [card_record(r) for r in rows]

    async def get_card(self, user_id: int, question_id: str) -> CardRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(cards).where(
                        cards.c.user_id == user_id, cards.c.question_id == question_id
                    )
                )
            ).first()
        return card_record(row) if row else None

    async def learner(self, user_id: int) -> LearnerRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(sa.select(learners).where(learners.c.user_id == user_id))
            ).first()
        return learner_record(row) if row else None

    async def policy(self, workspace: str) -> ReviewPolicy:
        async with self.db.read() as conn:
            return await conn.run_sync(lambda c: policy_of(c, workspace))

    async def set_policy(
        self,
        workspace: str,
        now: dt.datetime,
        retention: float | None = None,
        maximum_interval: int | None = None,
    ) -> None:
        """Change one setting of the workspace, keeping the other."""
        values: dict[str, Any] = {"updated_at": now}
        if retention is not None:
            values["retention"] = retention
        if maximum_interval is not None:
            values["maximum_interval"] = maximum_interval
        stmt = self.db.insert(review_settings).values(workspace=workspace, **values)
        async with self.db.write() as conn:
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[review_settings.c.workspace], set_=values
                )
            )

    async def set_reminder(
        self,
        user_id: int,
        remind_time: str | None,
        zone: str | None,
        channel_id: int | None,
        next_at: dt.datetime | None,
    ) -> bool:
        """Set (or with None, clear) the user's daily reminder; False when clearing found none."""
        values = {
            "remind_time": remind_time,
            "remind_zone": zone,
            "remind_channel_id": channel_id,
            "remind_next_at": next_at,
        }
        async with self.db.write() as conn:
            if remind_time is None:
                cleared = await conn.execute(
                    learners.update()
                    .where(learners.c.user_id == user_id, learners.c.remind_time.is_not(None))
                    .values(**values)
                )
                return bool(cleared.rowcount == 1)
            stmt = self.db.insert(learners).values(user_id=user_id, **values)
            await conn.execute(
                stmt.on_conflict_do_update(index_elements=[learners.c.user_id], set_=values)
            )
        return True

    async def due_reminders(
        self, now: dt.datetime, platforms: Sequence[str], limit: int = 500
    ) -> list[ReminderRecord]:
        """Reminders on `platforms` whose next instant has come (the index on remind_next_at)."""
        query = (
            sa.select(
                learners.c.user_id,
                learners.c.remind_time,
                learners.c.remind_zone,
                learners.c.remind_next_at,
                users.c.external_id,
                channels.c.platform,
                channels.c.workspace,
                channels.c.external_id.label("channel"),
            )
            .join(users, users.c.id == learners.c.user_id)
            .join(channels, channels.c.id == learners.c.remind_channel_id)
            .where(learners.c.remind_next_at <= now, channels.c.platform.in_(list(platforms)))
            .order_by(learners.c.remind_next_at, learners.c.user_id)
            .limit(limit)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            ReminderRecord(
                r.user_id,
                r.external_id,
                r.platform,
                r.workspace,
                r.channel,
                r.remind_time,
                r.remind_zone,
                utc(r.remind_next_at),
            )
            for r in rows
        ]

    async def take_reminder(
        self, user_id: int, expected: dt.datetime, next_at: dt.datetime
    ) -> bool:
        """Move the user's reminder from `expected` to `next_at`; True for the one caller (in
        any process) that moved it, which then sends today's reminder."""
        async with self.db.write() as conn:
            moved = await conn.execute(
                learners.update()
                .where(learners.c.user_id == user_id, learners.c.remind_next_at == expected)
                .values(remind_next_at=next_at)
            )
        return bool(moved.rowcount == 1)

    async def next_reminder_at(self, after: dt.datetime) -> dt.datetime | None:
        async with self.db.read() as conn:
            found = (
                await conn.execute(
                    sa.select(sa.func.min(learners.c.remind_next_at)).where(
                        learners.c.remind_next_at > after
                    )
                )
            ).scalar_one_or_none()
        return utc(found) if found is not None else None
