"""Daily rounds: open one per channel and day, take answers, close with points, reveal."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import zoneinfo

from bot import commands as c
from bot import messages as m
from bot.content import QuestionBank
from bot.identity import Origin, PlaceRef
from bot.inbox import OneWrite
from bot.questions import Difficulty, Question, QuestionType, Verdict, check_answer
from bot.records import ChannelRecord, DailyAnswer, DailyAnswerOutcome, RoundRecord
from bot.replies import Notice, OptionShare, QuestionCard, Reply, RoundReveal, Visibility
from bot.schedule import next_post_after, wall_clock
from bot.scoring import daily_points
from bot.usecases.cards import (
    answer_label,
    card_for,
    chosen,
    closes_label,
    invalid,
    options_for,
    running_text,
)
from bot.usecases.context import Actor, Context, UserError, ok

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=64)
def _snapshot(question_json: str) -> Question:
    return Question.model_validate_json(question_json)


def round_question(ctx: Context, rnd: RoundRecord) -> Question | None:
    """The question the round asked, from its snapshot: a deck edited or a question removed
    since changes nothing for the round. Rounds opened before snapshots existed (and whose
    question had left the bank by then) fall back to the bank; None if it is gone there too."""
    if rnd.question_json:
        try:
            return _snapshot(rnd.question_json)
        except ValueError as exc:
            log.warning("round %s: unreadable question snapshot (%s); using the bank", rnd.id, exc)
    return ctx.question(rnd.question_id)


def round_card(ctx: Context, rnd: RoundRecord, zone: str, question: Question) -> QuestionCard:
    return card_for(
        question,
        rnd.order,
        round_id=rnd.id,
        closes_at=closes_label(rnd, zone),
        visibility=Visibility.PUBLIC,
    )


async def show_daily(ctx: Context, cmd: c.ShowDaily, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    rnd = await ctx.stores.rounds.open_round(actor.channel.id)
    question = round_question(ctx, rnd) if rnd is not None else None
    if rnd is None:
        raise UserError(no_round_here(actor.channel, ctx.clock.now()))
    if question is None:
        raise UserError(m.NO_DAILY)
    mine = await ctx.stores.answers.get_answer(rnd.id, actor.user.id)
    if mine is not None:
        return [
            Notice(
                m.DAILY_STATUS_ANSWERED.format(
                    given=mine.given, closes=closes_label(rnd, actor.timezone)
                )
            )
        ]
    # Forgotten during this round: the round stays locked, so its card is not offered again.
    if await ctx.stores.answers.forgotten(rnd.id, actor.workspace, actor.origin.user.user_id):
        raise UserError(m.DAILY_FORGOTTEN)
    card = round_card(ctx, rnd, actor.timezone, question)
    shown: list[Reply] = [QuestionCard(**{**card.__dict__, "visibility": Visibility.PRIVATE})]
    running = await ctx.stores.quizzes.active_quiz(actor.user.id)
    if running is not None:
        # A typed answer goes to the running quiz or interview, not to this card: say so.
        shown.append(Notice(running_text(m.DAILY_WHILE_RUNNING, running)))
    return shown


def no_round_here(channel: ChannelRecord, now: dt.datetime) -> str:
    """Why `daily` finds no round: no daily question here, paused, or when the next one comes."""
    if not channel.enabled:
        return m.CONFIG_NOT_ENABLED
    coming = next_post_after(now, channel.schedule)
    if coming is None:
        return m.NO_DAILY_PAUSED
    return m.NO_DAILY_NEXT.format(when=wall_clock(coming, channel.schedule.timezone))


async def answer_daily(
    ctx: Context, actor: Actor, rnd: RoundRecord, text: str, choice: int | None = None
) -> list[Reply]:
    """Lock in the actor's one answer to the round; the result stays private until the reveal."""
    answers = ctx.stores.answers
    closes = closes_label(rnd, actor.timezone)
    # The close time is exact even though the scheduler closes the round on its next tick.
    if rnd.closed_at is not None or ctx.clock.now() >= rnd.closes_at:
        # An answer stored before the close and confirmed only now (a replay after a crash
        # between the write and the reply) still gets its confirmation.
        confirmed = await stored_before_close(ctx, actor, rnd, text, choice)
        if confirmed is not None:
            return confirmed
        raise UserError(m.DAILY_CLOSED)
    question = round_question(ctx, rnd)
    if question is None:
        raise UserError(m.NO_DAILY)
    text = chosen(question, rnd.order, text, choice)
    existing = await answers.get_answer(rnd.id, actor.user.id)
    if existing is not None:
        return already(existing.given, text, closes)
    check = check_answer(question, text, rnd.order, vocabulary=ctx.bank.vocabulary)
    if check.verdict is Verdict.INVALID:
        raise invalid(question, check)
    stored = await answers.add_answer(
        rnd.id,
        actor.user.id,
        question.topic,
        text.strip(),
        check.normalized,
        check.correct,
        ctx.clock.now(),
    )
    if not stored:
        again = await answers.get_answer(rnd.id, actor.user.id)
        if again is None:
            raise UserError(m.DAILY_CLOSED)
        return already(again.given, text, closes)
    return [ok(m.DAILY_LOCKED.format(closes=closes))]


