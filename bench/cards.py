"""Review cards at scale: a user's next due card among users x cards rows (index (user, due))."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bench.boards import WORKSPACE, _app, _time
from bot.review import end_of_day
from bot.storage.cards import CARD_COLUMNS
from bot.storage.database import is_sqlite

NOW = dt.datetime(2026, 11, 20, 18, tzinfo=dt.UTC)
CHUNK = 50_000


# The columns each generated card fills, in the order `_cards` yields them.
LOADED = ("user_id", "question_id", *CARD_COLUMNS)


def _cards(users: int, per_user: int) -> Iterator[tuple[Any, ...]]:
    """Every user's cards, due spread over the two months around NOW (some overdue)."""
    rng = random.Random(11)
    for user in range(1, users + 1):
        for n in range(per_user):
            due = NOW + dt.timedelta(minutes=rng.randint(-30 * 1440, 30 * 1440))
            last = due - dt.timedelta(days=rng.randint(1, 30))
            yield (user, f"q{n:04d}", "bench", 2, None, 5.0, 5.0, due, last, 3, 0)


def _load_sqlite(path: str, users: int, per_user: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    stamp = "2026-07-01 00:00:00.000000"
    with conn:
        conn.executemany(
            "INSERT INTO users (id, workspace, external_id, display_name, name_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            ((u, WORKSPACE, f"u{u}", f"P{u}", f"p{u}", stamp) for u in range(1, users + 1)),
        )

    def text(value: dt.datetime) -> str:  # how SQLAlchemy stores a DateTime on SQLite
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    rows = _cards(users, per_user)
    while chunk := list(itertools.islice(rows, CHUNK)):
        with conn:
            conn.executemany(
                f"INSERT INTO cards ({', '.join(LOADED)})"
                f" VALUES ({', '.join('?' * len(LOADED))})",
                ((*r[:7], text(r[7]), text(r[8]), *r[9:]) for r in chunk),
            )
    conn.execute("ANALYZE")
    conn.close()


async def _load_postgres(url: str, users: int, per_user: int) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    stamp = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    try:
        await conn.copy_records_to_table(
            "users",
            columns=["id", "workspace", "external_id", "display_name", "name_key", "created_at"],
            records=[(u, WORKSPACE, f"u{u}", f"P{u}", f"p{u}", stamp) for u in range(1, users + 1)],
        )
        columns = list(LOADED)
        rows = _cards(users, per_user)
        while chunk := list(itertools.islice(rows, CHUNK)):
            await conn.copy_records_to_table("cards", columns=columns, records=chunk)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def next_due(
    db_url: str, users: int = 10_000, per_user: int = 500, runs: int = 500
) -> dict[str, Any]:
    """Load users x per_user cards, then time one user's next due card and a review's
    first ten due cards, for random users."""
    app = await _app(db_url)  # the schema, through the migrations
    await app.close()
    start = time.perf_counter()
    if is_sqlite(db_url):
        path = make_url(db_url).database
        assert path is not None
        await asyncio.to_thread(_load_sqlite, path, users, per_user)
    else:
        await _load_postgres(db_url, users, per_user)
    load_s = time.perf_counter() - start
    app = await _app(db_url)
    store = app.stores.cards
    rng = random.Random(3)
    who = itertools.cycle([rng.randint(1, users) for _ in range(runs)])
    before = end_of_day(NOW, "UTC")
    try:
        found = await store.next_due(1, NOW)
        assert found is not None and found.user_id == 1
        next_card = await _time(lambda: store.next_due(next(who), NOW), runs)
        review = await _time(lambda: store.due_cards(next(who), before, 10), runs)
    finally:
        await app.close()
    return {
        "cards": users * per_user,
        "users": users,
        "load_s": round(load_s, 1),
        "next_due": next_card,
        "due_ten": review,
    }
