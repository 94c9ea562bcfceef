"""Inbox rows to and from records: the values an insert writes, the record a row reads as."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.inbox import InboxEntry, InboxRecord
from bot.storage import click_sql
from bot.storage.rows import utc


def new_row(e: InboxEntry, lease: dt.timedelta) -> dict[str, Any]:
    return {
        "platform": e.platform,
        "dedupe_key": e.key,
        "workspace": e.workspace,
        "user_ref": e.user_ref,
        "payload": e.payload,
        "route": e.route,
        "route_expires_at": e.route_expires_at,
        "state": "received",
        "attempts": 1,
        "received_at": e.received_at,
        "lease_until": e.received_at + lease,
    }


def new_tuple(e: InboxEntry, lease: dt.timedelta, state: str = "received") -> tuple[Any, ...]:
    """`new_row` as SQLite's driver takes it (click_sql.INBOX_ROW's order); `state` "done"
    for a row its own transaction finishes (SqlInboxStore._write_together)."""
    received = click_sql.ts(e.received_at)
    return (
        e.platform,
        e.key,
        e.workspace,
        e.user_ref,
        e.payload,
        e.route,
        click_sql.ts_or_none(e.route_expires_at),
        state,
        1,
        received,
        click_sql.ts(e.received_at + lease),
    )


def fresh(e: InboxEntry, row_id: int) -> InboxRecord:
    """The record of a row just inserted, from what was inserted (RETURNING only its id).
    Every click builds one: filled like `done_record`, at a third of the frozen __init__."""
    return _frozen(
        id=row_id,
        platform=e.platform,
        key=e.key,
        workspace=e.workspace,
        user_ref=e.user_ref,
        payload=e.payload,
        route=e.route,
        route_expires_at=e.route_expires_at,
        state="received",
        attempts=1,
        received_at=e.received_at,
        reply=None,
    )


def _frozen(**fields: Any) -> InboxRecord:
    record = object.__new__(InboxRecord)
    object.__setattr__(record, "__dict__", fields)
    return record


def _when(value: dt.datetime | str) -> dt.datetime:
    # Driver-level SQL (click_sql) reads SQLite's timestamps back as their text.
    return click_sql.from_ts(value) if isinstance(value, str) else utc(value)


def to_record(row: Any) -> InboxRecord:
    expires = row.route_expires_at
    return InboxRecord(
        id=row.id,
        platform=row.platform,
        key=row.dedupe_key,
        workspace=row.workspace,
        user_ref=row.user_ref,
        payload=row.payload,
        route=row.route,
        route_expires_at=_when(expires) if expires is not None else None,
        state=row.state,
        attempts=row.attempts,
        received_at=_when(row.received_at),
        reply=row.reply,
    )


def done_record(record: InboxRecord, reply: str) -> InboxRecord:
    """The record of a row finished in the batch that inserted it, with its reply: a copy
    of its fields with two changed, where dataclasses.replace (or the frozen dataclass's
    own __init__, one object.__setattr__ a field) costs several times as much a click."""
    return _frozen(**{**record.__dict__, "state": "done", "reply": reply})
