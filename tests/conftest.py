"""Shared fixtures: a fixed deck, a manual clock, seeded randomness and real databases."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.bootstrap import App, ManualClock, SeededRng, build_app
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CONTENT = FIXTURES / "content"
ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "STUDYBOT_TEST_PG_URL"
START = dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC)  # a Monday

# Every test that takes `app` or `db_url` runs once per database; the PostgreSQL variant
# carries this mark, so it can be selected (`-m postgres`) or deselected as a group.
POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
BACKENDS = ["sqlite", POSTGRES]

_DESELECTED = pytest.StashKey[int]()
_NO_SHARED = pytest.StashKey[int]()
# Under pytest-xdist the workers collect and deselect; they send these counts to the
# controller, whose terminal summary prints the red lines.
_COUNTS = {"no_shared": _NO_SHARED, "deselected": _DESELECTED}
SHARED_ENV = "STUDYBOT_SHARED_DIR"
CACHE_ENV = "STUDYBOT_CACHE_DIR"
_CACHE_DIR = pytest.StashKey[str]()


def shared_dir() -> Path:
    """The project's shared folder: the seed documents the decks cite and the originality
    tool that checks no phrase was lifted from them. `../shared` beside the checkout (CI always
    has it), or wherever STUDYBOT_SHARED_DIR points."""
    return Path(os.environ.get(SHARED_ENV) or ROOT.parent / "shared")


def has_shared() -> bool:
    return (shared_dir() / "tools" / "originality.py").is_file()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "shared: needs ../shared (seed documents and the originality tool)"
    )
    # Apps built by tests keep the parsed bank in a folder of this run's, never the user's
    # ~/.cache; xdist workers and child processes inherit it and share it.
    if not os.environ.get(CACHE_ENV):
        folder = tempfile.mkdtemp(prefix="studybot-test-cache-")
        os.environ[CACHE_ENV] = folder
        config.stash[_CACHE_DIR] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_CACHE_DIR, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        del os.environ[CACHE_ENV]


_created_databases: list[str] = []


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def worker() -> str:
    """This pytest-xdist worker's id ("gw0", "gw1", ...), or "main" without xdist: a tag in
    the names of the databases this process creates, so a leftover one says whose it was."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def require_pg() -> str:
    """The test server's URL. Without it the PostgreSQL variants are deselected before they
    run (see pytest_collection_modifyitems), so reaching here means CI lacks the server."""
    url = pg_url()
    if not url:
        pytest.fail(f"{PG_ENV} must be set in CI; .ci/run starts PostgreSQL")
    return url


