"""A process SIGKILLed at every named fault point and restarted, counted rather than asserted."""

from __future__ import annotations

import datetime as dt
import signal
import uuid
from collections import Counter
from pathlib import Path

from bench.fault_bursts import Counts, integrity_ok
from bot.bootstrap import App, ManualClock, SeededRng, build_app
from bot.commands import SubmitAnswer
from bot.settings import Settings
from tests.conftest import FIXTURE_CONTENT, START
from tests.faults.day import (
    ANSWER_POINTS,
    MONDAY,
    WORK_POINTS,
    answer_in_process,
    bob_answer,
    day_with_fault,
    locked_in,
    open_round,
)
from tests.faults.test_fault_kills import run_child, ticker
from tests.faults.ticker_process import FilePublisher
from tests.test_scheduler import channel_id


async def _app(db_url: str) -> tuple[App, ManualClock]:
    clock = ManualClock(START)
    app = await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=FIXTURE_CONTENT,
        clock=clock,
        rng=SeededRng(7),
    )
    return app, clock


async def work_point(db_url: str, point: str, tmp: Path) -> Counts:
    """The day's work with the process doing `point`'s kind killed there, then a new
    process ticking twice (the dead one's 90 s lease runs out by the second)."""
    counts = Counts(runs=1)
    # A platform of its own per run: one shared by two databases would see the other's posts.
    platform = FilePublisher(tmp / f"platform-{point}-{uuid.uuid4().hex[:8]}.jsonl")
    app, clock = await _app(db_url)

    async def killed(when: dt.datetime) -> None:
        died = ticker(db_url, platform.path, when, fault=point)
        if died.returncode != -signal.SIGKILL:
            counts.notes.append(f"{point}: not killed ({died.returncode}): {died.stderr[-300:]}")
        later = [when + dt.timedelta(minutes=m) for m in (1, 2)]
        restarted = ticker(db_url, platform.path, *later)
        if restarted.returncode != 0:
            counts.notes.append(f"{point}: restart failed: {restarted.stderr[-300:]}")

    try:
        try:
            await day_with_fault(app, clock, platform, point, killed, recovery=False)
        except AssertionError as exc:  # a later step found the day broken: counted below
            counts.notes.append(f"{point}: {exc}")
        sent = platform.sent()
        counts.posts_doubled = sum(n - 1 for n in Counter(s["key"] for s in sent).values())
        rnd = await app.stores.rounds.round_on(await channel_id(app), MONDAY)
        cards = [s for s in sent if s["type"] == "QuestionCard"]
        reveals = [s for s in sent if s["type"] == "RoundReveal"]
        tallies = [s for s in sent if s["type"] == "WeeklyTally"]
        closed = rnd is not None and rnd.closed_at is not None
        counts.stuck = int(not (closed and cards and reveals and tallies))
        refs = {c["ref"] for c in cards}
        counts.unthreaded = sum(1 for r in reveals if r["thread"] not in refs)
        if rnd is not None:
            names = Counter(a.display_name for a in await app.stores.answers.round_answers(rnd.id))
            counts.lost = sum(1 for who in ("Bob", "Cy") if names[who] == 0)
            counts.doubled = sum(n - 1 for n in names.values() if n > 1)
    finally:
        await app.close()
    counts.integrity = int(not integrity_ok(db_url))
    return counts


async def answer_point(db_url: str, point: str, clicked: bool) -> Counts:
    """Bob's answer sent by a process killed at `point`; if he was not told it is in, he
    answers again after the restart. Lost: told, or answered twice, and still missing."""
    counts = Counts(runs=1)
    app, clock = await _app(db_url)
    try:
        round_id, typed = await open_round(app, clock)
        sent = bob_answer(round_id, typed, clicked, "bob-1")
        line = (
            f"click:{sent.round_id}:{sent.choice}:{sent.delivery_id}"
            if isinstance(sent, SubmitAnswer)
            else sent
        )
        run_child("tests.faults.answer_process", db_url, clock.now().isoformat(), line, fault=point)
        # Killed or not, the user did not see "locked in" from a dead process; he tries again.
        await answer_in_process(app, bob_answer(round_id, typed, clicked, "bob-2"))
        bob = [
            a for a in await app.stores.answers.round_answers(round_id) if a.display_name == "Bob"
        ]
        counts.lost = int(not bob)
        counts.doubled = max(0, len(bob) - 1)
    finally:
        await app.close()
    counts.integrity = int(not integrity_ok(db_url))
    return counts


def answer_cases() -> list[tuple[str, bool]]:
    return [(point, clicked) for point in ANSWER_POINTS for clicked in (True, False)]


__all__ = ["WORK_POINTS", "answer_cases", "answer_point", "locked_in", "work_point"]
