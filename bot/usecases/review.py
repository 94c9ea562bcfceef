"""Spaced review: a private session over the user's due cards, and what is due in stats."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence

from bot import commands as c
from bot import messages as m
from bot.identity import Origin
from bot.records import CardGlance, CardRecord
from bot.replies import Notice, Reply, TableView
from bot.review import ReviewPolicy, end_of_day, recall_odds
from bot.store_ports import StudyRead
from bot.usecases.cards import session_card
from bot.usecases.context import Actor, Context, UserError
from bot.usecases.quiz import review_summary
from bot.usecases.session import open_session, running_session

# Due cards read per start: enough to fill a review after skipping dormant ones (questions
# that left the bank) and other topics.
REVIEW_SCAN = 500
WEEK = dt.timedelta(days=7)


async def start_review(ctx: Context, cmd: c.StartReview, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    shown = await running_session(ctx, actor, "review", bare=cmd == c.StartReview())
    if shown is not None:
        return shown
    topic = ctx.resolve_topic(cmd.topic) if cmd.topic else None
    now = ctx.clock.now()
    before = end_of_day(now, actor.timezone)
    due = [
        card
        for card in await ctx.stores.cards.due_cards(actor.user.id, before, REVIEW_SCAN)
        if _live(actor, card, topic)
    ]
    if not due:
        return await nothing_due(ctx, actor, topic, before)
    picked = [card.question_id for card in due[: cmd.count]]
    quiz = await open_session(ctx, actor, picked, now, kind="review")
    return [Notice(m.REVIEW_INTRO.format(n=len(picked), due=len(due))), session_card(ctx, quiz)]


async def stop_review(ctx: Context, cmd: c.StopReview, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    quiz = await ctx.stores.quizzes.active_quiz(actor.user.id)
    if quiz is None:
        raise UserError(m.REVIEW_NOT_RUNNING)
    if quiz.kind != "review":
        kind = quiz.kind if quiz.kind in m.STOP_REF else "quiz"
        raise UserError(m.REVIEW_IS_OTHER.format(kind=kind, stop=m.STOP_REF[kind]))
    await ctx.stores.quizzes.stop_quiz(quiz.id, ctx.clock.now())
    return await review_summary(ctx, quiz, stopped=True)


async def due_now(ctx: Context, origin: Origin) -> int:
    """The user's live cards due today, most overdue first (at most REVIEW_SCAN)."""
    actor = await ctx.actor(origin)
    before = end_of_day(ctx.clock.now(), actor.timezone)
    due = await ctx.stores.cards.due_cards(actor.user.id, before, REVIEW_SCAN)
    return sum(1 for card in due if _live(actor, card, None))


def _live(actor: Actor, card: CardRecord | CardGlance, topic: str | None) -> bool:
    """A card whose question is still in the user's workspace bank and not retired there
    (others stay dormant), of the topic asked."""
    question = actor.bank.in_rotation(card.question_id)
    return question is not None and (topic is None or question.topic == topic)


async def nothing_due(
    ctx: Context, actor: Actor, topic: str | None, before: dt.datetime
) -> list[Reply]:
    """When the next card is due, and a quiz on the user's weakest topic meanwhile."""
    what = f" in {topic}" if topic else ""
    cards = [c for c in await ctx.stores.cards.user_cards(actor.user.id) if _live(actor, c, None)]
    if not cards:
        return [Notice(m.REVIEW_NOTHING.format(what=what) + " " + m.REVIEW_NO_CARDS)]
    coming = sorted(c.due for c in cards if c.due >= before and _live(actor, c, topic))
    lines = [m.REVIEW_NOTHING.format(what=what)]
    if coming:
        lines.append(m.REVIEW_NEXT.format(when=_when(ctx, actor, coming[0])))
    policy = await ctx.stores.cards.policy(actor.workspace)
    weakest = weakest_topic(cards, ctx.clock.now(), policy)
    lines.append(m.REVIEW_OFFER.format(topic=weakest) if weakest else m.REVIEW_OFFER_ANY)
    return [Notice(" ".join(lines))]


def _when(ctx: Context, actor: Actor, due: dt.datetime) -> str:
    zone = zoneinfo.ZoneInfo(actor.timezone)
    days = (due.astimezone(zone).date() - ctx.today(actor)).days
    return (
        m.REVIEW_TOMORROW
        if days <= 1
        else m.REVIEW_ON.format(day=f"{due.astimezone(zone):%a %d %b}")
    )


def retention_by_topic(
    cards: list[CardRecord], now: dt.datetime, policy: ReviewPolicy
) -> dict[str, float]:
    """Mean FSRS retrievability of each topic's cards now."""
    return _by_topic(cards, recall_odds(cards, now, policy))


def _by_topic(cards: Sequence[CardRecord | CardGlance], odds: list[float]) -> dict[str, float]:
    by_topic: dict[str, list[float]] = defaultdict(list)
    for card, odd in zip(cards, odds, strict=True):
        by_topic[card.topic].append(odd)
    return {topic: sum(v) / len(v) for topic, v in by_topic.items()}


def weakest_topic(cards: list[CardRecord], now: dt.datetime, policy: ReviewPolicy) -> str | None:
    by_topic = retention_by_topic(cards, now, policy)
    return min(by_topic, key=lambda t: (by_topic[t], t)) if by_topic else None


def review_stats(ctx: Context, actor: Actor, read: StudyRead) -> TableView | None:
    """The asker's cards for `stats`: due now and this week, retention overall and per topic,
    the weakest topic and the study streak; None without any live card. `read`: the cards
    as own stats read them (BoardStore.own_stats)."""
    found, learner, policy = read
    cards = [c for c in found if _live(actor, c, None)]
    if not cards:
        return None
    now = ctx.clock.now()
    before = end_of_day(now, actor.timezone)
    # Each card's retrievability once, for the topics and the whole.
    odds = recall_odds(cards, now, policy)
    by_topic = _by_topic(cards, odds)
    overall = sum(odds) / len(cards)
    rows: list[tuple[str, str]] = [
        (m.STATS_DUE_NOW, str(sum(1 for c in cards if c.due < before))),
        (m.STATS_DUE_WEEK, str(sum(1 for c in cards if c.due < before + WEEK))),
        (m.STATS_RETENTION, f"{overall:.0%} over {len(cards)} card(s)"),
        *((f"  {t}", f"{by_topic[t]:.0%}") for t in sorted(by_topic)),
        (m.STATS_WEAKEST, min(by_topic, key=lambda t: (by_topic[t], t))),
    ]
    if learner is not None and learner.streak:
        yesterday = ctx.today(actor) - dt.timedelta(days=1)
        alive = learner.last_study_day is not None and learner.last_study_day >= yesterday
        streak = learner.streak if alive else 0
        rows.append(
            (
                m.STATS_STUDY_STREAK,
                m.STATS_STREAK_DAYS.format(streak=streak, best=learner.best_streak),
            )
        )
    return TableView(m.STATS_REVIEW_TITLE, tuple(rows), m.STATS_REVIEW_FOOTER)
