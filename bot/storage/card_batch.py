"""Review cards of many answers at once: read, schedule with FSRS, upsert (three steps)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa

from bot.records import CardRecord, CardReview
from bot.review import ReviewPolicy, reviewed
from bot.storage.database import Database
from bot.storage.review_tables import cards, review_settings
from bot.storage.rows import chunks, utc

CARD_COLUMNS = (
    "topic",
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
)
Cards = dict[tuple[int, str], CardRecord]

_POLICY = sa.select(review_settings.c.retention, review_settings.c.maximum_interval).where(
    review_settings.c.workspace == sa.bindparam("workspace")
)
_CARDS = sa.select(cards).where(
    cards.c.question_id == sa.bindparam("qid"),
    cards.c.user_id.in_(sa.bindparam("ids", expanding=True)),
)


def card_record(row: Any) -> CardRecord:
    return CardRecord(
        user_id=row.user_id,
        question_id=row.question_id,
        topic=row.topic,
        state=row.state,
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=utc(row.due),
        last_review=utc(row.last_review) if row.last_review else None,
        reps=row.reps,
        lapses=row.lapses,
    )


def policy_of(conn: sa.Connection, workspace: str) -> ReviewPolicy:
    row = conn.execute(_POLICY, {"workspace": workspace}).first()
    default = ReviewPolicy()
    if row is None:
        return default
    return ReviewPolicy(
        row.retention if row.retention is not None else default.retention,
        row.maximum_interval if row.maximum_interval is not None else default.maximum_interval,
    )


def current_cards(conn: sa.Connection, reviews: Collection[CardReview]) -> Cards:
    """The existing cards the reviews touch, by (user, question)."""
    current: Cards = {}
    for qid in sorted({r.question_id for r in reviews}):
        users = sorted({r.user_id for r in reviews if r.question_id == qid})
        for chunk in chunks(users):
            found = conn.execute(_CARDS, {"qid": qid, "ids": chunk})
            current.update({(r.user_id, r.question_id): card_record(r) for r in found})
    return current


def schedule_cards(
    current: Cards, reviews: Sequence[CardReview], policy: ReviewPolicy
) -> list[dict[str, Any]]:
    """The card rows after the reviews, in key order (no database)."""
    ordered = sorted(reviews, key=lambda r: (r.user_id, r.question_id, r.at))
    current = dict(current)
    # A close reviews many cards alike (new, same rating, same instant): FSRS runs once per
    # distinct schedule, which keeps a chunk short.
    alike: dict[tuple[Any, ...], CardRecord] = {}
    for r in ordered:
        key = (r.user_id, r.question_id)
        card = current.get(key)
        state = None if card is None else dataclasses.replace(card, user_id=0, question_id="")
        memo = (state, r.topic, r.rating, r.at)
        if memo not in alike:
            alike[memo] = reviewed(state, 0, "", r.topic, r.rating, r.at, policy)
        current[key] = dataclasses.replace(
            alike[memo], user_id=r.user_id, question_id=r.question_id
        )
    return [
        {
            "user_id": c.user_id,
            "question_id": c.question_id,
            **{k: getattr(c, k) for k in CARD_COLUMNS},
        }
        for c in (current[k] for k in sorted({(r.user_id, r.question_id) for r in ordered}))
    ]


# Built once per dialect: building the upsert cost more CPU than running it (a close runs
# it in every chunk).
_UPSERT: dict[bool, Any] = {}


def upsert_cards(db: Database, conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    stmt = _UPSERT.get(db.sqlite)
    if stmt is None:
        insert = db.insert(cards)
        stmt = _UPSERT[db.sqlite] = insert.on_conflict_do_update(
            index_elements=[cards.c.user_id, cards.c.question_id],
            set_={k: insert.excluded[k] for k in CARD_COLUMNS},
        )
    conn.execute(stmt, list(rows))
