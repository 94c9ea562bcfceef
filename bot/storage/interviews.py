"""Interview answers: a session advances once per question; words are kept only on request."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.records import CardReview, InterviewAnswerRecord, QuizRecord
from bot.storage.cards import apply_reviews
from bot.storage.database import Database
from bot.storage.quizzes import advance_session
from bot.storage.rows import utc
from bot.storage.tables import interview_answers


class SqlInterviewStore:
    """Graded interview answers: scores always, the user's words only when kept."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_interview_answer(
        self,
        quiz: QuizRecord,
        answer: InterviewAnswerRecord,
        now: dt.datetime,
        workspace: str = "",
        card: CardReview | None = None,
    ) -> bool:
        """Record the graded answer to the session's current question and move on; False if
        the session moved on already (a double submit)."""
        async with self.db.write() as conn:
            if not await advance_session(conn, quiz, now):
                return False
            await conn.execute(
                interview_answers.insert().values(
                    quiz_id=quiz.id,
                    user_id=quiz.user_id,
                    question_id=answer.question_id,
                    topic=answer.topic,
                    covered=answer.covered,
                    total=answer.total,
                    points=answer.points,
                    grader=answer.grader,
                    answer=answer.answer if quiz.keep else None,
                    answered_at=now,
                )
            )
            if card is not None:  # the review card, in the answer's transaction
                await conn.run_sync(lambda c: apply_reviews(self.db, c, workspace, [card]))
        return True

    async def interview_history(self, user_id: int, limit: int = 20) -> list[InterviewAnswerRecord]:
        """The user's newest graded interview answers, newest first."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(interview_answers)
                    .where(interview_answers.c.user_id == user_id)
                    .order_by(interview_answers.c.answered_at.desc(), interview_answers.c.id.desc())
                    .limit(limit)
                )
            ).all()
        return [
            InterviewAnswerRecord(
                r.question_id,
                r.topic,
                r.covered,
                r.total,
                r.points,
                r.grader,
                r.answer,
                utc(r.answered_at),
            )
            for r in rows
        ]

    async def seen_interview_questions(self, user_id: int) -> set[str]:
        async with self.db.read() as conn:
            found = await conn.execute(
                sa.select(interview_answers.c.question_id).where(
                    interview_answers.c.user_id == user_id
                )
            )
            return set(found.scalars().all())
