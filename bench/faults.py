"""`make faults`: random SIGKILLs during bursts of signed Slack clicks and a kill at every
named fault point, on SQLite and PostgreSQL; one table of what was lost, doubled or stuck."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import pg
from bench.fault_bursts import COLUMNS, Counts, run_bursts
from bench.fault_points import WORK_POINTS, answer_cases, answer_point, work_point

HEADERS = {
    "runs": "runs",
    "lost": "acknowledged answers lost",
    "doubled": "answers doubled",
    "posts_doubled": "posts doubled",
    "stuck": "rounds stuck",
    "unprocessed": "acknowledged, never processed",
    "unthreaded": "reveals unthreaded",
    "integrity": "integrity failures",
}


async def points(make_url: Callable[[str], Awaitable[str]], tmp: Path) -> Counts:
    """Every named fault point once: the work points, then each answer point (click, typed)."""
    total = Counts()
    for point in WORK_POINTS:
        total.add(await work_point(await make_url(point), point, tmp))
    for point, clicked in answer_cases():
        total.add(await answer_point(await make_url(f"{point}-{clicked}"), point, clicked))
    return total


def table(rows: list[tuple[str, Counts]]) -> str:
    names = list(COLUMNS)
    width = max(len(label) for label, _ in rows)
    head = " | ".join(HEADERS[n] for n in names)
    lines = [
        f"| {'':{width}} | {head} |",
        f"|{'-' * (width + 2)}|" + "|".join("-" * (len(HEADERS[n]) + 2) for n in names) + "|",
    ]
    for label, c in rows:
        cells = " | ".join(f"{getattr(c, n):>{len(HEADERS[n])}}" for n in names)
        lines.append(f"| {label:{width}} | {cells} |")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    started = time.monotonic()
    load = os.getloadavg()
    rows: list[tuple[str, Counts]] = []
    with tempfile.TemporaryDirectory(prefix="studybot-faults.") as directory:
        tmp = Path(directory)

        async def sqlite_url(name: str) -> str:
            return f"sqlite+aiosqlite:///{tmp / (name.replace('.', '-') + '.db')}"

        if args.sqlite_kills:
            url = await sqlite_url("bursts")
            bursts = await run_bursts(url, args.sqlite_kills, args.burst, args.seed, tmp)
            rows.append((f"SQLite, {args.sqlite_kills} random kills", bursts))
        if not args.no_points:
            rows.append(("SQLite, every named point", await points(sqlite_url, tmp)))
        with pg.server() as base:
            made: list[str] = []

            async def pg_url(name: str) -> str:
                url = await pg.fresh_database(base, "faults")
                made.append(url)
                return url

            try:
                if args.pg_kills:
                    url = await pg_url("bursts")
                    bursts = await run_bursts(url, args.pg_kills, args.burst, args.seed + 1, tmp)
                    rows.append((f"PostgreSQL, {args.pg_kills} random kills", bursts))
                if not args.no_points:
                    rows.append(("PostgreSQL, every named point", await points(pg_url, tmp)))
            finally:
                for url in made:
                    await pg.drop_database(base, url)
    total = Counts()
    for _, counts in rows:
        total.add(counts)
    rows.append(("total", total))
    print(
        f"make faults, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, load {load[0]:.1f} at start, bursts of {args.burst} clicks, "
        f"{time.monotonic() - started:.0f} s"
    )
    print(table(rows))
    print(f"acknowledged clicks in the bursts: {total.acked}")
    for note in total.notes:
        print("note:", note)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 and 3 kills: a smoke run")
    parser.add_argument("--sqlite-kills", type=int, default=None)
    parser.add_argument("--pg-kills", type=int, default=None)
    parser.add_argument("--burst", type=int, default=40, help="clicks per burst")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-points", action="store_true", help="the random kills only")
    args = parser.parse_args()
    if args.sqlite_kills is None:
        args.sqlite_kills = 10 if args.quick else 100
    if args.pg_kills is None:
        args.pg_kills = 3 if args.quick else 20
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
