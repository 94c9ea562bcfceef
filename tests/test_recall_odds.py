"""A card's retrievability, written out from FSRS's forgetting curve, equals fsrs's own."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

from fsrs import Card, Scheduler, State

from bot.records import CardRecord
from bot.review import ReviewPolicy, recall_odds, retrievability, reviewed, scheduler

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)


def fsrs_odds(card: CardRecord, at: dt.datetime, fsrs: Scheduler) -> float:
    """What fsrs itself says, from a Card built the way bot.review builds one."""
    last = card.last_review
    return float(
        fsrs.get_card_retrievability(
            Card(
                card_id=1,
                state=State(card.state),
                step=card.step,
                stability=card.stability,
                difficulty=card.difficulty,
                due=card.due if card.due.tzinfo else card.due.replace(tzinfo=dt.UTC),
                last_review=None if last is None else last.astimezone(dt.UTC),
            ),
            at,
        )
    )


def random_card(rng: random.Random, n: int) -> CardRecord:
    # Whole days before now (the bench's reviews fall at fixed hours), a microsecond either
    # side of a day's boundary, hours and seconds at random, after `now` (a clock behind the
    # last review), other timezones; stability from a fresh card's to decades.
    shape = rng.randrange(6)
    days = rng.randint(0, 400)
    if shape == 0:
        last = NOW - dt.timedelta(days=days)
    elif shape == 1:
        last = NOW - dt.timedelta(days=days, microseconds=rng.choice([-1, 1]))
    elif shape == 2:
        last = NOW - dt.timedelta(seconds=rng.uniform(0, 400 * 86400))
    elif shape == 3:
        last = NOW + dt.timedelta(seconds=rng.uniform(0, 3 * 86400))
    elif shape == 4:
        zone = dt.timezone(dt.timedelta(hours=rng.randint(-11, 13)))
        last = (NOW - dt.timedelta(days=days, minutes=rng.randint(0, 1439))).astimezone(zone)
    else:
        last = NOW - dt.timedelta(days=days, hours=rng.randint(0, 23))
    stability = rng.choice([rng.uniform(0.01, 5), rng.uniform(5, 400), rng.uniform(400, 36500)])
    return CardRecord(
        user_id=1,
        question_id=f"q{n}",
        topic="t",
        state=State.Review.value,
        step=None,
        stability=stability,
        difficulty=rng.uniform(1, 10),
        due=NOW + dt.timedelta(days=rng.randint(-30, 30)),
        last_review=last,
        reps=rng.randint(1, 20),
        lapses=0,
    )


def test_recall_odds_equal_fsrs_get_card_retrievability_for_random_cards() -> None:
    rng = random.Random(21)
    cards = [random_card(rng, n) for n in range(5000)]
    for policy in (ReviewPolicy(), ReviewPolicy(0.7, 7), ReviewPolicy(0.97, 36500)):
        fsrs = scheduler(policy)
        for at in (NOW, NOW + dt.timedelta(hours=5, microseconds=3)):
            ours = recall_odds(cards, at, policy)
            theirs = [fsrs_odds(card, at, fsrs) for card in cards]
            assert ours == theirs  # the same floats, not merely close ones
    # The spread of the cases is real: odds from ~0 to 1, and whole days at the boundary.
    assert min(ours) < 0.3 and max(ours) == 1.0


def test_a_card_never_reviewed_or_without_stability_has_no_recall() -> None:
    rng = random.Random(3)
    base = random_card(rng, 0)
    unseen = replace(base, last_review=None)
    unstable = replace(base, stability=None)
    assert recall_odds([unseen, unstable, base], NOW, ReviewPolicy())[:2] == [0.0, 0.0]
    assert retrievability(unseen, NOW, ReviewPolicy()) == 0.0


def test_the_odds_of_cards_scheduled_by_fsrs_match_it_along_their_reviews() -> None:
    # Cards as `reviewed` leaves them (fsrs schedules every review), asked at their due
    # instant and between: the written-out curve and fsrs agree at every step.
    rng = random.Random(8)
    policy = ReviewPolicy()
    fsrs = scheduler(policy)
    for n in range(200):
        card = None
        at = NOW - dt.timedelta(days=300)
        for _ in range(rng.randint(1, 8)):
            rating = rng.choice(["good", "again", "hard"])
            card = reviewed(card, 1, f"q{n}", "t", rating, at, policy)
            for when in (at, card.due, at + (card.due - at) / 3):
                assert recall_odds([card], when, policy) == [fsrs_odds(card, when, fsrs)]
            at = card.due + dt.timedelta(hours=rng.randint(0, 72))
