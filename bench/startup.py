"""Start-up: a fresh interpreter loads both platform runtimes (Discord and Slack, as a process
serving both does) and builds the app on the full bank; time to ready and memory."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import summary

ROOT = Path(__file__).resolve().parent.parent

# Runs in the child: the same composition root `studybot run` uses, then one line of facts.
CHILD = """
import gc
gc.disable()  # as the `studybot` console script starts (adapters/entry.py); build_app ends it
import time
begun = time.perf_counter()
import asyncio, json, logging, sys
from pathlib import Path
logging.disable(logging.INFO)
# What `studybot run` imports to serve both platforms: discord.py, slack-bolt and our adapters.
import adapters.discord.runtime, adapters.slack.runtime
from bot.bootstrap import build_app
from bot.settings import Settings
marks = {"imports": time.perf_counter()}

async def main():
    settings = Settings(_env_file=None)
    app = await build_app(settings, db_url=sys.argv[1], content_dir=Path(sys.argv[2]))
    marks["build_app"] = time.perf_counter()
    questions = len(app.bank)
    await app.close()
    marks["close"] = time.perf_counter()
    return questions

questions = asyncio.run(main())
# Each phase's wall time, and the process's CPU (interpreter start included): a slow start
# whose CPU is as usual waited (for a core, or the server), one whose CPU grew did more work.
phases, last = {}, begun
for name, at in marks.items():
    phases[name] = round((at - last) * 1000, 1)
    last = at
phases["cpu"] = round(time.process_time() * 1000, 1)
phases["child"] = round((last - begun) * 1000, 1)
# VmHWM is this address space's peak; ru_maxrss would carry the forking parent's over exec.
status = dict(l.split(":", 1) for l in open("/proc/self/status"))
rss, peak = (int(status[k].split()[0]) for k in ("VmRSS", "VmHWM"))
facts = {"questions": questions, "rss_kb": rss, "peak_kb": peak, "phases_ms": phases}
print("ready " + json.dumps(facts), flush=True)
"""


def compile_project() -> None:
    """Byte-compile the project as `pip install` does for a deployment (the image's
    `pip install .`), so the starts time loading the code, not compiling it.

    PYTHONDONTWRITEBYTECODE is set on some machines (and to any value, even "0", it stops a
    process writing bytecode): every start there compiled all of bot/ and adapters/ afresh,
    about a quarter of its CPU, which no deployed start pays."""
    packages = [str(ROOT / name) for name in ("bot", "adapters", "scheduler")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True, cwd=ROOT)


def start_once(db_url: str, cache_dir: str) -> tuple[float, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["STUDYBOT_CACHE_DIR"] = cache_dir
    begin = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, str(ROOT / "content")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    took = time.perf_counter() - begin
    child.wait()
    if not line.startswith("ready "):
        raise RuntimeError(f"child did not become ready: {line!r}")
    facts = json.loads(line.removeprefix("ready "))
    phases = facts["phases_ms"]
    # Before the child's first line ran: fork, exec and the interpreter's own start.
    phases["interpreter"] = round(took * 1000 - phases.pop("child"), 1)
    return took, facts


def startup(db_url: str, runs: int = 7) -> dict[str, Any]:
    """Median and worst of `runs` starts on an already migrated database (a restart), plus
    the first start, which also creates the schema and parses the bank."""
    compile_project()
    # The parsed bank's cache: the first start fills it, the restarts read it.
    with tempfile.TemporaryDirectory(prefix="studybot-bench-cache-") as cache:
        return _starts(db_url, runs, cache)


def _starts(db_url: str, runs: int, cache: str) -> dict[str, Any]:
    first, facts = start_once(db_url, cache)
    times, rss, peak, phases = [], [], [], []
    for _ in range(runs):
        took, facts = start_once(db_url, cache)
        times.append(took)
        rss.append(facts["rss_kb"])
        peak.append(facts["peak_kb"])
        phases.append(facts["phases_ms"])
    stats = summary(times)
    worst = max(range(runs), key=times.__getitem__)
    return {
        "first_start_ms": round(first * 1000, 1),
        "ready_p50_ms": stats["p50_ms"],
        "ready_max_ms": stats["max_ms"],
        "rss_mb": round(max(rss) / 1024, 1),
        "peak_rss_mb": round(max(peak) / 1024, 1),
        "questions": facts["questions"],
        "runs": runs,
        "adapters": "discord + slack runtimes imported",
        # Where the time went: the median start's phases and the slowest start's, side by
        # side, so a run with one slow start shows which phase (and whether CPU) grew.
        "phases_p50_ms": {k: statistics.median(p[k] for p in phases) for k in phases[0]},
        "phases_worst_ms": phases[worst],
    }


def sqlite_url() -> str:
    return f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='studybot-bench-')}/start.db"
