"""Scheduled work under faults: every round closes and reveals once, channels stay isolated."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.cli import main
from bot import messages as m
from bot.bootstrap import App, ManualClock, SeededRng, build_app
from bot.identity import PlaceRef
from bot.ports import PublishRefused
from bot.replies import Notice, QuestionCard, Reply, RoundReveal
from bot.scoring import daily_points
from bot.settings import Settings
from bot.usecases.delivery import LEASE
from bot.usecases.scheduling import CUT, _week_end
from tests.conftest import FIXTURE_CONTENT, START, origin
from tests.helpers import correct_text, errors, say
from tests.test_scheduler import (
    ADA,
    BOB,
    MONDAY,
    RecordingPublisher,
    at,
    channel_id,
    enable,
    publishers,
    shared_url,  # noqa: F401  (a fixture: SQLite and PostgreSQL)
    tick,
)


class Flaky:
    """Wraps one store method: raises `error` while `failing` is set, else calls through."""

    def __init__(self, target: Any, name: str, error: Exception) -> None:
        self.real = getattr(target, name)
        self.error = error
        self.failing = True
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.failing:
            raise self.error
        return await self.real(*args, **kwargs)


LOCKED = sa.exc.OperationalError("UPDATE rounds", {}, Exception("database is locked"))


async def posted_card(app: App, clock: ManualClock, pub: RecordingPublisher) -> QuestionCard:
    [post] = await tick(app, clock, at(0, 9), pub)
    assert post.status == "published"
    card = pub.of(QuestionCard)[-1][1]
    assert isinstance(card, QuestionCard)
    return card


async def test_a_close_that_failed_after_its_claim_closes_and_reveals_once_after_the_fault(
    app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    pub = RecordingPublisher()
    await enable(app)
    card = await posted_card(app, clock, pub)
    await say(app, BOB, f"answer {correct_text(app, card)}")
    # The close transaction hits a lock (or PostgreSQL is down) on every tick for a while.
    flaky = Flaky(app.stores.rounds, "close_round", LOCKED)
    monkeypatch.setattr(app.stores.rounds, "close_round", flaky)
    for minute in (0, 1, 2):
        [result] = await tick(app, clock, at(0, 17, minute), pub)
        assert result.status == "retrying"
    assert flaky.calls == 3  # tried on every tick, whatever its claim says
    claim = await app.stores.claims.get_claim(await channel_id(app), "close", "2026-11-16")
    assert claim is not None and (claim.status, claim.step) == ("claimed", "close")
    assert claim.error is not None and "database is locked" in claim.error
    # Meanwhile the reveal has not gone out, and the admin can see why.
    assert pub.of(RoundReveal) == []
    shown = await say(app, ADA, "config show")
    [trouble] = [r for r in shown if isinstance(r, Notice) and m.CONFIG_WORK_TROUBLE in r.text]
    assert "reveal 2026-11-16: retrying at step close, 0 attempt(s): OperationalError" in (
        trouble.text
    )
    flaky.failing = False
    [closed] = await tick(app, clock, at(0, 17, 3), pub)  # the first tick after the fault
    assert closed.status == "published"
    assert await tick(app, clock, at(0, 17, 4), pub) == []
    [(_, reveal, thread)] = pub.of(RoundReveal)
    assert isinstance(reveal, RoundReveal) and reveal.winners == ("Bob",)
    assert thread == "msg-1"  # threaded under the question
    rnd = await app.stores.rounds.round_on(await channel_id(app), MONDAY)
    assert rnd is not None and rnd.closed_at is not None
    answers = await app.stores.answers.round_answers(rnd.id)
    base = daily_points(app.bank.by_id[rnd.question_id].difficulty)
    assert [a.points for a in answers] == [base]  # awarded once


async def test_a_round_whose_close_claim_failed_under_older_rules_still_closes(
    app: App, clock: ManualClock
) -> None:
    pub = RecordingPublisher()
    await enable(app)
    await posted_card(app, clock, pub)
    cid = await channel_id(app)
    # What an earlier version left behind: the close claimed, marked failed, round still open.
    await app.stores.claims.claim(cid, "close", "2026-11-16", at(0, 17), "old", status="failed")
    [closed] = await tick(app, clock, at(0, 17, 1), pub)
    assert closed.status == "published" and len(pub.of(RoundReveal)) == 1


@pytest.fixture
async def two_apps(shared_url: str) -> AsyncIterator[list[tuple[App, ManualClock]]]:  # noqa: F811
    """Two app instances (processes) on one database."""
    apps = []
    for seed in (1, 2):
        clock = ManualClock(START)
        app = await build_app(
            Settings(_env_file=None),  # type: ignore[call-arg]
            db_url=shared_url,
            content_dir=FIXTURE_CONTENT,
            clock=clock,
            rng=SeededRng(seed),
        )
        apps.append((app, clock))
    yield apps
    for app, _ in apps:
        await app.close()


async def test_work_held_by_a_process_that_died_is_taken_over_when_its_lease_expires(
    two_apps: list[tuple[App, ManualClock]], caplog: pytest.LogCaptureFixture
) -> None:
    (first, first_clock), (second, second_clock) = two_apps
    pub = RecordingPublisher()
    await enable(first)
    await posted_card(first, first_clock, pub)
    cid = await channel_id(first)
    # The first process claims the close at 17:00 and is killed before the close commits.
    held = await first.stores.claims.claim(
        cid, "close", "2026-11-16", at(0, 17), first.ctx.owner, step="close", lease=LEASE
    )
    assert held is not None
    caplog.set_level(logging.INFO, logger="bot.usecases")
    # The other process: the lease (90 s) still stands at 17:01, has run out at 17:02.
    assert await tick(second, second_clock, at(0, 17, 1), pub) == []
    [closed] = await tick(second, second_clock, at(0, 17, 2), pub)
    assert closed.status == "published" and len(pub.of(RoundReveal)) == 1
    claim = await second.stores.claims.get_claim(cid, "close", "2026-11-16")
    assert claim is not None and claim.owner == second.ctx.owner[:64]
    assert claim.status == "published" and claim.step == "done"
    assert any(
        "resuming close 2026-11-16" in r.getMessage() and "at step close" in r.getMessage()
        for r in caplog.records
    )
    # The dead process's stale view changes nothing: its lease is gone.
    assert await tick(first, first_clock, at(0, 17, 3), pub) == []
    assert len(pub.of(RoundReveal)) == 1


async def test_a_post_accepted_then_dropped_is_adopted_not_repeated(
    app: App, clock: ManualClock
) -> None:
    pub = RecordingPublisher(failures=1, accepted=True)
    app.work.sleep = _no_sleep
    await enable(app)
    [post] = await tick(app, clock, at(0, 9), pub)
    assert post.status == "published" and post.message_ref == "msg-1"
    assert len(pub.sent) == 1 and pub.finds == 1
    [closed] = await tick(app, clock, at(0, 17), pub)
    assert closed.status == "published"
    [(_, _, thread)] = pub.of(RoundReveal)
    assert thread == "msg-1"


async def test_a_fault_between_publishing_and_recording_keeps_the_reference(
    app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    pub = RecordingPublisher()
    await enable(app)
    # The post reaches the platform; recording its reference hits a lock.
    flaky = Flaky(app.stores.rounds, "set_post_ref", LOCKED)
    monkeypatch.setattr(app.stores.rounds, "set_post_ref", flaky)
    [first] = await tick(app, clock, at(0, 9), pub)
    assert first.status == "retrying" and len(pub.sent) == 1
    flaky.failing = False
    [second] = await tick(app, clock, at(0, 9, 1), pub)
    assert second.status == "published" and second.message_ref == "msg-1"
    assert len(pub.sent) == 1  # found on the platform, not posted again
    await tick(app, clock, at(0, 17), pub)
    [(_, _, thread)] = pub.of(RoundReveal)
    assert thread == "msg-1"


async def test_a_fault_right_after_the_post_claim_still_posts_that_day(
    app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    pub = RecordingPublisher()
    await enable(app)
    flaky = Flaky(app.stores.rounds, "create_round", LOCKED)
    monkeypatch.setattr(app.stores.rounds, "create_round", flaky)
    [first] = await tick(app, clock, at(0, 9), pub)
    assert first.status == "retrying" and pub.sent == []
    flaky.failing = False
    [second] = await tick(app, clock, at(0, 9, 1), pub)
    assert second.status == "published"
    assert [type(r) for _, r, _ in pub.sent] == [QuestionCard]


async def _no_sleep(seconds: float) -> None:
    return None


CHANNELS = ["healthy-1", "stuck", "healthy-2"]


class HangingPublisher(RecordingPublisher):
    """Never answers for the `stuck` channel until released; the rest answer at once."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.stuck_called = asyncio.Event()

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        if place.channel == "stuck":
            self.stuck_called.set()
            await self.release.wait()
        return await super().publish(place, reply, thread_ref, key)


