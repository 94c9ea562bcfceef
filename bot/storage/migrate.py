"""Apply Alembic migrations programmatically (at start and from `studybot db upgrade`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Every process migrates at start; replicas starting together on one PostgreSQL queue on this
# lock, and whoever comes second finds the schema at head. (SQLite's BEGIN IMMEDIATE does it.)
MIGRATION_LOCK = 7_201_127

# A question id -> that question's JSON, or None when the bank lacks it: migrations that
# snapshot questions into rows (0004) take them from the bank the process loaded.
QuestionJson = Callable[[str], str | None]


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's ConfigParser treats % as interpolation; URLs may carry %-escapes.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(
    engine: AsyncEngine, revision: str = "head", question_json: QuestionJson | None = None
) -> None:
    """Bring the database behind `engine` to `revision`; a no-op when it is there already."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(
            _upgrade_sync,
            str(engine.url.render_as_string(hide_password=False)),
            revision,
            question_json,
        )


def _upgrade_sync(
    connection: object, url: str, revision: str, question_json: QuestionJson | None
) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    config.attributes["question_json"] = question_json
    command.upgrade(config, revision)


def upgrade_sync(url: str, question_json: QuestionJson | None = None) -> None:
    async def go() -> None:
        engine = create_engine(url)
        try:
            await upgrade(engine, question_json=question_json)
        finally:
            await engine.dispose()

    asyncio.run(go())
