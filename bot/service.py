"""Use cases: one async method per command, written against the ports, returning replies."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import process

from bot import commands as c
from bot import messages as m
from bot.catalog import BY_NAME, CATALOG
from bot.content import QuestionBank
from bot.identity import Origin, PlaceRef, Platform
from bot.ports import (
    ChannelRecord,
    Clock,
    PointAward,
    Publisher,
    QuizRecord,
    Rng,
    RoundRecord,
    TallySnapshotRow,
    UserRecord,
)
from bot.questions import Check, Difficulty, Question, QuestionType, Verdict, check_answer, letter
from bot.replies import (
    AnswerFeedback,
    BoardRow,
    Flashcard,
    HelpLine,
    HelpView,
    LeaderboardView,
    Notice,
    Option,
    OptionShare,
    QuestionCard,
    QuizSummary,
    Reply,
    RoundReveal,
    StatsView,
    TableView,
    TeamTallyRow,
    Tone,
    TopicAccuracy,
    Visibility,
    WeeklyTally,
)
from bot.schedule import (
    ChannelSchedule,
    DueWork,
    ScheduleError,
    WorkKind,
    days_to_mask,
    due_work,
    format_days,
    local_date,
    next_due_after,
    period_key,
    period_label,
)
from bot.scoring import QUIZ_DAILY_CAP, daily_points, quiz_points
from bot.storage.repository import DailyAnswer, SqlStore

log = logging.getLogger(__name__)


# Pauses before the second and third publish attempt; a publish is tried at most three times.
RETRY_DELAYS: tuple[float, ...] = (2.0, 8.0)
# Channels a tick works on at once (each still in order); the publishers pace the platform.
CHANNELS_AT_ONCE = 4


class UserError(Exception):
    """A refusal the user should read: shown privately, nothing was written."""


@dataclass(frozen=True)
class WorkResult:
    """What this process did with one piece of scheduled work it claimed."""

    channel_id: int
    kind: WorkKind
    period: str
    status: str  # published | failed | skipped
    message_ref: str | None = None


def place_of(channel: ChannelRecord) -> PlaceRef:
    platform = Platform(channel.platform)
    # Channels store the workspace key ("slack:T123"); the place wants the bare workspace id.
    workspace = channel.workspace.removeprefix(f"{platform.value}:")
    return PlaceRef(platform, workspace, channel.external_id)


@dataclass(frozen=True)
class Actor:
    origin: Origin
    user: UserRecord
    channel: ChannelRecord

    @property
    def workspace(self) -> str:
        return self.origin.place.workspace_key

    @property
    def timezone(self) -> str:
        return self.channel.schedule.timezone


def _ok(text: str) -> Notice:
    return Notice(text, Tone.SUCCESS)


def _error(text: str) -> Notice:
    return Notice(text, Tone.ERROR)


def display_order(question: Question, order: tuple[int, ...]) -> tuple[int, ...]:
    if question.type is QuestionType.MCQ:
        return order if len(order) == len(question.choices) else tuple(range(len(question.choices)))
    return ()


def options_for(question: Question, order: tuple[int, ...]) -> tuple[Option, ...]:
    if question.type is QuestionType.MCQ:
        shown = display_order(question, order)
        return tuple(
            Option(letter(pos), question.choices[idx], idx) for pos, idx in enumerate(shown)
        )
    if question.type is QuestionType.TRUE_FALSE:
        return (Option("T", "True", 1), Option("F", "False", 0))
    return ()


def card_for(question: Question, order: tuple[int, ...], **context: Any) -> QuestionCard:
    """A question card; `context` says whether it belongs to a quiz or a daily round."""
    q = question
    return QuestionCard(
        q.id, q.topic, q.difficulty, q.type, q.prompt, options_for(q, order), **context
    )


def answer_label(question: Question, order: tuple[int, ...]) -> str:
    """The correct answer as shown to this user (MCQ letters follow the shuffled order)."""
    if question.type is QuestionType.MCQ:
        assert isinstance(question.answer, int)
        shown = display_order(question, order)
        return f"{letter(shown.index(question.answer))}. {question.choices[question.answer]}"
    return question.answer_text()


class Service:
    """The core's use cases. Adapters reach it only through the Dispatcher."""

    def __init__(
        self,
        store: SqlStore,
        bank: QuestionBank,
        clock: Clock,
        rng: Rng,
        quiz_cap: int = QUIZ_DAILY_CAP,
    ) -> None:
        self.store = store
        self.bank = bank
        self.clock = clock
        self.rng = rng
        self.quiz_cap = quiz_cap
        self.retry_delays: Sequence[float] = RETRY_DELAYS
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        # Names the claimant in the claims table, to tell processes apart when debugging.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    # -- context -------------------------------------------------------------------------

    async def actor(self, origin: Origin) -> Actor:
        now = self.clock.now()
        place = origin.place
        user = await self.store.ensure_user(
            place.workspace_key, origin.user.user_id, origin.display_name, now
        )
        channel = await self.store.ensure_channel(
            place.platform.value, place.workspace_key, place.channel, now
        )
        return Actor(origin, user, channel)

    def _today(self, actor: Actor) -> dt.date:
        return local_date(self.clock.now(), actor.timezone)

    def _require_admin(self, actor: Actor, what: str) -> None:
        if not actor.origin.is_admin:
            raise UserError(m.NOT_ADMIN.format(what=what))

    # -- help and topics -------------------------------------------------------------------

    async def show_help(self, cmd: c.ShowHelp, origin: Origin) -> list[Reply]:
        if cmd.command:
            entry = BY_NAME[cmd.command]
            lines = [HelpLine(entry.usage, entry.summary, entry.admin)]
            lines += [
                HelpLine(
                    f"{entry.name} {s.name} " + " ".join(a.name.upper() for a in s.args),
                    s.help,
                    s.admin,
                )
                for s in entry.subs
            ]
            lines += [HelpLine(e, "example") for e in entry.examples]
            return [HelpView(f"{m.HELP_TITLE}: {entry.name}", tuple(lines))]
        overview = tuple(
            HelpLine(e.usage if not e.subs else f"{e.name} ...", e.summary, e.admin)
            for e in CATALOG
        )
        return [HelpView(m.HELP_TITLE, overview, m.HELP_FOOTER)]

    async def show_topics(self, cmd: c.ShowTopics, origin: Origin) -> list[Reply]:
        rows = []
        for topic in self.bank.topics:
            deck = self.bank.decks[topic]
            auto = sum(1 for q in deck.questions if q.auto_gradable)
            rows.append(
                (topic, f"{deck.title}: {len(deck.questions)} questions ({auto} auto-graded)")
            )
        return [
            TableView(
                "Topics",
                tuple(rows),
                f"{len(self.bank)} questions in all. Start with `quiz TOPIC`.",
            )
        ]

    def resolve_topic(self, word: str) -> str:
        """Map a topic word to a deck: exact slug, a unique slug part or prefix, else suggest."""
        topics = self.bank.topics
        low = word.lower()
        if low in topics:
            return low
        matches = [t for t in topics if low in t.split("-") or t.startswith(low)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UserError(m.ambiguous_topic(word, matches))
        guesses = [g for g, score, _ in process.extract(low, topics, limit=3) if score >= 55]
        raise UserError(m.unknown_topic(word, guesses))

    # -- quizzes -------------------------------------------------------------------------

    async def start_quiz(self, cmd: c.StartQuiz, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        topic = self.resolve_topic(cmd.topic) if cmd.topic else None
        running = await self.store.active_quiz(actor.user.id)
        if running is not None:
            raise UserError(
                m.QUIZ_ALREADY.format(
                    position=running.position + 1, total=len(running.question_ids)
                )
            )
        pool = self.bank.select([topic] if topic else None, cmd.difficulty)
        if not pool:
            what = " ".join(filter(None, [topic, cmd.difficulty.value if cmd.difficulty else None]))
            raise UserError(m.NO_QUESTIONS.format(what=what or "that selection"))
        seen = await self.store.seen_quiz_questions(actor.user.id)
        fresh = [q.id for q in pool if q.id not in seen]
        notes: list[Reply] = []
        picked = self.rng.sample(fresh, min(cmd.count, len(fresh)))
        # Once every question of the selection has been seen, seen ones come back.
        seen_again = [q.id for q in pool if q.id not in picked]
        reused = self.rng.sample(seen_again, min(cmd.count - len(picked), len(seen_again)))
        if reused:
            notes.append(Notice(m.QUIZ_POOL_RESET))
        picked += reused
        if len(picked) < cmd.count:
            notes.append(Notice(m.QUIZ_SHORT.format(n=len(picked), asked=cmd.count)))
        now = self.clock.now()
        orders = [
            tuple(
                self.rng.shuffle(
                    list(range(len(self.bank.by_id[q].choices))),
                    f"{actor.user.id}:{now.isoformat()}:{q}",
                )
            )
            for q in picked
        ]
        quiz = await self.store.start_quiz(actor.user.id, actor.channel.id, picked, orders, now)
        if quiz is None:  # a concurrent start won the race
            raise UserError(m.QUIZ_ALREADY.format(position=1, total=cmd.count))
        return [*notes, self._quiz_card(quiz)]

    def _quiz_card(self, quiz: QuizRecord) -> QuestionCard:
        qid = quiz.current
        assert qid is not None
        return card_for(
            self.bank.by_id[qid],
            quiz.orders[quiz.position],
            quiz_id=quiz.id,
            position=quiz.position + 1,
            total=len(quiz.question_ids),
        )

    async def stop_quiz(self, cmd: c.StopQuiz, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        quiz = await self.store.active_quiz(actor.user.id)
        if quiz is None:
            raise UserError(m.QUIZ_NONE)
        await self.store.stop_quiz(quiz.id, self.clock.now())
        return [await self._summary(quiz, stopped=True)]

    async def _summary(self, quiz: QuizRecord, stopped: bool = False) -> QuizSummary:
        tally = await self.store.quiz_tally(quiz.id)
        return QuizSummary(
            tally.answered,
            tally.correct,
            len(quiz.question_ids),
            tally.points,
            stopped=stopped,
            rated=tally.rated,
        )

    async def first_delivery(self, platform: Platform, delivery_id: str) -> bool:
        """True the first time a platform delivery (event id, action id) is seen, False for a
        retry or repeat; adapters ask before acting on deliveries that have no SubmitAnswer."""
        return await self.store.claim_delivery(platform.value, delivery_id, self.clock.now())

    async def submit_answer(self, cmd: c.SubmitAnswer, origin: Origin) -> list[Reply]:
        if cmd.round_id is not None:
            fast = await self._answer_daily_batched(cmd, cmd.round_id, origin)
            if fast is not None:
                return fast
        now = self.clock.now()
        if cmd.delivery_id and not await self.store.claim_delivery(
            origin.place.platform.value, cmd.delivery_id, now
        ):
            return [Notice(m.DUPLICATE_DELIVERY)]
        actor = await self.actor(origin)
        if cmd.round_id is not None:
            rnd = await self.store.get_round(cmd.round_id)
            if rnd is None or rnd.workspace != actor.workspace:
                raise UserError(m.NO_DAILY)
            return await self._answer_daily(actor, rnd, cmd.text, cmd.choice)
        quiz = await self.store.active_quiz(actor.user.id)
        if cmd.quiz_id is not None:
            if (
                quiz is None
                or quiz.id != cmd.quiz_id
                or (cmd.question_id is not None and quiz.current != cmd.question_id)
            ):
                raise UserError(m.QUIZ_STALE)
            return await self._answer_quiz(actor, quiz, cmd.text, cmd.choice)
        if quiz is not None:
            return await self._answer_quiz(actor, quiz, cmd.text, cmd.choice)
        rnd = await self.store.open_round(actor.channel.id)
        if rnd is None:
            raise UserError(m.NOTHING_TO_ANSWER)
        return await self._answer_daily(actor, rnd, cmd.text, cmd.choice)

    @staticmethod
    def _chosen(question: Question, order: tuple[int, ...], text: str, choice: int | None) -> str:
        """A button names the original option index; grade it as the letter the user saw."""
        if choice is None:
            return text
        shown = order or tuple(range(len(question.choices)))
        if question.type is not QuestionType.MCQ or choice not in shown:
            raise UserError(m.BUTTON_STALE)
        return letter(shown.index(choice))

    @staticmethod
    def _invalid(question: Question, check: Check, order: tuple[int, ...]) -> UserError:
        text = m.INVALID_ANSWER.get(check.problem, m.INVALID_ANSWER["empty"])
        letters = ", ".join(letter(i) for i in range(len(question.choices)))
        return UserError(text.format(letters=letters))

    async def _answer_quiz(
        self, actor: Actor, quiz: QuizRecord, text: str, choice: int | None = None
    ) -> list[Reply]:
        qid = quiz.current
        assert qid is not None
        question = self.bank.by_id.get(qid)
        now = self.clock.now()
        if question is None:  # the deck changed under a running quiz: skip the question
            await self.store.record_quiz_answer(
                quiz, actor.workspace, qid, "unknown", False, text, False, None, None, now
            )
            return await self._after_quiz_answer(quiz, [])
        order = quiz.orders[quiz.position] if quiz.position < len(quiz.orders) else ()
        text = self._chosen(question, order, text, choice)
        if question.type is QuestionType.OPEN:
            if not quiz.awaiting_rating:
                await self.store.set_awaiting_rating(quiz.id, quiz.position)
                return [
                    Flashcard(question.id, quiz.id, question.model_answer, question.key_points),
                    Notice(m.OPEN_RATE),
                ]
            check = check_answer(question, text)
            if check.verdict is Verdict.INVALID:
                raise UserError(m.OPEN_BAD_RATING)
            if not await self.store.record_quiz_answer(
                quiz,
                actor.workspace,
                qid,
                question.topic,
                False,
                text,
                check.correct,
                check.normalized,
                None,
                now,
            ):
                raise UserError(m.QUIZ_STALE)
            return await self._after_quiz_answer(quiz, [Notice(f"Noted: {check.normalized}.")])
        check = check_answer(question, text, order)
        if check.verdict is Verdict.INVALID:
            raise self._invalid(question, check, order)
        day = self._today(actor)
        points, note = 0, ""
        if check.correct:
            before = await self.store.correct_before(actor.user.id, qid)
            earned = await self.store.quiz_points_on(actor.user.id, day)
            points = quiz_points(
                question.difficulty, correct_before=before, earned_today=earned, cap=self.quiz_cap
            )
            if before:
                note = m.QUIZ_REPEAT
            elif points == 0:
                note = m.QUIZ_CAPPED.format(cap=self.quiz_cap)
        award = PointAward(actor.user.id, points, check.correct, "quiz", day, now)
        if not await self.store.record_quiz_answer(
            quiz, actor.workspace, qid, question.topic, True, text, check.correct, None, award, now
        ):
            raise UserError(m.QUIZ_STALE)
        feedback = AnswerFeedback(
            question.id,
            check.correct,
            text.strip(),
            answer_label(question, order),
            question.explanation,
            points,
            note,
        )
        return await self._after_quiz_answer(quiz, [feedback])

    async def _after_quiz_answer(self, quiz: QuizRecord, replies: list[Reply]) -> list[Reply]:
        fresh = await self.store.get_quiz(quiz.id)
        assert fresh is not None
        if fresh.active:
            return [*replies, self._quiz_card(fresh)]
        return [*replies, await self._summary(fresh)]

    # -- daily rounds --------------------------------------------------------------------

    def _closes_label(self, rnd: RoundRecord, zone: str) -> str:
        return rnd.closes_at.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%H:%M %Z")

    def round_card(self, rnd: RoundRecord, zone: str) -> QuestionCard:
        return card_for(
            self.bank.by_id[rnd.question_id],
            rnd.order,
            round_id=rnd.id,
            closes_at=self._closes_label(rnd, zone),
            visibility=Visibility.PUBLIC,
        )

    async def _answer_daily(
        self, actor: Actor, rnd: RoundRecord, text: str, choice: int | None = None
    ) -> list[Reply]:
        # The close time is exact even though the scheduler closes the round on its next tick.
        if rnd.closed_at is not None or self.clock.now() >= rnd.closes_at:
            raise UserError(m.DAILY_CLOSED)
        question = self.bank.by_id.get(rnd.question_id)
        if question is None:
            raise UserError(m.NO_DAILY)
        text = self._chosen(question, rnd.order, text, choice)
        closes = self._closes_label(rnd, actor.timezone)
        existing = await self.store.get_answer(rnd.id, actor.user.id)
        if existing is not None:
            raise UserError(m.DAILY_ALREADY.format(given=existing.given))
        check = check_answer(question, text, rnd.order)
        if check.verdict is Verdict.INVALID:
            raise self._invalid(question, check, rnd.order)
        stored = await self.store.add_answer(
            rnd.id,
            actor.user.id,
            question.topic,
            text.strip(),
            check.normalized,
            check.correct,
            self.clock.now(),
        )
        if not stored:
            again = await self.store.get_answer(rnd.id, actor.user.id)
            if again is None:
                raise UserError(m.DAILY_CLOSED)
            raise UserError(m.DAILY_ALREADY.format(given=again.given))
        return [_ok(m.DAILY_LOCKED.format(closes=closes))]

    async def _answer_daily_batched(
        self, cmd: c.SubmitAnswer, round_id: int, origin: Origin
    ) -> list[Reply] | None:
        """A click on a daily card, the burst path: every check that needs no database runs
        here, then one grouped write claims the delivery, ensures the user and locks the
        answer in. Anything unusual returns None and takes the general path, so refusals
        read exactly as they always have."""
        rnd = await self.store.round_snapshot(round_id)
        now = self.clock.now()
        place = origin.place
        if rnd is None or rnd.workspace != place.workspace_key:
            return None
        if rnd.closed_at is not None or now >= rnd.closes_at:
            return None
        question = self.bank.by_id.get(rnd.question_id)
        if question is None:
            return None
        try:
            text = self._chosen(question, rnd.order, cmd.text, cmd.choice)
        except UserError:
            return None
        check = check_answer(question, text, rnd.order)
        if check.verdict is Verdict.INVALID:
            return None
        outcome = await self.store.submit_daily_answer(
            DailyAnswer(
                platform=place.platform.value,
                delivery_id=cmd.delivery_id,
                workspace=place.workspace_key,
                external_id=origin.user.user_id,
                display_name=origin.display_name,
                channel=place.channel,
                round_id=rnd.id,
                topic=question.topic,
                given=text.strip(),
                normalized=check.normalized,
                correct=check.correct,
                at=now,
            )
        )
        if outcome.status == "stored":
            return [_ok(m.DAILY_LOCKED.format(closes=self._closes_label(rnd, outcome.timezone)))]
        if outcome.status == "duplicate":
            return [Notice(m.DUPLICATE_DELIVERY)]
        if outcome.status == "already":
            raise UserError(m.DAILY_ALREADY.format(given=outcome.given))
        if outcome.status == "closed":
            raise UserError(m.DAILY_CLOSED)
        return None  # no_channel: nothing was written; the general path creates the channel

    async def show_daily(self, cmd: c.ShowDaily, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        rnd = await self.store.open_round(actor.channel.id)
        if rnd is None or rnd.question_id not in self.bank.by_id:
            raise UserError(m.NO_DAILY)
        mine = await self.store.get_answer(rnd.id, actor.user.id)
        if mine is not None:
            return [
                Notice(
                    m.DAILY_STATUS_ANSWERED.format(
                        given=mine.given, closes=self._closes_label(rnd, actor.timezone)
                    )
                )
            ]
        card = self.round_card(rnd, actor.timezone)
        return [QuestionCard(**{**card.__dict__, "visibility": Visibility.PRIVATE})]

    def pick_daily_question(self, channel: ChannelRecord, used: set[str]) -> Question | None:
        """An auto-gradable question for the channel, new to it until the pool is used up."""
        level = None if channel.difficulty == "mixed" else Difficulty(channel.difficulty)
        topics = [t for t in channel.topics if t in self.bank.decks] or None
        pool = self.bank.select(topics, level, auto_gradable_only=True)
        if not pool:
            return None
        fresh = [q for q in pool if q.id not in used] or pool
        return self.bank.by_id[self.rng.sample([q.id for q in fresh], 1)[0]]

    async def open_daily_round(
        self, place: PlaceRef, now: dt.datetime, question_id: str | None = None
    ) -> tuple[RoundRecord, QuestionCard] | None:
        """Open today's round in the channel; None if it exists already or nothing fits."""
        channel = await self.store.ensure_channel(
            place.platform.value, place.workspace_key, place.channel, now
        )
        zone = zoneinfo.ZoneInfo(channel.schedule.timezone)
        day = now.astimezone(zone).date()
        if question_id is None:
            used = await self.store.used_questions(channel.id)
            question = self.pick_daily_question(channel, used)
            if question is None:
                log.warning("no question fits channel %s", channel.id)
                return None
        else:
            question = self.bank.by_id[question_id]
            if not question.auto_gradable:
                raise ValueError(f"{question_id} is not auto-gradable")
        closes_at = dt.datetime.combine(day, channel.schedule.close_time, zone).astimezone(dt.UTC)
        if closes_at <= now:
            closes_at = now + dt.timedelta(hours=1)
        order = tuple(
            self.rng.shuffle(list(range(len(question.choices))), f"round:{channel.id}:{day}")
        )
        rnd = await self.store.create_round(channel, day, question.id, order, now, closes_at)
        if rnd is None:
            return None
        return rnd, self.round_card(rnd, channel.schedule.timezone)

    async def close_daily_round(self, round_id: int, now: dt.datetime) -> RoundReveal | None:
        """Close the round, award points and streaks, build the reveal; None if closed before."""
        rnd = await self.store.get_round(round_id)
        if rnd is None:
            return None
        question = self.bank.by_id.get(rnd.question_id)
        base = daily_points(question.difficulty) if question else 0
        if not await self.store.close_round(round_id, now, base):
            return None
        return await self.reveal(round_id)

    async def reveal(self, round_id: int) -> RoundReveal:
        rnd = await self.store.get_round(round_id)
        assert rnd is not None
        q = self.bank.by_id[rnd.question_id]
        rows = await self.store.round_answers(round_id)
        shares: list[OptionShare] = []
        if q.type is QuestionType.MCQ:
            for opt in options_for(q, rnd.order):
                n = sum(1 for a in rows if a.normalized == str(opt.index))
                shares.append(OptionShare(opt.label, opt.text, n, opt.index == q.answer))
        elif q.type is QuestionType.TRUE_FALSE:
            for label, value in (("T", "true"), ("F", "false")):
                n = sum(1 for a in rows if a.normalized == value)
                shares.append(
                    OptionShare(label, value.capitalize(), n, (value == "true") == q.answer)
                )
        else:
            right = sum(1 for a in rows if a.correct)
            shares = [
                OptionShare("", "correct", right, True),
                OptionShare("", "other answers", len(rows) - right, False),
            ]
        winners = tuple(a.display_name for a in rows if a.correct)
        return RoundReveal(
            round_id,
            q.id,
            q.prompt,
            answer_label(q, rnd.order),
            q.explanation,
            len(rows),
            len(winners),
            tuple(shares),
            winners,
            winners[0] if winners else None,
        )

    # -- scheduled work ----------------------------------------------------------------------

    async def run_due(
        self, now: dt.datetime, publishers: Mapping[Platform, Publisher]
    ) -> list[WorkResult]:
        """Claim, do and publish every post, reveal and tally due at `now`.

        Only channels of the given platforms are considered, so a process never claims work
        it cannot publish. Each piece is claimed in the database first; whoever loses the
        claim does nothing, which keeps posts single across ticks, restarts and processes.
        """
        now = now.astimezone(dt.UTC)
        # A few channels at a time: one channel's database work overlaps another's wait for
        # its publisher's rate slot, and one channel's retry pauses hold up no other. Each
        # channel's own work stays in order; results keep the channels' order.
        gate = asyncio.Semaphore(CHANNELS_AT_ONCE)

        async def close(rnd: RoundRecord) -> list[WorkResult]:
            async with gate:
                channel = await self.store.get_channel_by_id(rnd.channel_id)
                publisher = publishers.get(Platform(channel.platform)) if channel else None
                if channel is None or publisher is None:
                    return []
                return await self._guarded(
                    channel, WorkKind.CLOSE, rnd.local_date.isoformat(), now, publisher, rnd
                )

        async def scheduled(channel: ChannelRecord, publisher: Publisher) -> list[WorkResult]:
            async with gate:
                done: list[WorkResult] = []
                for work in due_work(now, channel.schedule):
                    if work.stale:
                        await self._skip(channel, work, now)
                        continue
                    done += await self._guarded(
                        channel, work.kind, work.period, now, publisher, work
                    )
                return done

        # Reveals first, so a channel whose close and next post coincide reads in order.
        closed = await asyncio.gather(*map(close, await self.store.rounds_due_to_close(now)))
        posted = await asyncio.gather(
            *(
                scheduled(channel, publisher)
                for channel in await self.store.enabled_channels()
                if (publisher := publishers.get(Platform(channel.platform))) is not None
            )
        )
        return [result for done in (*closed, *posted) for result in done]

    async def next_due_at(
        self, after: dt.datetime, platforms: Sequence[Platform] | None = None
    ) -> dt.datetime | None:
        """The next instant after `after` at which some scheduled work falls due."""
        after = after.astimezone(dt.UTC)
        found: list[dt.datetime] = []
        for channel in await self.store.enabled_channels():
            if platforms is not None and Platform(channel.platform) not in platforms:
                continue
            at = next_due_after(after, channel.schedule)
            if at is not None:
                found.append(at)
        close = await self.store.next_round_close(after)
        if close is not None:
            found.append(close)
        return min(found) if found else None

    async def _forgo_earlier_work(self, channel: ChannelRecord, now: dt.datetime) -> None:
        """A newly enabled channel starts now: a tally that fell due before it was enabled is
        not caught up (nor logged as missed); today's post still is, while it can be answered."""
        for work in due_work(now, channel.schedule):
            if work.kind is WorkKind.TALLY or work.stale:
                await self.store.claim(
                    channel.id, work.kind.value, work.period, now, self.owner, status="skipped"
                )

    async def _skip(self, channel: ChannelRecord, work: DueWork, now: dt.datetime) -> None:
        # Recording the skip as a claim logs it once instead of on every tick.
        if await self.store.claim(
            channel.id, work.kind.value, work.period, now, self.owner, status="skipped"
        ):
            log.warning(
                "skipped %s %s for channel %s (%s/%s): due at %s, too late to be useful now",
                work.kind.value,
                work.period,
                channel.id,
                channel.workspace,
                channel.external_id,
                work.at.isoformat(),
            )

    async def _guarded(
        self,
        channel: ChannelRecord,
        kind: WorkKind,
        period: str,
        now: dt.datetime,
        publisher: Publisher,
        subject: DueWork | RoundRecord,
    ) -> list[WorkResult]:
        if not await self.store.claim(channel.id, kind.value, period, now, self.owner):
            return []
        try:
            if isinstance(subject, RoundRecord):
                result = await self._close_and_reveal(channel, subject, now, publisher)
            elif kind is WorkKind.POST:
                result = await self._post(channel, period, now, publisher)
            else:
                result = await self._tally(channel, subject, publisher)
        except Exception as exc:
            # Never lost silently: the claim says failed and the log has the traceback.
            log.exception("%s %s for channel %s failed", kind.value, period, channel.id)
            await self.store.finish_claim(
                channel.id, kind.value, period, "failed", 0, self.clock.now(), error=repr(exc)
            )
            result = WorkResult(channel.id, kind, period, "failed")
        return [result]

    async def _give_up(
        self, channel: ChannelRecord, kind: WorkKind, period: str, why: str
    ) -> WorkResult:
        log.warning("%s %s for channel %s not done: %s", kind.value, period, channel.id, why)
        await self.store.finish_claim(
            channel.id, kind.value, period, "skipped", 0, self.clock.now(), error=why
        )
        return WorkResult(channel.id, kind, period, "skipped")

    async def _post(
        self, channel: ChannelRecord, period: str, now: dt.datetime, publisher: Publisher
    ) -> WorkResult:
        opened = await self.open_daily_round(place_of(channel), now)
        if opened is None:
            return await self._give_up(
                channel, WorkKind.POST, period, "no round opened (one exists or no question fits)"
            )
        rnd, card = opened
        result = await self._publish(channel, WorkKind.POST, period, publisher, card, None)
        if result.message_ref is not None:
            await self.store.set_post_ref(rnd.id, result.message_ref)
        return result

    async def _close_and_reveal(
        self, channel: ChannelRecord, rnd: RoundRecord, now: dt.datetime, publisher: Publisher
    ) -> WorkResult:
        period = rnd.local_date.isoformat()
        reveal = await self.close_daily_round(rnd.id, now)
        if reveal is None:
            return await self._give_up(channel, WorkKind.CLOSE, period, "round already closed")
        return await self._publish(channel, WorkKind.CLOSE, period, publisher, reveal, rnd.post_ref)

    async def _tally(
        self, channel: ChannelRecord, work: DueWork, publisher: Publisher
    ) -> WorkResult:
        tally = await self.weekly_tally(channel, work.at)
        return await self._publish(channel, WorkKind.TALLY, work.period, publisher, tally, None)

    async def weekly_tally(self, channel: ChannelRecord, at: dt.datetime) -> WeeklyTally:
        """The team board and top players of the week containing `at`, with the change since
        the channel's previous tally; stores this tally so the next one can compare."""
        day = local_date(at, channel.schedule.timezone)
        week = period_key("week", day)
        table = await self.store.team_table(channel.workspace, week)
        previous = await self.store.last_tally(channel.id, week)
        before = previous[1] if previous else {}
        teams = []
        for t in table:
            old = before.get(t.team_id)
            change = None if previous is None else t.points - (old.points if old else 0)
            teams.append(
                TeamTallyRow(
                    t.rank,
                    t.name,
                    t.points,
                    t.per_active,
                    t.active,
                    t.members,
                    change,
                    old.rank - t.rank if old else None,
                )
            )
        await self.store.save_tally(
            channel.id,
            week,
            [TallySnapshotRow(t.team_id, t.rank, t.points, t.active) for t in table],
        )
        top = await self.store.top_users(channel.workspace, week, 3)
        players = tuple(BoardRow(e.rank, e.name, e.points, f"{e.correct} correct") for e in top)
        return WeeklyTally(period_label("week", day), tuple(teams), players)

    async def _publish(
        self,
        channel: ChannelRecord,
        kind: WorkKind,
        period: str,
        publisher: Publisher,
        reply: Reply,
        thread_ref: str | None,
    ) -> WorkResult:
        place = place_of(channel)
        attempts = len(self.retry_delays) + 1
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                ref = await publisher.publish(place, reply, thread_ref)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "publishing %s %s to %s failed (attempt %d of %d): %s",
                    kind.value,
                    period,
                    place,
                    attempt,
                    attempts,
                    error,
                )
                if attempt < attempts:
                    await self.sleep(self.retry_delays[attempt - 1])
                continue
            await self.store.finish_claim(
                channel.id, kind.value, period, "published", attempt, self.clock.now(), ref
            )
            log.info("published %s %s to %s", kind.value, period, place)
            return WorkResult(channel.id, kind, period, "published", ref)
        log.error(
            "gave up publishing %s %s to %s after %d attempts: %s",
            kind.value,
            period,
            place,
            attempts,
            error,
        )
        await self.store.finish_claim(
            channel.id, kind.value, period, "failed", attempts, self.clock.now(), error=error
        )
        return WorkResult(channel.id, kind, period, "failed")

    # -- leaderboards and stats ------------------------------------------------------------

    async def show_leaderboard(self, cmd: c.ShowLeaderboard, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        today = self._today(actor)
        key = period_key(cmd.period, today)
        label = period_label(cmd.period, today)
        if cmd.scope == "teams":
            table = await self.store.team_table(actor.workspace, key)
            mine = await self.store.team_of(actor.user.id)
            rows = tuple(
                BoardRow(
                    t.rank,
                    t.name,
                    t.points,
                    f"{t.per_active:.1f} per active member, {t.active} active of {t.members}",
                    highlight=mine is not None and mine.id == t.team_id,
                )
                for t in table
            )
            if not rows:
                return [Notice(m.BOARD_EMPTY.format(label=label), visibility=Visibility.PUBLIC)]
            return [LeaderboardView("teams", cmd.period, label, rows)]
        top = await self.store.top_users(actor.workspace, key, 10)
        if not top:
            return [Notice(m.BOARD_EMPTY.format(label=label), visibility=Visibility.PUBLIC)]
        rows = tuple(
            BoardRow(
                e.rank,
                e.name,
                e.points,
                f"{e.correct} correct",
                highlight=e.subject_id == actor.user.id,
            )
            for e in top
        )
        viewer = None
        if all(e.subject_id != actor.user.id for e in top):
            me = await self.store.user_rank(actor.workspace, key, actor.user.id)
            if me is not None:
                viewer = BoardRow(
                    me.rank, me.name, me.points, f"{me.correct} correct", highlight=True
                )
        return [LeaderboardView("users", cmd.period, label, rows, viewer)]

    async def show_stats(self, cmd: c.ShowStats, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        user = actor.user
        if cmd.user_name:
            found = await self.store.find_user(actor.workspace, cmd.user_name)
            if found is None:
                raise UserError(m.STATS_UNKNOWN_USER.format(name=cmd.user_name))
            user = found
        stats = await self.store.user_stats(user.id)
        rank = await self.store.user_rank(actor.workspace, "all", user.id)
        team = await self.store.team_of(user.id)
        return [
            StatsView(
                user.display_name,
                rank.points if rank else 0,
                rank.rank if rank else None,
                stats.answered,
                stats.correct,
                stats.current_streak,
                stats.best_streak,
                team.name if team else None,
                tuple(TopicAccuracy(t, n, ok) for t, n, ok in stats.by_topic),
            )
        ]

    # -- teams -------------------------------------------------------------------------------

    async def create_team(self, cmd: c.CreateTeam, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        self._require_admin(actor, "create teams")
        team = await self.store.create_team(actor.workspace, cmd.name, self.clock.now())
        if team is None:
            raise UserError(m.TEAM_TAKEN.format(name=cmd.name))
        return [_ok(m.TEAM_CREATED.format(name=cmd.name))]

    async def _team_named(self, actor: Actor, name: str) -> tuple[int, str]:
        team = await self.store.find_team(actor.workspace, name)
        if team is None:
            names = [t.name for t in await self.store.list_teams(actor.workspace)]
            guesses = [g for g, score, _ in process.extract(name, names, limit=2) if score >= 60]
            hint = f" Did you mean {', '.join(guesses)}?" if guesses else ""
            raise UserError(m.TEAM_UNKNOWN.format(name=name, hint=hint))
        return team.id, team.name

    async def delete_team(self, cmd: c.DeleteTeam, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        self._require_admin(actor, "delete teams")
        team_id, name = await self._team_named(actor, cmd.name)
        await self.store.delete_team(team_id)
        return [_ok(m.TEAM_DELETED.format(name=name))]

    async def join_team(self, cmd: c.JoinTeam, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        team_id, name = await self._team_named(actor, cmd.name)
        current = await self.store.team_of(actor.user.id)
        if current is not None and current.id == team_id:
            raise UserError(m.TEAM_ALREADY.format(name=name))
        await self.store.join_team(actor.user.id, team_id, self.clock.now())
        if current is not None:
            return [_ok(m.TEAM_SWITCHED.format(old=current.name, name=name))]
        return [_ok(m.TEAM_JOINED.format(name=name))]

    async def leave_team(self, cmd: c.LeaveTeam, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        current = await self.store.team_of(actor.user.id)
        if current is None:
            raise UserError(m.TEAM_NONE)
        await self.store.leave_team(actor.user.id)
        return [_ok(m.TEAM_LEFT.format(name=current.name))]

    async def list_teams(self, cmd: c.ListTeams, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        found = await self.store.list_teams(actor.workspace)
        if not found:
            return [Notice(m.TEAMS_EMPTY)]
        rows = tuple(
            (t.name, ", ".join(t.members) if t.members else "(no members yet)") for t in found
        )
        return [TableView("Teams", rows)]

    # -- channel configuration -----------------------------------------------------------------

    def _config_view(self, channel: ChannelRecord) -> TableView:
        s = channel.schedule
        rows = (
            ("daily question", ("paused" if s.paused else "on") if channel.enabled else "off"),
            ("post time", f"{s.post_time:%H:%M}"),
            ("close and reveal", f"{s.close_time:%H:%M}"),
            ("time zone", s.timezone),
            ("days", format_days(s.days)),
            ("topics", ", ".join(channel.topics) or "all"),
            ("difficulty", channel.difficulty),
            (
                "weekly tally",
                f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][s.weekly_day]} "
                f"{s.weekly_time:%H:%M}",
            ),
        )
        return TableView("Channel settings", rows)

    async def show_config(self, cmd: c.ShowConfig, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        self._require_admin(actor, "see or change the channel settings")
        view = self._config_view(actor.channel)
        if not actor.channel.enabled:
            return [Notice(m.CONFIG_NOT_ENABLED), view]
        return [view]

    async def update_config(self, cmd: c.UpdateConfig, origin: Origin) -> list[Reply]:
        actor = await self.actor(origin)
        self._require_admin(actor, "change the channel settings")
        channel = actor.channel
        s = channel.schedule
        values: dict[str, object] = {}
        what = ""
        if cmd.enable:
            values["enabled"] = True
            what = "daily question enabled"
        if cmd.post_time is not None:
            s = ChannelSchedule(**{**s.__dict__, "post_time": cmd.post_time})
            values["post_time"] = f"{cmd.post_time:%H:%M}"
            what = f"post time {cmd.post_time:%H:%M}"
        if cmd.close_time is not None:
            s = ChannelSchedule(**{**s.__dict__, "close_time": cmd.close_time})
            values["close_time"] = f"{cmd.close_time:%H:%M}"
            what = f"close time {cmd.close_time:%H:%M}"
        if cmd.timezone is not None:
            values["timezone"] = cmd.timezone
            what = f"time zone {cmd.timezone}"
        if cmd.days is not None:
            values["days"] = days_to_mask(cmd.days)
            what = f"days {format_days(cmd.days)}"
        if cmd.topics is not None:
            resolved = []
            unknown = []
            for word in cmd.topics:
                try:
                    resolved.append(self.resolve_topic(word))
                except UserError:
                    unknown.append(word)
            if unknown:
                raise UserError(m.UNKNOWN_TOPICS.format(topics=", ".join(unknown)))
            values["topics"] = ",".join(sorted(set(resolved)))
            what = f"topics {', '.join(sorted(set(resolved))) or 'all'}"
        if cmd.difficulty is not None or cmd.mixed_difficulty:
            level = cmd.difficulty.value if cmd.difficulty else "mixed"
            values["difficulty"] = level
            what = f"difficulty {level}"
        if cmd.weekly_day is not None and cmd.weekly_time is not None:
            values["weekly_day"] = cmd.weekly_day
            values["weekly_time"] = f"{cmd.weekly_time:%H:%M}"
            what = (
                f"weekly tally {['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][cmd.weekly_day]} "
                f"{cmd.weekly_time:%H:%M}"
            )
        if cmd.paused is not None:
            values["paused"] = cmd.paused
        try:
            s.check()
        except ScheduleError as exc:
            raise UserError(str(exc)) from None
        if not values:
            return [self._config_view(channel)]
        await self.store.update_channel(channel.id, values, self.clock.now())
        fresh = await self.store.get_channel_by_id(channel.id)
        assert fresh is not None
        if cmd.enable and not channel.enabled:
            await self._forgo_earlier_work(fresh, self.clock.now())
        if cmd.paused is not None:
            head = m.CONFIG_PAUSED if cmd.paused else m.CONFIG_RESUMED
        elif cmd.enable:
            head = m.CONFIG_ENABLED
        else:
            head = m.CONFIG_UPDATED.format(what=what)
        notes: list[Reply] = [_ok(head)]
        if not fresh.enabled and not cmd.enable:
            notes.append(Notice(m.CONFIG_NOT_ENABLED))
        return [*notes, self._config_view(fresh)]

    # -- privacy -----------------------------------------------------------------------------

    async def forget_me(self, cmd: c.ForgetMe, origin: Origin) -> list[Reply]:
        if not cmd.confirm:
            return [Notice(m.FORGET_ASK)]
        actor = await self.actor(origin)
        await self.store.forget_user(actor.user.id)
        return [_ok(m.FORGET_DONE)]
