"""The score bands behind a rank (players per SCORE_BAND points): kept exact by awards and
forgetme, filled by their migration, and any drift in them caught, on both databases."""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from bot.records import PointAward
from bot.storage.awards import award_many
from bot.storage.database import Database, create_engine
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores
from bot.storage.tables import SCORE_BAND, score_bands, score_counts, tie_blocks, users
from bot.store_ports import Stores
from tests.helpers import KEYED_TOTALS, brute_ranks, user_rows
from tests.test_team_board_index import downgrade_to

NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
WS = "console:bands"
PERIODS = ("all", "2026-W47", "2026-11")


async def brute(store: Stores, period: str) -> dict[int, int]:
    return await brute_ranks(store.boards.db, WS, period)  # type: ignore[attr-defined]


async def check_ranks(store: Stores, ids: list[int]) -> None:
    assert await store.boards.counter_drift(WS) == {}
    for period in PERIODS:
        want = await brute(store, period)
        for user_id in ids:
            _, mine = await store.boards.user_board(WS, period, user_id, 3)
            assert (mine.rank if mine else None) == want.get(user_id), (period, user_id)
    want = await brute(store, "all")
    for user_id in ids:
        _, standing, _ = await store.boards.stats_card(WS, user_id)
        assert (standing.rank if standing else None) == want.get(user_id), user_id


async def test_ranks_across_many_bands_equal_a_sort_through_awards_and_forgetme(
    db_url: str,
) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    store = sql_stores(db)
    rng = random.Random(21)
    ids = [(await store.users.ensure_user(WS, f"u{i}", f"U{i}", NOW)).id for i in range(40)]
    # Points from 1 to 250 in uneven steps: players in a dozen bands, several in one band
    # and in one bucket, band edges (multiples of SCORE_BAND) crossed both ways.
    for _ in range(6):
        awards = [
            PointAward(
                user_id,
                rng.choice([1, SCORE_BAND - 1, SCORE_BAND, 7, 20, 45]),
                rng.random() < 0.6,
                "quiz",
                NOW.date(),
                NOW,
            )
            for user_id in rng.sample(ids, 30)
        ]
        async with db.write() as conn:
            await award_many(db, conn, WS, awards)
        await check_ranks(store, ids)
    async with db.read() as conn:
        bands = (
            await conn.execute(
                sa.select(sa.func.count()).where(
                    score_bands.c.workspace == WS, score_bands.c.users > 0
                )
            )
        ).scalar_one()
    assert bands >= 8 * len(PERIODS), bands
    for user_id in ids[:5]:
        await store.privacy.forget_user(user_id)
    await check_ranks(store, ids[5:])
    await db.dispose()


async def test_drift_in_the_bands_is_caught(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    store = sql_stores(db)
    ids = [(await store.users.ensure_user(WS, f"u{i}", f"U{i}", NOW)).id for i in range(3)]
    awards = [PointAward(i, 20 * n, True, "quiz", NOW.date(), NOW) for n, i in enumerate(ids, 1)]
    async with db.write() as conn:
        await award_many(db, conn, WS, awards)
    assert await store.boards.counter_drift(WS) == {}
    async with db.write() as conn:
        await conn.execute(
            score_bands.update()
            .where(score_bands.c.workspace == WS, score_bands.c.period == "all")
            .where(score_bands.c.band == 40 // SCORE_BAND)
            .values(users=score_bands.c.users + 1)
        )
    drift = await store.boards.counter_drift(WS)
    assert list(drift) == ["score_bands"]
    assert drift["score_bands"] == [(("all", 40 // SCORE_BAND), 1), (("all", 40 // SCORE_BAND), 2)]
    async with db.write() as conn:
        await conn.execute(score_bands.delete().where(score_bands.c.band == 60 // SCORE_BAND))
    gone = {key for key, _ in (await store.boards.counter_drift(WS))["score_bands"]}
    assert ("all", 60 // SCORE_BAND) in gone, gone
    await db.dispose()


async def test_upgrading_fills_the_bands_from_the_histogram(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine, "0022_inbox_unfinished")
    rng = random.Random(23)
    points = {i: rng.choice([0, 5, 15, 16, 17, 31, 32, 100, 250]) for i in range(1, 61)}
    rows = [
        {
            "workspace": WS,
            "period": period,
            "kind": "user",
            "subject_id": i,
            "points": p,
            "correct": p % 3,
            "answered": 1,
        }
        for i, p in points.items()
        for period in PERIODS
    ]
    counts: dict[tuple[str, int, int], int] = {}
    for r in rows:
        if r["points"]:
            key = (str(r["period"]), int(r["points"]), int(r["correct"]))
            counts[key] = counts.get(key, 0) + 1
    async with db.engine.begin() as conn:
        await conn.execute(users.insert(), user_rows(WS, points, NOW))
        await conn.execute(KEYED_TOTALS.insert(), rows)
        histogram = [
            {"workspace": WS, "period": p, "points": pts, "correct": ok, "users": n}
            for (p, pts, ok), n in sorted(counts.items())
        ]
        # An emptied bucket stays behind as a row of 0 (awards never delete one).
        empty = {"workspace": WS, "period": "all", "points": 999, "correct": 0, "users": 0}
        await conn.execute(score_counts.insert(), [*histogram, empty])
        # Every id is in the first block of ids.
        await conn.execute(tie_blocks.insert(), [{**h, "block": 0} for h in histogram])
    await upgrade(db.engine)
    store = sql_stores(db)
    assert await store.boards.counter_drift(WS) == {}
    want = await brute(store, "all")
    for user_id in points:
        got = await store.boards.user_rank(WS, "all", user_id)
        assert (got.rank if got else None) == want.get(user_id), user_id
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        if db.sqlite:
            ddl = await conn.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE name = 'score_bands'")
            )
            assert "WITHOUT ROWID" in ddl.scalar_one()
    assert "score_bands" in tables
    await db.dispose()
    await downgrade_to(db_url, "0022_inbox_unfinished")
    engine = create_engine(db_url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
    await engine.dispose()
    assert "score_bands" not in tables and "score_counts" in tables
