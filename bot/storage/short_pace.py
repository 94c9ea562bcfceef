"""Short writes under way and when the last ended: what a round close's chunks pace by."""

from __future__ import annotations

import asyncio
import contextlib
import math
import weakref
from contextlib import AbstractAsyncContextManager
from typing import Any

# One meter per database, kept beside it (like its WriteGroup) rather than in it.
_METERS: weakref.WeakKeyDictionary[object, ShortWriteMeter] = weakref.WeakKeyDictionary()


class ShortWriteMeter:
    """Counts a database's short writes (click batches, claims) while they wait for the
    writer or run. A close's chunk is a long write beside them: it rests longer while they
    come and lets the queued ones go first (docs/scaling.md, session 11)."""

    def __init__(self) -> None:
        self.pending = 0
        self._ended = -math.inf  # event-loop time the last one ended
        self._idle = asyncio.Event()

    def started(self) -> None:
        self.pending += 1
        self._idle.clear()

    def ended(self) -> None:
        self.pending -= 1
        self._ended = asyncio.get_running_loop().time()
        if not self.pending:
            self._idle.set()

    def within(self, seconds: float) -> bool:
        """A short write waits, runs or ended less than `seconds` ago: users are answered."""
        since = asyncio.get_running_loop().time() - self._ended
        return bool(self.pending) or since < seconds

    async def yield_to(self, limit: float) -> None:
        """Before a close's chunk takes the writer: one turn of the event loop (a click
        batch whose drain task was just created reaches the writer's queue first), then the
        short writes queued or running go first, for at most `limit` seconds."""
        await asyncio.sleep(0)
        if self.pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), limit)


def meter_of(db: object) -> ShortWriteMeter:
    meter = _METERS.get(db)
    if meter is None:
        meter = _METERS[db] = ShortWriteMeter()
    return meter


def paced(
    db: object, short: bool, writer: AbstractAsyncContextManager[Any]
) -> AbstractAsyncContextManager[Any]:
    """The writer's context, counted on `db`'s meter when the write is short; a long write
    gets the writer's own context, nothing added."""
    return _Counted(meter_of(db), writer) if short else writer


class _Counted:
    """The writer's context, with the write counted from its wait to its end."""

    __slots__ = ("meter", "writer")

    def __init__(self, meter: ShortWriteMeter, writer: AbstractAsyncContextManager[Any]) -> None:
        self.meter = meter
        self.writer = writer

    async def __aenter__(self) -> Any:
        self.meter.started()
        try:
            return await self.writer.__aenter__()
        except BaseException:
            self.meter.ended()
            raise

    async def __aexit__(self, *exc: Any) -> bool | None:
        try:
            return await self.writer.__aexit__(*exc)
        finally:
            self.meter.ended()
