"""Daily reminders: opted in only, at the local time, only when cards are due, once a day."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.bootstrap import App, ManualClock, SeededRng, build_app
from bot.commandref import render_refs
from bot.replies import Notice
from bot.settings import Settings
from bot.storage.review_tables import learners
from tests.conftest import FIXTURE_CONTENT, START, fresh_pg_database, origin, require_pg
from tests.helpers import errors, say, text
from tests.test_scheduler import RecordingPublisher, publishers

BOB = origin("Bob")
CY = origin("Cy")
DAY = dt.timedelta(days=1)


async def miss_one(app: App, who: object) -> None:
    """A wrong answer to the one medium sample-ml item: a card due the next day."""
    await say(app, who, "quiz sample-ml medium 1")  # type: ignore[arg-type]
    await say(app, who, "answer 99")  # type: ignore[arg-type]


def reminders_to(pub: RecordingPublisher, user: str) -> list[str]:
    return [
        render_refs(r.text) for _, ref, r in pub.alerts if ref == user and isinstance(r, Notice)
    ]


async def test_remind_command_sets_shows_and_stops(app: App) -> None:
    assert "You get no reminders" in await text(app, BOB, "remind")
    assert "at 08:30 (UTC)" in await text(app, BOB, "remind 08:30")
    assert "at 19:00 (Europe/Berlin)" in await text(app, BOB, "remind 19:00 europe/berlin")
    assert "reminded at 19:00 (Europe/Berlin)" in await text(app, BOB, "remind")
    assert "Reminders are off." in await text(app, BOB, "remind off")
    assert "You had no reminder" in await text(app, BOB, "remind off")
    [bad] = errors(await say(app, BOB, "remind 25:00"))
    assert "hours go 00-23" in bad and "`remind HH:MM`" in bad
    [zone] = errors(await say(app, BOB, "remind 08:00 Mars/Olympus"))
    assert "Unknown time zone 'Mars/Olympus'" in zone
    assert errors(await say(app, BOB, "remind 08:00 UTC extra"))[0].startswith("Use `remind HH:MM`")


async def test_reminder_at_local_time_only_when_due_and_opted_in(
    app: App, clock: ManualClock
) -> None:
    pub = RecordingPublisher()
    await miss_one(app, BOB)  # Monday 08:00 UTC: due Tuesday
    await miss_one(app, CY)  # Cy has cards but never opted in
    await say(app, BOB, "remind 09:30 Europe/Berlin")  # 08:30 UTC in November
    # Monday 08:30 UTC: the reminder time, but nothing is due yet: no message.
    clock.set(START + dt.timedelta(minutes=30))
    await app.work.run_due(clock.now(), publishers(pub))
    assert pub.alerts == []
    # Tuesday: 08:29 UTC is before the local time; 08:30 sends exactly one.
    for minutes in (29, 30, 31, 90):
        clock.set(START + DAY + dt.timedelta(minutes=minutes))
        await app.work.run_due(clock.now(), publishers(pub))
    [sent] = reminders_to(pub, "bob")
    assert sent.startswith("1 review card(s) due today. `review` takes a few minutes")
    assert reminders_to(pub, "cy") == []
    # Reviewed on Tuesday (right, so it moves out): Wednesday has nothing due, no message.
    await say(app, BOB, "review")
    assert "Review done: 1 of 1 right" in await text(app, BOB, "answer 5")
    clock.set(START + 2 * DAY + dt.timedelta(minutes=30))
    await app.work.run_due(clock.now(), publishers(pub))
    assert len(reminders_to(pub, "bob")) == 1
    # Off: no more, even with cards due.
    await say(app, BOB, "remind off")
    clock.set(START + 30 * DAY + dt.timedelta(minutes=30))
    await app.work.run_due(clock.now(), publishers(pub))
    assert len(reminders_to(pub, "bob")) == 1


async def test_forgetme_removes_the_reminder(app: App, clock: ManualClock) -> None:
    await miss_one(app, BOB)
    await say(app, BOB, "remind 09:00")
    await say(app, BOB, "forgetme confirm")
    async with app.db.read() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(learners))).scalar() == 0
    pub = RecordingPublisher()
    clock.set(START + DAY + dt.timedelta(hours=2))
    await app.work.run_due(clock.now(), publishers(pub))
    assert pub.alerts == []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def two_apps(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[list[tuple[App, ManualClock]]]:
    """Two independent apps (engines, services, clocks) on one database: two processes."""
    if request.param == "postgres":
        url = await fresh_pg_database(require_pg())
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    apps = []
    for seed in (1, 2):
        clock = ManualClock(START)
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        app = await build_app(
            settings, db_url=url, content_dir=FIXTURE_CONTENT, clock=clock, rng=SeededRng(seed)
        )
        apps.append((app, clock))
    yield apps
    for app, _ in apps:
        await app.close()


async def test_exactly_one_reminder_a_day_across_two_processes(
    two_apps: list[tuple[App, ManualClock]],
) -> None:
    first = two_apps[0][0]
    await miss_one(first, BOB)
    await say(first, BOB, "remind 09:00")
    pubs = [RecordingPublisher() for _ in two_apps]
    for day in (1, 2, 3):
        when = START + day * DAY + dt.timedelta(hours=1)
        for _, clock in two_apps:
            clock.set(when)
        # Both processes tick twice at the same instant: overlapping ticks and processes.
        await asyncio.gather(
            *(
                app.work.run_due(when, publishers(pub))
                for (app, _), pub in zip(two_apps, pubs, strict=True)
                for _ in range(2)
            )
        )
        # Never answered: the card stays due, so one reminder a day, from one process.
        assert sum(len(reminders_to(p, "bob")) for p in pubs) == day
