"""The fan-out's short writes (claims, rounds) on SQLite: those that meet share one commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa

from bot.storage.batch import WriteBatcher
from bot.storage.database import Database

T = TypeVar("T")
Body = Callable[[sa.Connection], Any]


class ShortWrites:
    """Runs a short synchronous write body (a few indexed statements) as its own transaction,
    or, on SQLite, in one transaction with the bodies other channels queued meanwhile.

    A fan-out makes four or five such writes per channel (claim, round, attempt, reference,
    done), each a transaction of its own: BEGIN, the statement, COMMIT and a pooled
    connection's checkout cost more than the statement itself. When the writer is busy,
    the bodies waiting for it are written together (the database's WriteGroup, which the
    answers share), and each caller resumes only once its body is committed, so a claim
    or an attempt is on disk before its platform request, as before. PostgreSQL has no
    process-wide writer to wait for: its bodies run as their own transactions, side by side.
    A body must touch only the database; it may run again after a batch's rollback.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._batcher: WriteBatcher[Body, Any] | None = (
            WriteBatcher(db, _run_all) if db.sqlite else None
        )

    @classmethod
    def of(cls, db: Database) -> ShortWrites:
        return db.companion(cls, lambda: cls(db))

    async def write(self, body: Callable[[sa.Connection], T]) -> T:
        if self._batcher is None:
            return await self.db.write_sync(body, short=True)
        return cast(T, await self._batcher.submit(body))


def _run_all(conn: sa.Connection, bodies: Sequence[Body]) -> list[Any]:
    return [body(conn) for body in bodies]
