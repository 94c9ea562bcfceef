"""Spaced repetition with FSRS: answers as ratings, and a card's next schedule."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from bot.records import CardRecord

if TYPE_CHECKING:
    # fsrs loads on the first review, not at start-up (docs/scaling.md, "Session 10").
    from fsrs import Card, Rating, Scheduler

# Ratings as the core passes them around (records stay free of the fsrs types).
AGAIN, HARD, GOOD = "again", "hard", "good"
_RATINGS = frozenset({AGAIN, HARD, GOOD})

# A flashcard's self-rating as questions.check_open stores it.
SELF_RATING = {"missed": AGAIN, "partly": HARD, "got": GOOD}

DEFAULT_RETENTION = 0.9
# Below 0.7 a card would come back after most of it is forgotten; above 0.97 reviews pile
# up for little gain (FSRS's own guidance is 0.8 to 0.95).
RETENTION_RANGE = (0.7, 0.97)
# Interview preparation is a matter of months: a year is the longest a card stays away.
DEFAULT_MAX_INTERVAL = 365
MAX_INTERVAL_RANGE = (7, 36500)


class Recallable(Protocol):
    """A card as its forgetting curve needs it (a CardRecord, or the CardGlance of stats)."""

    @property
    def stability(self) -> float | None: ...

    @property
    def last_review(self) -> dt.datetime | None: ...


@dataclass(frozen=True)
class ReviewPolicy:
    """A workspace's scheduling settings (`config retention`, `config interval`)."""

    retention: float = DEFAULT_RETENTION
    maximum_interval: int = DEFAULT_MAX_INTERVAL


def rating_for_answer(correct: bool) -> str:
    """A graded answer (daily, quiz, review): right is Good, wrong is Again."""
    return GOOD if correct else AGAIN


def rating_for_self(normalized: str) -> str:
    """A flashcard's self-rating: missed is Again, partly is Hard, got it is Good."""
    return SELF_RATING[normalized]


def rating_for_interview(grade_rating: str) -> str:
    """An interview grade's rating (InterviewGrade.rating) is already good, hard or again."""
    if grade_rating not in _RATINGS:
        raise ValueError(f"unknown interview rating {grade_rating!r}")
    return grade_rating


@lru_cache(maxsize=64)
def scheduler(policy: ReviewPolicy) -> Scheduler:
    """The FSRS scheduler for a policy. No learning or relearning steps: a chat bot reviews by
    the day, so every rating schedules whole days and a card answered wrong (Again) comes
    back the next day rather than in ten minutes. No fuzzing: a schedule is reproducible
    from the answers alone (tests and two processes agree on it)."""
    from fsrs import Scheduler

    return Scheduler(
        desired_retention=policy.retention,
        learning_steps=(),
        relearning_steps=(),
        maximum_interval=policy.maximum_interval,
        enable_fuzzing=False,
    )


def _fsrs_rating(rating: str) -> Rating:
    from fsrs import Rating

    return {AGAIN: Rating.Again, HARD: Rating.Hard, GOOD: Rating.Good}[rating]


def _fsrs_card(card: CardRecord | None, now: dt.datetime) -> Card:
    from fsrs import Card, State

    if card is None:
        return Card(card_id=1, state=State.Learning, step=0, due=now)
    return Card(
        card_id=1,
        state=State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=_utc(card.due),
        last_review=_utc(card.last_review) if card.last_review else None,
    )


def reviewed(
    card: CardRecord | None,
    user_id: int,
    question_id: str,
    topic: str,
    rating: str,
    at: dt.datetime,
    policy: ReviewPolicy,
) -> CardRecord:
    """The card after one more answer rated `rating` at `at` (a new card when None)."""
    at = _utc(at)
    # An answer older than the card's last review (a late close of an old round) still
    # counts, as if given at the last review: FSRS needs reviews in time order.
    if card is not None and card.last_review is not None and at < _utc(card.last_review):
        at = _utc(card.last_review)
    from fsrs import State

    fresh, _log = scheduler(policy).review_card(_fsrs_card(card, at), _fsrs_rating(rating), at)
    lapse = rating == AGAIN and card is not None and card.state == State.Review.value
    return CardRecord(
        user_id=user_id,
        question_id=question_id,
        topic=topic,
        state=int(fresh.state.value),
        step=fresh.step,
        stability=fresh.stability,
        difficulty=fresh.difficulty,
        due=fresh.due,
        last_review=fresh.last_review,
        reps=(card.reps if card else 0) + 1,
        lapses=(card.lapses if card else 0) + int(lapse),
    )


def retrievability(card: CardRecord, at: dt.datetime, policy: ReviewPolicy) -> float:
    """FSRS's probability that the user recalls the card at `at` (0 before any review)."""
    return recall_odds([card], at, policy)[0]


@lru_cache(maxsize=64)
def _curve(policy: ReviewPolicy) -> tuple[float, float]:
    """The forgetting curve's decay and factor, derived as fsrs's Scheduler derives them."""
    decay = -scheduler(policy).parameters[20]
    return decay, 0.9 ** (1 / decay) - 1


def recall_odds(cards: Sequence[Recallable], at: dt.datetime, policy: ReviewPolicy) -> list[float]:
    """Each card's retrievability at `at`: fsrs's get_card_retrievability, written out.
    fsrs schedules every review (`reviewed`); this only evaluates its power forgetting
    curve, R = (1 + factor * days / stability) ** decay with whole days since the last
    review, in the same operations on the same floats (a test pins it equal to fsrs's own
    for many random cards). Building an fsrs Card per card to ask it cost more than the
    rest of `stats` together at ~50 cards a player."""
    decay, factor = _curve(policy)
    at = _utc(at)
    odds = []
    for card in cards:
        if card.last_review is None or card.stability is None:
            odds.append(0.0)
            continue
        days = max(0, (at - _utc(card.last_review)).days)
        odds.append((1 + factor * days / card.stability) ** decay)
    return odds


def end_of_day(now: dt.datetime, zone: str) -> dt.datetime:
    """The first instant of the user's next local day: a card is due all day on its due day
    (reviews are by the day, so one answered yesterday afternoon is due this morning)."""
    tz = zoneinfo.ZoneInfo(zone)
    local = now.astimezone(tz)
    tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return tomorrow.astimezone(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every stored instant is UTC. Most come as UTC
    # already (the stores' reads): kept as they are, without a conversion per card.
    if value.tzinfo is dt.UTC:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
