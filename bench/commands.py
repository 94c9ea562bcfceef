"""Every board and stats command through the dispatcher, on a workspace built through the core,
beside a Red-style board over the same players; and how both grow with the answers."""

from __future__ import annotations

import copy
import datetime as dt
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from bench import build, snapshots
from bench.boards import _app
from bench.stats import percentile
from bot import commands as c
from bot.bootstrap import App, ManualClock
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.schedule import month_key, week_key
from bot.storage.board_keys import board_of, insert_by_key
from bot.storage.tables import (
    SCORE_BAND,
    TIE_BLOCK,
    channels,
    score_bands,
    score_counts,
    tie_blocks,
    totals,
    users,
)

TIE = "discord:tie"
TIE_POINTS = 20  # every tied player's points (one right answer of a first round)
# Red-DiscordBot's trivia leaderboard orders by these keys, the first the most significant.
RED_KEYS = ("wins", "average_score", "total_score", "games")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def red_style_top(members: dict[int, dict[str, float]], top: int = 10) -> list[Any]:
    """A top 10 as Red-DiscordBot's trivia cog builds one in Python: every member's stats
    copied out of its config, an average computed per member, the whole list sorted once per
    key (stable sorts, least significant key first)."""
    data = copy.deepcopy(members)  # Config.all_members() hands out a copy of every member
    for stats in data.values():
        games = stats["games"]
        stats["average_score"] = stats["total_score"] / games if games else 0.0
    items = list(data.items())
    for key in reversed(RED_KEYS):
        items.sort(key=lambda item, k=key: item[1][k], reverse=True)  # type: ignore[misc]
    return items[:top]


async def red_members(app: App, workspace: str) -> dict[int, dict[str, float]]:
    """Every player's all-time stats, as Red would keep them per member."""
    query = sa.select(totals.c.subject_id, totals.c.points, totals.c.correct, totals.c.answered)
    query = query.where(totals.c.board_id == board_of(workspace, "all", "user"))
    async with app.db.read() as conn:
        rows = (await conn.execute(query)).all()
    return {
        r.subject_id: {"wins": r.correct, "games": r.answered, "total_score": r.points}
        for r in rows
    }


def time_red(members: dict[int, dict[str, float]], runs: int = 5) -> float:
    """Median seconds of a Red-style top 10 over `members`."""
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        red_style_top(members)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def _origin(workspace: str, user: int) -> Origin:
    platform, guild = workspace.split(":", 1)
    return Origin(
        UserRef(Platform(platform), f"u{user}"),
        PlaceRef(Platform(platform), guild, "general"),
        f"Player {user}",
        False,
    )


