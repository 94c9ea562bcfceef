"""Scheduled work end to end: posts, reveals and tallies claimed once, caught up, retried."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import time_machine

from adapters.host import serve
from bot.bootstrap import App, ManualClock, SeededRng, SystemClock, build_app
from bot.identity import PlaceRef, Platform
from bot.ports import Publisher
from bot.replies import QuestionCard, Reply, RoundReveal, WeeklyTally
from bot.settings import Settings
from bot.usecases.scheduling import WorkResult
from scheduler.ticker import Ticker
from tests.conftest import FIXTURE_CONTENT, START, fresh_pg_database, origin, require_pg
from tests.helpers import correct_text, errors, say, wrong_text

UTC = dt.UTC
ADA = origin("Ada", admin=True)
BOB = origin("Bob")
CY = origin("Cy")
DEE = origin("Dee")
MONDAY = START.date()  # 2026-11-16


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A UTC instant in the week of 2026-11-16 (day 0 = Monday), or later days."""
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=UTC)


class RecordingPublisher:
    """Records every publish; optionally fails the first `failures` attempts, before the
    platform took the message or (`accepted`) after it did, like a dropped connection."""

    def __init__(self, failures: int = 0, accepted: bool = False) -> None:
        self.sent: list[tuple[PlaceRef, Reply, str | None]] = []
        self.failures = failures
        self.accepted = accepted
        self.calls = 0
        self.finds = 0
        self.by_key: dict[str, str] = {}
        self.alerts: list[tuple[PlaceRef, str, Reply]] = []

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        self.calls += 1
        failing = self.calls <= self.failures
        if failing and not self.accepted:
            raise ConnectionError("platform unavailable")
        self.sent.append((place, reply, thread_ref))
        self.by_key[key] = f"msg-{self.calls}"
        if failing:
            raise ConnectionError("connection dropped after the message was accepted")
        return self.by_key[key]

    async def find(self, place: PlaceRef, key: str) -> str | None:
        self.finds += 1
        return self.by_key.get(key)

    async def notify_admin(self, place: PlaceRef, user_ref: str, reply: Reply) -> None:
        self.alerts.append((place, user_ref, reply))

    def of(self, kind: type) -> list[tuple[PlaceRef, Reply, str | None]]:
        return [s for s in self.sent if isinstance(s[1], kind)]


def publishers(pub: Publisher) -> dict[Platform, Publisher]:
    return {Platform.CONSOLE: pub}


async def tick(app: App, clock: ManualClock, when: dt.datetime, pub: Publisher) -> list[WorkResult]:
    clock.set(when)
    return await app.work.run_due(when, publishers(pub))


async def enable(app: App, *lines: str) -> None:
    for line in ("config channel", *lines):
        assert errors(await say(app, ADA, line)) == []


async def channel_id(app: App) -> int:
    found = await app.stores.channels.get_channel(ADA.place.workspace_key, ADA.place.channel)
    assert found is not None
    return found.id


async def test_post_reveal_and_tally_for_one_day(app: App, clock: ManualClock) -> None:
    pub = RecordingPublisher()
    await enable(app)
    assert await tick(app, clock, at(0, 8, 59), pub) == []
    [posted] = await tick(app, clock, at(0, 9), pub)
    assert (posted.kind.value, posted.period, posted.status) == ("post", "2026-11-16", "published")
    [(place, card, thread)] = pub.sent
    assert isinstance(card, QuestionCard) and card.round_id is not None
    assert place == ADA.place and thread is None
    rnd = await app.stores.rounds.get_round(card.round_id)
    assert rnd is not None and rnd.post_ref == "msg-1"
    assert await tick(app, clock, at(0, 9, 1), pub) == []  # the next tick: nothing new

    await say(app, BOB, f"answer {correct_text(app, card)}")
    await say(app, CY, f"answer {wrong_text(app, card)}")
    assert await tick(app, clock, at(0, 16, 59), pub) == []
    [closed] = await tick(app, clock, at(0, 17), pub)
    assert closed.kind.value == "close" and closed.status == "published"
    [(_, reveal, thread)] = pub.of(RoundReveal)
    assert isinstance(reveal, RoundReveal)
    assert thread == "msg-1"  # threaded under the question
    assert reveal.answered == 2 and reveal.winners == ("Bob",)

    claim = await app.stores.claims.get_claim(await channel_id(app), "post", "2026-11-16")
    assert claim is not None and claim.status == "published" and claim.attempts == 1
    assert claim.message_ref == "msg-1"