async def enable_channels(app: App) -> None:
    for channel in CHANNELS:
        line = "config channel"
        assert errors(await say(app, origin("Ada", admin=True, channel=channel), line)) == []


async def test_a_hanging_channel_does_not_delay_the_healthy_ones(
    app: App, clock: ManualClock
) -> None:
    await enable_channels(app)
    pub = HangingPublisher()
    clock.set(at(0, 9))
    run = asyncio.create_task(app.work.run_due(at(0, 9), publishers(pub)))
    async with asyncio.timeout(10):  # bounds a broken test; asserts nothing about speed
        await pub.stuck_called.wait()
        while len(pub.sent) < 2:
            await asyncio.sleep(0)
    # Both healthy channels are out while the stuck one has not answered.
    assert sorted(p.channel for p, _, _ in pub.sent) == ["healthy-1", "healthy-2"]
    assert not run.done()
    pub.release.set()
    results = await run
    assert sorted(r.status for r in results) == ["published"] * 3


async def test_a_channel_that_never_answers_is_cut_at_the_end_of_the_tick(
    app: App, clock: ManualClock
) -> None:
    await enable_channels(app)
    pub = HangingPublisher()
    # Far more than the healthy channels' work needs; the stuck one waits it out.
    app.work.tick_budget = 2.0
    results = await tick(app, clock, at(0, 9), pub)
    by_channel = {}
    for result in results:
        channel = await app.stores.channels.get_channel_by_id(result.channel_id)
        assert channel is not None
        by_channel[channel.external_id] = result.status
    assert by_channel == {"healthy-1": "published", "stuck": "retrying", "healthy-2": "published"}
    stuck = await app.stores.channels.get_channel(ADA.place.workspace_key, "stuck")
    assert stuck is not None
    claim = await app.stores.claims.get_claim(stuck.id, "post", "2026-11-16")
    assert claim is not None and claim.error == CUT and claim.attempts == 1
    assert claim.lease_until == at(0, 9)  # let go at once, for the next tick
    # Answered at last: the next tick looks first (it never arrived), then posts once.
    pub.release.set()
    [again] = await tick(app, clock, at(0, 9, 1), pub)
    assert again.status == "published" and pub.finds == 1
    assert [p.channel for p, _, _ in pub.sent].count("stuck") == 1


