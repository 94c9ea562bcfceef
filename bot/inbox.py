"""The interaction inbox: its records, its store port and the rules of its lease."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

from bot.replies import Reply

# Whoever wrote a row (or took it over) holds it this long by default (STUDYBOT_INBOX_LEASE
# sets it); a row still unfinished after that belonged to a process that died (or hung) and
# is replayed by any running process. Longer than any answer takes, the model grader's
# timeout included.
LEASE = dt.timedelta(minutes=2)
# Done rows are kept this long, so a repeat (Slack retries events for about an hour; a
# signed slash command can be replayed for 5 minutes) still finds them, then pruned.
KEEP_DONE = dt.timedelta(days=1)
# Rows that never finished (their replies could not be delivered in time) go after this.
KEEP_ANY = dt.timedelta(days=7)
# A row whose processing kills the process every time is given up after this many tries.
MAX_ATTEMPTS = 5

State = Literal["received", "processing", "done", "failed"]
# new: the caller holds the row and processes it; done: processed before (its reply is
# stored); busy: another delivery of it is being processed right now; written: a one-write
# request whose effect and reply were committed with its row (see OneWrite).
Verdict = Literal["new", "done", "busy", "written"]
# A one-write item's outcome -> its reply rendered once, in the batch: the JSON the row
# stores and the replies handed back with the admission; or None for the general path.
StoredReply = Callable[[Any], tuple[str, Any] | None]
# A one-write row's payload (the request as a replay reads it), built only for a row the
# batch holds for the general path: a row written done at once is never replayed.
Payload = Callable[[], str]

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class OneWrite(Generic[Item, Outcome]):
    """A request whose whole effect is one store write: `item`, a value some store writes in
    batches (a DailyAnswer), and `render`, its outcome's replies. `render` is pure: it runs
    inside the write's transaction, so the reply stored for repeats is the reply sent. None
    means the outcome needs the request's general path (the row is then held as usual)."""

    item: Item
    render: Callable[[Outcome], list[Reply] | None]


@dataclass(frozen=True)
class InboxEntry:
    """An interaction as received, before anything is done about it."""

    platform: str
    key: str  # the platform's interaction/event id, or a digest of the signed request
    workspace: str
    user_ref: str
    payload: str  # the neutral request and its origin (bot.wire)
    route: str | None  # where a late reply goes; opaque to the core (the adapter's JSON)
    route_expires_at: dt.datetime | None
    received_at: dt.datetime


@dataclass(frozen=True)
class InboxRecord:
    id: int
    platform: str
    key: str
    workspace: str
    user_ref: str
    payload: str
    route: str | None
    route_expires_at: dt.datetime | None
    state: str
    attempts: int
    received_at: dt.datetime
    reply: str | None


@dataclass(frozen=True)
class Admission:
    verdict: Verdict
    record: InboxRecord
    outcome: Any = None  # a one-write item's outcome, when its write ran in this admission
    shown: Any = None  # a written row's replies, as its `StoredReply` rendered them


class InboxStore(Protocol):
    """Interactions written before their ack, processed once, replayed after a crash."""

    async def admit(self, entry: InboxEntry, lease: dt.timedelta) -> Admission:
        """Write the entry in one short transaction, or find it: a new row (or one whose
        holder failed or died) is the caller's to process; a done one carries its reply."""
        ...

    async def admit_writing(
        self,
        entry: InboxEntry,
        lease: dt.timedelta,
        item: object,
        reply: StoredReply,
        payload: Payload,
    ) -> Admission:
        """`admit`, and in the same transaction, if the row is the caller's, write `item` and
        record the row done with `reply(outcome)` ("written"); when that is None the row is
        held as by `admit` ("new") and stored with `payload()` (`entry.payload` is not
        used), so a replay after a crash can run it. A repeat is recognised first and
        writes nothing."""
        ...

    async def finish(
        self, entry_id: int, state: State, reply: str | None, now: dt.datetime
    ) -> None:
        """Record the outcome: done with the replies sent, or failed (retryable)."""
        ...

    async def take_due(
        self, platforms: Sequence[str], now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> list[InboxRecord]:
        """Rows received or in processing whose lease has expired (their process died), now
        held by the caller."""
        ...

    async def prune(self, now: dt.datetime) -> int:
        """Delete done rows older than KEEP_DONE and any row older than KEEP_ANY."""
        ...

    async def get(self, platform: str, key: str) -> InboxRecord | None: ...

    async def flush(self) -> None:
        """Wait for queued batched writes (before the engine is disposed)."""
        ...
