"""Pure due-work rules: local post times, DST days, posting days, pause and resume."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.bootstrap import App
from bot.schedule import (
    EVERY_DAY,
    ChannelSchedule,
    ScheduleError,
    WorkKind,
    close_at,
    due_work,
    next_due_after,
    parse_hhmm,
    post_at,
)
from tests.conftest import origin
from tests.helpers import errors, say

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)


def first_due(
    schedule: ChannelSchedule, start: dt.datetime, end: dt.datetime
) -> dict[tuple[WorkKind, str], dt.datetime]:
    """Tick every minute from `start` to `end`; the first instant each piece of work is due."""
    seen: dict[tuple[WorkKind, str], dt.datetime] = {}
    now = start
    while now <= end:
        for work in due_work(now, schedule):
            if not work.stale:
                seen.setdefault((work.kind, work.period), now)
        now += MINUTE
    return seen


def posts(seen: dict[tuple[WorkKind, str], dt.datetime]) -> dict[str, dt.datetime]:
    return {period: at for (kind, period), at in seen.items() if kind is WorkKind.POST}


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Berlin", dt.datetime(2026, 11, 16, 8, 0, tzinfo=UTC)),  # CET, UTC+1
        ("America/New_York", dt.datetime(2026, 11, 16, 14, 0, tzinfo=UTC)),  # EST, UTC-5
        ("Asia/Kolkata", dt.datetime(2026, 11, 16, 3, 30, tzinfo=UTC)),  # IST, UTC+5:30
    ],
)
def test_posts_at_nine_local_time(zone: str, expected: dt.datetime) -> None:
    schedule = ChannelSchedule(timezone=zone)
    seen = first_due(
        schedule,
        dt.datetime(2026, 11, 15, 12, 0, tzinfo=UTC),
        dt.datetime(2026, 11, 17, 0, 0, tzinfo=UTC),
    )
    assert posts(seen)["2026-11-16"] == expected
    assert post_at(dt.date(2026, 11, 16), schedule) == expected
    assert close_at(dt.date(2026, 11, 16), schedule) == expected + dt.timedelta(hours=8)


def test_spring_forward_gap_posts_once_an_hour_later_in_wall_time() -> None:
    # 2026-03-08: New York clocks jump from 02:00 to 03:00; 02:30 does not exist that day.
    schedule = ChannelSchedule(
        timezone="America/New_York", post_time=dt.time(2, 30), days=EVERY_DAY
    )
    seen = posts(
        first_due(
            schedule,
            dt.datetime(2026, 3, 7, 5, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 9, 12, 0, tzinfo=UTC),
        )
    )
    assert seen == {
        "2026-03-07": dt.datetime(2026, 3, 7, 7, 30, tzinfo=UTC),  # 02:30 EST
        "2026-03-08": dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 03:30 EDT, not skipped
        "2026-03-09": dt.datetime(2026, 3, 9, 6, 30, tzinfo=UTC),  # 02:30 EDT
    }


def test_spring_forward_regular_post_time_follows_the_new_offset() -> None:
    schedule = ChannelSchedule(timezone="Europe/Berlin", days=EVERY_DAY)
    seen = posts(
        first_due(
            schedule,
            dt.datetime(2026, 3, 28, 0, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 29, 21, 0, tzinfo=UTC),
        )
    )
    assert seen == {
        "2026-03-28": dt.datetime(2026, 3, 28, 8, 0, tzinfo=UTC),  # CET
        "2026-03-29": dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC),  # CEST from 02:00
    }


def test_autumn_doubled_hour_posts_once() -> None:
    # 2026-11-01: New York repeats 01:00-02:00; a 01:30 post must not go out twice.
    schedule = ChannelSchedule(
        timezone="America/New_York", post_time=dt.time(1, 30), days=EVERY_DAY
    )
    seen = first_due(
        schedule,
        dt.datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
        dt.datetime(2026, 11, 2, 4, 59, tzinfo=UTC),
    )
    assert posts(seen) == {"2026-11-01": dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)}
    # At the second 01:30 (EST) it is the same local day: same key, so the claim holds.
    again = due_work(dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC), schedule)
    assert [(w.kind, w.period) for w in again if w.kind is WorkKind.POST] == [
        (WorkKind.POST, "2026-11-01")
    ]


def test_weekdays_only_posts_five_times_and_tallies_once() -> None:
    schedule = ChannelSchedule()  # weekdays 09:00-17:00 UTC, tally Friday 17:00
    seen = first_due(
        schedule,
        dt.datetime(2026, 11, 16, 0, 0, tzinfo=UTC),
        dt.datetime(2026, 11, 22, 23, 59, tzinfo=UTC),
    )
    assert sorted(posts(seen)) == [f"2026-11-{d}" for d in (16, 17, 18, 19, 20)]
    tallies = {p: at for (k, p), at in seen.items() if k is WorkKind.TALLY}
    assert tallies == {"2026-W47": dt.datetime(2026, 11, 20, 17, 0, tzinfo=UTC)}


def test_custom_days() -> None:
    schedule = ChannelSchedule(days=frozenset({0, 2}))  # mon, wed
    seen = first_due(
        schedule,
        dt.datetime(2026, 11, 16, 0, 0, tzinfo=UTC),
        dt.datetime(2026, 11, 22, 23, 59, tzinfo=UTC),
    )
    assert sorted(posts(seen)) == ["2026-11-16", "2026-11-18"]


def test_pause_and_resume() -> None:
    running = ChannelSchedule()
    paused = ChannelSchedule(paused=True)
    at_ten = dt.datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
    assert due_work(at_ten, paused) == []
    assert next_due_after(at_ten, paused) is None
    # Resumed before the close: today's post is still worth making.
    [post] = [w for w in due_work(at_ten, running) if w.kind is WorkKind.POST]
    assert post.period == "2026-11-16" and not post.stale
    # Resumed after the close: too late, skipped.
    [late] = [
        w
        for w in due_work(dt.datetime(2026, 11, 16, 17, 0, tzinfo=UTC), running)
        if w.kind is WorkKind.POST
    ]
    assert late.stale


def test_late_tally_is_caught_up_within_a_day_then_skipped() -> None:
    schedule = ChannelSchedule(weekly_day=6, weekly_time=dt.time(23, 0))  # Sunday 23:00
    monday = due_work(dt.datetime(2026, 11, 23, 1, 0, tzinfo=UTC), schedule)
    assert [(w.kind, w.period, w.stale) for w in monday if w.kind is WorkKind.TALLY] == [
        (WorkKind.TALLY, "2026-W47", False)
    ]
    tuesday = due_work(dt.datetime(2026, 11, 24, 1, 0, tzinfo=UTC), schedule)
    assert [(w.period, w.stale) for w in tuesday if w.kind is WorkKind.TALLY] == [
        ("2026-W47", True)
    ]


def test_next_due_after_jumps_over_the_weekend() -> None:
    schedule = ChannelSchedule()
    friday_tally = dt.datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert next_due_after(friday_tally, schedule) == dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert next_due_after(dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC), schedule) == friday_tally


async def test_close_before_post_is_rejected_by_config(app: App) -> None:
    ada = origin("Ada", admin=True)
    assert errors(await say(app, ada, "config close 08:00")) == [
        "The close time 08:00 must be later than the post time 09:00 on the same day."
    ]
    assert errors(await say(app, ada, "config time 17:30")) == [
        "The close time 17:00 must be later than the post time 17:30 on the same day."
    ]
    assert errors(await say(app, ada, "config time 08:00")) == []
    assert errors(await say(app, ada, "config close 08:30")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:30", dt.time(9, 30)),
        ("7pm", dt.time(19, 0)),
        ("7:30 PM", dt.time(19, 30)),
        ("9.15a.m.", dt.time(9, 15)),
        ("12am", dt.time(0, 0)),
        ("12pm", dt.time(12, 0)),
    ],
)
def test_times_of_day_in_24_and_12_hour_forms(text: str, expected: dt.time) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("13pm", "with am/pm, hours go 1-12 and minutes 00-59"),
        ("0am", "with am/pm, hours go 1-12"),
        ("7:75pm", "with am/pm, hours go 1-12 and minutes 00-59"),
        ("25:00", "hours go 00-23 and minutes 00-59"),
        ("noon", "is not a time; use 24-hour HH:MM, for example 09:30 or 17:00 (7pm works too)"),
    ],
)
def test_a_bad_time_of_day_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=re.escape(message)):
        parse_hhmm(text)
