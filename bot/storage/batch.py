"""Group commit: concurrent write requests of one kind share a transaction of the one writer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import sqlalchemy as sa

from bot.storage.database import Database

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")
Run = Callable[[sa.Connection, Sequence[Item]], Sequence[Result]]


class WriteBatcher(Generic[Item, Result]):
    """Queues requests and writes them in batches, one transaction per batch.

    Nothing waits on purpose: a request that finds the writer idle goes alone, and whatever
    arrives while a batch commits forms the next one. So a quiet bot answers with one small
    transaction, and a burst pays one commit (and a few set-based statements) per batch
    instead of several transactions per request. `run` must return one result per item, in
    order, and touch only the database (a failed batch is rolled back and run again); it is
    synchronous so that on SQLite the whole batch runs in one hop to the writer thread.
    """

    def __init__(self, db: Database, run: Run[Item, Result], max_batch: int = 500) -> None:
        self.db = db
        self.run = run
        self.max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def idle(self) -> None:
        """Wait until every queued request is written (used before the engine is closed)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            try:
                await self._write(batch)
            except BaseException:
                # Cancelled (shutdown): nobody may wait forever on a request never written.
                stopped = RuntimeError("the writer stopped before this request was written")
                for _, future in [*batch, *self._pending]:
                    _fail(future, stopped)
                self._pending.clear()
                raise

    def _body(self, items: Sequence[Item]) -> Callable[[sa.Connection], Sequence[Result]]:
        return lambda conn: self.run(conn, items)

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        items = [item for item, _ in batch]
        try:
            results = await self.db.write_sync(self._body(items))
        except Exception as exc:
            if len(batch) == 1:
                _fail(batch[0][1], exc)
                return
            # One bad request must not fail its neighbours: write each alone, so only the
            # request that caused the error receives it.
            log.debug("batch of %d failed (%r); writing one by one", len(batch), exc)
            for item, future in batch:
                try:
                    [result] = await self.db.write_sync(self._body([item]))
                except Exception as single:
                    _fail(future, single)
                else:
                    _resolve(future, result)
            return
        for (_, future), result in zip(batch, results, strict=True):
            _resolve(future, result)


# A done future means the caller went away (cancelled); the write stands regardless.


def _resolve(future: asyncio.Future[Result], result: Result) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[Result], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
