"""Interactions through the inbox: written before the ack, processed once, replayed late."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot import messages as m
from bot.faults import fault_point_after_ack
from bot.identity import Origin, Platform
from bot.inbox import InboxEntry, InboxRecord, OneWrite, StoredReply, Verdict
from bot.ports import LateReplier, StorageFull
from bot.replies import Notice, Reply, Tone, Visibility
from bot.usecases.context import Context
from bot.wire import Request, WireError, dump_replies, dump_request, load_replies, load_request

log = logging.getLogger(__name__)

# Runs a request; True when it failed on our side (the user was told to try again).
Run = Callable[[Request, Origin], Awaitable[tuple[list[Reply], bool]]]
# The request as the inbox keeps it (a typed answer pinned to its question).
Pin = Callable[[Request, Origin], Awaitable[Request]]
# The request as one write with its row, when its whole effect is one (reads only).
Plan = Callable[[Request, Origin], Awaitable[OneWrite[Any, Any] | None]]
# Rows replayed per pass; the rest wait for the next pass (every minute, and at start-up).
REPLAY_BATCH = 50
PRUNE_EVERY = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Interaction:
    """What an adapter received, before it acknowledges it."""

    key: str  # the platform's id for it, or a digest of the signed request
    origin: Origin
    request: Request
    route: str | None = None  # the adapter's way to reply late; opaque to the core
    route_ttl: dt.timedelta | None = None  # how long the platform honours `route`


@dataclass(frozen=True)
class Ticket:
    """The inbox's answer. `new`: process it (then `replies` is empty). `written`: it ran as
    one write committed with its row, `replies` is its reply. `done`: handled before,
    `replies` shows its stored reply again, privately. `busy`: being handled now.
    `refused`: the inbox could not be written; `replies` asks the user to try again. Every
    verdict but `new` is final: the adapter sends `replies` and has nothing to run."""

    verdict: Verdict | str
    entry_id: int | None
    replies: list[Reply]
    # A typed line as the inbox keeps it (parsed, a quiz answer pinned to its question), and
    # the line it came from: run the former while the adapter hands over the latter.
    request: Request | None = None
    received: Request | None = None


def _private(reply: Reply) -> Reply:
    # Shown again to the one who repeated the request, never posted to the channel twice.
    return dataclasses.replace(reply, visibility=Visibility.PRIVATE)


def _storing(render: Callable[[Any], list[Reply] | None]) -> StoredReply:
    """What the inbox batch stores for a one-write outcome: its replies as JSON, and the
    replies themselves, handed back with the admission (rendered once, not again)."""

    def stored(outcome: Any) -> tuple[str, list[Reply]] | None:
        replies = render(outcome)
        if replies is None:
            return None
        try:
            return _dumped(tuple(replies)), replies
        except TypeError:  # a reply with an unhashable part: dumped each time
            return dump_replies(replies), replies

    return stored


@functools.lru_cache(maxsize=64)
def _dumped(replies: tuple[Reply, ...]) -> str:
    # Every click of a round is told the same "locked in" line: its JSON is made once.
    return dump_replies(list(replies))


class Intake:
    """The one place interactions are deduplicated, and where they are replayed from."""

    def __init__(
        self, ctx: Context, run: Run, pin: Pin | None = None, plan: Plan | None = None
    ) -> None:
        self.ctx = ctx
        self.run = run
        self.pin = pin
        self.plan = plan
        self._pruned: dt.datetime | None = None

    async def admit(self, interaction: Interaction) -> Ticket:
        now = self.ctx.clock.now()
        origin = interaction.origin
        ttl = interaction.route_ttl
        request = interaction.request
        if self.pin is not None:
            try:
                request = await self.pin(request, origin)
            except Exception:
                # Kept as it came: only a replay after a crash could then misplace it.
                log.exception("inbox: could not pin %s %s", origin.place.platform, interaction.key)
        planned = await self._planned(request, interaction)
        entry = InboxEntry(
            platform=origin.place.platform.value,
            key=interaction.key[:200],
            workspace=origin.place.workspace_key,
            user_ref=origin.user.user_id,
            # A one-write row done at once is never replayed: its payload is built by the
            # batch only if the row is held for the general path (admit_writing).
            payload=dump_request(origin, request) if planned is None else "",
            route=interaction.route,
            route_expires_at=now + ttl if ttl is not None and interaction.route else None,
            received_at=now,
        )
        inbox = self.ctx.stores.inbox
        try:
            if planned is None:
                admission = await inbox.admit(entry, self.ctx.inbox_lease)
            else:
                # One transaction: the row, the effect and the reply; the ack follows it.
                admission = await inbox.admit_writing(
                    entry,
                    self.ctx.inbox_lease,
                    planned.item,
                    _storing(planned.render),
                    functools.partial(dump_request, origin, request),
                )
        except StorageFull:
            # The database logged the outage once; a click adds no traceback of its own.
            log.debug("inbox: database full, %s %s refused", entry.platform, entry.key)
            return Ticket("refused", None, [Notice(m.INTERNAL_ERROR, Tone.ERROR)])
        except Exception:
            # Not written, so nothing runs: the user is told to try again, truly.
            log.exception("inbox: could not record %s %s", entry.platform, entry.key)
            return Ticket("refused", None, [Notice(m.INTERNAL_ERROR, Tone.ERROR)])
        record = admission.record
        if admission.verdict == "written":
            # The replies rendered in the batch, from which the row's stored reply was made.
            return Ticket("written", record.id, list(admission.shown or []))
        if admission.verdict == "new":
            # The kept request is run in place of what the adapter hands to `process` only
            # while that is what it received (it may carry more than the row keeps: a deck
            # import's file).
            if request is interaction.request:
                return Ticket("new", record.id, [])
            return Ticket("new", record.id, [], request, interaction.request)
        log.info(
            "inbox: %s %s repeated (%s, attempt %d)",
            record.platform,
            record.key,
            record.state,
            record.attempts,
        )
        if admission.verdict == "busy":
            return Ticket("busy", record.id, [Notice(m.INBOX_BUSY)])
        return Ticket("done", record.id, self._stored(record))

    async def _planned(
        self, request: Request, interaction: Interaction
    ) -> OneWrite[Any, Any] | None:
        if self.plan is None:
            return None
        try:
            return await self.plan(request, interaction.origin)
        except Exception:
            # Planning only reads: the request still runs, on its general path.
            log.exception("inbox: could not plan %s %s", interaction.origin.place, interaction.key)
            return None

    @staticmethod
    def _stored(record: InboxRecord) -> list[Reply]:
        try:
            shown = [_private(r) for r in load_replies(record.reply or "[]")]
        except WireError:
            shown = []
        return shown or [Notice(m.DUPLICATE_DELIVERY)]

    async def process(self, ticket: Ticket, interaction: Interaction) -> list[Reply]:
        """Run an admitted interaction and record its outcome; the replies to send."""
        if ticket.verdict != "new" or ticket.entry_id is None:
            return ticket.replies
        await fault_point_after_ack("inbox.admitted")
        request = interaction.request
        if ticket.request is not None and interaction.request == ticket.received:
            # Parsed (and pinned) at receipt; an adapter that replaced the request (a deck
            # import with its file) is run as it hands it over.
            request = ticket.request
        return await self._run(ticket.entry_id, request, interaction.origin)

    async def settle(self, ticket: Ticket, replies: list[Reply]) -> None:
        """Close an admitted row with `replies` as its answer, running nothing."""
        if ticket.verdict != "new" or ticket.entry_id is None:
            return
        now = self.ctx.clock.now()
        await self.ctx.stores.inbox.finish(ticket.entry_id, "done", dump_replies(replies), now)

    async def _run(self, entry_id: int, request: Request, origin: Origin) -> list[Reply]:
        replies, failed = await self.run(request, origin)
        try:
            # Recorded before the reply goes out: a crash after this loses one reply, never
            # runs the request twice; a failed row stays open to a retry.
            await self.ctx.stores.inbox.finish(
                entry_id,
                "failed" if failed else "done",
                dump_replies(replies),
                self.ctx.clock.now(),
            )
        except Exception:
            # The row's lease runs out and it is replayed; requests are safe to run again.
            log.exception("inbox: could not record the outcome of row %d", entry_id)
        return replies

    async def replay(self, repliers: Mapping[Platform, LateReplier]) -> int:
        """Process rows whose process died between the ack and the reply, and deliver their
        replies late. Returns how many were replayed."""
        now = self.ctx.clock.now()
        platforms = [p.value for p in repliers]
        if not platforms:
            return 0
        await self._prune(now)
        rows = await self.ctx.stores.inbox.take_due(
            platforms, now, self.ctx.inbox_lease, REPLAY_BATCH
        )
        for row in rows:
            try:
                origin, request = load_request(row.payload)
            except WireError as exc:
                log.error(
                    "inbox: row %d (%s %s) unreadable: %s", row.id, row.platform, row.key, exc
                )
                await self.ctx.stores.inbox.finish(row.id, "failed", None, now)
                continue
            log.info("inbox: replaying %s %s (attempt %d)", row.platform, row.key, row.attempts)
            replies = await self._run(row.id, request, origin)
            expired = (
                row.route_expires_at is not None and self.ctx.clock.now() >= row.route_expires_at
            )
            try:
                await repliers[Platform(row.platform)].deliver_late(
                    None if expired else row.route, row.user_ref, replies
                )
            except Exception:
                log.exception("inbox: late reply for %s %s failed", row.platform, row.key)
        return len(rows)

    async def _prune(self, now: dt.datetime) -> None:
        if self._pruned is not None and now - self._pruned < PRUNE_EVERY:
            return
        self._pruned = now
        try:
            gone = await self.ctx.stores.inbox.prune(now)
        except Exception:
            log.exception("inbox: pruning failed")
            return
        if gone:
            log.info("inbox: pruned %d old rows", gone)
