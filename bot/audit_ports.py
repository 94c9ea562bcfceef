"""The store port of admin rescoring (void, rekey, retire), its audit trail and notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from bot.records import AuditRecord, PendingNote, RescoreOutcome, RescoreRequest


class AuditStore(Protocol):
    """Rescoring a closed round exactly, retired questions, the audit trail, private notes."""

    async def rescore(self, req: RescoreRequest) -> RescoreOutcome:
        """Void or rekey the round and recompute everything that follows from it, with its
        audit row and the players' notes, in one transaction."""
        ...

    async def retire(
        self, workspace: str, question_id: str, actor_ref: str, actor_name: str, at: dt.datetime
    ) -> bool:
        """Take the question out of the workspace's rotation (its bank: the version moves),
        with the audit row; False if it was out already."""
        ...

    async def list_audit(self, workspace: str, offset: int, limit: int) -> list[AuditRecord]:
        """The workspace's audit rows, latest first."""
        ...

    async def rounds_asking(
        self, workspace: str, question_ids: Sequence[str]
    ) -> dict[str, list[int]]:
        """The workspace's rounds that asked each question, newest first."""
        ...

    async def actions_on(
        self, workspace: str, question_ids: Sequence[str]
    ) -> dict[str, list[tuple[str, int]]]:
        """The audited actions (action, audit id) on each question, oldest first."""
        ...

    async def take_notes(self, platforms: Sequence[str], limit: int = 200) -> list[PendingNote]:
        """Unsent notes of these platforms, marked sent as they are taken (at most once)."""
        ...

    async def regrade_inputs(self, round_id: int) -> list[tuple[int, str, bool]]:
        """(user id, answer as given, correct now) of every answer to the round."""
        ...
