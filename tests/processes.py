"""Real bot processes for the multi-process tests and `make faults`: ports, zones, a channel."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import zoneinfo
from pathlib import Path

import aiohttp

from bot import faults
from bot.bootstrap import SystemClock, build_app
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.settings import Settings
from tests.conftest import FIXTURE_CONTENT, ROOT
from tests.helpers import errors
from tests.slack.conftest import BOT_TOKEN, CHANNEL, SECRET
from tests.slack.fake_slack import TEAM

READY_WAIT = 90.0

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


def bot_env(db_url: str, api_url: str, **extra: str) -> dict[str, str]:
    """The environment of a bot process in Slack HTTP mode on `db_url`, talking to the fake
    Slack at `api_url`; `extra` adds settings (STUDYBOT_FAULT, STUDYBOT_INBOX_LEASE, ...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.pop(faults.ENV, None)
    env.update(
        PYTHONPATH=str(ROOT),
        STUDYBOT_CONTENT_DIR=str(FIXTURE_CONTENT),
        STUDYBOT_LOG_LEVEL="DEBUG",
        STUDYBOT_DATABASE_URL=db_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        SLACK_HTTP_HOST="127.0.0.1",
        **extra,
    )
    return env


class BotProcess:
    """`studybot run --slack-http PORT` as a real process, its log in a file."""

    def __init__(self, tmp: Path, env: dict[str, str], n: int) -> None:
        self.port = free_port()
        self.log_path = tmp / f"bot-{n}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "run", "--slack-http", str(self.port)],
            cwd=tmp,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def wait_ready(self, session: aiohttp.ClientSession) -> None:
        async with asyncio.timeout(READY_WAIT):
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"bot exited: {self.log_path.read_text()[-2000:]}")
                with contextlib.suppress(aiohttp.ClientError):
                    health = f"http://127.0.0.1:{self.port}/healthz"
                    async with session.get(health) as response:
                        if response.status == 200 and "tick at" in self.log_path.read_text():
                            return
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._log.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode
