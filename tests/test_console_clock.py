"""The console's `/time` argument: relative steps, ISO instants and clear refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.console.app import TimeError, parse_time, show_now, show_time, wrap

NOW = dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+30m", NOW + dt.timedelta(minutes=30)),
        ("+2h", NOW + dt.timedelta(hours=2)),
        ("+1d", NOW + dt.timedelta(days=1)),
        ("+1w", NOW + dt.timedelta(weeks=1)),
        ("+1d2h30m", NOW + dt.timedelta(days=1, hours=2, minutes=30)),
        ("2026-11-20T17:00", dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)),
        ("2026-11-20 17:00", dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)),
        ("2026-11-20T17:00+01:00", dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)),
        ("2026-11-20T17:00Z", dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)),
    ],
)
def test_steps_and_instants(text: str, expected: dt.datetime) -> None:
    assert parse_time(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("+", "'+' is not a time step or date."),
        ("+1x", "'+1x' is not a time step or date."),
        ("tomorrow", "'tomorrow' is not a time step or date."),
        (
            "2026-11-15T08:00",
            "The console clock only moves forward; it is Mon 2026-11-16 08:00 UTC",
        ),
        ("+400d", "Move at most 366 days at a time."),
        # Past the year 9999 (or past what a timedelta holds): refused, not an OverflowError.
        ("+3000000d", "Move at most 366 days at a time."),
        ("+100000000w", "Move at most 366 days at a time."),
        ("+9999999999h", "Move at most 366 days at a time."),
        ("+99999999999999d", "Move at most 366 days at a time."),
        ("9999-12-31T23:59-05:00", "Move at most 366 days at a time."),
        ("0001-01-01T00:00+01:00", "The console clock only moves forward"),
    ],
)
def test_refusals(text: str, message: str) -> None:
    with pytest.raises(TimeError) as caught:
        parse_time(text, NOW)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_times_show_on_the_channels_clock() -> None:
    assert show_time(NOW) == "Mon 2026-11-16 08:00 UTC"
    assert show_time(NOW, "Europe/Berlin") == "Mon 2026-11-16 09:00 CET"
    assert show_now(NOW, "Europe/Berlin") == "Mon 2026-11-16 09:00 CET (08:00 UTC)"
    assert show_now(NOW) == "Mon 2026-11-16 08:00 UTC"


def test_wrap_keeps_short_lines_and_hangs_list_items() -> None:
    option = "  B) " + "word " * 20
    wrapped = wrap("short\n" + option.rstrip(), 40).split("\n")
    assert wrapped[0] == "short"
    assert all(len(line) <= 40 for line in wrapped)
    assert wrapped[1].startswith("  B) word") and wrapped[2].startswith("     word")
    assert wrap("x" * 300, 40) == "x" * 300  # one unbreakable word stays whole
    assert wrap("a " * 100, None) == "a " * 100  # piped: no wrapping
