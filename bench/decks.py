"""Importing a 5,000-question CSV deck: parse, validate every item, store; then the first bank."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from bot.bootstrap import ManualClock, SeededRng, build_app
from bot.commands import ImportDeck
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.replies import Notice, Tone
from bot.settings import Settings

ADMIN = Origin(
    UserRef(Platform.CONSOLE, "ada"), PlaceRef(Platform.CONSOLE, "bench", "general"), "Ada", True
)
HEADER = "type,difficulty,prompt,choices,answer,accept,tolerance,explanation\n"
LEVELS = ("easy", "medium", "hard")


def deck_csv(count: int) -> str:
    """`count` items cycling through the four auto-graded types, every prompt distinct."""
    rows = [HEADER]
    for i in range(count):
        level = LEVELS[i % 3]
        kind = i % 4
        if kind == 0:
            rows.append(f"mcq,{level},Which service runs job {i}?,api|worker|cron,B,,,Job {i}.\n")
        elif kind == 1:
            rows.append(f"true_false,{level},Job {i} runs nightly.,,true,,,It does.\n")
        elif kind == 2:
            rows.append(f"short,{level},Owner team of job {i}?,,data,data team,,Data owns it.\n")
        else:
            rows.append(f"numeric,{level},Retries for job {i}?,,{i % 7},,0,Set in config.\n")
    return "".join(rows)


async def deck_import(url: str, count: int = 5_000, runs: int = 3) -> dict[str, Any]:
    text = deck_csv(count)
    app = await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=url,
        clock=ManualClock(dt.datetime(2026, 11, 16, 8, tzinfo=dt.UTC)),
        rng=SeededRng(1),
    )
    try:
        import_s: list[float] = []
        bank_s: list[float] = []
        for run in range(runs):
            command = ImportDeck(f"jobs-{run}", "jobs.csv", text)
            began = time.perf_counter()
            [reply] = await app.dispatcher.dispatch(command, ADMIN)
            import_s.append(time.perf_counter() - began)
            assert isinstance(reply, Notice) and reply.tone is Tone.SUCCESS, reply
            # The next command of the workspace builds its bank with the new deck in it.
            began = time.perf_counter()
            bank = await app.ctx.bank_for(ADMIN.place.workspace_key)
            bank_s.append(time.perf_counter() - began)
            assert len(bank.decks[f"jobs-{run}"].questions) == count
    finally:
        await app.close()
    return {
        "questions": count,
        "bytes": len(text.encode("utf-8")),
        "import_s": round(max(import_s), 3),
        "first_bank_s": round(max(bank_s), 3),
        "runs": runs,
    }
