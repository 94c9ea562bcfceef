"""An idle tick reads only what is due: its cost does not grow with the channels, and a
schedule change (time, days, time zone, pause, resume) is picked up at the right instant."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import sqlalchemy as sa

from bot.bootstrap import App, ManualClock
from bot.replies import QuestionCard
from bot.schedule import ChannelSchedule, due_work, mask_to_days, next_work_after, parse_hhmm
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores
from bot.storage.tables import channels
from bot.usecases.scheduling import ScheduledWork
from tests.conftest import origin
from tests.helpers import errors, say
from tests.test_scheduler import ADA, RecordingPublisher, at, publishers, tick


async def enable_channels(app: App, names: list[str]) -> None:
    for name in names:
        admin = origin("Ada", admin=True, channel=name)
        assert errors(await say(app, admin, "config channel")) == []


async def test_an_idle_tick_costs_the_same_with_1_or_200_channels(
    app: App, clock: ManualClock
) -> None:
    pub = RecordingPublisher()
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    async def idle(when: dt.datetime) -> list[str]:
        seen.clear()
        sa.event.listen(app.db.engine.sync_engine, "before_cursor_execute", note)
        try:
            assert await tick(app, clock, when, pub) == []
        finally:
            sa.event.remove(app.db.engine.sync_engine, "before_cursor_execute", note)
        return list(seen)

    clock.set(at(0, 8))
    await enable_channels(app, ["general"])
    await tick(app, clock, at(0, 8), pub)  # looks at the newly enabled channel once
    one = await idle(at(0, 8, 1))

    await enable_channels(app, [f"c{i}" for i in range(199)])
    await tick(app, clock, at(0, 8, 2), pub)
    many = await idle(at(0, 8, 3))

    assert len(one) == len(many), (one, many)
    writes = ("UPDATE", "INSERT", "DELETE")
    assert not any(s.lstrip().upper().startswith(writes) for s in many), many
    # Nothing due was lost by not looking: every channel posts at 09:00.
    posted = await tick(app, clock, at(0, 9), pub)
    assert len(posted) == 200 and {r.status for r in posted} == {"published"}
    assert await idle(at(0, 9, 1)) == one


async def posts(app: App, clock: ManualClock, when: dt.datetime, pub: RecordingPublisher) -> int:
    return sum(1 for r in await tick(app, clock, when, pub) if r.kind.value == "post")


async def config(app: App, clock: ManualClock, when: dt.datetime, line: str) -> None:
    clock.set(when)
    assert errors(await say(app, ADA, line)) == []


async def test_an_earlier_post_time_is_posted_at_the_new_time(app: App, clock: ManualClock) -> None:
    pub = RecordingPublisher()
    await config(app, clock, at(0, 8), "config channel")
    assert await posts(app, clock, at(0, 8), pub) == 0  # next stored instant: 09:00
    await config(app, clock, at(0, 8, 10), "config time 08:30")
    assert await posts(app, clock, at(0, 8, 29), pub) == 0
    assert await posts(app, clock, at(0, 8, 30), pub) == 1
    assert await posts(app, clock, at(0, 9), pub) == 0
    assert await posts(app, clock, at(1, 8, 30), pub) == 1  # and the next day


async def test_an_added_day_is_posted_on_that_day(app: App, clock: ManualClock) -> None:
    pub = RecordingPublisher()
    await config(app, clock, at(0, 8), "config channel")
    await config(app, clock, at(0, 8), "config days mon")
    assert await posts(app, clock, at(0, 9), pub) == 1  # next stored: Friday's tally
    await config(app, clock, at(0, 12), "config days mon,tue")
    assert await posts(app, clock, at(0, 12, 1), pub) == 0
    assert await posts(app, clock, at(1, 9), pub) == 1
    assert await posts(app, clock, at(2, 9), pub) == 0


async def test_a_new_time_zone_posts_at_its_local_time(app: App, clock: ManualClock) -> None:
    pub = RecordingPublisher()
    await config(app, clock, at(0, 7), "config channel")
    assert await posts(app, clock, at(0, 7), pub) == 0  # next stored: 09:00 UTC
    # 09:00 in Berlin (UTC+1 in November) is 08:00 UTC: due at once, and answerable.
    await config(app, clock, at(0, 8, 10), "config timezone Europe/Berlin")
    assert await posts(app, clock, at(0, 8, 11), pub) == 1
    [(_, card, _)] = pub.of(QuestionCard)
    assert isinstance(card, QuestionCard)
    assert await posts(app, clock, at(1, 7, 59), pub) == 0
    assert await posts(app, clock, at(1, 8), pub) == 1


async def test_pause_and_resume_are_picked_up(app: App, clock: ManualClock) -> None:
    pub = RecordingPublisher()
    await config(app, clock, at(0, 8), "config channel")
    await tick(app, clock, at(0, 8), pub)
    await config(app, clock, at(0, 8, 30), "config pause")
    assert await posts(app, clock, at(0, 9), pub) == 0
    assert await posts(app, clock, at(1, 9), pub) == 0
    await config(app, clock, at(1, 9, 30), "config resume")
    # Today's round can still be answered: posted on the next tick, then daily again.
    assert await posts(app, clock, at(1, 9, 31), pub) == 1
    assert await posts(app, clock, at(2, 8, 59), pub) == 0
    assert await posts(app, clock, at(2, 9), pub) == 1


def test_next_work_after_jumps_to_every_instant_a_minute_scan_finds() -> None:
    """Ticking only at next_work_after's instants sees each post and tally first at the same
    instant as ticking every minute, across a spring-forward and a fall-back change."""
    schedules = [
        ChannelSchedule("Europe/Berlin", parse_hhmm("02:30"), parse_hhmm("03:30")),
        ChannelSchedule("America/New_York", days=mask_to_days("1010101"), weekly_day=6),
        ChannelSchedule("Australia/Lord_Howe", parse_hhmm("01:45"), parse_hhmm("02:15")),
    ]
    for start in (
        dt.datetime(2027, 3, 24, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 21, 12, 7, tzinfo=dt.UTC),
    ):
        end = start + dt.timedelta(days=10)
        for schedule in schedules:
            scan: dict[tuple[str, str], dt.datetime] = {}
            minute = start
            while minute <= end:
                for work in due_work(minute, schedule):
                    scan.setdefault((work.kind.value, work.period), minute)
                minute += dt.timedelta(minutes=1)
            jumped: dict[tuple[str, str], dt.datetime] = {}
            when: dt.datetime | None = start
            while when is not None and when <= end:
                for work in due_work(when, schedule):
                    jumped.setdefault((work.kind.value, work.period), when)
                when = next_work_after(when, schedule)
            assert jumped == scan, schedule


async def test_the_tick_refreshes_statistics_once_a_day(app: App, clock: ManualClock) -> None:
    calls: list[str] = []

    async def optimize() -> None:
        calls.append("analyze")
        if len(calls) == 1:
            raise RuntimeError("database busy")

    work = ScheduledWork(app.ctx, optimize)
    pub = RecordingPublisher()
    # The first one fails: logged, the tick goes on; the next day tries again.
    for when in (at(0, 8), at(0, 8, 1), at(0, 23, 59), at(1, 0), at(1, 12)):
        clock.set(when)
        assert await work.run_due(when, publishers(pub)) == []
    assert calls == ["analyze", "analyze"]


async def test_upgrading_makes_every_enabled_channel_due_once(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine, "0010")
    then = dt.datetime(2026, 11, 16, 7, tzinfo=dt.UTC)
    async with db.engine.begin() as conn:
        for i, enabled in ((1, True), (2, False)):
            await conn.execute(
                sa.insert(channels).values(
                    id=i,
                    platform="console",
                    workspace="w",
                    external_id=f"c{i}",
                    enabled=enabled,
                    updated_at=then,
                )
            )
    await upgrade(db.engine)
    stores = sql_stores(db)
    due = await stores.channels.due_channels(then)
    assert [(c.id, c.next_due_at) for c in due] == [(1, then)]
    off = await stores.channels.get_channel_by_id(2)
    assert off is not None and off.next_due_at is None
    await db.dispose()


async def test_a_config_change_during_a_tick_is_not_overwritten(
    app: App, clock: ManualClock
) -> None:
    """The tick read the channel, then an admin changed its schedule: the tick's write of the
    next instant (from the old schedule) is dropped, so the new schedule is looked at."""
    await config(app, clock, at(0, 8), "config channel")
    [seen] = await app.stores.channels.due_channels(at(0, 8))
    await config(app, clock, at(0, 8), "config time 08:30")
    await app.stores.channels.advance_due([(seen, at(0, 9))])
    fresh = await app.stores.channels.get_channel_by_id(seen.id)
    assert fresh is not None and fresh.next_due_at == at(0, 8)
    # Unchanged since it was read: the write goes through.
    await app.stores.channels.advance_due([(fresh, at(0, 8, 30))])
    moved = await app.stores.channels.get_channel_by_id(seen.id)
    assert moved is not None and moved.next_due_at == at(0, 8, 30)


async def test_the_skips_of_many_newly_enabled_channels_take_turns_at_the_database(
    app: App,
) -> None:
    # Enabling thousands of channels makes each one's forgone work a skip on the next tick;
    # all of them reading the database at once outwaited a pool's 30 s timeout.
    from bench.fanout import MONDAY_9, _enable_channels
    from bench.idle_tick import NoPublisher
    from bot.identity import Platform
    from bot.usecases.scheduling import DB_AT_ONCE

    await _enable_channels(app.db, 30)
    claims = app.stores.claims
    looking, most, calls = 0, 0, 0
    get_claim = claims.get_claim

    async def counted(*args: Any) -> Any:
        nonlocal looking, most, calls
        looking += 1
        calls += 1
        most = max(most, looking)
        try:
            await asyncio.sleep(0.001)  # a round trip: the others would pile up meanwhile
            return await get_claim(*args)
        finally:
            looking -= 1

    claims.get_claim = counted  # type: ignore[method-assign]
    at_seven = MONDAY_9 - dt.timedelta(hours=2)
    assert await app.work.run_due(at_seven, {Platform.DISCORD: NoPublisher()}) == []
    assert calls >= 30 and most <= DB_AT_ONCE
