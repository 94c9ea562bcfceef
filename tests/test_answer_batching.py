"""Daily answers under load: grouped writes keep every answer single and every refusal exact."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.commands import SubmitAnswer
from bot.identity import Origin
from bot.replies import Notice, Reply, Tone
from bot.storage.batch import WriteBatcher
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.tables import answers, meta, rounds, users
from bot.usecases import daily
from tests.conftest import build_test_app, origin
from tests.helpers import errors, inbox_rows, via_inbox

ADA = origin("Ada", admin=True)
MEDIAN = "ss-median"  # MCQ: Mean, Median, Range, Standard deviation; Median is right


async def open_round(app: App, clock: ManualClock, who: Origin = ADA) -> tuple[int, dict[int, str]]:
    """The round id and the letter shown for each original option index."""
    opened = await daily.open_daily_round(app.ctx, who.place, clock.now(), MEDIAN)
    assert opened is not None
    rnd, card = opened
    return rnd.id, {o.index: o.label for o in card.options}


def click(round_id: int, choice: int, delivery: str) -> SubmitAnswer:
    """A button click on the daily card, as the Discord and Slack adapters send it."""
    return SubmitAnswer("", round_id=round_id, choice=choice, delivery_id=delivery)


def locked_in(replies: list[Reply]) -> bool:
    return len(replies) == 1 and isinstance(replies[0], Notice) and replies[0].tone is Tone.SUCCESS


async def stored_answers(app: App, round_id: int) -> dict[str, str]:
    async with app.db.read() as conn:
        rows = await conn.execute(
            sa.select(users.c.external_id, answers.c.given)
            .join(users, users.c.id == answers.c.user_id)
            .where(answers.c.round_id == round_id)
        )
        return {r.external_id: r.given for r in rows}


async def test_a_burst_of_clicks_locks_in_exactly_one_answer_per_user(
    app: App, clock: ManualClock
) -> None:
    round_id, shown = await open_round(app, clock)
    players = [origin(f"P{i}") for i in range(60)]
    work: list[tuple[str, Origin, SubmitAnswer]] = []
    for i, who in enumerate(players):
        work.append(("first", who, click(round_id, i % 4, f"click-{i}")))
        if i % 6 == 1:  # a second click on another option: a new interaction
            work.append(("second", who, click(round_id, (i + 1) % 4, f"click-{i}-b")))
        elif i % 6 == 4:  # the platform delivers the same interaction again
            work.append(("again", who, click(round_id, i % 4, f"click-{i}")))
    replies = await asyncio.gather(
        *(via_inbox(app, who, cmd, str(cmd.delivery_id)) for _, who, cmd in work)
    )

    stored = await stored_answers(app, round_id)
    assert sorted(stored) == sorted(p.user.user_id for p in players)
    by_user: dict[str, list[list[Reply]]] = {}
    for (kind, who, _), got in zip(work, replies, strict=True):
        if kind == "again":  # the inbox: still being handled, or its stored reply again
            assert got == [Notice(m.INBOX_BUSY)] or locked_in(got), got
        else:
            by_user.setdefault(who.user.user_id, []).append(got)
    for user, got in by_user.items():
        # One click per user is locked in; a second one is told which answer stands.
        assert sum(locked_in(r) for r in got) == 1, user
        refusals = [e for r in got for e in errors(r)]
        already = m.DAILY_ALREADY.split("(")[0] + f"({stored[user]})"
        assert refusals == [] or (len(refusals) == 1 and refusals[0].startswith(already)), user
    rows = await inbox_rows(app)
    assert len(rows) == len(work) - sum(kind == "again" for kind, _, _ in work)
    assert {r.state for r in rows} == {"done"}

    reveal = await daily.close_daily_round(app.ctx, round_id, clock.now())
    assert reveal is not None and reveal.answered == 60
    assert reveal.correct_count == sum(1 for g in stored.values() if g == shown[1])


async def test_a_click_on_a_round_closed_by_another_process_is_refused(
    app: App, clock: ManualClock
) -> None:
    round_id, _ = await open_round(app, clock)
    bob, cy = origin("Bob"), origin("Cy")
    assert locked_in(await app.dispatcher.dispatch(click(round_id, 1, "b-1"), bob))
    # Closed elsewhere: this process still remembers the round as open, and it is not yet
    # the close time by this process's clock.
    async with app.db.write() as conn:
        await conn.execute(
            rounds.update().where(rounds.c.id == round_id).values(closed_at=clock.now())
        )
    got = await app.dispatcher.dispatch(click(round_id, 1, "c-1"), cy)
    assert errors(got) == [m.DAILY_CLOSED]
    assert list(await stored_answers(app, round_id)) == ["bob"]
    # A refusal is an outcome like any other: the same delivery again is told the same.
    assert errors(await via_inbox(app, cy, click(round_id, 1, "c-1"), "c-1")) == [m.DAILY_CLOSED]
    assert errors(await via_inbox(app, cy, click(round_id, 1, "c-1"), "c-1")) == [m.DAILY_CLOSED]
    assert [(r.dedupe_key, r.state, r.attempts) for r in await inbox_rows(app)] == [
        ("c-1", "done", 1)
    ]


async def test_renamed_players_keep_one_user_with_the_latest_name(
    app: App, clock: ManualClock
) -> None:
    general, shown = await open_round(app, clock)
    random_, shown_there = await open_round(app, clock, origin("Ada", admin=True, channel="random"))
    before = origin("Bob")
    after = replace(origin("Bob", channel="random"), display_name="Robert")
    assert locked_in(await app.dispatcher.dispatch(click(general, 1, "x-1"), before))
    assert locked_in(await app.dispatcher.dispatch(click(random_, 1, "x-2"), after))
    async with app.db.read() as conn:
        rows = (
            await conn.execute(sa.select(users.c.display_name).where(users.c.external_id == "bob"))
        ).all()
    assert [r.display_name for r in rows] == ["Robert"]
    assert await stored_answers(app, general) == {"bob": shown[1]}
    assert await stored_answers(app, random_) == {"bob": shown_there[1]}


async def test_a_click_in_a_channel_never_seen_takes_the_general_path(
    app: App, clock: ManualClock
) -> None:
    round_id, shown = await open_round(app, clock)
    # Same workspace, a channel with no row yet: the general path creates it and answers.
    elsewhere = origin("Dee", channel="thread-42")
    assert locked_in(await app.dispatcher.dispatch(click(round_id, 2, "d-1"), elsewhere))
    assert await stored_answers(app, round_id) == {"dee": shown[2]}


async def test_one_failing_request_fails_alone(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine)

    def write(conn: sa.Connection, names: Sequence[str]) -> list[str]:
        for name in names:
            if name == "bad":
                raise ValueError("refused")
            conn.execute(meta.insert().values(key=name, value="x", updated_at=sa.func.now()))
        return [f"ok:{name}" for name in names]

    batcher: WriteBatcher[str, str] = WriteBatcher(db, write)
    names = ["a", "b", "bad", "c", "d"]
    results = await asyncio.gather(*(batcher.submit(n) for n in names), return_exceptions=True)
    assert [str(r) for r in results] == ["ok:a", "ok:b", "refused", "ok:c", "ok:d"]
    assert isinstance(results[2], ValueError)
    async with db.read() as conn:
        kept = (await conn.execute(sa.select(meta.c.key))).scalars().all()
    assert sorted(kept) == ["a", "b", "c", "d"]
    await db.dispose()


async def test_postgresql_lanes_write_the_waiting_requests_as_batches_side_by_side(
    db_url: str,
) -> None:
    # With two lanes, what waits is split between them: one batch is at the server while
    # the other is written, each on its own connection. SQLite has one writer: one batch.
    db = Database(db_url)
    await upgrade(db.engine)
    batches: list[list[str]] = []
    active = [0, 0]  # batches being written now, the most at once

    def write(conn: sa.Connection, names: Sequence[str]) -> list[str]:
        batches.append(list(names))
        active[0] += 1
        active[1] = max(active)
        try:
            if not db.sqlite:  # a round trip that yields to the other lane
                conn.execute(sa.text("SELECT pg_sleep(0.05)"))
            for name in names:
                conn.execute(meta.insert().values(key=name, value="x", updated_at=sa.func.now()))
        finally:
            active[0] -= 1
        return [f"ok:{name}" for name in names]

    batcher: WriteBatcher[str, str] = WriteBatcher(db, write, lanes=2)
    names = [f"k{i}" for i in range(10)]
    results = await asyncio.gather(*(batcher.submit(n) for n in names))
    assert results == [f"ok:{n}" for n in names]
    if db.sqlite:
        assert (batches, active[1]) == ([names], 1)
    else:
        assert (sorted(batches), active[1]) == ([names[:5], names[5:]], 2)
    # A request arriving once both lanes have gone idle is written too.
    assert await batcher.submit("late") == "ok:late"
    async with db.read() as conn:
        kept = (await conn.execute(sa.select(meta.c.key))).scalars().all()
    assert sorted(kept) == sorted([*names, "late"])
    await db.dispose()


async def test_kinds_share_a_turn_and_a_failing_one_fails_alone(db_url: str) -> None:
    # On SQLite, inbox rows, answers and outcomes queued together are written in one
    # transaction; one kind's bad request must not take the other kinds' requests down.
    db = Database(db_url)
    await upgrade(db.engine)
    turns: list[list[str]] = []

    def writer(prefix: str) -> Callable[[sa.Connection, Sequence[str]], list[str]]:
        def write(conn: sa.Connection, names: Sequence[str]) -> list[str]:
            turns.append([f"{prefix}{n}" for n in names])
            for name in names:
                if name == "bad":
                    raise ValueError("refused")
                key = f"{prefix}{name}"
                conn.execute(meta.insert().values(key=key, value="x", updated_at=sa.func.now()))
            return [f"{prefix}ok:{name}" for name in names]

        return write

    first: WriteBatcher[str, str] = WriteBatcher(db, writer("a-"))
    second: WriteBatcher[str, str] = WriteBatcher(db, writer("b-"))
    calls = [first.submit("1"), second.submit("1"), second.submit("bad"), first.submit("2")]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [str(r) for r in results] == ["a-ok:1", "b-ok:1", "refused", "a-ok:2"]
    if db.sqlite:
        # One writer: one transaction for both kinds, rolled back; then each request alone.
        assert turns == [["a-1", "a-2"], ["b-1", "b-bad"], ["a-1"], ["a-2"], ["b-1"], ["b-bad"]]
    else:
        # PostgreSQL: each kind in its own transaction, side by side; only b's is retried.
        expected = [["a-1", "a-2"], ["b-1", "b-bad"], ["b-1"], ["b-bad"]]
        assert sorted(turns) == sorted(expected)
    async with db.read() as conn:
        kept = (await conn.execute(sa.select(meta.c.key))).scalars().all()
    assert sorted(kept) == ["a-1", "a-2", "b-1"]
    await db.dispose()


async def test_a_batch_waiting_for_another_process_never_blocks_the_event_loop(
    tmp_path: Path,
) -> None:
    # SQLite: a short batch runs on the event loop only when the write lock is free at once;
    # while another process holds it, the batch waits in the writer thread and the loop
    # (every other click, the ticker) keeps running.
    url = f"sqlite+aiosqlite:///{tmp_path / 'locked.db'}"
    db = Database(url)
    await upgrade(db.engine)

    def write(conn: sa.Connection, names: Sequence[str]) -> list[str]:
        for name in names:
            conn.execute(meta.insert().values(key=name, value="x", updated_at=sa.func.now()))
        return list(names)

    batcher: WriteBatcher[str, str] = WriteBatcher(db, write)
    assert await batcher.submit("free") == "free"  # the lock was free: written at once
    other = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    pending = asyncio.create_task(batcher.submit("queued"))
    ticks = 0
    for _ in range(20):
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 20 and not pending.done()  # the loop ran; the write waits its turn
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(pending, 10) == "queued"
    async with db.read() as conn:
        kept = (await conn.execute(sa.select(meta.c.key))).scalars().all()
    assert sorted(kept) == ["free", "queued"]
    await db.dispose()


async def test_a_command_reads_while_another_process_holds_the_write_lock(
    tmp_path: Path, clock: ManualClock
) -> None:
    # SQLite: the look-ups every command makes (user, channel, bank version) run on the event
    # loop; a WAL reader never waits for a writer, so another process's open write does not
    # hold the command (nor the loop) up.
    path = tmp_path / "reads.db"
    app = await build_test_app(f"sqlite+aiosqlite:///{path}", clock)
    try:
        await app.dispatcher.handle_text("leaderboard", ADA)  # Ada and the channel exist now
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process writing, not yet committed
        other.execute("INSERT INTO meta (key, value, updated_at) VALUES ('x', 'y', '2026')")
        try:
            replies = await asyncio.wait_for(app.dispatcher.handle_text("leaderboard", ADA), 2)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert replies and not errors(replies)
    finally:
        await app.close()


@pytest.mark.parametrize("how", ["click", "typed"])
async def test_an_answer_racing_a_close_in_another_process_is_refused(
    app: App, clock: ManualClock, db_url: str, how: str
) -> None:
    """Another process is closing the round (uncommitted) as a click arrives: the click must
    wait for it and be refused, never recorded into a round whose points are being awarded."""
    round_id, _ = await open_round(app, clock)
    other = Database(db_url)  # another process: its own engine and connections
    try:
        async with other.engine.connect() as closer:
            await closer.begin()
            await closer.execute(
                rounds.update().where(rounds.c.id == round_id).values(closed_at=clock.now())
            )
            command = click(round_id, 1, "race-1") if how == "click" else SubmitAnswer("B")
            pending = asyncio.create_task(app.dispatcher.dispatch(command, origin("Bob")))
            await _until_blocked(other, pending)
            await closer.commit()
        got = await pending
    finally:
        await other.dispose()
    # A typed answer may look for the open round only after the close committed.
    refusals = [[m.DAILY_CLOSED]] if how == "click" else [[m.DAILY_CLOSED], [m.NOTHING_TO_ANSWER]]
    assert errors(got) in refusals
    assert await stored_answers(app, round_id) == {}


async def _until_blocked(db: Database, task: asyncio.Task[list[Reply]]) -> None:
    """PostgreSQL: wait until the click's transaction waits on the closer's row lock. SQLite
    queues it behind the closer's write lock, which is not observable; yield a little."""
    if db.sqlite:
        await asyncio.sleep(0.05)
        return
    async with db.engine.connect() as conn:
        for _ in range(500):
            if task.done():
                return  # not blocked at all: the assertions will say what happened
            waiting = (
                await conn.execute(sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            ).scalar_one()
            await conn.rollback()
            if waiting:
                return
            await asyncio.sleep(0.01)
