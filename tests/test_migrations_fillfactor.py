"""0024_rescore_fillfactor: user_stats keeps room on its pages on PostgreSQL (HOT updates)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.tables import user_stats, users
from tests.helpers import user_rows
from tests.test_team_board_index import downgrade_to

PLAYERS = 2_000  # rows on about a dozen pages when packed full


async def _updated_in_place(db: Database) -> int:
    """Every player's streak stats rewritten by one statement, as a rescore does; how many of
    the rewrites were HOT (PostgreSQL's count for the current transaction)."""
    async with db.engine.begin() as conn:
        await conn.execute(
            user_stats.update().values(current_streak=user_stats.c.current_streak + 1)
        )
        hot = await conn.execute(
            sa.text(
                "SELECT n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'user_stats'"
            )
        )
        return int(hot.scalar_one())


async def _reloptions(db: Database) -> list[str] | None:
    async with db.engine.connect() as conn:
        found = await conn.execute(
            sa.text("SELECT reloptions FROM pg_class WHERE relname = 'user_stats'")
        )
        return found.scalar_one()  # type: ignore[no-any-return]


async def test_streak_stats_are_rewritten_in_place_after_the_migration(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    at = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    async with db.engine.begin() as conn:
        await conn.execute(users.insert(), user_rows("w", range(1, PLAYERS + 1), at))
        await conn.execute(
            user_stats.insert(),
            [
                {"user_id": i, "current_streak": 1, "best_streak": 1, "last_streak_round": 1}
                for i in range(1, PLAYERS + 1)
            ],
        )
    if db.sqlite:
        # No such setting there: the migration leaves the table as it was.
        async with db.engine.connect() as conn:
            ddl = await conn.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE name = 'user_stats'")
            )
            assert "fillfactor" not in ddl.scalar_one().lower()
        await db.dispose()
        return
    assert await _reloptions(db) == ["fillfactor=50"]
    # Every row's new version fits beside it: no index entry, no row moved to another page.
    assert await _updated_in_place(db) == PLAYERS
    await db.dispose()


async def test_the_downgrade_packs_streak_stats_pages_full_again(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    await downgrade_to(db_url, "0023_score_bands")
    if not db.sqlite:
        assert await _reloptions(db) is None
    await upgrade(db.engine)
    if not db.sqlite:
        assert await _reloptions(db) == ["fillfactor=50"]
    await db.dispose()
