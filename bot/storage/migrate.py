"""Apply Alembic migrations programmatically (at start and from `studybot db upgrade`)."""

from __future__ import annotations

import ast
import asyncio
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Every process migrates at start; replicas starting together on one PostgreSQL queue on this
# lock, and whoever comes second finds the schema at head. (SQLite's BEGIN IMMEDIATE does it.)
MIGRATION_LOCK = 7_201_127
# `revision = '0017_x'` and `down_revision = '0016_y'` (or a tuple, for a merge) as Alembic
# writes them at the top of each revision file, annotated or not.
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)

# A question id -> that question's JSON, or None when the bank lacks it: migrations that
# snapshot questions into rows (0004) take them from the bank the process loaded.
QuestionJson = Callable[[str], str | None]


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's ConfigParser treats % as interpolation; URLs may carry %-escapes.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def head_revision() -> str | None:
    """The chain's one head, read from the revision files without importing Alembic (about a
    fifth of a start's CPU); None when the files do not show exactly one head, and then
    Alembic, which knows every form, decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update(down if isinstance(down, tuple) else () if down is None else (down,))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def at_head(engine: AsyncEngine) -> bool:
    """Whether the database's recorded revision is the code's head: one read, no Alembic."""
    head = head_revision()
    if head is None:
        return False
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            versions = [row[0] for row in rows]
    except DBAPIError:  # no alembic_version table yet: a new database
        return False
    return versions == [head]


async def upgrade(
    engine: AsyncEngine, revision: str = "head", question_json: QuestionJson | None = None
) -> None:
    """Bring the database behind `engine` to `revision`; a no-op when it is there already."""
    # A restart finds the schema at head; answering that with one read spares importing and
    # running Alembic. Anything else (behind, ahead, a new database) goes through Alembic.
    if revision == "head" and await at_head(engine):
        return
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
    from alembic import command

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
