"""Group commit: concurrent write requests share one transaction of the database's one writer."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

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

    def __init__(
        self, db: Database, run: Run[Item, Result], max_batch: int = 500, lanes: int = 1
    ) -> None:
        self.run = run
        self.max_batch = max_batch
        # SQLite has one writer per file, so every kind shares its turns; PostgreSQL takes
        # row locks itself, and each kind drains on its own connection, side by side, in up
        # to `lanes` batches at once (one at the server while the next is prepared).
        self.group = WriteGroup.of(db) if db.sqlite else WriteGroup(db, lanes)
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

    def take(self, share: int = 1) -> list[tuple[Item, asyncio.Future[Result]]]:
        """The next batch: a `share`-th of what waits (lanes free to write the rest)."""
        size = min(self.max_batch, math.ceil(len(self._pending) / share))
        batch = self._pending[:size]
        del self._pending[:size]
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
    per turn, not one per kind. On PostgreSQL each batcher has a group of its own, with up
    to `lanes` batches written at once, each on its own connection: while one is at the
    server the next is prepared, and what waits is split between the lanes free to take
    it. Exactly once is the tables' unique keys' to decide, as between two processes."""

    def __init__(self, db: Database, lanes: int = 1) -> None:
        self.db = db
        self.lanes = lanes
        self._members: list[WriteBatcher[Any, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._writing = 0  # lanes whose batch is being written

    @classmethod
    def of(cls, db: Database) -> WriteGroup:
        return db.companion(cls, lambda: cls(db))

    def join(self, batcher: WriteBatcher[Any, Any]) -> None:
        self._members.append(batcher)

    def wake(self) -> None:
        # A drain that has returned may not have run its done callbacks yet: not counted.
        self._tasks = {t for t in self._tasks if not t.done()}
        if len(self._tasks) < self.lanes:
            self._tasks.add(asyncio.get_running_loop().create_task(self._drain()))

    async def idle(self) -> None:
        while running := [t for t in self._tasks if not t.done()]:
            await asyncio.shield(running[0])

    async def _drain(self) -> None:
        while any(b.waiting for b in self._members):
            share = self.lanes - self._writing
            turn: list[Share] = [(b, b.take(share)) for b in self._members if b.waiting]
            if any(b.waiting for b in self._members):
                self.wake()  # another lane takes the rest
            self._writing += 1
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
            finally:
                self._writing -= 1

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
