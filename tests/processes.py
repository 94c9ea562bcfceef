"""Real bot processes for the multi-process tests and `make faults`: ports, zones, a channel."""

from __future__ import annotations

import datetime as dt
import socket
import zoneinfo

from bot.bootstrap import SystemClock, build_app
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.settings import Settings
from tests.conftest import FIXTURE_CONTENT
from tests.helpers import errors
from tests.slack.conftest import CHANNEL
from tests.slack.fake_slack import TEAM

ADMIN = Origin(
    UserRef(Platform.SLACK, "UADMIN"), PlaceRef(Platform.SLACK, TEAM, CHANNEL), "Ada", True
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def noon_zone(now: dt.datetime) -> str:
    """A fixed-offset zone where `now` is around midday, so a round opened a minute ago and
    closing within hours never straddles a local midnight, whatever hour the test runs."""
    offset = 12 - now.hour  # hours east of UTC; Etc/GMT-N is N hours east (POSIX sign)
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


async def open_channel(db_url: str, close_in: dt.timedelta) -> tuple[str, str]:
    """Enable the daily question with a post due a minute ago (each process's start-up tick
    finds it due) and the close `close_in` from now; returns the channel's zone and close."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = await build_app(settings, db_url=db_url, content_dir=FIXTURE_CONTENT, clock=SystemClock())
    try:
        zone = noon_zone(dt.datetime.now(dt.UTC))
        local = dt.datetime.now(dt.UTC).astimezone(zoneinfo.ZoneInfo(zone))
        post = (local - dt.timedelta(minutes=1)).strftime("%H:%M")
        close = (local + close_in).strftime("%H:%M")
        for line in (
            "config channel",
            f"config timezone {zone}",
            "config days daily",
            "config topics sample-stats",
            "config difficulty easy",  # the median MCQ: buttons to click
            f"config close {close}",
            f"config time {post}",
        ):
            assert errors(await app.dispatcher.handle_text(line, ADMIN)) == [], line
    finally:
        await app.close()
    return zone, close
