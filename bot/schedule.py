"""Pure schedule rules: parsing config values and computing local dates, weeks and months."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import zoneinfo
from dataclasses import dataclass

from bot.catalog import DAY_NAMES
from bot.messages import clip

WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
# "7pm", "7:30pm", "12am", "9.30a.m.": people type the 12-hour clock too.
_AMPM = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?m\.?$", re.IGNORECASE)
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ScheduleError(ValueError):
    """A config value that cannot be used; the message is shown to the user as is."""


def parse_hhmm(text: str) -> dt.time:
    """A time of day: 24-hour HH:MM, or the 12-hour clock with am/pm."""
    twelve = _AMPM.match(text.strip())
    if twelve:
        return _twelve_hour(text, twelve)
    match = _HHMM.match(text.strip())
    if not match:
        raise ScheduleError(
            f"'{clip(text)}' is not a time; use 24-hour HH:MM, for example 09:30 or 17:00 "
            "(7pm works too)."
        )
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ScheduleError(
            f"'{clip(text)}' is not a valid time of day; hours go 00-23 and minutes 00-59."
        )
    return dt.time(hour, minute)


def _twelve_hour(text: str, match: re.Match[str]) -> dt.time:
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if not 1 <= hour <= 12 or minute > 59:
        raise ScheduleError(
            f"'{clip(text)}' is not a valid time of day; with am/pm, hours go 1-12 and "
            "minutes 00-59."
        )
    # 12am is midnight and 12pm noon.
    return dt.time(hour % 12 + (12 if match.group(3).lower() == "p" else 0), minute)


@functools.cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def resolve_timezone(text: str) -> str:
    """Return the canonical IANA name for `text` (case-insensitive), or explain what is wrong."""
    name = text.strip()
    by_fold = {z.casefold(): z for z in _zone_names()}
    if name.casefold() in by_fold:
        return by_fold[name.casefold()]
    from rapidfuzz import process  # loads on the first unknown zone, not at start

    # A zone name is short; a long line is no misspelling of one, so it gets no guesses.
    candidates = process.extract(name, _zone_names(), limit=3) if len(name) <= 64 else []
    guesses = [g for g, score, _ in candidates if score >= 80]
    hint = f" Did you mean {', '.join(guesses)}?" if guesses else ""
    raise ScheduleError(
        f"Unknown time zone '{clip(name)}'. Use an IANA name such as Europe/Berlin.{hint}"
    )


def parse_days(text: str) -> frozenset[int]:
    value = text.strip().lower()
    if value in ("weekdays", "workdays"):
        return WEEKDAYS
    if value in ("daily", "everyday", "all"):
        return EVERY_DAY
    if value == "weekends":
        return frozenset({5, 6})
    days: set[int] = set()
    for part in filter(None, (p.strip() for p in value.split(","))):
        days.add(parse_day(part))
    if not days:
        raise ScheduleError("Give days as weekdays, daily, or a list such as mon,wed,fri.")
    return frozenset(days)


def parse_day(text: str) -> int:
    value = text.strip().lower()
    for index, (short, full) in enumerate(zip(DAY_NAMES, _FULL_DAYS, strict=True)):
        if value in (short, full):
            return index
    raise ScheduleError(f"'{clip(text)}' is not a day; use mon, tue, wed, thu, fri, sat or sun.")


def format_days(days: frozenset[int]) -> str:
    if days == WEEKDAYS:
        return "weekdays"
    if days == EVERY_DAY:
        return "daily"
    return ",".join(DAY_NAMES[d] for d in sorted(days))


def days_to_mask(days: frozenset[int]) -> str:
    return "".join("1" if d in days else "0" for d in range(7))


def mask_to_days(mask: str) -> frozenset[int]:
    return frozenset(i for i, flag in enumerate(mask) if flag == "1")


def week_key(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def period_key(period: str, day: dt.date) -> str:
    if period == "week":
        return week_key(day)
    if period == "month":
        return month_key(day)
    return "all"


def period_label(period: str, day: dt.date) -> str:
    if period == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return f"week of {monday.isoformat()}"
    if period == "month":
        return day.strftime("%B %Y")
    return "all time"


def local_date(now: dt.datetime, zone: str) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(zone)).date()


@dataclass(frozen=True)
class ChannelSchedule:
    """A daily channel's schedule as the core reasons about it."""

    timezone: str = "UTC"
    post_time: dt.time = dt.time(9, 0)
    close_time: dt.time = dt.time(17, 0)
    days: frozenset[int] = WEEKDAYS
    weekly_day: int = 4  # Friday
    weekly_time: dt.time = dt.time(17, 0)
    paused: bool = False

    def check(self) -> None:
        if self.close_time <= self.post_time:
            raise ScheduleError(
                f"The close time {self.close_time:%H:%M} must be later than the post time "
                f"{self.post_time:%H:%M} on the same day."
            )
        if not self.days:
            raise ScheduleError("Choose at least one posting day.")


