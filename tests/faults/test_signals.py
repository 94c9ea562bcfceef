"""`studybot run` stops gracefully on SIGTERM and SIGINT, also as PID 1 of its namespace."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest

from bot.bootstrap import SystemClock
from scheduler.ticker import Ticker
from tests.conftest import FIXTURE_CONTENT, ROOT
from tests.processes import free_port
from tests.slack.conftest import BOT_TOKEN, SECRET
from tests.slack.fake_slack import FakeSlack

# As PID 1 the kernel drops every signal the process has no handler for, as in a container
# (`exec studybot run`); an unprivileged user namespace makes this work without root, and
# --kill-child takes the bot down with the wrapper should a test have to kill it.
AS_PID_1 = [
    "unshare",
    "--user",
    "--map-root-user",
    "--pid",
    "--fork",
    "--mount-proc",
    "--kill-child",
]
# What `docker stop` waits before its SIGKILL.
DOCKER_GRACE_S = 10


class Bot:
    """`studybot run --slack-http PORT` on SQLite, its log in a file."""

    def __init__(self, tmp: Path, fake: FakeSlack, prefix: list[str]) -> None:
        self.port = free_port()
        self.db = tmp / "studybot.db"
        self.log_path = tmp / "bot.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
        env.update(
            PYTHONPATH=str(ROOT),
            STUDYBOT_DATABASE_URL=f"sqlite+aiosqlite:///{self.db}",
            STUDYBOT_CONTENT_DIR=str(FIXTURE_CONTENT),
            STUDYBOT_LOG_LEVEL="DEBUG",
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.api_url,
            SLACK_HTTP_HOST="127.0.0.1",
        )
        command = [sys.executable, "-m", "adapters.cli", "run", "--slack-http", str(self.port)]
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [*prefix, *command], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_path.read_text()

    def bot_pid(self) -> int:
        """The bot's process id (as this process sees it): the wrapper's child, if wrapped."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return int(children.split()[0]) if children.strip() else self.proc.pid

    async def wait_ready(self) -> None:
        async with aiohttp.ClientSession() as session, asyncio.timeout(60):
            while True:
                assert self.proc.poll() is None, self.log()
                with contextlib.suppress(aiohttp.ClientError):
                    url = f"http://127.0.0.1:{self.port}/healthz"
                    async with session.get(url) as response:
                        if response.status == 200 and "tick at" in self.log():
                            return
                await asyncio.sleep(0.1)

    def stop_within(self, seconds: float) -> int | None:
        """The exit code, or None (after a SIGKILL) when the bot was still running."""
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def namespace_pid(pid: int) -> int:
    """The process id as its own (innermost) PID namespace sees it."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    raise AssertionError("no NSpid line")


@pytest.mark.parametrize(
    ("signum", "as_pid_1"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["sigterm", "sigint", "sigterm-as-pid-1"],
)
async def test_a_stop_signal_stops_the_bot_gracefully(
    tmp_path: Path, fake: FakeSlack, signum: signal.Signals, as_pid_1: bool
) -> None:
    bot = Bot(tmp_path, fake, AS_PID_1 if as_pid_1 else [])
    try:
        await bot.wait_ready()
        pid = bot.bot_pid()
        assert (namespace_pid(pid) == 1) is as_pid_1
        os.kill(pid, signum)
        code = await asyncio.to_thread(bot.stop_within, DOCKER_GRACE_S)
    finally:
        if bot.proc.poll() is None:
            bot.proc.kill()
            bot.proc.wait()
    log = bot.log()
    assert code == 0, log[-3000:]
    assert f"{signum.name}: stopping" in log
    assert "scheduler stopped" in log and "studybot stopped" in log
    assert "Traceback" not in log
    # Closed cleanly: the WAL was folded into the database file and emptied.
    wal = Path(f"{bot.db}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


class StuckWork:
    """Due work whose publish hangs until released (a platform that stopped answering)."""

    def __init__(self) -> None:
        self.ctx = SimpleNamespace(clock=SystemClock())
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.finished = False

    async def run_due(self, now: object, publishers: object) -> list[object]:
        self.started.set()
        await self.release.wait()
        self.finished = True
        return []


async def test_stopping_waits_for_a_publish_in_progress() -> None:
    work = StuckWork()
    ticker = Ticker(work, {})  # type: ignore[arg-type]
    tick = asyncio.ensure_future(ticker.tick())
    await work.started.wait()
    stopping = asyncio.ensure_future(ticker.stop(grace=30))
    await asyncio.sleep(0)
    assert not stopping.done()
    work.release.set()
    await stopping
    assert work.finished
    await tick


async def test_stopping_cuts_a_publish_that_outlasts_the_grace() -> None:
    work = StuckWork()
    ticker = Ticker(work, {})  # type: ignore[arg-type]
    tick = asyncio.ensure_future(ticker.tick())
    await work.started.wait()
    await ticker.stop(grace=0.01)
    assert not work.finished
    assert ticker._current is not None and ticker._current.cancelled()
    await asyncio.gather(tick, return_exceptions=True)
