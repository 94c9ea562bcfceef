"""The answer and command benches run end to end at tiny sizes: a bench that no longer runs is
caught here."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench import answers, build, closes, commands, idle_tick, snapshots
from bench import rescore as rescore_bench
from bot.schedule import WorkKind
from bot.usecases.scheduling import WorkResult
from tests.conftest import fresh_pg_database, require_pg


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


async def _another(backend: str, tmp_path: Path, name: str) -> str:
    if backend == "postgres":
        return await fresh_pg_database(require_pg())
    return f"sqlite+aiosqlite:///{tmp_path / name}"


async def test_a_kept_build_is_timed_again_without_being_built_again(
    backend: str, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep = tmp_path / "keep"
    monkeypatch.setenv(snapshots.ENV, str(keep))
    try:
        # Past 150 answers the clicks go to the store's batched write, as past 1,000,000 in
        # a full run: the second step takes that path.
        monkeypatch.setattr(build, "DISPATCH_LIMIT", 150)
        first = await commands.growth(db_url, (100, 200), users_count=30, teams=3, runs=3)
        assert [first[s]["kept"] for s in ("100", "200")] == [False, False]
        assert [first[s]["path"] for s in ("100", "200")] == ["dispatcher", "store batch"]
        assert [first[s]["answers"] for s in ("100", "200")] == [100, 200]
        # Each step's p99 is the median of three passes, as the commands section's.
        assert [first[s]["passes"] for s in ("100", "200")] == [3, 3]
        # A new, empty database: both steps come back from the kept copies, not a build.
        again_url = await _another(backend, tmp_path, "again.db")
        again = await commands.growth(again_url, (100, 200), users_count=30, teams=3)
        assert [again[s]["kept"] for s in ("100", "200")] == [True, True]
        assert again["200"]["answers"] == 200 and again["200"]["users_all"] > 0
        if backend == "postgres":
            # Kept vacuumed, as autovacuum leaves a live server: the copy's pages are marked
            # all-visible (only VACUUM sets the map; ANALYZE alone leaves relallvisible 0).
            assert await _all_visible_pages(again_url, "answers") > 0
        # The commands' build of the same size starts from the kept step and adds the tie:
        # the teams were joined once, in the growth run (its recorded time comes along).
        grown = json.loads(next(keep.glob("growth_30_3_200.*.json")).read_text())
        result = await commands.commands(
            await _another(backend, tmp_path, "cmd.db"),
            users_count=30,
            teams=3,
            answer_count=200,
            tie=10,
            runs=3,
            repeats=1,
        )
        assert result["kept"] is False and result["answers"] == 200
        assert result["build_teams_s"] == round(grown["built"]["team_s"], 1)
        assert result["tie_users_week"]["p99_ms"] > 0
    finally:
        if backend == "postgres":
            await _drop_kept(db_url)


async def test_a_stopped_growth_step_resumes_from_its_last_kept_stop(
    backend: str, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep = tmp_path / "keep"
    monkeypatch.setenv(snapshots.ENV, str(keep))
    monkeypatch.setattr(commands, "KEEP_EVERY", 40)
    try:
        first = await commands.growth(db_url, (100, 200), users_count=30, teams=3, runs=2)
        # Each step's rate is over its answers (the build grows the Built it is given).
        assert first["100"]["answers_per_s"] > 0 and first["200"]["answers_per_s"] > 0
        stops = sorted(int(p.name.split("_")[3].split(".")[0]) for p in keep.glob("growth_*.json"))
        assert stops == [40, 80, 100, 140, 180, 200]
        # As if the build had been stopped between its last stop and the step's end.
        next(keep.glob("growth_30_3_200.*.json")).unlink()
        restored: list[str] = []
        grown: list[int] = []
        real_restore, real_rounds = snapshots.restore, build.rounds

        async def restore(url: str, key: str) -> dict[str, Any] | None:
            restored.append(key)
            return await real_restore(url, key)

        async def rounds(app: Any, clock: Any, built: build.Built, answers: int) -> build.Built:
            grown.append(answers)
            return await real_rounds(app, clock, built, answers)

        monkeypatch.setattr(snapshots, "restore", restore)
        monkeypatch.setattr(build, "rounds", rounds)
        again = await commands.growth(
            await _another(backend, tmp_path, "again.db"), (100, 200), users_count=30, teams=3
        )
        # The first step and the last stop come back; only the stop's last 20 answers are built.
        assert [k for k in restored if k != "growth_30_3_200"] == [
            "growth_30_3_100",
            "growth_30_3_180",
        ]
        assert grown == [20]
        assert again["200"]["answers"] == 200 and again["200"]["kept"] is False
        assert again["200"]["answers_per_s"] > 0
    finally:
        if backend == "postgres":
            await _drop_kept(db_url)


async def _all_visible_pages(db_url: str, table: str) -> int:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(
                sa.text("SELECT relallvisible FROM pg_class WHERE relname = :t"), {"t": table}
            )
            return int(found.scalar_one())
    finally:
        await engine.dispose()


async def _drop_kept(db_url: str) -> None:
    engine = create_async_engine(
        make_url(db_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as conn:
            names = (
                await conn.execute(
                    sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'keep\\_%'")
                )
            ).scalars()
            for name in list(names):
                if name.startswith(snapshots._template("")):
                    await conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def test_the_idle_tick_section_runs_on_both_databases(backend: str, db_url: str) -> None:
    # Enabling the channels and one look at each, then 20 ticks with nothing due.
    result = await idle_tick.idle_tick(db_url, 40)
    assert result["channels"] == 40 and result["idle_tick_max_ms"] > 0
    assert result["first_ticks"] == 1


async def test_no_tick_that_resumes_cut_work_is_timed_as_an_idle_one() -> None:
    # Enabling 50,000 channels at once leaves more than one tick's work on PostgreSQL; the
    # ticks that resume it are run before the idle ones are timed, and a backlog that never
    # clears is said, not timed.
    def ticks(results: list[list[str]]) -> Callable[[], Awaitable[list[WorkResult]]]:
        left = iter(results)

        async def tick() -> list[WorkResult]:
            return [WorkResult(1, WorkKind.POST, "2026-W02", s) for s in next(left)]

        return tick

    assert await idle_tick.work_off(ticks([["retrying", "published"], ["retrying"], []])) == 3
    assert await idle_tick.work_off(ticks([["published"]])) == 1
    with pytest.raises(RuntimeError, match="left over after 10 ticks"):
        await idle_tick.work_off(ticks([["retrying"]] * 10))


async def test_the_rescore_bench_vacuums_the_history_before_its_last_round(
    backend: str, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL the rounds before the last are vacuumed, as autovacuum would have over
    # the weeks they took; the last round is played after it, unvacuumed. SQLite has no
    # visibility map to bring up to date.
    played: list[int] = []
    vacuumed_after: list[int] = []
    real_round, real_vacuum = rescore_bench._round, snapshots.vacuum

    async def one_round(app: Any, place: Any, qid: str, ids: list[int], k: int) -> int:
        played.append(k)
        return await real_round(app, place, qid, ids, k)

    async def vacuum(url: str) -> None:
        vacuumed_after.append(len(played))
        await real_vacuum(url)

    monkeypatch.setattr(rescore_bench, "_round", one_round)
    monkeypatch.setattr(snapshots, "vacuum", vacuum)
    result = await rescore_bench.rescore(db_url, players=40, history=3, team_count=4)
    assert played == [0, 1, 2]
    assert vacuumed_after == ([2] if backend == "postgres" else [])
    assert result["exact"] is True and result["history_rounds"] == 3
    assert min(result[k] for k in ("rekey_last_ms", "rekey_older_ms", "void_ms")) > 0
