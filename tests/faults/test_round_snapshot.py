"""Deck edits under an open round: the round keeps the question it asked."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import messages as m
from bot.bootstrap import App, ManualClock, SeededRng, build_app, load_checked_bank
from bot.commands import SubmitAnswer
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.tables import channels, rounds
from bot.usecases import daily
from tests.conftest import FIXTURE_CONTENT, ROOT, origin
from tests.helpers import errors

MEDIAN = "ss-median"  # MCQ: Mean, Median, Range, Standard deviation; Median (1) is right
PROMPT = "Which statistic is least affected by a single extreme outlier?"
ADA, BEN, CY = origin("Ada", admin=True), origin("Ben"), origin("Cy")


def deck_without(tmp_path: Path, question_id: str, name: str = "edited") -> Path:
    """A copy of the fixture decks with one question taken out."""
    folder = tmp_path / name
    shutil.copytree(FIXTURE_CONTENT, folder)
    path = folder / "sample-stats.toml"
    blocks = path.read_text(encoding="utf-8").split("[[questions]]")
    kept = [b for b in blocks if f'id = "{question_id}"' not in b]
    assert len(kept) == len(blocks) - 1
    path.write_text("[[questions]]".join(kept), encoding="utf-8")
    return folder


async def start(db_url: str, content: Path, clock: ManualClock) -> App:
    return await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=content,
        clock=clock,
        rng=SeededRng(7),
    )


def click(round_id: int, choice: int, delivery: str) -> SubmitAnswer:
    return SubmitAnswer("", round_id=round_id, choice=choice, delivery_id=delivery)


async def test_a_round_outlives_its_question_leaving_the_deck(
    db_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    first = await start(db_url, FIXTURE_CONTENT, clock)
    opened = await daily.open_daily_round(first.ctx, ADA.place, clock.now(), MEDIAN)
    assert opened is not None
    rnd, card = opened
    assert errors(await first.dispatcher.dispatch(click(rnd.id, 1, "ada-1"), ADA)) == []
    await first.close()

    # Restart on decks that no longer hold the question.
    second = await start(db_url, deck_without(tmp_path, MEDIAN), clock)
    try:
        assert MEDIAN not in second.bank.by_id
        clock.advance(dt.timedelta(minutes=5))
        assert errors(await second.dispatcher.dispatch(click(rnd.id, 1, "ben-1"), BEN)) == []
        # The typed path and `daily` find the round too.
        assert errors(await second.dispatcher.handle_text("answer Mean", CY)) == []
        assert errors(await second.dispatcher.handle_text("daily", CY)) == []

        reveal = await daily.close_daily_round(second.ctx, rnd.id, rnd.closes_at)
        assert reveal is not None
        assert reveal.prompt == PROMPT
        assert reveal.winners == ("Ada", "Ben")
        shares = {s.text: (s.count, s.correct) for s in reveal.shares}
        assert shares["Median"] == (2, True) and shares["Mean"] == (1, False)
        points = {
            a.display_name: a.points for a in await second.stores.answers.round_answers(rnd.id)
        }
        # Easy: 10 points for each correct answer, none for the wrong one.
        assert points == {"Ada": 10, "Ben": 10, "Cy": 0}
        assert [o.text for o in card.options] == [s.text for s in reveal.shares]
    finally:
        await second.close()


async def test_a_round_keeps_the_question_as_asked_when_the_deck_changes_it(
    db_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    first = await start(db_url, FIXTURE_CONTENT, clock)
    opened = await daily.open_daily_round(first.ctx, ADA.place, clock.now(), MEDIAN)
    assert opened is not None
    rnd, _ = opened
    await first.close()
    # The deck now calls the mean right: the open round still judges by the question it asked.
    edited = tmp_path / "changed"
    shutil.copytree(FIXTURE_CONTENT, edited)
    stats = edited / "sample-stats.toml"
    text = stats.read_text(encoding="utf-8")
    stats.write_text(text.replace("answer = 1\n", "answer = 0\n", 1), encoding="utf-8")
    second = await start(db_url, edited, clock)
    try:
        assert second.bank.by_id[MEDIAN].answer == 0
        await second.dispatcher.dispatch(click(rnd.id, 1, "ben-1"), BEN)
        reveal = await daily.close_daily_round(second.ctx, rnd.id, rnd.closes_at)
        assert reveal is not None and reveal.winners == ("Ben",)
    finally:
        await second.close()


async def test_upgrading_snapshots_the_rounds_whose_question_the_bank_still_has(
    db_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    db = Database(db_url)
    await upgrade(db.engine, "0003")
    now = clock.now()
    async with db.engine.begin() as conn:
        await conn.execute(
            channels.insert().values(
                id=1,
                platform=ADA.place.platform.value,
                workspace=ADA.place.workspace_key,
                external_id=ADA.place.channel,
                updated_at=now,
            )
        )
        for round_id, question_id, day in ((1, MEDIAN, 1), (2, "gone-question", 2)):
            await conn.execute(
                rounds.insert().values(
                    id=round_id,
                    channel_id=1,
                    workspace=ADA.place.workspace_key,
                    local_date=dt.date(2026, 11, day),
                    question_id=question_id,
                    choice_order="0,1,2,3",
                    opened_at=now,
                    closes_at=now + dt.timedelta(hours=8),
                )
            )
    await db.dispose()

    app = await start(db_url, FIXTURE_CONTENT, clock)
    try:
        async with app.db.read() as conn:
            stored = dict(
                (await conn.execute(sa.select(rounds.c.id, rounds.c.question_json))).all()
            )
        assert stored[2] is None
        assert stored[1] == app.bank.by_id[MEDIAN].model_dump_json()
        # The round whose question is gone everywhere: refused politely, closed and revealed
        # without its text, never a crash.
        got = await app.dispatcher.dispatch(click(2, 0, "x"), ADA)
        assert errors(got) == [m.NO_DAILY]
        reveal = await daily.close_daily_round(app.ctx, 2, now + dt.timedelta(hours=9))
        assert reveal is not None and reveal.prompt == m.REVEAL_QUESTION_GONE
    finally:
        await app.close()


def test_a_duplicate_id_across_deck_files_names_both(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "decks"
    shutil.copytree(FIXTURE_CONTENT, folder)
    stats = (folder / "sample-stats.toml").read_text(encoding="utf-8")
    block = "[[questions]]" + stats.split("[[questions]]")[1]
    ml = folder / "sample-ml.toml"
    ml.write_text(ml.read_text(encoding="utf-8") + "\n" + block, encoding="utf-8")
    line = f"sample-stats.toml: {MEDIAN}: id: duplicate id, also in sample-ml.toml"

    check = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "content", "check", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1
    assert line in check.stdout

    with caplog.at_level(logging.WARNING):
        bank = load_checked_bank(folder)
    assert bank.by_id[MEDIAN].topic == "sample-ml"  # the first file by name wins
    assert any(line in r.getMessage() for r in caplog.records)


def test_every_question_of_the_decks_survives_its_snapshot() -> None:
    bank = load_checked_bank(ROOT / "content")
    for question in bank.by_id.values():
        assert daily._snapshot(question.model_dump_json()) == question, question.id
