"""Admin rescoring: void and rekey, retiring questions, the audit trail, private notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

import sqlalchemy as sa

from bot.records import AuditRecord, PendingNote, RescoreOutcome, RescoreRequest
from bot.storage.audit_tables import audit_log, private_notes
from bot.storage.bulk import fetch
from bot.storage.database import Database
from bot.storage.deck_tables import workspace_disabled
from bot.storage.decks import bump_version
from bot.storage.rescore import rescore_round
from bot.storage.rows import channel_record, utc
from bot.storage.tables import channels, rounds, users
from bot.workspace_bank import QUESTION

NOTES_PER_TICK = 200


class SqlAuditStore:
    """The rescoring actions, each one transaction with its audit row."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def rescore(self, req: RescoreRequest) -> RescoreOutcome:
        return await self.db.write_sync(partial(rescore_round, self.db, req=req))

    async def retire(
        self, workspace: str, question_id: str, actor_ref: str, actor_name: str, at: dt.datetime
    ) -> bool:
        """Take the question out of the workspace's bank (a row of kind `question` among
        what it disabled, and a new bank version, so every process rebuilds its bank on the
        next command); False if it was out already."""
        async with self.db.write() as conn:
            landed = (
                await conn.execute(
                    self.db.insert(workspace_disabled)
                    .values(
                        workspace=workspace,
                        kind=QUESTION,
                        item=question_id,
                        created_by=actor_ref,
                        created_at=at,
                    )
                    .on_conflict_do_nothing()
                    .returning(workspace_disabled.c.item)
                )
            ).scalar_one_or_none()
            if landed is None:
                return False
            await bump_version(self.db, conn, workspace)
            await conn.execute(
                audit_log.insert().values(
                    workspace=workspace,
                    actor_ref=actor_ref,
                    actor_name=actor_name,
                    action="retire",
                    question_id=question_id,
                    created_at=at,
                )
            )
        return True

    async def list_audit(self, workspace: str, offset: int, limit: int) -> list[AuditRecord]:
        """The workspace's audit rows, latest first."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(audit_log)
                    .where(audit_log.c.workspace == workspace)
                    .order_by(audit_log.c.id.desc())
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return [
            AuditRecord(
                r.id,
                r.actor_name,
                r.action,
                r.round_id,
                r.question_id,
                r.detail,
                r.users,
                r.points_before,
                r.points_after,
                utc(r.created_at),
            )
            for r in rows
        ]

    async def rounds_asking(
        self, workspace: str, question_ids: Sequence[str]
    ) -> dict[str, list[int]]:
        """The workspace's rounds that asked each question, newest first."""
        if not question_ids:
            return {}
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(rounds.c.id, rounds.c.question_id)
                    .where(
                        rounds.c.workspace == workspace,
                        rounds.c.question_id.in_(sorted(set(question_ids))),
                    )
                    .order_by(rounds.c.id.desc())
                )
            ).all()
        found: dict[str, list[int]] = {}
        for r in rows:
            found.setdefault(r.question_id, []).append(r.id)
        return found

    async def actions_on(
        self, workspace: str, question_ids: Sequence[str]
    ) -> dict[str, list[tuple[str, int]]]:
        """The audited actions (action, audit id) on each question, oldest first."""
        if not question_ids:
            return {}
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(audit_log.c.id, audit_log.c.action, audit_log.c.question_id)
                    .where(
                        audit_log.c.workspace == workspace,
                        audit_log.c.question_id.in_(sorted(set(question_ids))),
                    )
                    .order_by(audit_log.c.id)
                )
            ).all()
        found: dict[str, list[tuple[str, int]]] = {}
        for r in rows:
            found.setdefault(r.question_id, []).append((r.action, r.id))
        return found

    async def take_notes(
        self, platforms: Sequence[str], limit: int = NOTES_PER_TICK
    ) -> list[PendingNote]:
        """Notes not yet sent on these platforms, marked sent in the same transaction: each
        goes out at most once, whichever process takes it."""
        if not platforms:
            return []
        # Every tick asks: a read through the index answers "none" without taking the writer.
        async with self.db.read() as conn:
            waiting = await conn.execute(
                sa.select(private_notes.c.id).where(private_notes.c.sent_at.is_(None)).limit(1)
            )
            if waiting.first() is None:
                return []
        async with self.db.write() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        private_notes.c.id.label("note_id"),
                        private_notes.c.text.label("note_text"),
                        users.c.external_id.label("user_ref"),
                        channels,
                    )
                    .join(users, users.c.id == private_notes.c.user_id)
                    .join(channels, channels.c.id == private_notes.c.channel_id)
                    .where(private_notes.c.sent_at.is_(None), channels.c.platform.in_(platforms))
                    .order_by(private_notes.c.id)
                    .limit(limit)
                    .with_for_update(of=private_notes, skip_locked=True)
                )
            ).all()
            if not rows:
                return []
            await conn.execute(
                private_notes.update()
                .where(private_notes.c.id.in_([r.note_id for r in rows]))
                .values(sent_at=sa.func.now())
            )
        return [PendingNote(r.note_id, channel_record(r), r.user_ref, r.note_text) for r in rows]

    async def regrade_inputs(self, round_id: int) -> list[tuple[int, str, bool]]:
        """(user id, answer as given, correct now) of every answer to the round."""
        async with self.db.read() as conn:
            # Ten thousand rows: read through the driver in one fetch (bulk.fetch).
            rows = await conn.run_sync(
                lambda sync: fetch(
                    sync,
                    "SELECT user_id, given, correct FROM answers WHERE round_id = ?",
                    (round_id,),
                )
            )
        return [(user, given, bool(correct)) for user, given, correct in rows]
