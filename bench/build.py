"""A workspace built through the core: teams joined, rounds opened, answers clicked, rounds closed.

Every step is the core's own: `team create` / `team join` and every answer click go through the
dispatcher (actor look-up, the batched answer path, its group commit); rounds are opened and
closed by the use cases the scheduler calls (chunked close: points, streak bonuses, totals, score
counters). Only the clock is driven by hand. For sizes past `DISPATCH_LIMIT` answers the clicks
skip the dispatcher and go straight to the store's batched write (`submit_daily_answer`, the
write the dispatcher's burst path makes): the checks before it are the same pure code, and
building 5,000,000 answers through the dispatcher would take hours on a small machine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from dataclasses import dataclass, field
from typing import Any

from bot import commands as c
from bot.bootstrap import App, ManualClock
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.questions import QuestionType
from bot.records import DailyAnswer
from bot.replies import Tone
from bot.usecases import daily

GUILD = "bench"
WORKSPACE = f"discord:{GUILD}"
PLACE = PlaceRef(Platform.DISCORD, GUILD, "general")
FIRST_DAY = dt.date(2026, 7, 6)  # a Monday
DISPATCH_LIMIT = 1_000_000
IN_FLIGHT = 500  # clicks handed to the core at once (the batcher groups them)
JOINS_IN_FLIGHT = 50


def origin(user: int, admin: bool = False) -> Origin:
    return Origin(UserRef(Platform.DISCORD, f"u{user}"), PLACE, f"Player {user}", admin)


def weekdays(first: dt.date, count: int) -> list[dt.date]:
    days: list[dt.date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@dataclass
class Built:
    """What has been built so far, and how long each part took."""

    users: int
    teams: int
    rounds: int = 0
    answers: int = 0
    answer_s: float = 0.0
    close_s: float = 0.0
    team_s: float = 0.0
    days: list[dt.date] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "teams": self.teams,
            "rounds": self.rounds,
            "answers": self.answers,
            "build_answers_per_s": round(self.answers / self.answer_s, 1) if self.answer_s else 0,
            "build_close_s": round(self.close_s, 1),
            "build_teams_s": round(self.team_s, 1),
        }


async def bounded(calls: list[Any], width: int = IN_FLIGHT) -> list[Any]:
    """Run the coroutines with at most `width` in flight."""
    gate = asyncio.Semaphore(width)

    async def one(call: Any) -> Any:
        async with gate:
            return await call

    return await asyncio.gather(*(one(call) for call in calls))


async def teams(app: App, clock: ManualClock, users: int, count: int) -> Built:
    """`count` teams created by an admin, and every user joining one (users exist from here)."""
    clock.set(dt.datetime.combine(FIRST_DAY - dt.timedelta(days=1), dt.time(8), dt.UTC))
    began = time.perf_counter()
    dispatch = app.dispatcher.dispatch
    for t in range(1, count + 1):
        await dispatch(c.CreateTeam(f"team {t}"), origin(0, admin=True))
    # Fewer at once than the clicks: a join takes a pooled connection for each of its three
    # transactions, and on a busy machine 500 queued on PostgreSQL's pool wait past its
    # 30 s timeout (the platform's own connections bound real commands the same way).
    joined = await bounded(
        [dispatch(c.JoinTeam(f"team {u % count + 1}"), origin(u)) for u in range(1, users + 1)],
        width=JOINS_IN_FLIGHT,
    )
    # A refused join (a pool timeout, say) comes back as a notice, not an error: count them,
    # or a board of fewer members would be timed as if it were the full one.
    refused = [r for r in joined if not (r and getattr(r[0], "tone", None) is Tone.SUCCESS)]
    if refused:
        raise RuntimeError(f"{len(refused)} of {users} team joins failed, e.g. {refused[0]!r}")
    built = Built(users, count)
    built.team_s = time.perf_counter() - began
    return built


async def rounds(app: App, clock: ManualClock, built: Built, answers: int, seed: int = 11) -> Built:
    """Weekday rounds, each answered by a random half of the users in random order (right
    60% of the time) until `answers` more answers are in, each round closed at 17:00."""
    rng = random.Random(seed + built.rounds)
    # Loading only: nobody answers beside these closes, so they run in large chunks without
    # the rests that keep a live close from stalling answers (closes are timed elsewhere).
    app.stores.rounds.close_chunk = 5_000  # type: ignore[attr-defined]
    app.stores.rounds.close_rest = False  # type: ignore[attr-defined]
    per_round = max(1, built.users // 2)
    target = built.answers + answers
    mcq = [q for q in app.bank.by_id.values() if q.type is QuestionType.MCQ and q.auto_gradable]
    through_dispatcher = target <= DISPATCH_LIMIT
    days = weekdays(FIRST_DAY, built.rounds + max(1, -(-answers // per_round)))[built.rounds :]
    for day in days:
        if built.answers >= target:
            break
        opened_at = dt.datetime.combine(day, dt.time(9), dt.UTC)
        clock.set(opened_at)
        question = mcq[rng.randrange(len(mcq))]
        opened = await daily.open_daily_round(app.ctx, PLACE, opened_at, question.id)
        assert opened is not None, day
        rnd, _ = opened
        right = rnd.order.index(question.answer) if isinstance(question.answer, int) else 0
        clock.set(opened_at + dt.timedelta(hours=1))
        who = rng.sample(range(1, built.users + 1), min(per_round, target - built.answers))
        picks = [right if rng.random() < 0.6 else rng.randrange(len(rnd.order)) for _ in who]
        began = time.perf_counter()
        if through_dispatcher:
            replies = await bounded(
                [
                    app.dispatcher.dispatch(
                        c.SubmitAnswer(
                            "", round_id=rnd.id, choice=pick, delivery_id=f"{rnd.id}:{u}"
                        ),
                        origin(u),
                    )
                    for u, pick in zip(who, picks, strict=True)
                ]
            )
            stored = len(replies)
        else:
            stored = await _store_answers(app, rnd.id, question, rnd.order, who, picks, clock)
        built.answer_s += time.perf_counter() - began
        built.answers += stored
        began = time.perf_counter()
        clock.set(opened_at.replace(hour=17))
        assert await daily.close_daily_round(app.ctx, rnd.id, clock.now()) is not None
        built.close_s += time.perf_counter() - began
        built.rounds += 1
        built.days.append(day)
    return built


async def _store_answers(
    app: App,
    round_id: int,
    question: Any,
    order: tuple[int, ...],
    who: list[int],
    picks: list[int],
    clock: ManualClock,
) -> int:
    """The clicks as the store's batched write takes them (the dispatcher's burst path)."""
    now = clock.now()
    submit = app.stores.answers.submit_daily_answer
    calls = []
    for u, pick in zip(who, picks, strict=True):
        index = order[pick]
        calls.append(
            submit(
                DailyAnswer(
                    platform="discord",
                    workspace=WORKSPACE,
                    external_id=f"u{u}",
                    display_name=f"Player {u}",
                    channel=PLACE.channel,
                    round_id=round_id,
                    topic=question.topic,
                    given=question.choices[index],
                    normalized=str(index),
                    correct=index == question.answer,
                    at=now,
                )
            )
        )
    outcomes = await bounded(calls, width=2_000)
    return sum(1 for o in outcomes if o.status == "stored")
