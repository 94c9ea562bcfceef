"""Pure rules: scoring, schedule parsing and periods."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.questions import Difficulty
from bot.schedule import (
    WEEKDAYS,
    ChannelSchedule,
    ScheduleError,
    month_key,
    parse_days,
    parse_hhmm,
    resolve_timezone,
    week_key,
)
from bot.scoring import daily_points, quiz_points, streak_bonus


def test_daily_points_by_difficulty() -> None:
    assert [daily_points(d) for d in Difficulty] == [10, 20, 30]


@pytest.mark.parametrize(("streak", "bonus"), [(0, 0), (1, 0), (2, 2), (3, 4), (6, 10), (40, 10)])
def test_streak_bonus(streak: int, bonus: int) -> None:
    assert streak_bonus(streak) == bonus


def test_quiz_points_half_repeat_and_cap() -> None:
    assert quiz_points(Difficulty.HARD, correct_before=False, earned_today=0) == 15
    assert quiz_points(Difficulty.HARD, correct_before=True, earned_today=0) == 0
    assert quiz_points(Difficulty.HARD, correct_before=False, earned_today=95) == 5
    assert quiz_points(Difficulty.EASY, correct_before=False, earned_today=100) == 0


def test_parse_times() -> None:
    assert parse_hhmm("9:05") == dt.time(9, 5)
    for bad in ("25:00", "9", "09:60", "nine", "09:5"):
        with pytest.raises(ScheduleError):
            parse_hhmm(bad)


def test_timezones() -> None:
    assert resolve_timezone("asia/kolkata") == "Asia/Kolkata"
    with pytest.raises(ScheduleError, match="Did you mean"):
        resolve_timezone("America/New_Yrok")
    with pytest.raises(ScheduleError, match="Unknown time zone"):
        resolve_timezone("Mars/Olympus")


def test_days() -> None:
    assert parse_days("weekdays") == WEEKDAYS
    assert parse_days("Mon,wednesday, fri") == frozenset({0, 2, 4})
    with pytest.raises(ScheduleError):
        parse_days("mon,someday")


def test_close_must_follow_post() -> None:
    with pytest.raises(ScheduleError, match="later than the post time"):
        ChannelSchedule(post_time=dt.time(9), close_time=dt.time(9)).check()


def test_period_keys_use_iso_weeks() -> None:
    assert week_key(dt.date(2027, 1, 1)) == "2026-W53"
    assert month_key(dt.date(2027, 1, 1)) == "2027-01"
