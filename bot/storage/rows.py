"""Row to record mapping and small helpers shared by the SQL stores."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from bot.identity import name_key as name_key
from bot.records import ChannelRecord, ClaimRecord, DailyAnswerOutcome, QuizRecord, RoundRecord
from bot.schedule import ChannelSchedule, mask_to_days, parse_hhmm
from bot.storage.driver_sql import instant


def utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back naive; everything is stored in UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def forgotten_key(round_id: int, workspace: str, external_id: str) -> str:
    """The anonymous key of a forgotten user's lock on one round (see `forgotten_answers`)."""
    return hashlib.sha256(f"{round_id}\0{workspace}\0{external_id}".encode()).hexdigest()


def order_text(order: Iterable[int]) -> str:
    return ",".join(str(i) for i in order)


def order_parse(text: str) -> tuple[int, ...]:
    return tuple(int(i) for i in text.split(",") if i != "")


def channel_record(row: Any) -> ChannelRecord:
    schedule = ChannelSchedule(
        timezone=row.timezone,
        post_time=parse_hhmm(row.post_time),
        close_time=parse_hhmm(row.close_time),
        days=mask_to_days(row.days),
        weekly_day=row.weekly_day,
        weekly_time=parse_hhmm(row.weekly_time),
        paused=bool(row.paused),
    )
    topics = tuple(t for t in row.topics.split(",") if t)
    return ChannelRecord(
        row.id,
        row.platform,
        row.workspace,
        row.external_id,
        bool(row.enabled),  # sqlite3 at the driver level (the actor's sighting): 0 or 1
        schedule,
        topics,
        row.difficulty,
        instant(row.next_due_at),
    )


def round_record(row: Any) -> RoundRecord:
    return RoundRecord(
        id=row.id,
        channel_id=row.channel_id,
        workspace=row.workspace,
        local_date=row.local_date,
        question_id=row.question_id,
        order=order_parse(row.choice_order),
        opened_at=utc(row.opened_at),
        closes_at=utc(row.closes_at),
        closed_at=utc(row.closed_at) if row.closed_at else None,
        post_ref=row.post_ref,
        question_json=row.question_json,
    )


def claim_record(row: Any) -> ClaimRecord:
    return ClaimRecord(
        row.channel_id,
        row.kind,
        row.period,
        row.status,
        row.attempts,
        row.owner,
        row.message_ref,
        row.error,
        row.step,
        utc(row.lease_until) if row.lease_until is not None else None,
        utc(row.claimed_at),
        utc(row.updated_at),
    )


def quiz_record(row: Any) -> QuizRecord:
    ids = tuple(row.question_ids.split(","))
    orders = tuple(order_parse(part) for part in row.orders.split(";"))
    return QuizRecord(
        row.id,
        row.user_id,
        ids,
        orders,
        row.position,
        row.awaiting_rating,
        row.active,
        row.kind,
        row.keep,
    )


# How many rounds `round_snapshot` remembers; a process sees a handful of open rounds a day.
ROUND_CACHE_SIZE = 4096
# Ids per IN list: PostgreSQL (asyncpg) takes at most 32767 parameters per statement.
IN_CHUNK = 5000


def chunks(values: Sequence[int], size: int = IN_CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


NO_CHANNEL = DailyAnswerOutcome("no_channel")
CLOSED = DailyAnswerOutcome("closed")
FORGOTTEN = DailyAnswerOutcome("forgotten")


# SQLite parses `a OR b OR c` to a tree as deep as its terms (SQLITE_MAX_EXPR_DEPTH 1000).
PAIRS_OR_MAX = 400


def pairs_in(
    a: sa.ColumnElement[Any],
    b: sa.ColumnElement[Any],
    pairs: Iterable[tuple[Any, Any]],
    sqlite: bool,
) -> sa.ColumnElement[bool]:
    """(a, b) IN pairs, as a search of the index on (a, b). SQLite scans the whole table for
    a row-value IN over a list (a batch's repeats read every inbox row); an OR of equalities
    it searches term by term. PostgreSQL searches the index for the list itself."""
    wanted = list(pairs)
    if not sqlite or len(wanted) > PAIRS_OR_MAX:
        return sa.tuple_(a, b).in_(wanted)
    return sa.or_(*(sa.and_(a == x, b == y) for x, y in wanted))
