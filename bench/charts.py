"""Chart drawing time per chart (p50/p99 over distinct inputs), and the README's examples.

`python -m bench.charts` prints the figures; `python -m bench.charts --examples [DIR]` writes
one example of each chart (default docs/images/). `make bench` runs the figures as `charts`.
Each drawing is timed twice: wall clock (what a user waits) and CPU time of the process (what
the drawing itself costs, much less disturbed by other work on a shared machine); the load
average and the full garbage collections during the drawings are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.gc_pauses import GcPauses
from bench.stats import summary
from bot.charts.data import (
    BoardBar,
    BoardData,
    ChartData,
    ProgressData,
    RaceData,
    RaceLine,
    TopicPoint,
    WeekPoint,
)
from bot.charts.service import alt_text
from bot.messages import CHART_DAYS

ROOT = Path(__file__).resolve().parent.parent
TOPICS = (
    "classical-ml",
    "deep-learning",
    "statistics-probability",
    "transformers-llm",
    "ml-system-design",
    "evaluation-metrics",
    "feature-engineering",
    "nlp",
)
TEAMS = ("Owls", "Hawks", "Foxes", "Otters", "Badgers", "Lynxes", "Herons")
PLAYERS = (
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Tim",
    "Margaret",
    "Ken",
    "Radia",
)
MONDAYS = (
    "31 Aug",
    "7 Sep",
    "14 Sep",
    "21 Sep",
    "28 Sep",
    "5 Oct",
    "12 Oct",
    "19 Oct",
    "26 Oct",
    "2 Nov",
    "9 Nov",
    "16 Nov",
)


def progress(rng: random.Random) -> ProgressData:
    weeks = []
    for label in MONDAYS:
        answered = rng.randint(0, 14)
        correct = rng.randint(answered // 3, answered) if answered else 0
        weeks.append(WeekPoint(label, correct * rng.choice((5, 10, 15)), answered, correct))
    topics = []
    for topic in TOPICS[: rng.randint(4, len(TOPICS))]:
        answered = rng.randint(3, 40)
        topics.append(TopicPoint(topic, answered, rng.randint(answered // 4, answered)))
    return ProgressData(rng.choice(PLAYERS), tuple(weeks), tuple(topics))


def race(rng: random.Random) -> RaceData:
    days = rng.randint(4, 7)
    lines = []
    for team in TEAMS[: rng.randint(2, len(TEAMS))]:
        total, values = 0.0, []
        for _ in range(days):
            total += rng.choice((0, 0, 5, 10, 15, 20, 30)) / rng.randint(1, 3)
            values.append(round(total, 2))
        lines.append(RaceLine(team, tuple(values)))
    lines.sort(key=lambda line: -line.values[-1])  # tally order: the leader first
    return RaceData("week of 2026-11-16", CHART_DAYS, tuple(lines))


def board(rng: random.Random) -> BoardData:
    points = sorted((rng.randint(10, 400) for _ in PLAYERS[:10]), reverse=True)
    names = rng.sample(PLAYERS, 10)
    bars = tuple(BoardBar(i, n, p) for i, (n, p) in enumerate(zip(names, points, strict=True), 1))
    return BoardData("users", "week of 2026-11-16", bars)


KINDS = {"progress": progress, "race": race, "board": board}
FILES = {"progress": "progress.png", "race": "team-race.png", "board": "leaderboard.png"}

# A fresh interpreter draws its first chart: matplotlib's import included (the cost of the
# first chart after start-up; every later one is the figures above).
COLD = """
import random, sys, time
began = time.perf_counter()
from bench.charts import progress
from bot.charts.draw import draw
draw(progress(random.Random(1)))
print(round((time.perf_counter() - began) * 1000, 1))
"""


def cold_ms() -> float:
    done = subprocess.run(
        [sys.executable, "-c", COLD], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip())


def figures(runs: int) -> dict[str, Any]:
    """Each chart drawn `runs` times from different data (no cache hits), after a warm-up."""
    from bot.charts.draw import draw

    out: dict[str, Any] = {"first_chart_ms": cold_ms()}
    full = GcPauses()
    for kind, make in KINDS.items():
        rng = random.Random(kind)
        inputs: list[ChartData] = [make(rng) for _ in range(runs + 3)]
        sizes = []
        for data in inputs[:3]:
            draw(data)  # warm: the kept figure, fonts and glyph caches
        wall, cpu = [], []
        with full:
            for data in inputs[3:]:
                began, began_cpu = time.perf_counter(), time.process_time()
                sizes.append(len(draw(data)))
                cpu.append(time.process_time() - began_cpu)
                wall.append(time.perf_counter() - began)
        times = summary(wall)
        out[kind] = {
            **times,
            "cpu_p50_ms": summary(cpu)["p50_ms"],
            "cpu_p99_ms": summary(cpu)["p99_ms"],
            "png_kb_max": round(max(sizes) / 1024, 1),
            "full_collections": full.full_passes,
        }
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return out


async def charts(db_url: str, runs: int) -> dict[str, Any]:
    """The bench scenario (charts read nothing from the database: the same on each)."""
    import asyncio

    return await asyncio.to_thread(figures, runs)


def examples(folder: Path) -> list[Path]:
    """One example of each chart, from fixed data, for the README."""
    from bot.charts.draw import draw

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, make in KINDS.items():
        data = make(random.Random(f"example-{kind}"))
        path = folder / FILES[kind]
        path.write_bytes(draw(data))
        print(f"{path}: {alt_text(data)}")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.charts", description=__doc__)
    parser.add_argument("--examples", nargs="?", const=str(ROOT / "docs" / "images"))
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="30 runs per chart")
    args = parser.parse_args(argv)
    if args.examples:
        examples(Path(args.examples))
        return 0
    print(json.dumps(figures(30 if args.quick else args.runs), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
