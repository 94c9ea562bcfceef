"""Review cards (FSRS): every answer kind rates a card, misses come back, `review` serves them."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from bot.bootstrap import App, ManualClock
from bot.interview import InterviewGrade, PointVerdict
from bot.questions import SELF_RATINGS
from bot.records import CardReview
from bot.replies import AnswerFeedback, QuestionCard, TableView
from bot.review import (
    AGAIN,
    GOOD,
    HARD,
    ReviewPolicy,
    end_of_day,
    rating_for_answer,
    rating_for_interview,
    rating_for_self,
    reviewed,
)
from bot.storage.review_tables import cards, learners
from bot.usecases import daily
from tests.conftest import START, origin
from tests.helpers import correct_text, errors, say, text, wrong_text

ADMIN = origin("Ada", admin=True)
BOB = origin("Bob")
CY = origin("Cy")
DAY = dt.timedelta(days=1)


def test_every_answer_kind_maps_to_its_rating() -> None:
    assert rating_for_answer(False) == AGAIN
    assert rating_for_answer(True) == GOOD
    # Every word a user may rate a flashcard with: missed -> Again, partly -> Hard, got -> Good.
    expected = {"missed": AGAIN, "partly": HARD, "got": GOOD}
    for word, stored in SELF_RATINGS.items():
        assert rating_for_self(stored) == expected[stored], word

    def grade(*covered: bool) -> InterviewGrade:
        points = tuple(PointVerdict(f"p{i}", c, "") for i, c in enumerate(covered))
        return InterviewGrade(points, "builtin")

    assert rating_for_interview(grade(True, True, True).rating) == GOOD
    assert rating_for_interview(grade(True, True, False, False).rating) == HARD
    assert rating_for_interview(grade(True, False, False).rating) == AGAIN
    assert rating_for_interview(grade(False, False).rating) == AGAIN
    with pytest.raises(ValueError):
        rating_for_interview("easy")


def test_again_is_due_the_next_day_and_good_moves_out() -> None:
    policy = ReviewPolicy()
    at = START
    wrong = reviewed(None, 1, "q", "t", AGAIN, at, policy)
    right = reviewed(None, 1, "q", "t", GOOD, at, policy)
    assert wrong.due == at + DAY  # whole days: no ten-minute learning step in a chat bot
    assert right.due > wrong.due
    assert (wrong.reps, wrong.lapses) == (1, 0)
    later = reviewed(right, 1, "q", "t", AGAIN, right.due, policy)
    assert later.due == right.due + DAY and later.lapses == 1


async def _user_id(app: App, who: object) -> int:
    return (await app.ctx.actor(who)).user.id  # type: ignore[arg-type]


async def test_a_month_of_reviews_brings_misses_back_daily(app: App, clock: ManualClock) -> None:
    """With the injected clock: a card always missed is due every day; one always known is
    seen less and less often and ends the month more than a week away."""
    uid = await _user_id(app, BOB)
    store = app.ctx.stores.cards
    first = [
        CardReview(uid, "ss-median", "sample-stats", AGAIN, clock.now()),
        CardReview(uid, "ss-ransac", "sample-stats", GOOD, clock.now()),
    ]
    await store.review("console:acme", first)
    seen = {"ss-median": 0, "ss-ransac": 0}
    for _ in range(30):
        clock.advance(DAY)
        due = await store.due_cards(uid, end_of_day(clock.now(), "UTC"))
        ids = {c.question_id for c in due}
        assert "ss-median" in ids  # the miss is back the next day, every day
        for card in due:
            seen[card.question_id] += 1
            rating = AGAIN if card.question_id == "ss-median" else GOOD
            review = CardReview(uid, card.question_id, card.topic, rating, clock.now())
            await store.review("console:acme", [review])
    assert seen["ss-median"] == 30
    assert 1 <= seen["ss-ransac"] <= 6
    known = await store.get_card(uid, "ss-ransac")
    assert known is not None and known.due > clock.now() + dt.timedelta(days=7)
    missed = await store.get_card(uid, "ss-median")
    assert missed is not None and missed.due == clock.now() + DAY and missed.reps == 31


async def _quiz_miss(app: App, who: object, topic: str, n: int) -> list[str]:
    """Start a quiz of `n` questions and answer every one wrongly; the question ids."""
    missed = []
    card = (await say(app, who, f"quiz {topic} {n}"))[-1]  # type: ignore[arg-type]
    for _ in range(n):
        assert isinstance(card, QuestionCard)
        missed.append(card.question_id)
        replies = await say(app, who, f"answer {wrong_text(app, card)}")  # type: ignore[arg-type]
        card = replies[-1]
    return missed


async def test_quiz_misses_come_back_in_review_without_points(app: App, clock: ManualClock) -> None:
    missed = await _quiz_miss(app, BOB, "sample-ml", 3)
    uid = await _user_id(app, BOB)
    for qid in missed:
        card = await app.ctx.stores.cards.get_card(uid, qid)
        assert card is not None and card.due == clock.now() + DAY and card.reps == 1
    # Nothing is due today: `review` says when, and offers the weakest topic.
    nothing = await text(app, BOB, "review")
    assert "Nothing to review right now" in nothing and "due tomorrow" in nothing
    assert "quiz sample-ml" in nothing
    clock.advance(DAY)
    replies = await say(app, BOB, "review")
    assert "Review: 3 of your 3 due card(s)" in text_of(replies)
    served = []
    for _ in range(3):
        card = replies[-1]
        assert isinstance(card, QuestionCard)
        served.append(card.question_id)
        replies = await say(app, BOB, f"answer {correct_text(app, card)}")
        feedback = replies[0]
        assert isinstance(feedback, AnswerFeedback) and feedback.correct
        assert feedback.points == 0 and feedback.explanation
    assert sorted(served) == sorted(missed)
    assert "Review done: 3 of 3 right" in text_of(replies)
    assert "Study streak: 1 day(s)" in text_of(replies)
    assert "0 points" in await text(app, BOB, "stats")  # practice, not competition
    # Own stats show the study streak while it lives (reviewed today or yesterday).
    rows = dict(next(r for r in await say(app, BOB, "stats") if isinstance(r, TableView)).rows)
    assert rows["study streak"] == "1 day(s), best 1"
    clock.advance(2 * DAY)
    rows = dict(next(r for r in await say(app, BOB, "stats") if isinstance(r, TableView)).rows)
    assert rows["study streak"] == "0 day(s), best 1"
    clock.advance(-2 * DAY)
    for qid in missed:
        card = await app.ctx.stores.cards.get_card(uid, qid)
        assert card is not None and card.reps == 2 and card.due > clock.now() + DAY


def text_of(replies: list) -> str:  # type: ignore[type-arg]
    from bot.commandref import render_refs
    from bot.plaintext import render

    return render_refs("\n".join(render(r) for r in replies))


async def test_review_most_overdue_first_topic_and_count(app: App, clock: ManualClock) -> None:
    uid = await _user_id(app, BOB)
    store = app.ctx.stores.cards
    await store.review(
        "console:acme", [CardReview(uid, "ss-pvalue", "sample-stats", AGAIN, clock.now())]
    )
    clock.advance(DAY)
    await store.review(
        "console:acme", [CardReview(uid, "sm-relu", "sample-ml", AGAIN, clock.now())]
    )
    await store.review(
        "console:acme", [CardReview(uid, "gone-from-bank", "sample-ml", AGAIN, clock.now())]
    )
    clock.advance(3 * DAY)
    first = (await say(app, BOB, "review 1"))[-1]
    assert isinstance(first, QuestionCard) and first.question_id == "ss-pvalue"
    await say(app, BOB, "review stop")
    only_ml = (await say(app, BOB, "review sample-ml"))[-1]
    assert isinstance(only_ml, QuestionCard) and only_ml.question_id == "sm-relu"
    running = await text(app, BOB, "quiz")
    assert "Your review is still running (question 1 of 1)" in running
    assert "`review stop`" in running and "The new quiz you asked for was not started" in running
    assert (
        "a quiz, not a review"
        in errors(await say(app, CY, "quiz sample-ml 1") + await say(app, CY, "review stop"))[0]
    )
    assert errors(await say(app, ADMIN, "review stop")) == [
        "You have no review running. Start one with `review [topic]`."
    ]
    assert "Review stopped: 0 of 0 right" in await text(app, BOB, "review stop")
    # The dormant card (its question left the bank) is skipped, never served or counted.
    [table] = [r for r in await say(app, BOB, "stats") if isinstance(r, TableView)]
    assert dict(table.rows)["due now"] == "2"


async def test_review_parsing_refusals(app: App) -> None:
    assert errors(await say(app, BOB, "review 0")) == ["A review has 1 to 20 cards."]
    assert errors(await say(app, BOB, "review 2 3"))[0].startswith("The count was given twice")
    assert errors(await say(app, BOB, "review stop now")) == ["Send `review stop` on its own."]
    assert "no-such-topic" in errors(await say(app, BOB, "review no-such-topic"))[0]
    assert "You have no review cards yet" in await text(app, BOB, "review")


async def test_flashcard_and_interview_answers_rate_cards(app: App, clock: ManualClock) -> None:
    uid = await _user_id(app, BOB)
    for _ in range(10):
        card = (await say(app, BOB, "quiz sample-stats 1 hard"))[-1]
        assert isinstance(card, QuestionCard)
        if card.question_id == "ss-bias-variance":
            break
        await say(app, BOB, "quiz stop")
    await say(app, BOB, "answer bias and variance")
    await say(app, BOB, "answer partly")
    hard = await app.ctx.stores.cards.get_card(uid, "ss-bias-variance")
    assert hard is not None and hard.reps == 1
    again = reviewed(None, uid, "x", "t", AGAIN, clock.now(), ReviewPolicy())
    good = reviewed(None, uid, "x", "t", GOOD, clock.now(), ReviewPolicy())
    assert again.stability < hard.stability < good.stability  # type: ignore[operator]
    # An interview answer that covers nothing is Again: back the next day.
    await say(app, CY, "interview sample-stats 1")
    await say(app, CY, "answer I would rather talk about the weather today. It is sunny here.")
    cy = await _user_id(app, CY)
    card = await app.ctx.stores.cards.get_card(cy, "ss-bias-variance")
    assert card is not None and card.due == clock.now() + DAY and card.stability == again.stability


async def test_daily_answers_update_cards_only_at_the_reveal(app: App, clock: ManualClock) -> None:
    opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-median")
    assert opened is not None
    rnd, card = opened
    right = next(o.label for o in card.options if o.index == 1)
    wrong = next(o.label for o in card.options if o.index != 1)
    await say(app, BOB, f"answer {right}")
    await say(app, CY, f"answer {wrong}")
    bob, cy = await _user_id(app, BOB), await _user_id(app, CY)
    clock.advance(dt.timedelta(hours=2))
    # Before the reveal nothing shows: no card, no stats line that would leak the result.
    assert await app.ctx.stores.cards.get_card(bob, "ss-median") is None
    assert await app.ctx.stores.cards.get_card(cy, "ss-median") is None
    assert "Review cards" not in await text(app, CY, "stats")
    clock.advance(dt.timedelta(hours=6))
    assert await daily.close_daily_round(app.ctx, rnd.id, clock.now()) is not None
    missed = await app.ctx.stores.cards.get_card(cy, "ss-median")
    known = await app.ctx.stores.cards.get_card(bob, "ss-median")
    assert missed is not None and missed.due == clock.now() + DAY
    assert known is not None and known.due > missed.due
    assert await daily.close_daily_round(app.ctx, rnd.id, clock.now()) is None
    again = await app.ctx.stores.cards.get_card(cy, "ss-median")
    assert again == missed  # a second close reviews nothing twice


async def test_forgetme_removes_cards_and_streak(app: App, clock: ManualClock) -> None:
    await _quiz_miss(app, BOB, "sample-ml", 2)
    clock.advance(DAY)
    card = (await say(app, BOB, "review"))[-1]
    assert isinstance(card, QuestionCard)
    await say(app, BOB, f"answer {correct_text(app, card)}")
    uid = await _user_id(app, BOB)
    await _quiz_miss(app, CY, "sample-ml", 1)
    async with app.db.read() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(learners))).scalar() == 1
    await say(app, BOB, "forgetme confirm")
    async with app.db.read() as conn:
        for table in (cards, learners):
            left = await conn.execute(sa.select(table.c.user_id).where(table.c.user_id == uid))
            assert left.all() == []
        others = await conn.execute(sa.select(sa.func.count()).select_from(cards))
        assert others.scalar() == 1  # Cy's card stays


async def test_stats_show_due_retention_and_weakest_topic(app: App, clock: ManualClock) -> None:
    await _quiz_miss(app, BOB, "sample-ml", 2)
    card = (await say(app, BOB, "quiz sample-stats 1 easy"))[-1]
    assert isinstance(card, QuestionCard)
    await say(app, BOB, f"answer {correct_text(app, card)}")
    replies = await say(app, BOB, "stats")
    [table] = [r for r in replies if isinstance(r, TableView)]
    rows = dict(table.rows)
    assert rows["due now"] == "0" and rows["due within 7 days"] == "3"
    assert rows["weakest topic"] == "sample-ml"
    clock.advance(DAY)
    rows = dict(next(r for r in await say(app, BOB, "stats") if isinstance(r, TableView)).rows)
    assert rows["due now"] == "2"
    assert rows["  sample-ml"] < rows["  sample-stats"]
    # Someone else's stats never show your cards; your own by name do.
    assert not [r for r in await say(app, CY, "stats Bob") if isinstance(r, TableView)]
    by_name = next(r for r in await say(app, BOB, "stats Bob") if isinstance(r, TableView))
    assert dict(by_name.rows)["due now"] == "2"


async def test_config_retention_and_interval_shape_the_schedule(
    app: App, clock: ManualClock
) -> None:
    assert (
        "Only an admin can change how review cards are scheduled"
        in (errors(await say(app, BOB, "config retention 0.85"))[0])
    )
    for bad in ("0.5", "0.99", "lots", "120%"):
        [message] = errors(await say(app, ADMIN, f"config retention {bad}"))
        assert f"'{bad}' is not a usable retention" in message and "0.7 to 0.97" in message
    [message] = errors(await say(app, ADMIN, "config interval 3"))
    assert message == "'3' is not a usable interval: give whole days from 7 to 36500."
    shown = await text(app, ADMIN, "config show")
    assert "review retention" in shown and "0.90" in shown and "365 days" in shown

    async def interval_after_two_goods(who: object) -> dt.timedelta:
        uid = await _user_id(app, who)
        store = app.ctx.stores.cards
        at = clock.now()
        await store.review("console:acme", [CardReview(uid, "sm-kfold", "sample-ml", GOOD, at)])
        first = await store.get_card(uid, "sm-kfold")
        assert first is not None
        review = CardReview(uid, "sm-kfold", "sample-ml", GOOD, first.due)
        await store.review("console:acme", [review])
        second = await store.get_card(uid, "sm-kfold")
        assert second is not None
        return second.due - first.due

    default = await interval_after_two_goods(BOB)
    assert "aim for 97% recall" in await text(app, ADMIN, "config retention 97%")
    strict = await interval_after_two_goods(CY)
    assert strict < default  # higher retention: sooner reviews
    assert "within 7 days at most" in await text(app, ADMIN, "config interval 7")
    assert "0.97" in await text(app, ADMIN, "config show")
    # A card always known reaches the maximum interval and stays there.
    await say(app, ADMIN, "config retention 0.7")
    dee = await _user_id(app, origin("Dee"))
    store = app.ctx.stores.cards
    at, gaps = clock.now(), []
    for _ in range(8):
        await store.review("console:acme", [CardReview(dee, "sm-kfold", "sample-ml", GOOD, at)])
        card = await store.get_card(dee, "sm-kfold")
        assert card is not None
        gaps.append(card.due - at)
        at = card.due
    assert max(gaps) == gaps[-1] == dt.timedelta(days=7)