async def test_weekly_tally_matches_the_answers_and_the_change(
    app: App, clock: ManualClock
) -> None:
    pub = RecordingPublisher()
    await enable(app, "config days mon", "config topics sample-stats")
    for line in ("team create Owls", "team create Hawks"):
        await say(app, ADA, line)
    for who, team in ((ADA, "Owls"), (BOB, "Owls"), (CY, "Hawks"), (DEE, "Hawks")):
        await say(app, who, f"team join {team}")

    async def play_monday(week: int, right: set[str], wrong: set[str]) -> None:
        await tick(app, clock, at(7 * week, 9), pub)
        card = pub.of(QuestionCard)[-1][1]
        assert isinstance(card, QuestionCard)
        for who in (ADA, BOB, CY, DEE):
            if who.display_name in right | wrong:
                good = who.display_name in right
                answer = correct_text(app, card) if good else wrong_text(app, card)
                await say(app, who, f"answer {answer}")
        await tick(app, clock, at(7 * week, 17), pub)

    async def points(week: int) -> dict[str, int]:
        rnd = await app.stores.rounds.round_on(
            await channel_id(app), MONDAY + dt.timedelta(weeks=week)
        )
        assert rnd is not None
        return {a.display_name: a.points for a in await app.stores.answers.round_answers(rnd.id)}

    await play_monday(0, right={"Ada", "Bob", "Cy"}, wrong={"Dee"})
    [week1] = await tick(app, clock, at(4, 17), pub)
    assert week1.kind.value == "tally"
    tally = pub.of(WeeklyTally)[-1][1]
    assert isinstance(tally, WeeklyTally)
    p1 = await points(0)
    owls, hawks = p1["Ada"] + p1["Bob"], p1["Cy"] + p1["Dee"]
    rows = {r.name: r for r in tally.teams}
    assert rows["Owls"].points == owls and rows["Owls"].active == 2
    assert rows["Hawks"].points == hawks and rows["Hawks"].active == 2
    assert rows["Owls"].per_active == owls / 2 and rows["Owls"].change is None
    assert rows["Owls"].rank == 1 and rows["Hawks"].rank == 2
    # The team race comes drawn with it, off the database gate; its alt text has the figures.
    assert tally.image is not None and tally.image.filename == "team-race.png"
    assert f"Leader: Owls with {owls / 2:.1f}".removesuffix(".0") in tally.image.alt_text
    # Ties on points go to the earlier player: Ada, Bob, Cy all scored the base points.
    assert [(r.name, r.points) for r in tally.top_users] == [
        ("Ada", p1["Ada"]),
        ("Bob", p1["Bob"]),
        ("Cy", p1["Cy"]),
    ]

    await play_monday(1, right={"Cy", "Dee"}, wrong={"Ada"})
    await tick(app, clock, at(11, 17), pub)
    tally2 = pub.of(WeeklyTally)[-1][1]
    assert isinstance(tally2, WeeklyTally) and tally2.period_label == "week of 2026-11-23"
    p2 = await points(1)
    rows2 = {r.name: r for r in tally2.teams}
    assert rows2["Hawks"].points == p2["Cy"] + p2["Dee"]
    assert rows2["Hawks"].change == rows2["Hawks"].points - hawks
    assert "Owls" not in rows2  # no points this week: off the tally, as on every board
    assert rows2["Hawks"].rank == 1 and rows2["Hawks"].rank_change == 1
    assert [(r.name, r.points) for r in tally2.top_users] == sorted(
        ((n, v) for n, v in p2.items() if v > 0), key=lambda item: -item[1]
    )[:3]


# -- exactly once across processes -----------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return await fresh_pg_database(require_pg())
    return f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"


