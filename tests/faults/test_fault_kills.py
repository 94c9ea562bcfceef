"""A process SIGKILLed at each named fault point of post, close, tally and an answer: after
recovery every piece of work is out once and every answer is stored once."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot import faults
from bot.bootstrap import App, ManualClock
from bot.commands import SubmitAnswer
from tests.conftest import ROOT
from tests.faults.day import (
    ANSWER_POINTS,
    UNREACHED,
    WORK_POINTS,
    answer_with_fault,
    check_day,
    day_with_fault,
)
from tests.faults.ticker_process import FilePublisher


def child_env(fault: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != faults.ENV}
    env["PYTHONPATH"] = str(ROOT)
    if fault is not None:
        env[faults.ENV] = f"{fault}:kill"
    return env


def run_child(module: str, *args: str, fault: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=child_env(fault),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def ticker(
    db_url: str, platform: Path, *instants: dt.datetime, fault: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the scheduler in its own process for the given ticks, optionally armed to die."""
    return run_child(
        "tests.faults.ticker_process",
        db_url,
        str(platform),
        *(i.isoformat() for i in instants),
        fault=fault,
    )


@pytest.mark.parametrize("point", WORK_POINTS)
async def test_a_process_killed_at_each_step_of_the_work_leaves_everything_out_once(
    app: App, clock: ManualClock, db_url: str, tmp_path: Path, point: str
) -> None:
    platform = FilePublisher(tmp_path / "platform.jsonl")

    async def killed(when: dt.datetime) -> None:
        # The work is done by a scheduler process that dies at `point`; this app, another
        # process on the same database, takes it over once the dead one's lease runs out.
        died = ticker(db_url, platform.path, when, fault=point)
        assert died.returncode == -signal.SIGKILL, died.stderr
        assert died.stdout == ""  # it died before it could report anything

    await day_with_fault(app, clock, platform, point, killed)
    await check_day(app, clock, platform, db_url)


@pytest.mark.parametrize("clicked", [True, False], ids=["click", "typed"])
@pytest.mark.parametrize("point", ANSWER_POINTS)
async def test_a_process_killed_while_answering_loses_and_doubles_nothing(
    app: App, clock: ManualClock, db_url: str, point: str, clicked: bool
) -> None:
    reached: list[bool] = []

    async def killed(answer: SubmitAnswer | str) -> list[str] | None:
        if isinstance(answer, SubmitAnswer):
            line = f"click:{answer.round_id}:{answer.choice}:{answer.delivery_id}"
        else:
            line = answer
        done = run_child(
            "tests.faults.answer_process", db_url, clock.now().isoformat(), line, fault=point
        )
        reached.append(done.returncode == -signal.SIGKILL)
        if done.returncode == -signal.SIGKILL:
            return None  # the user saw no reply
        assert done.returncode == 0, done.stderr
        texts: list[str] = json.loads(done.stdout)
        return texts

    await answer_with_fault(app, clock, db_url, point, clicked, killed)
    assert reached == [(point, clicked) not in UNREACHED]
