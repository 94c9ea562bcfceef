"""PostgreSQL stopped, or the SQLite file write-locked by another connection for longer than
the bot's busy timeout, at each named fault point: after recovery everything is out once."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot import faults
from bot.bootstrap import App, ManualClock
from bot.commands import SubmitAnswer
from bot.storage import engines, pg_pool
from tests.conftest import START, build_test_app
from tests.faults.day import (
    ANSWER_POINTS,
    UNREACHED,
    WORK_POINTS,
    FaultedAnswer,
    FaultedTick,
    answer_in_process,
    answer_with_fault,
    bob_answer,
    check_day,
    day_with_fault,
    locked_in,
    open_round,
    tick,
)
from tests.faults.pg_cluster import PgCluster
from tests.faults.ticker_process import FilePublisher
from tests.helpers import errors, say
from tests.test_scheduler import ADA, BOB, CY

# Scaled down from SQLite's 10 s so the suite stays short; the lock outlasts it all the same.
BUSY_MS = 250


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture(autouse=True)
def _disarmed() -> Iterator[None]:
    yield
    faults.disarm()


async def make_app(db_url: str, clock: ManualClock) -> App:
    app = await build_test_app(db_url, clock)
    app.work.sleep = _no_sleep  # the retry pauses within a tick; the fault outlasts them
    return app


def faulted_tick(
    app: App,
    clock: ManualClock,
    pub: FilePublisher,
    point: str,
    fault: Callable[[], None],
    recover: Callable[[], None],
) -> FaultedTick:
    """A tick with `fault` started at `point` and lasting to its end, then `recover`."""
    kind = point.split(".")[0]

    async def run(when: dt.datetime) -> None:
        faults.arm(point, fault)
        try:
            done = await tick(app, clock, when, pub)
            assert not faults.armed(point), f"{point} was never reached"
        finally:
            faults.disarm()
            recover()
        # Past `recorded` the work is out and kept; before it, the fault stopped it. (Other
        # work the tick looked at, e.g. last week's stale tally to mark skipped, waits too.)
        expected = "published" if point.endswith(".recorded") else "retrying"
        assert [d for d in done if d.startswith(kind)] == [f"{kind}:{expected}"]

    return run


# -- SQLite: another connection holds the write lock -----------------------------------------


class WriteLock:
    """Another connection's BEGIN IMMEDIATE on the file, held until `release`: the whole
    faulted tick, far past the bot's busy timeout."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None

    def take(self) -> None:
        self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")  # from here the bot's writes wait, then fail

    def release(self) -> None:
        if self.conn is not None:
            self.conn.execute("COMMIT")
            self.conn.close()
            self.conn = None


@pytest.fixture
async def sqlite_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[App, ManualClock, str]]:
    monkeypatch.setattr(engines, "BUSY_TIMEOUT_MS", BUSY_MS)
    url = f"sqlite+aiosqlite:///{tmp_path / 'studybot.db'}"
    clock = ManualClock(START)
    app = await make_app(url, clock)
    yield app, clock, url
    await app.close()


@pytest.mark.parametrize("point", WORK_POINTS)
async def test_a_write_lock_held_past_the_busy_timeout_at_each_step_of_the_work(
    sqlite_app: tuple[App, ManualClock, str], tmp_path: Path, point: str
) -> None:
    app, clock, url = sqlite_app
    pub = FilePublisher(tmp_path / "platform.jsonl")
    lock = WriteLock(str(tmp_path / "studybot.db"))
    run = faulted_tick(app, clock, pub, point, lock.take, lock.release)
    await day_with_fault(app, clock, pub, point, run)
    await check_day(app, clock, pub, url)


@pytest.mark.parametrize("clicked", [True, False], ids=["click", "typed"])
@pytest.mark.parametrize("point", ANSWER_POINTS)
async def test_a_write_lock_held_past_the_busy_timeout_while_answering(
    sqlite_app: tuple[App, ManualClock, str], tmp_path: Path, point: str, clicked: bool
) -> None:
    app, clock, url = sqlite_app
    lock = WriteLock(str(tmp_path / "studybot.db"))
    answer = armed(app, point, clicked, lock.take, lock.release)
    await answer_with_fault(app, clock, url, point, clicked, answer)


