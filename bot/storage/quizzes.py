"""Solo quizzes: one running per user, answers that advance it exactly once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.records import (
    CardReview,
    PointAward,
    QuizAnswer,
    QuizRecord,
    QuizTally,
)
from bot.storage.awards import award_many
from bot.storage.cards import apply_reviews
from bot.storage.database import Database
from bot.storage.rows import (
    order_text,
    quiz_record,
)
from bot.storage.tables import (
    answers,
    point_events,
    quiz_answers,
    quizzes,
    rounds,
)


class SqlQuizStore:
    """Running and finished quizzes and their answers."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def active_quiz(self, user_id: int) -> QuizRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(quizzes).where(
                        quizzes.c.user_id == user_id, quizzes.c.active.is_(True)
                    )
                )
            ).first()
        return quiz_record(row) if row else None

    async def get_quiz(self, quiz_id: int) -> QuizRecord | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(quizzes).where(quizzes.c.id == quiz_id))).first()
        return quiz_record(row) if row else None

    async def start_quiz(
        self,
        user_id: int,
        channel_id: int,
        question_ids: list[str],
        orders: list[tuple[int, ...]],
        now: dt.datetime,
        kind: str = "quiz",
        keep: bool = False,
    ) -> QuizRecord | None:
        """Create the user's running quiz (or interview); None when one is already running."""
        try:
            async with self.db.write() as conn:
                quiz_id = (
                    await conn.execute(
                        quizzes.insert()
                        .values(
                            user_id=user_id,
                            channel_id=channel_id,
                            question_ids=",".join(question_ids),
                            orders=";".join(order_text(o) for o in orders),
                            started_at=now,
                            kind=kind,
                            keep=keep,
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
        """Whether the user answered this question correctly before: in a quiz, or as a daily
        question whose round has closed (an open round's result stays private until its
        reveal, so it must not show through a quiz's score)."""
        quiz = sa.select(quiz_answers.c.id).where(
            quiz_answers.c.user_id == user_id,
            quiz_answers.c.question_id == question_id,
            quiz_answers.c.correct.is_(True),
            quiz_answers.c.gradable.is_(True),
        )
        daily = (
            sa.select(answers.c.id)
            .join(rounds, rounds.c.id == answers.c.round_id)
            .where(
                answers.c.user_id == user_id,
                answers.c.correct.is_(True),
                rounds.c.question_id == question_id,
                rounds.c.closed_at.is_not(None),
                rounds.c.voided_at.is_(None),
            )
        )
        async with self.db.read() as conn:
            found = await conn.execute(sa.select(sa.or_(sa.exists(quiz), sa.exists(daily))))
            return bool(found.scalar_one())

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
        card: CardReview | None = None,
    ) -> bool:
        """Record the answer to the quiz's current question and move on; False if stale.
        The user's review card for the question is scheduled anew in the same transaction."""
        async with self.db.write() as conn:
            if not await advance_session(conn, quiz, now):
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
                await award_many(self.db, conn, workspace, [award])
            if card is not None:
                await conn.run_sync(lambda c: apply_reviews(self.db, c, workspace, [card]))
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

    async def quiz_answer(self, quiz_id: int, question_id: str) -> QuizAnswer | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(quiz_answers).where(
                        quiz_answers.c.quiz_id == quiz_id,
                        quiz_answers.c.question_id == question_id,
                    )
                )
            ).first()
        if row is None:
            return None
        return QuizAnswer(row.user_id, row.given, row.correct, row.rating, row.points)


async def advance_session(conn: AsyncConnection, quiz: QuizRecord, now: dt.datetime) -> bool:
    """Move a quiz or interview past its current question, finishing it after the last; False
    when it is no longer there (advancing on the expected position makes a double submit a
    no-op). Runs inside the caller's transaction, beside the answer it records."""
    finished = quiz.position + 1 >= len(quiz.question_ids)
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
    return bool(moved.rowcount == 1)