def pytest_report_header(config: pytest.Config) -> str:
    url = pg_url()
    return f"databases: sqlite, postgresql ({url})" if url else "databases: sqlite only"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A checkout without ../shared (a fork cloned on its own): the tests that read the seed
    # documents are deselected, never skipped, and the summary says why. CI always has it, so
    # there they stay and fail if it is missing.
    if not has_shared() and not os.environ.get("CI"):
        needs = [item for item in items if item.get_closest_marker("shared")]
        if needs:
            config.hook.pytest_deselected(items=needs)
            items[:] = [item for item in items if not item.get_closest_marker("shared")]
            config.stash[_NO_SHARED] = len(needs)
            _to_controller(config, "no_shared", len(needs))
    # No PostgreSQL on a laptop: deselect (never skip) its variants and say so loudly at the
    # end. In CI a missing server is an error, so the variants stay and fail in require_pg.
    if pg_url() or os.environ.get("CI"):
        return
    dropped = [item for item in items if item.get_closest_marker("postgres")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        config.stash[_DESELECTED] = len(dropped)
        _to_controller(config, "deselected", len(dropped))


def _to_controller(config: pytest.Config, key: str, count: int) -> None:
    output = getattr(config, "workeroutput", None)  # set on pytest-xdist workers only
    if output is not None:
        output[key] = count


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: called on the controller
def pytest_testnodedown(node: object, error: object) -> None:
    config: pytest.Config = node.config  # type: ignore[attr-defined]
    output: dict[str, object] = getattr(node, "workeroutput", {})
    for key, stash_key in _COUNTS.items():
        count = output.get(key)
        if isinstance(count, int):  # every worker collects every test: the counts agree
            config.stash[stash_key] = max(count, config.stash.get(stash_key, 0))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    missing = config.stash.get(_NO_SHARED, 0)
    if missing:
        terminalreporter.write_sep(
            "!",
            f"{missing} content test(s) NOT RUN: {shared_dir()} is missing (the seed documents "
            f"and tools/originality.py; clone it beside this checkout or set {SHARED_ENV})",
            red=True,
            bold=True,
        )
    count = config.stash.get(_DESELECTED, 0)
    if count:
        terminalreporter.write_sep(
            "!",
            f"{count} PostgreSQL variants NOT RUN: {PG_ENV} is not set "
            "(`make test` starts a throwaway cluster when PostgreSQL is installed; CI runs all)",
            red=True,
            bold=True,
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _created_databases and pg_url():
        asyncio.run(_drop_databases(require_pg(), list(_created_databases)))
        _created_databases.clear()


async def fresh_pg_database(base_url: str, template: str | None = None) -> str:
    """A new database on the test server, so every test starts clean: empty, or a copy of
    `template` (a database of this process with no one connected)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    # uuid: unique across workers and runs; the worker tag only says whose a leftover is.
    name = f"t_{worker()}_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        if template is not None:
            # The copy keeps the template's collation (ICU en-US when the server has ICU).
            await conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        else:
            await _create_empty(conn, name)
    await engine.dispose()
    _created_databases.append(name)
    return base_url.rsplit("/", 1)[0] + "/" + name


async def _create_empty(conn: AsyncConnection, name: str) -> None:
    try:
        # A linguistic collation, like the postgres image's default en_US.utf8 (the test
        # cluster's is C): any ORDER BY on text that differs from SQLite shows up here.
        await conn.execute(
            sa.text(
                f'CREATE DATABASE "{name}" TEMPLATE template0 '
                "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
            )
        )
    except sa.exc.DBAPIError:  # a server built without ICU
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))


async def _drop_databases(base_url: str, names: list[str]) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        for name in names:
            # FORCE: a test that failed midway may have left a connection open.
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("migrated")


# backend -> the URL of this process's migrated template database (made at first use).
_templates: dict[str, str] = {}


async def migrated_template(backend: str, directory: Path) -> str:
    """A database that `build_app` has migrated to head and closed, once per process (each
    xdist worker has its own, so no copy ever meets a connection to its template)."""
    if backend not in _templates:
        if backend == "postgres":
            url = await fresh_pg_database(require_pg())
        else:
            url = f"sqlite+aiosqlite:///{directory / 'template.db'}"
        await (await build_test_app(url, ManualClock(START))).close()
        if backend == "sqlite":
            # Everything into the main file, so a copy of that file alone is the database.
            with closing(sqlite3.connect(directory / "template.db")) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        _templates[backend] = url
    return _templates[backend]


@pytest.fixture
async def db_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, template_dir: Path
) -> str:
    # A test that builds the shared `app` gets a copy of a database already migrated to head
    # (build_app's upgrade then finds it there): the migrations from empty cost ~0.2 s a test
    # and are run by the template and tests/test_migrations.py. Tests that use db_url without
    # `app` (migrations, processes starting on a new database) get an empty one, as before.
    migrated = "app" in request.fixturenames
    template = await migrated_template(backend, template_dir) if migrated else None
    if backend == "postgres":
        name = template.rsplit("/", 1)[1] if template else None
        return await fresh_pg_database(require_pg(), name)
    path = tmp_path / "studybot.db"
    if template:
        shutil.copyfile(template_dir / "template.db", path)
    return f"sqlite+aiosqlite:///{path}"


async def build_test_app(db_url: str, clock: ManualClock) -> App:
    """An app on `db_url` with the fixture decks, the given clock and a seeded draw: what the
    `app` fixture yields, for tests that build theirs on a database of their own."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return await build_app(
        settings, db_url=db_url, content_dir=FIXTURE_CONTENT, clock=clock, rng=SeededRng(7)
    )


@pytest.fixture
async def app(db_url: str, clock: ManualClock) -> AsyncIterator[App]:
    application = await build_test_app(db_url, clock)
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
