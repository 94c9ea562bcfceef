"""One scheduled day and one answer with a fault injected at a named point, and the checks
that must hold once the fault clears, whatever the fault was (kill, lock, outage)."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import make_url

from bot import faults
from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.commands import SubmitAnswer
from bot.identity import Platform
from bot.replies import Notice, Reply
from bot.scoring import daily_points
from bot.usecases.daily import close_daily_round, open_daily_round, round_card, round_question
from tests.faults.ticker_process import FilePublisher
from tests.helpers import correct_text, errors, say, wrong_text
from tests.test_scheduler import ADA, BOB, CY, MONDAY, at, channel_id, enable

log = logging.getLogger(__name__)

WORK_POINTS = sorted(p for p in faults.POINTS if p.split(".")[0] in faults.KINDS)
ANSWER_POINTS = sorted(p for p in faults.POINTS if p.startswith("answer."))
# When each kind of work falls due with `config days mon` (the tally: Friday 17:00 UTC).
DUE = {"post": at(0, 9), "close": at(0, 17), "tally": at(4, 17)}
TYPES = ["QuestionCard", "RoundReveal", "WeeklyTally"]
# A click on an open daily round takes the burst path, which claims the delivery and writes
# the answer in one transaction: it never passes the general path's `answer.claimed`.
UNREACHED = {("answer.claimed", True)}
MEDIAN = "ss-median"  # MCQ; option 1 (Median) is right

# Runs the faulted tick at `when` and returns once the fault has cleared (the process was
# restarted, the lock released, the server started again).
FaultedTick = Callable[[dt.datetime], Awaitable[None]]
# Sends Bob's answer with the fault armed; returns the replies, or None if the process died.
FaultedAnswer = Callable[[SubmitAnswer | str], Awaitable[list[str] | None]]


def integrity(db_url: str) -> str:
    with sqlite3.connect(make_url(db_url).database or "") as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


async def tick(app: App, clock: ManualClock, when: dt.datetime, pub: FilePublisher) -> list[str]:
    clock.set(when)
    results = await app.work.run_due(when, {Platform.CONSOLE: pub})
    return [f"{r.kind.value}:{r.status}" for r in results]


async def ticker_tick(
    app: App, clock: ManualClock, when: dt.datetime, pub: FilePublisher
) -> list[str]:
    """A tick as scheduler.ticker runs it: a tick that fails is logged, and the next one
    a minute later tries again (the first statement after a database restart may meet a
    connection the restart cut)."""
    try:
        return await tick(app, clock, when, pub)
    except Exception:
        log.exception("tick at %s failed", when.isoformat())
        return ["failed"]


async def day_with_fault(
    app: App,
    clock: ManualClock,
    pub: FilePublisher,
    point: str,
    faulted: FaultedTick,
    recovery: bool = True,
) -> None:
    """Post, answers, close and tally, with the work of `point`'s kind done by `faulted`,
    then two ticks after recovery (here, unless `faulted` ran them itself); the checks of
    `check_day` follow."""
    kind = point.split(".")[0]
    await enable(app, "config days mon")
    for this, when in DUE.items():
        if this == kind:
            await faulted(when)
            for minute in (1, 2) if recovery else ():  # done within two ticks, or not at all
                await ticker_tick(app, clock, when + dt.timedelta(minutes=minute), pub)
        else:
            assert await tick(app, clock, when, pub) == [f"{this}:published"]
        if this == "post":
            card = await todays_card(app)
            assert errors(await say(app, BOB, f"answer {correct_text(app, card)}")) == []
            assert errors(await say(app, CY, f"answer {wrong_text(app, card)}")) == []


async def todays_card(app: App) -> object:
    rnd = await app.stores.rounds.round_on(await channel_id(app), MONDAY)
    assert rnd is not None, "no round opened on Monday"
    question = round_question(app.ctx, rnd)
    assert question is not None
    return round_card(app.ctx, rnd, "UTC", question)


async def check_day(app: App, clock: ManualClock, pub: FilePublisher, db_url: str) -> None:
    """Every piece of work out once, the reveal threaded, every answer and award once."""
    sent = pub.sent()
    # Counted at the platform: nothing posted twice, nothing missing.
    assert [s["type"] for s in sent] == TYPES, sent
    assert await tick(app, clock, at(4, 18), pub) == []  # and a later tick adds nothing
    card, reveal, _ = sent
    cid = await channel_id(app)
    rnd = await app.stores.rounds.round_on(cid, MONDAY)
    assert rnd is not None and rnd.closed_at is not None
    assert rnd.post_ref == card["ref"] and reveal["thread"] == card["ref"]  # threaded
    base = daily_points(app.bank.by_id[rnd.question_id].difficulty)
    answers = await app.stores.answers.round_answers(rnd.id)
    assert sorted((a.display_name, a.points) for a in answers) == [("Bob", base), ("Cy", 0)]
    workspace = ADA.place.workspace_key
    assert await app.stores.boards.counter_drift(workspace) == {}
    assert await app.stores.boards.stored_totals(workspace) == await app.stores.boards.recount(
        workspace
    )
    for work, period in (("post", "2026-11-16"), ("close", "2026-11-16"), ("tally", "2026-W47")):
        claim = await app.stores.claims.get_claim(cid, work, period)
        assert claim is not None and (claim.status, claim.step) == ("published", "done")
    if db_url.startswith("sqlite"):
        assert integrity(db_url) == "ok"


async def open_round(app: App, clock: ManualClock) -> tuple[int, str]:
    """Enable the channel and open a round on the median MCQ; its id and the right answer."""
    await enable(app)
    opened = await open_daily_round(app.ctx, ADA.place, clock.now(), MEDIAN)
    assert opened is not None
    rnd, card = opened
    return rnd.id, correct_text(app, card)


def bob_answer(round_id: int, typed: str, clicked: bool, delivery: str) -> SubmitAnswer | str:
    """Bob's answer: a click (with the platform's delivery id) or a typed `answer` line."""
    if clicked:
        return SubmitAnswer("", round_id=round_id, choice=1, delivery_id=delivery)
    return f"answer {typed}"


async def answer_in_process(app: App, answer: SubmitAnswer | str) -> list[str]:
    replies: list[Reply]
    if isinstance(answer, str):
        replies = await say(app, BOB, answer)
    else:
        replies = await app.dispatcher.dispatch(answer, BOB)
    return [r.text for r in replies if isinstance(r, Notice)]


def locked_in(texts: list[str] | None) -> bool:
    return bool(texts) and any(t.startswith(m.DAILY_LOCKED.split("{")[0]) for t in texts or [])


async def answer_with_fault(
    app: App,
    clock: ManualClock,
    db_url: str,
    point: str,
    clicked: bool,
    faulted: FaultedAnswer,
) -> None:
    """Bob answers with a fault at `point`; after recovery, if he was not told his answer
    is in, he answers again (a new click: a new delivery id). His answer is then stored
    exactly once, and the close awards it once."""
    round_id, typed = await open_round(app, clock)
    first = await faulted(bob_answer(round_id, typed, clicked, "bob-1"))
    if locked_in(first):  # acknowledged: it must be there, once, with no second try
        again = None
    else:
        again = await answer_in_process(app, bob_answer(round_id, typed, clicked, "bob-2"))
        # Stored before the fault or not, the retry is confirmed with the normal reply.
        assert locked_in(again), again
    bob = [a for a in await app.stores.answers.round_answers(round_id) if a.display_name == "Bob"]
    assert len(bob) == 1 and bob[0].correct, (first, again)
    rnd = await app.stores.rounds.get_round(round_id)
    assert rnd is not None
    reveal = await close_daily_round(app.ctx, round_id, rnd.closes_at)
    assert reveal is not None and reveal.winners == ("Bob",)
    base = daily_points(app.bank.by_id[MEDIAN].difficulty)
    bob = [a for a in await app.stores.answers.round_answers(round_id) if a.display_name == "Bob"]
    assert [a.points for a in bob] == [base]
    assert await app.stores.boards.counter_drift(ADA.place.workspace_key) == {}
    if db_url.startswith("sqlite"):
        assert integrity(db_url) == "ok"
