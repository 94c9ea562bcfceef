"""0024/0025: the tables a rescore rewrites keep room on their pages on PostgreSQL (HOT updates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.tables import point_events, user_stats, users
from tests.helpers import user_rows
from tests.test_team_board_index import downgrade_to

PLAYERS = 2_000  # rows on about a dozen pages (user_stats) or a few dozen (point_events)
AT = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)


def _stats_rows() -> list[dict[str, Any]]:
    return [
        {"user_id": i, "current_streak": 1, "best_streak": 1, "last_streak_round": 1}
        for i in range(1, PLAYERS + 1)
    ]


def _event_rows() -> list[dict[str, Any]]:
    # One round's events, appended together as a close writes them.
    return [
        {
            "workspace": "w",
            "user_id": i,
            "source": "daily",
            "points": 10,
            "correct": True,
            "week": "2026-W50",
            "month": "2026-12",
            "day": AT.date(),
            "occurred_at": AT,
            "round_id": 1,
        }
        for i in range(1, PLAYERS + 1)
    ]


# Each table as a rescore rewrites it: its rows, the rewrite, the revision before its setting.
CASES = {
    "user_stats": (
        user_stats,
        _stats_rows,
        {"current_streak": user_stats.c.current_streak + 1},
        "0023_score_bands",
    ),
    "point_events": (
        point_events,
        _event_rows,
        {"points": 0, "correct": False},
        "0024_rescore_fillfactor",
    ),
}


async def _updated_in_place(db: Database, table: sa.Table, values: dict[str, Any]) -> int:
    """Every row rewritten by one statement, as a rescore does; how many of the rewrites were
    HOT (PostgreSQL's count for the current transaction)."""
    async with db.engine.begin() as conn:
        await conn.execute(table.update().values(values))
        hot = await conn.execute(
            sa.text("SELECT n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = :t"),
            {"t": table.name},
        )
        return int(hot.scalar_one())


async def _reloptions(db: Database, table: str) -> list[str] | None:
    async with db.engine.connect() as conn:
        found = await conn.execute(
            sa.text("SELECT reloptions FROM pg_class WHERE relname = :t"), {"t": table}
        )
        return found.scalar_one()  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", CASES)
async def test_a_rescores_rewrites_stay_in_place_after_the_migration(
    db_url: str, name: str
) -> None:
    table, rows, values, _ = CASES[name]
    db = Database(db_url)
    await upgrade(db.engine)
    async with db.engine.begin() as conn:
        await conn.execute(users.insert(), user_rows("w", range(1, PLAYERS + 1), AT))
        await conn.execute(table.insert(), rows())
    if db.sqlite:
        # No such setting there: the migration leaves the table as it was.
        async with db.engine.connect() as conn:
            ddl = await conn.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": name}
            )
            assert "fillfactor" not in ddl.scalar_one().lower()
        await db.dispose()
        return
    assert await _reloptions(db, name) == ["fillfactor=50"]
    # Every row's new version fits beside it: no index entry, no row moved to another page.
    assert await _updated_in_place(db, table, values) == PLAYERS
    await db.dispose()


@pytest.mark.parametrize("name", CASES)
async def test_the_downgrade_packs_the_pages_full_again(db_url: str, name: str) -> None:
    before = CASES[name][3]
    db = Database(db_url)
    await upgrade(db.engine)
    await downgrade_to(db_url, before)
    if not db.sqlite:
        assert await _reloptions(db, name) is None
    await upgrade(db.engine)
    if not db.sqlite:
        assert await _reloptions(db, name) == ["fillfactor=50"]
    await db.dispose()
