"""The answer and command benches run end to end at tiny sizes: a bench that no longer runs is
caught here."""

from __future__ import annotations

from pathlib import Path

from bench import answers, closes, commands


def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"


async def test_the_open_loop_answers_each_click_exactly_once(tmp_path: Path) -> None:
    result = await answers.latency(url(tmp_path), rate=50.0, seconds=0.4)
    assert result["acknowledged"] == result["rows"] == 20
    assert result["exactly_once"] is True


async def test_the_burst_runs_every_interaction_id_once(tmp_path: Path) -> None:
    # Double clicks and redeliveries among them: one answer and one run per id.
    result = await answers.burst(url(tmp_path), users=40, window=10)
    assert result["requests"] == 44 and result["rows"] == 40
    assert result["inbox_runs"] == 42 + 50  # 40 firsts, 2 second clicks, the 50 warm-ups
    assert result["exactly_once"] is True


async def test_answers_during_a_close_are_all_acknowledged(tmp_path: Path) -> None:
    result = await closes.close_stall(url(tmp_path), round_answers=200, rate=50.0)
    assert result["all_acknowledged"] is True and result["clicks"] > 0


async def test_the_command_bench_builds_its_workspace_through_the_core(tmp_path: Path) -> None:
    # Every user joins a team (a refused join would fail the build) and answers are clicked,
    # then each board command is timed.
    result = await commands.commands(
        url(tmp_path), users_count=60, teams=3, answer_count=300, tie=20, runs=5, repeats=1
    )
    assert result["users"] == 60 and result["teams"] == 3
    assert result["users_week"]["p99_ms"] > 0 and result["stats"]["p99_ms"] > 0