class RefusingPublisher(RecordingPublisher):
    """The platform refuses every post for good (the bot was removed from the channel)."""

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        self.calls += 1
        raise PublishRefused("not_in_channel", "Slack: not_in_channel")


async def test_a_permanent_refusal_is_tried_once_logged_with_its_fix_and_told_to_the_admin(
    app: App, clock: ManualClock, caplog: pytest.LogCaptureFixture, db_url: str
) -> None:
    pub = RefusingPublisher()
    await enable(app)
    caplog.set_level(logging.ERROR, logger="bot.usecases")
    [post] = await tick(app, clock, at(0, 9), pub)
    assert post.status == "failed" and pub.calls == 1
    fix = m.publish_fix("not_in_channel", "general")
    [line] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert "invite the bot to #general" in line and fix in line
    [(place, admin, alert)] = pub.alerts
    assert place == ADA.place and admin == ADA.user.user_id
    assert isinstance(alert, Notice) and fix in alert.text
    assert await tick(app, clock, at(0, 9, 1), pub) == []  # final: not retried
    # The reveal is refused too, the same day: no second message to the admin.
    [reveal] = await tick(app, clock, at(0, 17), pub)
    assert reveal.status == "failed" and len(pub.alerts) == 1
    # The next day, one more.
    await tick(app, clock, at(1, 9), pub)
    assert len(pub.alerts) == 2

    # Admins see it in `config show`, operators in `studybot doctor`.
    shown = await say(app, ADA, "config show")
    [trouble] = [r for r in shown if isinstance(r, Notice) and m.CONFIG_WORK_TROUBLE in r.text]
    assert "daily question 2026-11-17: failed at step done, 1 attempt(s): not_in_channel" in (
        trouble.text
    )
    assert fix in trouble.text
    code, out = await doctor(db_url)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "console console:acme #general (channel id 1):"
    assert (
        f"  daily question 2026-11-16: failed at step done, 1 attempt(s): not_in_channel: {fix}"
        in (lines)
    )
    assert f"  reveal 2026-11-16: failed at step done, 1 attempt(s): not_in_channel: {fix}" in lines


async def doctor(db_url: str) -> tuple[int, str]:
    """`studybot doctor` as run from a shell, with its own event loop."""
    import contextlib
    import io

    out = io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(out):
            # The test clock is in November 2026; look back far enough from today's date.
            args = ["doctor", "--db", db_url, "--content", str(FIXTURE_CONTENT)]
            return main([*args, "--days", "100000"])

    code = await asyncio.to_thread(run)
    return code, out.getvalue()


async def test_doctor_says_so_when_nothing_is_stuck(
    app: App, clock: ManualClock, db_url: str
) -> None:
    await enable(app)
    await tick(app, clock, at(0, 9), RecordingPublisher())
    code, out = await doctor(db_url)
    assert (code, out.strip()) == (0, m.DOCTOR_CLEAN.format(days=100000))


def test_a_tally_resumed_without_its_schedule_entry_counts_its_own_week() -> None:
    instant = _week_end("2026-W47", "Europe/Berlin")
    assert instant.isocalendar()[:2] == (2026, 47)
    assert instant.astimezone(dt.UTC).isocalendar()[:2] == (2026, 47)
