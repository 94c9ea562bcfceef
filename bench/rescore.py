"""Rescoring: `question rekey` and `question void` of a 10,000-answer round, end to end."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

import sqlalchemy as sa

import bot.storage.audit as audit_store
from bench import snapshots
from bench.boards import _app
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.questions import QuestionType
from bot.replies import Notice, Tone
from bot.storage.tables import answers, memberships, teams, users
from bot.usecases import daily

WORKSPACE_ID = "rescore"
START = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)


async def rescore(
    db_url: str, players: int = 10_000, history: int = 5, team_count: int = 100
) -> dict[str, Any]:
    """`history` closed rounds of `players` answers each (through the real close), then the
    last round rekeyed (most players' verdict flips), an older one rekeyed (streaks of every
    later round move), and one voided; each timed as the whole admin command, and the
    totals checked against a recount of the raw events afterwards.

    On PostgreSQL the rounds before the last are vacuumed before the last one is played: a
    workspace's history builds up over weeks, while autovacuum keeps its pages' hint bits and
    visibility map current; built in two minutes, none of it had been (the rescore's
    index-only reads then visit the table, and its first reads set the hint bits, as no
    live server's would). The last round is closed after it, its pages as a close leaves
    them, and the three commands follow each other without one."""
    app = await _app(db_url)
    try:
        app.stores.rounds.close_chunk = 5_000  # loading only: the close's chunking is not timed
        place = PlaceRef(Platform.DISCORD, WORKSPACE_ID, "general")
        admin = Origin(UserRef(Platform.DISCORD, "admin"), place, "Admin", True)
        ws = place.workspace_key
        question = next(
            q for q in app.bank.by_id.values() if q.type is QuestionType.MCQ and len(q.choices) == 4
        )
        ids = await _players(app, ws, players, team_count)
        loaded = time.perf_counter()
        round_ids = []
        for k in range(history):
            if k == history - 1 and not app.db.sqlite:
                await snapshots.vacuum(db_url)
            round_ids.append(await _round(app, place, question.id, ids, k))
        load_s = time.perf_counter() - loaded
        key = int(str(question.answer))
        other = (key + 1) % 4
        last_ms, last_cpu, last_tx = await _command(
            app, admin, f"question rekey {round_ids[-1]} {'ABCD'[other]}"
        )
        older_ms, older_cpu, older_tx = await _command(
            app, admin, f"question rekey {round_ids[1]} {'ABCD'[other]}"
        )
        void_ms, void_cpu, void_tx = await _command(app, admin, f"question void {round_ids[-2]}")
        drift = await app.stores.boards.counter_drift(ws)
        exact = not drift and (
            await app.stores.boards.recount(ws) == await app.stores.boards.stored_totals(ws)
        )
        return {
            "players": players,
            "history_rounds": history,
            "load_s": round(load_s, 1),
            "rekey_last_ms": last_ms,
            "rekey_last_cpu_ms": last_cpu,
            "rekey_last_tx_ms": last_tx,
            "rekey_older_ms": older_ms,
            "rekey_older_cpu_ms": older_cpu,
            "rekey_older_tx_ms": older_tx,
            "void_ms": void_ms,
            "void_cpu_ms": void_cpu,
            "void_tx_ms": void_tx,
            "exact": bool(exact),
        }
    finally:
        await app.close()


async def _players(app: Any, ws: str, count: int, team_count: int) -> list[int]:
    async with app.db.write() as conn:
        team_ids = list(
            (
                await conn.execute(
                    teams.insert().returning(teams.c.id),
                    [
                        {
                            "workspace": ws,
                            "name": f"T{t}",
                            "name_key": f"t{t}",
                            "created_at": START,
                            "members": count // team_count,
                        }
                        for t in range(team_count)
                    ],
                )
            ).scalars()
        )
        ids = list(
            (
                await conn.execute(
                    users.insert().returning(users.c.id),
                    [
                        {
                            "workspace": ws,
                            "external_id": f"p{i}",
                            "display_name": f"Player {i}",
                            "name_key": f"player {i}",
                            "created_at": START,
                        }
                        for i in range(count)
                    ],
                )
            ).scalars()
        )
        await conn.execute(
            memberships.insert(),
            [
                {"user_id": u, "team_id": team_ids[i % team_count], "joined_at": START}
                for i, u in enumerate(ids)
            ],
        )
    return ids


async def _round(app: Any, place: PlaceRef, qid: str, ids: list[int], k: int) -> int:
    """One day's round: every player answers (40% the key, 30% the next option, the rest
    spread), then the real close awards points, streaks and totals."""
    at = START + dt.timedelta(days=k)
    app.ctx.clock.set(at)
    opened = await daily.open_daily_round(app.ctx, place, at, qid)
    assert opened is not None
    rnd, _ = opened
    question = app.bank.by_id[qid]
    key = int(str(question.answer))
    rng = random.Random(k)
    rows = []
    for u in ids:
        roll = rng.random()
        pick = key if roll < 0.4 else (key + 1) % 4 if roll < 0.7 else rng.randrange(4)
        rows.append(
            {
                "round_id": rnd.id,
                "user_id": u,
                "topic": question.topic,
                "given": "ABCD"[pick],
                "normalized": str(pick),
                "correct": pick == key,
                "answered_at": at + dt.timedelta(minutes=1),
            }
        )
    async with app.db.write() as conn:
        await conn.execute(answers.insert(), rows)
    app.ctx.clock.set(at + dt.timedelta(hours=9))
    assert await daily.close_daily_round(app.ctx, rnd.id, app.ctx.clock.now()) is not None
    async with app.db.read() as conn:
        n = (
            await conn.execute(sa.select(sa.func.count()).where(answers.c.round_id == rnd.id))
        ).scalar_one()
    assert n == len(ids)
    return int(rnd.id)


async def _command(app: Any, admin: Origin, line: str) -> tuple[float, float, float]:
    """Wall time and this process's CPU time (every thread: SQLite's writer too), in ms, and
    how long the write transaction's body ran (what other writers wait for). On a shared
    machine the CPU time shows the work when the wall time mostly shows the wait."""
    held: list[float] = []
    real = audit_store.rescore_round

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            held.append(time.perf_counter() - began)

    audit_store.rescore_round = timed  # type: ignore[assignment]
    try:
        began, cpu = time.perf_counter(), time.process_time()
        replies = await app.dispatcher.handle_text(line, admin)
        took, used = time.perf_counter() - began, time.process_time() - cpu
    finally:
        audit_store.rescore_round = real  # type: ignore[assignment]
    assert replies and isinstance(replies[0], Notice) and replies[0].tone is Tone.SUCCESS, replies
    return round(took * 1000, 1), round(used * 1000, 1), round(sum(held) * 1000, 1)