# -- due work ------------------------------------------------------------------------------

# A missed weekly tally is still worth posting this long after its time; later it is skipped.
TALLY_GRACE = dt.timedelta(hours=24)


class WorkKind(enum.StrEnum):
    POST = "post"
    CLOSE = "close"
    TALLY = "tally"


@dataclass(frozen=True)
class DueWork:
    """One piece of scheduled work for a channel, named by its kind and period key."""

    kind: WorkKind
    period: str  # local date (post, close) or ISO week (tally)
    at: dt.datetime  # when it became due, UTC
    stale: bool = False  # too late to be meaningful: skip it with a log line


def local_instant(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    """The UTC instant of a local wall-clock time.

    A time inside a spring-forward gap resolves to the same wall time on the old offset
    (02:30 becomes 03:30 daylight time); a doubled autumn time resolves to its first
    occurrence. Either way each local day has exactly one instant, so nothing is skipped
    or posted twice.
    """
    local = dt.datetime.combine(day, time, zoneinfo.ZoneInfo(zone))
    return local.astimezone(dt.UTC)


def post_at(day: dt.date, schedule: ChannelSchedule) -> dt.datetime:
    return local_instant(day, schedule.post_time, schedule.timezone)


def close_at(day: dt.date, schedule: ChannelSchedule) -> dt.datetime:
    return local_instant(day, schedule.close_time, schedule.timezone)


def tally_at(day: dt.date, schedule: ChannelSchedule) -> dt.datetime:
    """The weekly tally instant of the ISO week that contains `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    tally_day = monday + dt.timedelta(days=schedule.weekly_day)
    return local_instant(tally_day, schedule.weekly_time, schedule.timezone)


def is_post_day(day: dt.date, schedule: ChannelSchedule) -> bool:
    return day.weekday() in schedule.days


def due_work(now: dt.datetime, schedule: ChannelSchedule) -> list[DueWork]:
    """Posts and tallies of one channel that are due (or overdue) at `now`.

    Closing follows the rounds actually opened (their stored close instant), so a round that
    was posted is always revealed, even after a config change or downtime.
    """
    if schedule.paused:
        return []
    out: list[DueWork] = []
    today = local_date(now, schedule.timezone)
    if is_post_day(today, schedule):
        start, end = post_at(today, schedule), close_at(today, schedule)
        if start <= now:
            # A post is meaningful only while its round can still be answered.
            out.append(DueWork(WorkKind.POST, today.isoformat(), start, stale=now >= end))
    # Last week's tally too: a Sunday-evening tally may still be due early on Monday.
    for day in (today - dt.timedelta(days=7), today):
        at = tally_at(day, schedule)
        if at <= now:
            out.append(DueWork(WorkKind.TALLY, week_key(day), at, stale=now >= at + TALLY_GRACE))
    return out


def next_post_after(after: dt.datetime, schedule: ChannelSchedule) -> dt.datetime | None:
    """The first daily post instant strictly after `after`, or None when paused."""
    return _next_instant(after, schedule, with_close=False, with_tally=False)


def wall_clock(at: dt.datetime, zone: str) -> str:
    """An instant as the channel's people read it: `Tue 2026-12-08 09:00 CET`."""
    return at.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def next_due_after(after: dt.datetime, schedule: ChannelSchedule) -> dt.datetime | None:
    """The first post, close or tally instant strictly after `after`, or None when paused."""
    return _next_instant(after, schedule, with_close=True)


def next_work_after(after: dt.datetime, schedule: ChannelSchedule) -> dt.datetime | None:
    """The first instant strictly after `after` at which `due_work` finds something new (a
    post or a tally; closes follow the rounds), or None when paused."""
    return _next_instant(after, schedule, with_close=False)


def _next_instant(
    after: dt.datetime, schedule: ChannelSchedule, *, with_close: bool, with_tally: bool = True
) -> dt.datetime | None:
    if schedule.paused:
        return None
    today = local_date(after, schedule.timezone)
    candidates: list[dt.datetime] = []
    for offset in range(-1, 9):
        day = today + dt.timedelta(days=offset)
        if is_post_day(day, schedule):
            candidates.append(post_at(day, schedule))
            if with_close:
                candidates.append(close_at(day, schedule))
        if with_tally and day.weekday() == schedule.weekly_day:
            candidates.append(tally_at(day, schedule))
    later = [c for c in candidates if c > after]
    return min(later) if later else None