async def stored_before_close(
    ctx: Context, actor: Actor, rnd: RoundRecord, text: str, choice: int | None
) -> list[Reply] | None:
    """The confirmation of this very answer if the actor's stored answer to the (now closed)
    round is it: the same delivery run again after the close. None otherwise."""
    question = round_question(ctx, rnd)
    existing = await ctx.stores.answers.get_answer(rnd.id, actor.user.id)
    if question is None or existing is None:
        return None
    try:
        given = chosen(question, rnd.order, text, choice)
    except UserError:
        return None
    if existing.given != given.strip()[:300]:
        return None
    return [ok(m.DAILY_LOCKED_BEFORE_CLOSE.format(given=existing.given))]


def already(given: str, text: str, closes: str) -> list[Reply]:
    """A second answer to a round. The same answer again is the retry of one stored but never
    confirmed (a fault after the write, a lost reply): it gets the normal confirmation. A
    different one is refused, saying what stands; never the refusal alone."""
    if given == text.strip()[:300]:
        return [ok(m.DAILY_LOCKED.format(closes=closes))]
    raise UserError(m.DAILY_ALREADY.format(given=given, closes=closes))


async def plan_daily_answer(
    ctx: Context, cmd: c.SubmitAnswer, round_id: int, origin: Origin
) -> OneWrite[DailyAnswer, DailyAnswerOutcome] | None:
    """A click on a daily card as one grouped write: every check that needs no database
    runs here, and the write (the store's batch) ensures the user and locks the answer in.
    Anything unusual returns None and takes the general path, so refusals read exactly as
    they always have."""
    rnd = await ctx.stores.rounds.round_snapshot(round_id)
    now = ctx.clock.now()
    place = origin.place
    if rnd is None or rnd.workspace != place.workspace_key:
        return None
    if rnd.closed_at is not None or now >= rnd.closes_at:
        return None
    question = round_question(ctx, rnd)
    if question is None:
        return None
    try:
        text = chosen(question, rnd.order, cmd.text, cmd.choice)
    except UserError:
        return None
    check = check_answer(question, text, rnd.order, vocabulary=ctx.bank.vocabulary)
    if check.verdict is Verdict.INVALID:
        return None
    answer = DailyAnswer(
        platform=place.platform.value,
        workspace=place.workspace_key,
        external_id=origin.user.user_id,
        display_name=await _name_to_write(ctx, origin),
        channel=place.channel,
        round_id=rnd.id,
        topic=question.topic,
        given=text.strip(),
        normalized=check.normalized,
        correct=check.correct,
        at=now,
    )
    return OneWrite(answer, functools.partial(daily_reply, rnd, text))


async def _name_to_write(ctx: Context, origin: Origin) -> str:
    """The name the grouped write stores (it sets the one it carries): a guessed name (a
    handle) only for someone new; a known user keeps the stored one. The read costs a key
    look-up, paid only by a user's first click after a restart (the adapter knows the name
    from then on), and keeps the click on the one-write path."""
    if not origin.guessed_name:
        return origin.display_name
    seen = await ctx.stores.users.sighting(
        origin.place.workspace_key, origin.user.user_id, origin.place.channel
    )
    return seen.user.display_name if seen.user is not None else origin.display_name


def daily_reply(rnd: RoundRecord, text: str, outcome: DailyAnswerOutcome) -> list[Reply] | None:
    """The reply to a grouped daily answer's outcome, from that alone (pure: an inbox batch
    stores it in the answer's transaction). None when the general path must decide: no
    channel yet, an answer forgotten, the round closed meanwhile. A different second answer
    raises the refusal, as `already` does."""
    if outcome.status == "stored":
        return [_locked_in(closes_label(rnd, outcome.timezone))]
    if outcome.status == "already":
        return already(outcome.given, text, closes_label(rnd, outcome.timezone))
    return None


@functools.lru_cache(maxsize=256)
def _locked_in(closes: str) -> Notice:
    # Every click of a round is told the same line: one (immutable) notice per closing time.
    return ok(m.DAILY_LOCKED.format(closes=closes))


async def answer_daily_batched(
    ctx: Context, cmd: c.SubmitAnswer, round_id: int, origin: Origin
) -> list[Reply] | None:
    """A click on a daily card, the burst path, when no inbox row goes with it (the inbox
    writes its one-write requests itself): the planned write, shared with every answer
    arriving meanwhile. None: nothing was written; take the general path."""
    plan = await plan_daily_answer(ctx, cmd, round_id, origin)
    if plan is None:
        return None
    outcome = await ctx.stores.answers.submit_daily_answer(plan.item)
    if outcome.status == "closed":
        raise UserError(m.DAILY_CLOSED)
    return plan.render(outcome)  # None for no_channel: the general path creates the channel