def armed(
    app: App, point: str, clicked: bool, fault: Callable[[], None], recover: Callable[[], None]
) -> FaultedAnswer:
    async def answer(sent: SubmitAnswer | str) -> list[str] | None:
        faults.arm(point, fault)
        try:
            return await answer_in_process(app, sent)
        finally:
            reached = not faults.armed(point)
            faults.disarm()
            recover()
            assert reached == ((point, clicked) not in UNREACHED)

    return answer


# -- PostgreSQL: the server stops, then starts again ------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    pg = PgCluster()
    yield pg
    pg.destroy()


@pytest.fixture
async def pg_app(cluster: PgCluster) -> AsyncIterator[tuple[App, ManualClock, str]]:
    if not cluster.running:
        cluster.start()
    url = await cluster.database()
    clock = ManualClock(START)
    app = await make_app(url, clock)
    yield app, clock, url
    await app.close()


@pytest.mark.postgres
@pytest.mark.parametrize("point", WORK_POINTS)
async def test_postgresql_stopped_at_each_step_of_the_work(
    pg_app: tuple[App, ManualClock, str], cluster: PgCluster, tmp_path: Path, point: str
) -> None:
    app, clock, url = pg_app
    pub = FilePublisher(tmp_path / "platform.jsonl")
    run = faulted_tick(app, clock, pub, point, cluster.stop, cluster.start)
    await day_with_fault(app, clock, pub, point, run)
    await check_day(app, clock, pub, url)


@pytest.mark.postgres
@pytest.mark.parametrize("clicked", [True, False], ids=["click", "typed"])
@pytest.mark.parametrize("point", ANSWER_POINTS)
async def test_postgresql_stopped_while_answering(
    pg_app: tuple[App, ManualClock, str],
    cluster: PgCluster,
    point: str,
    clicked: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A pooled connection the restart cut is found by the ping it gets after PING_AFTER_IDLE_S
    # idle; the next answer here comes at once, where a real user's comes seconds later. (Within
    # those seconds the first statement fails once: docs/reliability.md.)
    monkeypatch.setattr(pg_pool, "PING_AFTER_IDLE_S", 0.0)
    app, clock, url = pg_app
    answer = armed(app, point, clicked, cluster.stop, cluster.start)
    await answer_with_fault(app, clock, url, point, clicked, answer)



@pytest.mark.postgres
@pytest.mark.parametrize("clicked", [True, False], ids=["click", "typed"])
async def test_an_answer_right_after_a_postgresql_restart_succeeds_first_time(
    pg_app: tuple[App, ManualClock, str],
    cluster: PgCluster,
    tmp_path: Path,
    clicked: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No idle ping at all: the connections the restart cut must be found without one.
    monkeypatch.setattr(pg_pool, "PING_AFTER_IDLE_S", 3600.0)
    app, clock, _ = pg_app
    round_id, typed = await open_round(app, clock)
    # A pool in use, as in a running bot: several connections, all back in it, all cut below.
    await asyncio.gather(*(say(app, who, "daily") for who in (ADA, BOB, CY)))
    assert errors(await say(app, CY, f"answer {typed}")) == []
    # The restart takes its seconds with the bot's event loop running, as in a deployment.
    await asyncio.to_thread(cluster.stop)
    await asyncio.to_thread(cluster.start)
    first = await answer_in_process(app, bob_answer(round_id, typed, clicked, "bob-1"))
    assert locked_in(first), first  # at the first try, not "Something went wrong"
    bob = [a for a in await app.stores.answers.round_answers(round_id) if a.display_name == "Bob"]
    assert len(bob) == 1 and bob[0].correct
    # Scheduled work straight after a restart goes through at its first tick too.
    await asyncio.to_thread(cluster.stop)
    await asyncio.to_thread(cluster.start)
    rnd = await app.stores.rounds.get_round(round_id)
    assert rnd is not None
    done = await tick(app, clock, rnd.closes_at, FilePublisher(tmp_path / "platform.jsonl"))
    assert done == ["close:published"]
