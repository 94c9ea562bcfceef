"""Group commit: concurrent write requests share one transaction of the database's one writer."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa

from bot.storage.database import Database

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")
Run = Callable[[sa.Connection, Sequence[Item]], Sequence[Result]]
# One batcher's share of a writer turn: its items and their futures.
Share = tuple["WriteBatcher[Any, Any]", list[tuple[Any, "asyncio.Future[Any]"]]]


class WriteBatcher(Generic[Item, Result]):
    """Queues requests of one kind; the database's WriteGroup writes them in batches.

    Nothing waits on purpose: a request that finds the writer idle goes alone, and whatever
    arrives while a batch commits forms the next one. So a quiet bot answers with one small
    transaction, and a burst pays one commit (and a few set-based statements) per batch
    instead of several transactions per request. `run` must return one result per item, in
    order, and touch only the database (a failed batch is rolled back and run again); it is
    synchronous so that on SQLite the whole batch runs in one hop to the writer thread.
    """

    def __init__(self, db: Database, run: Run[Item, Result], max_batch: int = 500) -> None:
        self.run = run
        self.max_batch = max_batch
        # SQLite has one writer per file, so every kind shares its turns; PostgreSQL takes
        # row locks itself, and each kind drains on its own connection, side by side.
        self.group = WriteGroup.of(db) if db.sqlite else WriteGroup(db)
        self.group.join(self)
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self.group.wake()
        return await future

    async def idle(self) -> None:
        """Wait until every queued request is written (used before the engine is closed)."""
        await self.group.idle()

    def take(self) -> list[tuple[Item, asyncio.Future[Result]]]:
        batch = self._pending[: self.max_batch]
        del self._pending[: self.max_batch]
        return batch

    def fail_all(self, error: BaseException) -> None:
        for _, future in self._pending:
            _fail(future, error)
        self._pending.clear()

    @property
    def waiting(self) -> bool:
        return bool(self._pending)


class WriteGroup:
    """Batchers drain through here. On SQLite every batcher of the database shares one group:
    each writer turn takes what all of them have queued (an interaction's inbox row, another's
    answer, a third's outcome) and writes it in one transaction, so a burst pays one commit
    per turn, not one per kind. On PostgreSQL each batcher has a group of its own."""

    _groups: ClassVar[weakref.WeakKeyDictionary[Database, WriteGroup]] = weakref.WeakKeyDictionary()

    def __init__(self, db: Database) -> None:
        self.db = db
        self._members: list[WriteBatcher[Any, Any]] = []
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, db: Database) -> WriteGroup:
        group = cls._groups.get(db)
        if group is None:
            group = cls._groups[db] = cls(db)
        return group

    def join(self, batcher: WriteBatcher[Any, Any]) -> None:
        self._members.append(batcher)

    def wake(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def idle(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _drain(self) -> None:
        while any(b.waiting for b in self._members):
            turn: list[Share] = [(b, b.take()) for b in self._members if b.waiting]
            try:
                await self._write(turn)
            except BaseException:
                # Cancelled (shutdown): nobody may wait forever on a request never written.
                stopped = RuntimeError("the writer stopped before this request was written")
                for _, batch in turn:
                    for _, future in batch:
                        _fail(future, stopped)
                for b in self._members:
                    b.fail_all(stopped)
                raise

    async def _write(self, turn: list[Share]) -> None:
        def body(conn: sa.Connection) -> list[Sequence[Any]]:
            return [b.run(conn, [item for item, _ in batch]) for b, batch in turn]

        try:
            results = await self.db.write_sync(body, short=True)
        except Exception as exc:
            if len(turn) == 1 and len(turn[0][1]) == 1:
                _fail(turn[0][1][0][1], exc)
                return
            # One bad request must not fail its neighbours: write each alone, so only the
            # request that caused the error receives it.
            log.debug("write turn of %d kinds failed (%r); writing one by one", len(turn), exc)
            for b, batch in turn:
                for item, future in batch:
                    await self._write_one(b, item, future)
            return
        for (_, batch), outcome in zip(turn, results, strict=True):
            for (_, future), result in zip(batch, outcome, strict=True):
                _resolve(future, result)

    async def _write_one(
        self, batcher: WriteBatcher[Any, Any], item: Any, future: asyncio.Future[Any]
    ) -> None:
        try:
            [result] = await self.db.write_sync(lambda conn: batcher.run(conn, [item]), short=True)
        except Exception as single:
            _fail(future, single)
        else:
            _resolve(future, result)


# A done future means the caller went away (cancelled); the write stands regardless.


def _resolve(future: asyncio.Future[Result], result: Result) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[Result], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
