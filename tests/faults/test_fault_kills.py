"""A scheduler process killed (SIGKILL) at each step of post and close, then restarted."""

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
from bot.scoring import daily_points
from bot.usecases.daily import round_card, round_question
from tests.conftest import ROOT
from tests.faults.test_fault_points import integrity
from tests.faults.ticker_process import FilePublisher
from tests.helpers import correct_text, errors, say
from tests.test_scheduler import ADA, BOB, MONDAY, at, channel_id, enable, tick

KILL_POINTS = [f"{kind}.{step}" for kind in ("post", "close") for step in faults.WORK_STEPS]


def ticker(
    db_url: str, platform: Path, *instants: dt.datetime, fault: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the scheduler in its own process for the given ticks, optionally armed to die."""
    env = {k: v for k, v in os.environ.items() if k != faults.ENV}
    env["PYTHONPATH"] = str(ROOT)
    if fault is not None:
        env[faults.ENV] = f"{fault}:kill"
    command = [sys.executable, "-m", "tests.faults.ticker_process", db_url, str(platform)]
    return subprocess.run(
        [*command, *(i.isoformat() for i in instants)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("point", KILL_POINTS)
async def test_a_process_killed_at_each_step_posts_and_reveals_once_after_restart(
    app: App, clock: ManualClock, db_url: str, tmp_path: Path, point: str
) -> None:
    kind = point.split(".")[0]
    platform = FilePublisher(tmp_path / "platform.jsonl")
    await enable(app)

    async def answer() -> None:
        rnd = await app.stores.rounds.round_on(await channel_id(app), MONDAY)
        assert rnd is not None
        question = round_question(app.ctx, rnd)
        assert question is not None
        card = round_card(app.ctx, rnd, "UTC", question)
        assert errors(await say(app, BOB, f"answer {correct_text(app, card)}")) == []

    if kind == "close":
        await tick(app, clock, at(0, 9), platform)
        await answer()
    when = at(0, 9) if kind == "post" else at(0, 17)
    killed = ticker(db_url, platform.path, when, fault=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # Restarted: the dead process's lease (90 s) runs out by the second tick.
    restarted = ticker(db_url, platform.path, *(when + dt.timedelta(minutes=m) for m in (1, 2)))
    assert restarted.returncode == 0, restarted.stderr
    done = [json.loads(line) for line in restarted.stdout.splitlines()]
    expected = [] if point.endswith(".recorded") else [[kind, "published"]]
    assert [[k, s] for _, k, s in done] == expected
    if kind == "post":
        await answer()
        [closed] = await tick(app, clock, at(0, 17), platform)
        assert closed.status == "published"

    # Counted at the platform: one question, one reveal threaded under it.
    card, reveal = platform.sent()
    assert [card["type"], reveal["type"]] == ["QuestionCard", "RoundReveal"]
    assert reveal["thread"] == card["ref"]
    rnd = await app.stores.rounds.round_on(await channel_id(app), MONDAY)
    assert rnd is not None and rnd.closed_at is not None and rnd.post_ref == card["ref"]
    base = daily_points(app.bank.by_id[rnd.question_id].difficulty)
    answers = await app.stores.answers.round_answers(rnd.id)
    assert [(a.display_name, a.points) for a in answers] == [("Bob", base)]
    workspace = ADA.place.workspace_key
    assert await app.stores.boards.counter_drift(workspace) == {}
    assert await app.stores.boards.stored_totals(workspace) == await app.stores.boards.recount(
        workspace
    )
    if db_url.startswith("sqlite"):
        assert integrity(db_url) == "ok"
