"""The bench's own arithmetic: the Red-style baseline ranks as Red does, runs reduce to medians."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import machine
from bench import rescore as bench_rescore
from bench.__main__ import QUICK, SECTIONS, main, median_of, run, table
from bench.commands import red_style_top


def test_red_style_board_orders_by_wins_then_average_then_total_then_games() -> None:
    members = {
        1: {"wins": 3, "games": 6, "total_score": 60},  # average 10
        2: {"wins": 3, "games": 3, "total_score": 60},  # same wins, average 20: ahead of 1
        3: {"wins": 5, "games": 10, "total_score": 10},  # most wins: first
        4: {"wins": 3, "games": 3, "total_score": 60},  # ties 2 on every key: stays after it
        5: {"wins": 0, "games": 0, "total_score": 0},  # no games: average 0, last
    }
    top = red_style_top(members, top=4)
    assert [member for member, _ in top] == [3, 2, 4, 1]
    assert top[1][1]["average_score"] == 20
    assert "average_score" not in members[2]  # works on a copy, as Red's config hands out


def test_runs_reduce_to_the_median_of_each_number() -> None:
    runs = [
        {"p99_ms": 3.0, "nested": {"n": 10}, "ok": True, "kind": "a"},
        {"p99_ms": 9.0, "nested": {"n": 30}, "ok": True, "kind": "a"},
        {"p99_ms": 4.0, "nested": {"n": 20}, "ok": True, "kind": "a"},
    ]
    assert median_of(runs) == {"p99_ms": 4.0, "nested": {"n": 20}, "ok": True, "kind": "a"}
    # Flags that differ between runs are kept as the list, never silently picked.
    assert median_of([{"ok": True}, {"ok": False}, {"ok": True}]) == {"ok": [True, False, True]}


def test_a_run_on_one_backend_prints_that_column_only() -> None:
    result = {"idle_tick_median_ms": 3.5, "idle_tick_max_ms": 80.0, "first_tick_s": 1.0}
    report = table({"idle_tick": {"postgres": {**result, "loads": [1.0]}}})
    header, _, median, worst = report.splitlines()[:4]
    assert "postgres" in header and "sqlite" not in header
    assert median.split()[-2:] == ["50", "yes"] and "3.50" in median
    assert worst.split()[-1] == "NO"  # 80 ms against 50


def test_an_unknown_backend_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--backends", "mysql", "--only", "startup"])
    assert stop.value.code == 2
    assert "--backends takes sqlite and/or postgres, comma-separated" in capsys.readouterr().err


def test_each_run_prints_the_machine_probe_before_and_after_it() -> None:
    result = {"idle_tick_median_ms": 3.5, "idle_tick_max_ms": 8.0, "first_tick_s": 1.0}
    probes = [[16.4, 16.9], [31.2, 33.0]]
    report = table({"idle_tick": {"sqlite": {**result, "loads": [1.0, 1.1], "probes_ms": probes}}})
    line = next(ln for ln in report.splitlines() if "CPU probe" in ln)
    assert line.split()[-2:] == ["16.4/16.9", "31.2/33"]


async def test_the_rescore_is_run_three_times_and_reported_as_its_median(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One rekey's time moves by a quarter between identical runs: a single run is no figure.
    times = iter([1300.0, 900.0, 1000.0])
    calls: list[str] = []

    async def rescore(url: str, history: int) -> dict[str, Any]:
        calls.append(url)
        return {"rekey_last_ms": next(times), "exact": True}

    monkeypatch.setattr(bench_rescore, "rescore", rescore)
    monkeypatch.setattr(machine, "speed_probe", lambda: 13.0)
    sections = {"rescore": SECTIONS["rescore"]}
    results = await run(QUICK, sections, "unused", tmp_path, backends=("sqlite",))
    assert len(calls) == 3 and len(set(calls)) == 3  # a database of its own each
    assert results["rescore"]["sqlite"]["rekey_last_ms"] == 1000.0
    assert results["rescore"]["sqlite"]["runs"] == 3
