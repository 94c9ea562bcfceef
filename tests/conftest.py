"""Shared fixtures: a fixed deck, a manual clock, seeded randomness and real databases."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.bootstrap import App, ManualClock, SeededRng, build_app
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CONTENT = FIXTURES / "content"
ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "STUDYBOT_TEST_PG_URL"
START = dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC)  # a Monday


def pg_url() -> str | None:
    return os.environ.get(PG_ENV)


def require_pg() -> str:
    url = pg_url()
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{PG_ENV} must be set in CI; .ci/run starts PostgreSQL")
    pytest.skip(f"{PG_ENV} not set (.ci/run starts a throwaway PostgreSQL)")


async def fresh_pg_database(base_url: str) -> str:
    """A new empty database on the test server, so every test starts clean."""
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgres":
        return await fresh_pg_database(require_pg())
    return f"sqlite+aiosqlite:///{tmp_path / 'studybot.db'}"


@pytest.fixture
async def app(db_url: str, clock: ManualClock) -> AsyncIterator[App]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    application = await build_app(
        settings, db_url=db_url, content_dir=FIXTURE_CONTENT, clock=clock, rng=SeededRng(7)
    )
    yield application
    await application.close()


def origin(
    name: str,
    admin: bool = False,
    channel: str = "general",
    workspace: str = "acme",
    platform: Platform = Platform.CONSOLE,
) -> Origin:
    return Origin(
        UserRef(platform, name.casefold()), PlaceRef(platform, workspace, channel), name, admin
    )
