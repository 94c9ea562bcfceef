"""The console's `/time` argument: relative steps, ISO instants and clear refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.console.app import TimeError, parse_time

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
    ],
)
def test_refusals(text: str, message: str) -> None:
    with pytest.raises(TimeError) as caught:
        parse_time(text, NOW)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