async def _tie(app: Any, players: int, day: dt.date) -> None:
    """A board's first round: `players` all on TIE_POINTS and 1 correct, in every period.
    Written by SQL (rows as a first round's close leaves them), not through the core."""
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    async with app.db.write() as conn:
        await conn.execute(
            channels.insert().values(
                platform="discord", workspace=TIE, external_id="general", updated_at=at
            )
        )
        ids = (
            (
                await conn.execute(
                    users.insert().returning(users.c.id),
                    [
                        {
                            "workspace": TIE,
                            "external_id": f"u{i}",
                            "display_name": f"Player {i}",
                            "name_key": f"player {i}",
                            "created_at": at,
                        }
                        for i in range(1, players + 1)
                    ],
                )
            )
            .scalars()
            .all()
        )
        periods = ("all", week_key(day), month_key(day))
        keyed = [
            {
                "workspace": TIE,
                "period": period,
                "kind": "user",
                "subject_id": user_id,
                "points": TIE_POINTS,
                "correct": 1,
                "answered": 1,
            }
            for user_id in ids
            for period in periods
        ]
        await conn.run_sync(lambda sync: insert_by_key(app.db, sync, keyed))
        await conn.execute(
            score_counts.insert(),
            [
                {
                    "workspace": TIE,
                    "period": p,
                    "points": TIE_POINTS,
                    "correct": 1,
                    "users": players,
                }
                for p in periods
            ],
        )
        await conn.execute(
            score_bands.insert(),
            [
                {"workspace": TIE, "period": p, "band": TIE_POINTS // SCORE_BAND, "users": players}
                for p in periods
            ],
        )
        blocks = Counter(user_id // TIE_BLOCK for user_id in ids)
        await conn.execute(
            tie_blocks.insert(),
            [
                {
                    "workspace": TIE,
                    "period": p,
                    "points": TIE_POINTS,
                    "correct": 1,
                    "block": b,
                    "users": n,
                }
                for p in periods
                for b, n in sorted(blocks.items())
            ],
        )


Case = tuple[c.Command, Callable[[], Origin]]


def cases(rng: random.Random, users_count: int, tie: int) -> dict[str, Case]:
    def asker() -> Origin:
        return _origin(build.WORKSPACE, rng.randint(1, users_count))

    out: dict[str, Case] = {}
    for period in ("week", "month", "all"):
        out[f"users_{period}"] = (c.ShowLeaderboard("users", period), asker)
        out[f"teams_{period}"] = (c.ShowLeaderboard("teams", period), asker)
    out["stats"] = (c.ShowStats(), asker)
    if tie:
        for period in ("week", "all"):
            out[f"tie_users_{period}"] = (
                c.ShowLeaderboard("users", period),
                lambda: _origin(TIE, rng.randint(1, tie)),
            )
    return out


async def time_cases(
    app: App, chosen: dict[str, Case], runs: int, repeats: int, red_s: float
) -> dict[str, Any]:
    """p50/p99 of each command (the median over `repeats` passes of `runs` calls) and, for
    the boards, how many times faster than the Red-style board they are."""
    dispatch = app.dispatcher.dispatch
    out: dict[str, Any] = {}
    for name, (command, asker) in chosen.items():
        p99s, p50s = [], []
        for _ in range(repeats):
            for _ in range(5):
                await dispatch(command, asker())
            samples = []
            for _ in range(runs):
                who = asker()
                start = time.perf_counter()
                await dispatch(command, who)
                samples.append(time.perf_counter() - start)
            p99s.append(percentile(samples, 99))
            p50s.append(percentile(samples, 50))
        p99 = statistics.median(p99s)
        out[name] = {
            "p50_ms": round(statistics.median(p50s), 2),
            "p99_ms": round(p99, 2),
            "p99_each_ms": [round(p, 2) for p in p99s],
        }
        if isinstance(command, c.ShowLeaderboard) and not name.startswith("tie"):
            out[name]["red_ratio"] = round(red_s * 1000 / p99, 1)
    return out


def _settle_clock(clock: ManualClock, built: build.Built) -> None:
    """The evening of the last round: its week and month are the current boards."""
    clock.set(dt.datetime.combine(built.days[-1], dt.time(18), dt.UTC))


Make = Callable[[App, ManualClock, "build.Built | None"], Awaitable[build.Built]]


async def _built(
    db_url: str, key: str, make: Make, base_key: str | None = None
) -> tuple[App, build.Built, dict[str, Any]]:
    """The app over the build `key`: restored from a kept copy (bench/snapshots.py), or made
    now (on the kept build `base_key` when there is one, else on what `db_url` holds), kept,
    and opened again as a restored copy would be."""
    recorded = await snapshots.restore(db_url, key)
    if recorded is None:
        base = await snapshots.restore(db_url, base_key) if base_key else None
        app = await _app(db_url)
        clock = app.ctx.clock
        assert isinstance(clock, ManualClock)
        began = time.perf_counter()
        try:
            built = await make(app, clock, snapshots.built_of(base) if base else None)
            build_s = time.perf_counter() - began
        finally:
            await app.close()
        recorded = {"build_s": round(build_s, 1), "load_after_build": load(), "kept": False}
        await snapshots.save(db_url, key, built, recorded)
    else:
        built = snapshots.built_of(recorded)
        recorded = {k: v for k, v in recorded.items() if k != "built"} | {"kept": True}
    app = await _app(db_url)
    clock = app.ctx.clock
    assert isinstance(clock, ManualClock)
    _settle_clock(clock, built)
    return app, built, recorded


async def commands(
    db_url: str,
    users_count: int = 100_000,
    teams: int = 1_000,
    answer_count: int = 5_000_000,
    tie: int = 30_000,
    runs: int = 200,
    repeats: int = 3,
) -> dict[str, Any]:
    """Every leaderboard and the stats command through the dispatcher (actor look-up, store,
    reply), `runs` times each for random askers; the median over `repeats` passes."""

    async def make(app: App, clock: ManualClock, grown: build.Built | None) -> build.Built:
        built = grown or await build.teams(app, clock, users_count, teams)
        if grown is None:
            built = await build.rounds(app, clock, built, answer_count)
        _settle_clock(clock, built)
        await _tie(app, tie, clock.now().date())
        return built

    key = f"commands_{users_count}_{teams}_{answer_count}_{tie}"
    # The growth run's step of this size is this build without the tie: start from it if kept.
    base = _growth_key(users_count, teams, answer_count)
    app, built, recorded = await _built(db_url, key, make, base)
    try:
        await app.db.optimize()
        red_s = time_red(await red_members(app, build.WORKSPACE))
        out: dict[str, Any] = {
            **built.facts(),
            "tie": tie,
            **recorded,
            "red_style_top10_ms": round(red_s * 1000, 1),
            "load_before": load(),
        }
        chosen = cases(random.Random(5), users_count, tie)
        out.update(await time_cases(app, chosen, runs, repeats, red_s))
        out["red_ratio_min"] = min(
            v["red_ratio"] for v in out.values() if isinstance(v, dict) and "red_ratio" in v
        )
        out["load_after"] = load()
    finally:
        await app.close()
    return out


GROWTH = (10_000, 100_000, 1_000_000, 5_000_000)
GROWTH_QUICK = (10_000, 30_000, 100_000)
# A step longer than this is built through kept stops this far apart (not timed), so a build
# stopped midway (hours for 1,000,000 -> 5,000,000 on PostgreSQL) resumes from its last stop.
KEEP_EVERY = 1_000_000


def _growth_key(users_count: int, teams: int, size: int) -> str:
    return f"growth_{users_count}_{teams}_{size}"


async def growth(
    db_url: str,
    steps: tuple[int, ...] = GROWTH,
    users_count: int = 100_000,
    teams: int = 1_000,
    runs: int = 100,
    repeats: int = 3,
) -> dict[str, Any]:
    """One workspace grown through the core to each size in turn; at each, the rate its
    answers went in at and every board's and stats' p99 through the dispatcher (the median
    of `repeats` passes of `runs`, as the commands section takes them: one pass on a copy
    just restored times its first reads from the operating system). Each step is kept
    (bench/snapshots.py) and grown from the step before it."""
    out: dict[str, Any] = {"users": users_count, "teams": teams}
    before: build.Built | None = None
    for size in steps:
        # The rate is over the whole step (its kept stops too), taken before the build: the
        # build grows the Built it is given in place.
        answered = before.answers if before else 0
        spent = before.answer_s if before else 0.0
        before = await _through_stops(db_url, users_count, teams, size, before)
        make = _grow_to(users_count, teams, size, before)
        app, built, recorded = await _built(db_url, _growth_key(users_count, teams, size), make)
        try:
            rate = (built.answers - answered) / max(built.answer_s - spent, 1e-9)
            await app.db.optimize()
            red_s = time_red(await red_members(app, build.WORKSPACE))
            timed = await time_cases(
                app, cases(random.Random(size), users_count, 0), runs, repeats, red_s
            )
            out[f"{size}"] = {
                "answers": built.answers,
                "answers_per_s": round(rate, 1),
                "path": "dispatcher" if built.answers <= build.DISPATCH_LIMIT else "store batch",
                "passes": repeats,
                "worst_p99_ms": max(v["p99_ms"] for v in timed.values()),
                **{k: v["p99_ms"] for k, v in timed.items()},
                "red_style_top10_ms": round(red_s * 1000, 1),
                "kept": recorded.get("kept", False),
                "load": load(),
            }
        finally:
            await app.close()
        before = built
    return out


async def _through_stops(
    db_url: str, users_count: int, teams: int, size: int, previous: build.Built | None
) -> build.Built | None:
    """`previous` grown through the kept stops on the way to `size` (every KEEP_EVERY answers
    past it, `size` itself excluded): from the last stop kept, each built and kept in turn; the
    database at db_url then holds the last stop. Nothing when `size` itself is kept."""
    start = previous.answers if previous else 0
    stops = list(range(start + KEEP_EVERY, size, KEEP_EVERY))
    if snapshots.noted(db_url, _growth_key(users_count, teams, size)):
        return previous
    kept = [s for s in stops if snapshots.noted(db_url, _growth_key(users_count, teams, s))]
    for stop in stops[stops.index(kept[-1]) :] if kept else stops:
        make = _grow_to(users_count, teams, stop, previous)
        app, previous, _ = await _built(db_url, _growth_key(users_count, teams, stop), make)
        await app.close()
    return previous


def _grow_to(users_count: int, teams: int, target: int, grown: build.Built | None) -> Make:
    """A growth build: `grown` (which the database at db_url holds, built or restored just
    now), or the teams joined afresh, grown by rounds to `target` answers."""

    async def make(app: App, clock: ManualClock, _: build.Built | None) -> build.Built:
        built = grown or await build.teams(app, clock, users_count, teams)
        return await build.rounds(app, clock, built, target - built.answers)

    return make
