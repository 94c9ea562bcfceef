"""What one board or stats command costs through the dispatcher: CPU and wall time at p50, and
the read transactions, statements and thread hops it makes (counted, so not load-dependent).

`python -m bench.command_cost URL [--users N --teams N --answers N --tie N --runs N]`: builds
a workspace through the core (bench/build.py), then runs each command `runs` times in a loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from bench import build
from bench.boards import _app
from bench.commands import _settle_clock, _tie, cases, load
from bot.bootstrap import App, ManualClock


@contextmanager
def counting(app: App) -> Iterator[Counter[str]]:
    """Transactions and statements on every engine of the database, by where they ran: the
    async driver, the sync engine on the event loop's thread, or on a reader/writer thread."""
    seen: Counter[str] = Counter()
    flying: list[str] = []
    loop_thread = threading.get_ident()
    engines: list[tuple[str, sa.Engine]] = [("async", app.db.engine.sync_engine)]
    sync = app.db._sync_engine
    if sync is not None:
        engines.append(("sync", sync))
    if app.db.lean is not None:
        engines.append(("async", app.db.lean.sync_engine))
    hooks: list[tuple[sa.Engine, str, Any]] = []
    for name, engine in engines:

        def where(name: str = name) -> str:
            if name == "async":
                return name
            return "loop" if threading.get_ident() == loop_thread else "thread"

        def on_begin(_conn: Any, where: Any = where) -> None:
            seen[f"transactions_{where()}"] += 1

        def on_statement(_c: Any, _cur: Any, statement: str, *_: Any, where: Any = where) -> None:
            if not statement.startswith(("BEGIN", "PRAGMA")):
                seen[f"statements_{where()}"] += 1
                # A wait starts when no other statement is in flight: statements sent
                # together (Context.actor_and) are one wait, one round trip of latency.
                if not flying:
                    seen["waits"] += 1
                flying.append(statement)

        def on_done(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            if not statement.startswith(("BEGIN", "PRAGMA")):
                flying.remove(statement)

        for kind, hook in (
            ("begin", on_begin),
            ("before_cursor_execute", on_statement),
            ("after_cursor_execute", on_done),
        ):
            event.listen(engine, kind, hook)
            hooks.append((engine, kind, hook))
    try:
        yield seen
    finally:
        for engine, kind, hook in hooks:
            event.remove(engine, kind, hook)


async def measure(app: App, chosen: dict[str, Any], runs: int) -> dict[str, Any]:
    dispatch = app.dispatcher.dispatch
    out: dict[str, Any] = {}
    for name, (command, asker) in chosen.items():
        for _ in range(20):
            await dispatch(command, asker())
        with counting(app) as seen:
            await dispatch(command, asker())
        cpu, wall = [], []
        for _ in range(runs):
            who = asker()
            c0, w0 = time.process_time(), time.perf_counter()
            await dispatch(command, who)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        out[name] = {
            "cpu_p50_ms": round(statistics.median(cpu) * 1000, 3),
            "cpu_mean_ms": round(statistics.fmean(cpu) * 1000, 3),
            "wall_p50_ms": round(statistics.median(wall) * 1000, 3),
            **dict(sorted(seen.items())),
        }
    return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    app = await _app(args.url)
    clock = app.ctx.clock
    assert isinstance(clock, ManualClock)
    try:
        if args.built:
            # A database this harness built before (SQLite file copied back): just the clock.
            built = build.Built(args.users, args.teams)
            built.days = build.weekdays(build.FIRST_DAY, args.answers // (args.users // 2))
        else:
            built = await build.teams(app, clock, args.users, args.teams)
            built = await build.rounds(app, clock, built, args.answers)
            _settle_clock(clock, built)
            await _tie(app, args.tie, clock.now().date())
            await app.db.optimize()
        _settle_clock(clock, built)
        chosen = cases(random.Random(5), args.users, args.tie)
        if args.only:
            chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
        result: dict[str, Any] = {"load_before": load(), **built.facts()}
        result.update(await measure(app, chosen, args.runs))
        result["load_after"] = load()
        return result
    finally:
        await app.close()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--tie", type=int, default=3_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument(
        "--built", action="store_true", help="the database was built by an earlier run"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse())), indent=1))
