"""`python -m bench`: each figure on SQLite (file, WAL) and PostgreSQL, as a table and JSON."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import answers, boards, cards, closes, fanout, pg, startup

HERE = Path(__file__).resolve().parent
BACKENDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class Target:
    scenario: str
    key: str  # dotted path into the scenario's result
    label: str
    limit: float
    more_is_better: bool = False

    def value(self, result: dict[str, Any]) -> Any:
        for part in self.key.split("."):
            result = result[part]
        return result

    def met(self, value: float) -> bool:
        return value >= self.limit if self.more_is_better else value <= self.limit


TARGETS = [
    Target("answer_latency", "p50_ms", "answer at 200/s, p50 ms", float("inf")),
    Target("answer_latency", "p99_ms", "answer at 200/s, p99 ms", 5.0),
    Target("burst", "answers_per_s", "burst, answers/s", 5000, more_is_better=True),
    Target("burst", "p99_ms", "burst, p99 ms to acknowledgement", 50.0),
    Target("burst", "close_ms", "burst round: close and reveal, ms", float("inf")),
    Target("leaderboards", "load_s", "leaderboards: bulk load, s", float("inf")),
    Target("leaderboards", "top10_week.p99_ms", "top 10, week, p99 ms", 10.0),
    Target("leaderboards", "top10_all.p99_ms", "top 10, all time, p99 ms", 10.0),
    Target("leaderboards", "rank_week.p99_ms", "one user's rank, week, p99 ms", 10.0),
    Target("leaderboards", "rank_all.p99_ms", "one user's rank, all time, p99 ms", 10.0),
    Target("leaderboards", "teams_week.p99_ms", "team table, week, p99 ms", 10.0),
    Target("leaderboards", "teams_all.p99_ms", "team table, all time, p99 ms", 10.0),
    Target("close_stall", "close_s", "round close (other workspace), s", float("inf")),
    Target("close_stall", "chunk_max_ms", "close: longest chunk transaction, ms", 100.0),
    Target("close_stall", "before_close.p99_ms", "answer at 200/s, no close, p99 ms", float("inf")),
    Target("close_stall", "during_close.p99_ms", "answer at 200/s during a close, p99 ms", 50.0),
    Target("commands", "users_week.p99_ms", "command: users board, week, p99 ms", 5.0),
    Target("commands", "users_month.p99_ms", "command: users board, month, p99 ms", 5.0),
    Target("commands", "users_all.p99_ms", "command: users board, all, p99 ms", 5.0),
    Target("commands", "teams_week.p99_ms", "command: team board, week, p99 ms", 5.0),
    Target("commands", "teams_month.p99_ms", "command: team board, month, p99 ms", 5.0),
    Target("commands", "teams_all.p99_ms", "command: team board, all, p99 ms", 5.0),
    Target("commands", "stats.p99_ms", "command: stats, p99 ms", 5.0),
    Target("commands", "tie_users_week.p99_ms", "command: tied first round, week, p99", 5.0),
    Target("commands", "tie_users_all.p99_ms", "command: tied first round, all, p99", 5.0),
    Target("review_cards", "next_due.p99_ms", "next due card of one user, p99 ms", 5.0),
    Target("review_cards", "due_ten.p99_ms", "a review's 10 due cards, p99 ms", 5.0),
    Target("fanout", "ratio_to_floor", "fan-out time / rate-limit floor", 1.1),
    Target("fanout", "http_429", "fan-out 429 responses", 0),
    Target("startup", "ready_p50_ms", "start-up to ready, p50 ms", 1500),
    Target("startup", "ready_max_ms", "start-up to ready, worst ms", 1500),
    Target("startup", "rss_mb", "resident memory after load, MB", 150),
    Target("startup", "peak_rss_mb", "peak resident memory, MB", 150),
]
EXACT = [("answer_latency", "exactly_once"), ("burst", "exactly_once")]


@dataclass
class Sizes:
    latency_s: float
    burst_users: int
    users: int
    teams: int
    answers: int
    fanout_channels: int
    fanout_limit: float
    close_answers: int = 50_000
    command_answers: int = 5_000_000
    card_users: int = 10_000  # x cards_per_user review cards (5M rows at full size)
    cards_per_user: int = 500


FULL = Sizes(15.0, 10_000, 100_000, 1_000, 5_000_000, 10_000, 50.0)
QUICK = Sizes(5.0, 2_000, 10_000, 1_000, 500_000, 1_000, 50.0, 10_000, 500_000, 1_000, 100)


def scenarios(sizes: Sizes) -> dict[str, Callable[[str], Awaitable[dict[str, Any]]]]:
    return {
        "answer_latency": lambda url: answers.latency(url, seconds=sizes.latency_s),
        "burst": lambda url: answers.burst(url, users=sizes.burst_users),
        "leaderboards": lambda url: boards.boards(
            url, users=sizes.users, teams=sizes.teams, answers=sizes.answers
        ),
        "fanout": lambda url: fanout.fanout(
            url, count=sizes.fanout_channels, limit=sizes.fanout_limit
        ),
        "startup": lambda url: asyncio.to_thread(startup.startup, url),
        "close_stall": lambda url: closes.close_stall(url, round_answers=sizes.close_answers),
        "review_cards": lambda url: cards.next_due(
            url, users=sizes.card_users, per_user=sizes.cards_per_user
        ),
        "commands": lambda url: closes.commands(
            url, users_count=sizes.users, teams=sizes.teams, answer_count=sizes.command_answers
        ),
    }


async def run(sizes: Sizes, only: list[str], base_pg: str, scratch: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, scenario in scenarios(sizes).items():
        if only and name not in only:
            continue
        results[name] = {}
        for backend in BACKENDS:
            if backend == "sqlite":
                url = f"sqlite+aiosqlite:///{scratch / f'{name}.db'}"
            else:
                url = await pg.fresh_database(base_pg, name)
            print(f"… {name} on {backend}", file=sys.stderr, flush=True)
            began = time.perf_counter()
            try:
                results[name][backend] = await scenario(url)
            finally:
                if backend == "postgres":
                    await pg.drop_database(base_pg, url)
            took = time.perf_counter() - began
            print(f"  done in {took:.0f} s: {json.dumps(results[name][backend])}", file=sys.stderr)
    return results


def table(results: dict[str, Any]) -> str:
    lines = [f"{'figure':40} {'sqlite':>12} {'postgres':>12} {'target':>10}  met"]
    lines.append("-" * len(lines[0]))
    for t in TARGETS:
        if t.scenario not in results:
            continue
        cells, ok = [], True
        for backend in BACKENDS:
            value = t.value(results[t.scenario][backend])
            cells.append(f"{value:>12,.2f}" if isinstance(value, float) else f"{value:>12,}")
            ok = ok and t.met(value)
        goal = (
            "" if t.limit == float("inf") else ("≥ " if t.more_is_better else "≤ ") + f"{t.limit:g}"
        )
        met = "" if not goal else ("yes" if ok else "NO")
        lines.append(f"{t.label:40} {cells[0]} {cells[1]} {goal:>10}  {met}")
    for scenario, key in EXACT:
        if scenario in results:
            cells = [str(results[scenario][b][key]) for b in BACKENDS]
            lines.append(f"{scenario + ': exactly once':40} {cells[0]:>12} {cells[1]:>12}")
    return "\n".join(lines)


def meta(sizes: Sizes, base_pg: str) -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE.parent)
        return done.stdout.strip()

    async def pg_version() -> str:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(base_pg)
        async with engine.connect() as conn:
            version = (await conn.execute(text("SHOW server_version"))).scalar_one()
        await engine.dispose()
        return str(version)

    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short", "HEAD")
        + (" (modified)" if git("status", "--porcelain") else ""),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": asyncio.run(pg_version()),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "sizes": sizes.__dict__,
        "fanout_note": (
            f"fan-out: {sizes.fanout_channels} channels against a fake with a global limit of "
            f"{sizes.fanout_limit:g} requests/s "
            f"(floor {sizes.fanout_channels / sizes.fanout_limit:g} s)"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated: " + ", ".join(scenarios(FULL)))
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--out", default=str(HERE / "results.json"))
    parser.add_argument(
        "--command-answers", type=int, help="answers loaded for the commands figure"
    )
    parser.add_argument("--close-answers", type=int, help="answers in the round that closes")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.command_answers:
        sizes.command_answers = args.command_answers
    if args.close_answers:
        sizes.close_answers = args.close_answers
    only = [s for s in args.only.split(",") if s]
    with pg.server() as base_pg, tempfile.TemporaryDirectory(prefix="studybot-bench-") as tmp:
        info = meta(sizes, base_pg)
        results = asyncio.run(run(sizes, only, base_pg, Path(tmp)))
    report = table(results)
    print(report)
    print(f"load average (1, 5, 15 min) at the end: {[round(x, 2) for x in os.getloadavg()]}")
    print(f"\n{info['fanout_note']}; sizes: {json.dumps(sizes.__dict__)}")
    Path(args.out).write_text(json.dumps({"meta": info, "results": results}, indent=2) + "\n")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
