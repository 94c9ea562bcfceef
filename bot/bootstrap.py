"""The one composition root: settings in, a ready Dispatcher (and its parts) out."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.bank_cache import load_bank_cached
from bot.content import QuestionBank
from bot.dispatch import Dispatcher
from bot.interview import BuiltinGrader
from bot.model_grader import ModelGrader
from bot.ports import Clock, Grader, Rng
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores
from bot.store_ports import Stores
from bot.usecases.context import Context
from bot.usecases.scheduling import ScheduledWork

log = logging.getLogger(__name__)


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that moves only when told: the console's simulated time and the tests'."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.current = start or dt.datetime.now(dt.UTC).replace(microsecond=0)

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, delta: dt.timedelta) -> None:
        self.current += delta

    def set(self, when: dt.datetime) -> None:
        self.current = when


class SeededRng:
    """Random choices; `shuffle` is stable per seed so a round shows the same order to everyone."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)

    def shuffle(self, items: list[int], seed: str) -> list[int]:
        out = list(items)
        random.Random(seed).shuffle(out)
        return out

    def sample(self, population: Sequence[str], k: int) -> list[str]:
        return self._random.sample(list(population), k)


class BankError(RuntimeError):
    """The question bank did not load; the message lists every problem."""


def load_checked_bank(directory: Path, cache_dir: Path | None = None) -> QuestionBank:
    """Load the bank, skipping broken items with a warning each; fail only if nothing loads.

    With `cache_dir`, an unchanged bank is read back parsed (bot/bank_cache.py); its problems
    are stored with it, so the warnings are the same on every start."""
    bank, problems = load_bank_cached(directory, cache_dir)
    for problem in problems:
        # A typo in one item must not take the bot down; the item is left out until fixed.
        log.warning("skipped: %s", problem)
    if problems:
        log.warning("%d deck problem(s); run `studybot content check %s`", len(problems), directory)
    if len(bank) == 0:
        raise BankError(
            f"no usable questions in {directory}; run `studybot content check {directory}`"
        )
    return bank


def bank_json(bank: QuestionBank) -> Callable[[str], str | None]:
    """A question's JSON as the bank has it, for migrations that snapshot questions."""

    def question_json(question_id: str) -> str | None:
        question = bank.by_id.get(question_id)
        return question.model_dump_json() if question is not None else None

    return question_json


def build_grader(settings: Settings, bank: QuestionBank) -> Grader:
    """The built-in grader, or the model grader in front of it when STUDYBOT_GRADER_URL is set."""
    builtin = BuiltinGrader(bank.vocabulary)
    if not settings.grader_url:
        return builtin
    key = settings.grader_api_key.get_secret_value() if settings.grader_api_key else None
    log.info("interview answers graded by %s at %s", settings.grader_model, settings.grader_url)
    return ModelGrader(
        settings.grader_url,
        settings.grader_model,
        builtin,
        api_key=key,
        timeout=settings.grader_timeout,
    )


@dataclass
class App:
    settings: Settings
    db: Database
    stores: Stores
    bank: QuestionBank
    ctx: Context
    dispatcher: Dispatcher
    work: ScheduledWork

    async def close(self) -> None:
        await self.stores.answers.flush()
        await self.stores.inbox.flush()
        await self.db.dispose()
        self.ctx.charts.close()  # the drawing thread, if a chart was ever drawn
        gc.unfreeze()  # what start-up built may be collected again (tests build many apps)


async def build_app(
    settings: Settings | None = None,
    *,
    db_url: str | None = None,
    content_dir: Path | None = None,
    clock: Clock | None = None,
    rng: Rng | None = None,
    bank: QuestionBank | None = None,
) -> App:
    settings = settings or Settings()
    bank = bank or load_checked_bank(content_dir or settings.content_dir, settings.cache_dir)
    db = Database(db_url or settings.database_url)
    await upgrade(db.engine, question_json=bank_json(bank))
    await db.optimize(at_start=True)
    stores = sql_stores(db)
    ctx = Context(
        stores,
        bank,
        clock or SystemClock(),
        rng or SeededRng(),
        quiz_cap=settings.quiz_daily_cap,
        grader=build_grader(settings, bank),
        inbox_lease=dt.timedelta(seconds=settings.inbox_lease),
    )
    log.info("loaded %d questions in %d decks", len(bank), len(bank.decks))
    app = App(settings, db, stores, bank, ctx, Dispatcher(ctx), ScheduledWork(ctx, db.optimize))
    # Everything built so far (the bank, SQL metadata, compiled statements) lives as long as
    # the process: out of the collector's sight, a full collection scans only what requests
    # allocate, which takes the slowest answers and boards from ~35 ms to a few. The console
    # script pauses collection while the process loads (adapters/entry.py): start-up ends here.
    gc.freeze()
    gc.enable()
    return app