def pick_daily_question(
    ctx: Context,
    bank: QuestionBank,
    channel: ChannelRecord,
    used: set[str],
) -> Question | None:
    """An auto-gradable question for the channel from its workspace's bank (retired ones are
    in none of its decks), new to it until the pool is used up."""
    level = None if channel.difficulty == "mixed" else Difficulty(channel.difficulty)
    topics = [t for t in channel.topics if t in bank.decks] or None
    pool = bank.select(topics, level, auto_gradable_only=True)
    if not pool:
        return None
    fresh = [q.id for q in pool if q.id not in used] or [q.id for q in pool]
    return bank.by_id[ctx.rng.sample(fresh, 1)[0]]


async def open_daily_round(
    ctx: Context,
    place: PlaceRef,
    now: dt.datetime,
    question_id: str | None = None,
    *,
    channel: ChannelRecord | None = None,
) -> tuple[RoundRecord, QuestionCard] | None:
    """Open today's round in the channel; None if it exists already or nothing fits.
    `channel`: the place's record when the caller has just read it (the scheduler's tick),
    which saves a read per channel of a fan-out."""
    if channel is None:
        channel = await ctx.stores.channels.ensure_channel(
            place.platform.value, place.workspace_key, place.channel, now
        )
    zone = zoneinfo.ZoneInfo(channel.schedule.timezone)
    day = now.astimezone(zone).date()
    if question_id is None:
        used = await ctx.stores.rounds.used_questions(channel.id)
        bank = await ctx.bank_for(channel.workspace)
        question = pick_daily_question(ctx, bank, channel, used)
        if question is None:
            log.warning("no question fits channel %s", channel.id)
            return None
    else:
        await ctx.bank_for(channel.workspace)
        found = ctx.question(question_id)
        if found is None:
            raise ValueError(f"{question_id} is in no bank of this workspace")
        question = found
        if not question.auto_gradable:
            raise ValueError(f"{question_id} is not auto-gradable")
    closes_at = dt.datetime.combine(day, channel.schedule.close_time, zone).astimezone(dt.UTC)
    if closes_at <= now:
        closes_at = now + dt.timedelta(hours=1)
    order = tuple(ctx.rng.shuffle(list(range(len(question.choices))), f"round:{channel.id}:{day}"))
    rnd = await ctx.stores.rounds.create_round(
        channel, day, question.id, order, now, closes_at, question.model_dump_json()
    )
    if rnd is None:
        return None
    return rnd, round_card(ctx, rnd, channel.schedule.timezone, question)


async def close_daily_round(ctx: Context, round_id: int, now: dt.datetime) -> RoundReveal | None:
    """Close the round, award points and streaks, build the reveal; None if closed before."""
    rnd = await ctx.stores.rounds.get_round(round_id)
    if rnd is None:
        return None
    question = round_question(ctx, rnd)
    if question is None:
        # Only a round from before snapshots whose question has left the deck: its correct
        # answers were judged when given and still earn the middle level's points.
        log.warning("round %s: question %s is gone; scored as medium", rnd.id, rnd.question_id)
    base = daily_points(question.difficulty if question else Difficulty.MEDIUM)
    if not await ctx.stores.rounds.close_round(round_id, now, base):
        return None
    return await reveal(ctx, round_id)


async def reveal(ctx: Context, round_id: int) -> RoundReveal:
    """The round's answer, explanation, share per option and who was right."""
    rnd = await ctx.stores.rounds.get_round(round_id)
    assert rnd is not None
    q = round_question(ctx, rnd)
    # Counted by the store: a record per answer built here stalled every other click
    # while a big round's reveal ran (docs/scaling.md, session 11).
    tally = await ctx.stores.answers.round_tally(round_id)
    shares: list[OptionShare] = []
    if q is not None and q.type is QuestionType.MCQ:
        for opt in options_for(q, rnd.order):
            n = tally.by_answer.get(str(opt.index), 0)
            shares.append(OptionShare(opt.label, opt.text, n, opt.index == q.answer))
    elif q is not None and q.type is QuestionType.TRUE_FALSE:
        for label, value in (("T", "true"), ("F", "false")):
            n = tally.by_answer.get(value, 0)
            shares.append(OptionShare(label, value.capitalize(), n, (value == "true") == q.answer))
    else:
        shares = [
            OptionShare("", "correct", tally.right, True),
            OptionShare("", "other answers", tally.answered - tally.right, False),
        ]
    winners = tally.winners
    return RoundReveal(
        round_id,
        rnd.question_id,
        q.prompt if q else m.REVEAL_QUESTION_GONE,
        answer_label(q, rnd.order) if q else "",
        q.explanation if q else "",
        tally.answered,
        len(winners),
        tuple(shares),
        winners,
        winners[0] if winners else None,
    )