@pytest.fixture
async def three_apps(shared_url: str) -> AsyncIterator[list[tuple[App, ManualClock]]]:
    """Three independent apps (engines, services, clocks) on one database: three processes."""
    apps = []
    for seed in (1, 2, 3):
        clock = ManualClock(START)
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        app = await build_app(
            settings,
            db_url=shared_url,
            content_dir=FIXTURE_CONTENT,
            clock=clock,
            rng=SeededRng(seed),
        )
        apps.append((app, clock))
    yield apps
    for app, _ in apps:
        await app.close()


async def test_three_processes_ticking_together_publish_everything_once(
    three_apps: list[tuple[App, ManualClock]],
) -> None:
    first = three_apps[0][0]
    await enable(first)
    pubs = [RecordingPublisher() for _ in three_apps]
    instants = [at(day, hour) for day in range(5) for hour in (9, 17)]
    for when in instants:
        for _, clock in three_apps:
            clock.set(when)
        # Every process ticks twice at the same instant: overlapping ticks and processes.
        await asyncio.gather(
            *(
                app.work.run_due(when, publishers(pub))
                for (app, _), pub in zip(three_apps, pubs, strict=True)
                for _ in range(2)
            )
        )
        if when.hour == 9:
            card = next(r for p in pubs for _, r, _ in p.sent if isinstance(r, QuestionCard))
            assert isinstance(card, QuestionCard)
            await say(first, BOB, f"answer {correct_text(first, card)}")
    sent = [item for pub in pubs for item in pub.sent]
    kinds = [type(reply).__name__ for _, reply, _ in sent]
    assert kinds.count("QuestionCard") == 5
    assert kinds.count("RoundReveal") == 5
    assert kinds.count("WeeklyTally") == 1
    claims = await first.stores.claims.list_claims()
    # Last week's tally fell due before the channel was enabled: forgone, not caught up.
    assert [(c.kind, c.period) for c in claims if c.status == "skipped"] == [("tally", "2026-W46")]
    done = [c for c in claims if c.status != "skipped"]
    assert len(done) == 11 and {c.status for c in done} == {"published"}
    # Every reveal is threaded under its own post.
    posts = {
        r.round_id: ref for pub in pubs for _, r, ref in pub.sent if isinstance(r, RoundReveal)
    }
    assert all(ref is not None for ref in posts.values())


# -- catch-up and retries ----------------------------------------------------------------------


async def test_catch_up_after_restarts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    pub = RecordingPublisher()

    async def process(when: dt.datetime) -> list[WorkResult]:
        """A fresh process that starts at `when`, ticks once and stops."""
        clock = ManualClock(when)
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        app = await build_app(
            settings, db_url=url, content_dir=FIXTURE_CONTENT, clock=clock, rng=SeededRng(1)
        )
        try:
            if when == at(0, 8):
                await enable(app)
            return await app.work.run_due(when, publishers(pub))
        finally:
            await app.close()

    assert await process(at(0, 8)) == []
    [post] = await process(at(0, 9))
    assert post.kind.value == "post"
    # Down from Monday 09:01 to 18:30: the missed reveal goes out once on restart.
    [reveal] = await process(at(0, 18, 30))
    assert reveal.kind.value == "close" and reveal.status == "published"
    assert await process(at(0, 18, 31)) == []
    # Down over Tuesday's post time, back before its close: posted late, once.
    [late] = await process(at(1, 12))
    assert (late.kind.value, late.period) == ("post", "2026-11-17")
    assert await process(at(1, 12, 1)) == []
    # Down from Tuesday noon to Wednesday evening: Tuesday's reveal is still published,
    # Wednesday's post is too late to answer and is skipped with a log line.
    caplog.set_level(logging.WARNING, logger="bot.usecases.scheduling")
    results = await process(at(2, 18))
    assert [(r.kind.value, r.period, r.status) for r in results] == [
        ("close", "2026-11-17", "published")
    ]
    assert any("skipped post 2026-11-18" in rec.getMessage() for rec in caplog.records)
    caplog.clear()
    assert await process(at(2, 18, 1)) == []
    assert not any("skipped" in rec.getMessage() for rec in caplog.records)  # logged once
    kinds = [type(reply).__name__ for _, reply, _ in pub.sent]
    assert kinds == ["QuestionCard", "RoundReveal", "QuestionCard", "RoundReveal"]


