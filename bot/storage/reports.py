"""Reports: users flag a question; admins and deck maintainers read the queue."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.records import ReportRecord, SeenQuestion
from bot.storage.database import Database
from bot.storage.rows import utc
from bot.storage.tables import answers, quiz_answers, reports, rounds, users


class SqlReportStore:
    """Question reports, one per user and question (a second report updates the first)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def last_answered(self, user_id: int) -> SeenQuestion | None:
        """The question the user answered last, in a quiz or a daily round."""
        quiz = (
            sa.select(
                quiz_answers.c.question_id,
                sa.literal("quiz").label("source"),
                quiz_answers.c.given,
                quiz_answers.c.answered_at.label("at"),
                quiz_answers.c.id.label("seq"),
            )
            .where(quiz_answers.c.user_id == user_id)
            .order_by(quiz_answers.c.answered_at.desc(), quiz_answers.c.id.desc())
            .limit(1)
        )
        daily = (
            sa.select(
                rounds.c.question_id,
                sa.literal("daily").label("source"),
                answers.c.given,
                answers.c.answered_at.label("at"),
                answers.c.id.label("seq"),
            )
            .join(rounds, rounds.c.id == answers.c.round_id)
            .where(answers.c.user_id == user_id)
            .order_by(answers.c.answered_at.desc(), answers.c.id.desc())
            .limit(1)
        )
        async with self.db.read() as conn:
            found = [(await conn.execute(query)).first() for query in (quiz, daily)]
        rows = [r for r in found if r is not None]
        if not rows:
            return None
        latest = max(rows, key=lambda r: utc(r.at))
        return SeenQuestion(latest.question_id, latest.source, latest.given, utc(latest.at))

    async def add_report(
        self,
        workspace: str,
        user_id: int,
        seen: SeenQuestion,
        reason: str,
        now: dt.datetime,
    ) -> bool:
        """Store the report; True when new, False when it replaced the user's earlier one."""
        values = {
            "source": seen.source,
            "given": seen.given[:300] if seen.given is not None else None,
            "reason": reason[:500],
            "created_at": now,
        }
        async with self.db.write() as conn:
            updated = await conn.execute(
                reports.update()
                .where(reports.c.user_id == user_id, reports.c.question_id == seen.question_id)
                .values(**values)
            )
            if updated.rowcount:
                return False
            await conn.execute(
                self.db.insert(reports)
                .values(
                    workspace=workspace, user_id=user_id, question_id=seen.question_id, **values
                )
                .on_conflict_do_nothing()
            )
        return True

    async def list_reports(self, workspace: str | None, limit: int = 20) -> list[ReportRecord]:
        """The newest reports of a workspace (or of every workspace), newest first."""
        query = (
            sa.select(reports, users.c.display_name)
            .join(users, users.c.id == reports.c.user_id)
            .order_by(reports.c.created_at.desc(), reports.c.id.desc())
            .limit(limit)
        )
        if workspace is not None:
            query = query.where(reports.c.workspace == workspace)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            ReportRecord(
                r.id,
                r.workspace,
                r.display_name,
                r.question_id,
                r.source,
                r.given,
                r.reason,
                utc(r.created_at),
            )
            for r in rows
        ]