async def test_publish_that_fails_twice_then_succeeds(app: App, clock: ManualClock) -> None:
    pub = RecordingPublisher(failures=2)
    pauses: list[float] = []

    async def no_sleep(seconds: float) -> None:
        pauses.append(seconds)

    app.work.sleep = no_sleep
    await enable(app)
    [result] = await tick(app, clock, at(0, 9), pub)
    assert result.status == "published" and len(pub.sent) == 1
    assert pauses == [2.0, 8.0]  # backoff between the three attempts
    assert pub.finds == 2  # every retry asked the platform first
    claim = await app.stores.claims.get_claim(await channel_id(app), "post", "2026-11-16")
    assert claim is not None and claim.status == "published" and claim.attempts == 3
    assert claim.step == "done" and claim.lease_until is None
    assert await tick(app, clock, at(0, 9, 1), pub) == []
    assert len(pub.sent) == 1


async def test_publish_that_keeps_failing_is_retried_on_later_ticks_then_given_up(
    app: App, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    pub = RecordingPublisher(failures=4)
    app.work.retry_delays = (0.0, 0.0)
    await enable(app)
    caplog.set_level(logging.WARNING, logger="bot.usecases")
    [result] = await tick(app, clock, at(0, 9), pub)
    assert result.status == "retrying"
    claim = await app.stores.claims.get_claim(await channel_id(app), "post", "2026-11-16")
    assert claim is not None and (claim.status, claim.step, claim.attempts) == (
        "claimed",
        "publish",
        3,
    )
    assert claim.error == "ConnectionError: platform unavailable"
    assert any("the next tick retries" in r.getMessage() for r in caplog.records)
    # The next tick resumes it: look first (nothing there), then publish once.
    [again] = await tick(app, clock, at(0, 9, 1), pub)
    assert again.status == "published" and len(pub.sent) == 1 and pub.calls == 5
    rnd = await app.stores.rounds.round_on(await channel_id(app), MONDAY)
    assert rnd is not None and rnd.post_ref == "msg-5"

    # A reveal that fails for a whole day is given up and logged, and shows in the report.
    pub.failures, pub.calls = 10**6, 0
    results = await tick(app, clock, at(0, 17), pub)
    assert [r.status for r in results] == ["retrying"]
    assert await tick(app, clock, at(1, 17, 1), pub) != []
    claim = await app.stores.claims.get_claim(await channel_id(app), "close", "2026-11-16")
    assert claim is not None and claim.status == "failed"
    assert claim.error is not None and claim.error.startswith("gave up after 24 hours")
    assert any("gave up publishing close 2026-11-16" in r.getMessage() for r in caplog.records)


async def test_paused_channel_gets_nothing_until_resumed(app: App, clock: ManualClock) -> None:
    pub = RecordingPublisher()
    await enable(app, "config pause")
    assert await tick(app, clock, at(0, 9), pub) == []
    await say(app, ADA, "config resume")
    [post] = await tick(app, clock, at(0, 11), pub)  # resumed before the close: caught up
    assert post.kind.value == "post"


async def test_other_platforms_are_left_to_their_own_processes(
    app: App, clock: ManualClock
) -> None:
    slack_admin = origin("Sam", admin=True, platform=Platform.SLACK, workspace="T1")
    assert errors(await say(app, slack_admin, "config channel")) == []
    before = await app.stores.claims.list_claims()
    assert await tick(app, clock, at(0, 9), RecordingPublisher()) == []
    # Nothing claimed that this process cannot publish.
    assert await app.stores.claims.list_claims() == before


# -- the real scheduler ----------------------------------------------------------------------


class StampingPublisher(RecordingPublisher):
    """Records each reply with the wall-clock time it was published at."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[dt.datetime, Reply]] = []

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        self.published.append((dt.datetime.now(UTC), reply))
        return "m1"


async def first_real_tick(tmp_path: Path, start: dt.datetime) -> tuple[dt.datetime, Reply, Ticker]:
    """Run the real AsyncIOScheduler from `start` (the clock runs on) until it publishes."""
    publisher = StampingPublisher()
    with time_machine.travel(start, tick=True):
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        app = await build_app(
            settings,
            db_url=f"sqlite+aiosqlite:///{tmp_path / 'tm.db'}",
            content_dir=FIXTURE_CONTENT,
            clock=SystemClock(),
        )
        try:
            await enable(app)
            ticker = Ticker(app.work, {Platform.CONSOLE: publisher})
            ticker.start()
            try:
                async with asyncio.timeout(6):
                    while not publisher.published:
                        await asyncio.sleep(0.05)
            finally:
                await ticker.stop()
        finally:
            await app.close()
    [(when, reply)] = publisher.published
    return when, reply, ticker


async def test_real_scheduler_ticks_on_the_minute(tmp_path: Path) -> None:
    # Two seconds before a Monday 09:00 post: the start-up tick finds nothing, and the real
    # scheduler waits two real seconds for the top of the minute.
    when, reply, ticker = await first_real_tick(
        tmp_path, dt.datetime(2026, 11, 16, 8, 59, 58, tzinfo=UTC)
    )
    assert isinstance(reply, QuestionCard)
    assert dt.datetime(2026, 11, 16, 9, 0, tzinfo=UTC) <= when
    assert when < dt.datetime(2026, 11, 16, 9, 0, 5, tzinfo=UTC)
    assert ticker.scheduler is None


async def test_scheduler_catches_up_at_start_without_waiting_for_the_minute(
    tmp_path: Path,
) -> None:
    # Started 30 s after a 09:00 post fell due (a restart): the first tick runs at once.
    when, reply, _ = await first_real_tick(
        tmp_path, dt.datetime(2026, 11, 16, 9, 0, 30, tzinfo=UTC)
    )
    assert isinstance(reply, QuestionCard)
    assert when < dt.datetime(2026, 11, 16, 9, 0, 35, tzinfo=UTC)


async def test_host_runs_the_scheduler_beside_adapters_and_stops_it(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    start, stop = Ticker.start, Ticker.stop

    def spy_start(self: Ticker) -> None:
        start(self)
        events.append(f"started:{self.scheduler is not None and self.scheduler.running}")

    async def spy_stop(self: Ticker, grace: float | None = None) -> None:
        await stop(self, grace)
        events.append(f"stopped:{self.scheduler is None}")

    async def adapter() -> None:
        await asyncio.sleep(0.01)
        events.append("adapter done")

    monkeypatch.setattr(Ticker, "start", spy_start)
    monkeypatch.setattr(Ticker, "stop", spy_stop)
    await serve(app, [adapter], {Platform.CONSOLE: RecordingPublisher()})
    assert events == ["started:True", "adapter done", "stopped:True"]


async def test_answers_after_the_close_time_wait_for_no_tick(app: App, clock: ManualClock) -> None:
    pub = RecordingPublisher()
    await enable(app)
    await tick(app, clock, at(0, 9), pub)
    [(_, card, _)] = pub.sent
    assert isinstance(card, QuestionCard)
    clock.set(at(0, 17) + dt.timedelta(seconds=30))  # past the close, before the next tick
    assert errors(await say(app, BOB, f"answer {correct_text(app, card)}")) == [
        "That daily question has closed; its answer was revealed in the channel."
    ]


async def test_a_tally_whose_chart_cannot_be_drawn_goes_out_as_text(
    app: App, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.charts.service import Charts

    def broken(data: object) -> bytes:
        raise RuntimeError("renderer down")

    app.ctx.charts = Charts(broken)
    pub = RecordingPublisher()
    await enable(app, "config days mon", "config topics sample-stats")
    await say(app, ADA, "team create Owls")
    await say(app, ADA, "team join Owls")
    await tick(app, clock, at(0, 9), pub)
    card = pub.of(QuestionCard)[-1][1]
    assert isinstance(card, QuestionCard)
    await say(app, ADA, f"answer {correct_text(app, card)}")
    await tick(app, clock, at(0, 17), pub)
    with caplog.at_level(logging.WARNING, logger="bot.charts"):
        [result] = await tick(app, clock, at(4, 17), pub)
    assert result.kind.value == "tally" and result.status == "published"
    tally = pub.of(WeeklyTally)[-1][1]
    assert isinstance(tally, WeeklyTally) and tally.image is None and tally.teams
    [warning] = [r for r in caplog.records if r.name.startswith("bot.charts")]
    assert "renderer down" in warning.getMessage()
