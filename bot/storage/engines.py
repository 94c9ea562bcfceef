"""The engines behind Database: SQLite's session settings, PostgreSQL's pools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from bot.storage.driver_sql import run
from bot.storage.pg_pool import keep_healthy
from bot.storage.sqlite_now import NO_WAIT

BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "studybot_read_only"
# A WAL that was checkpointed is cut back to this size when it restarts, so one burst does not
# leave a larger file behind (the idle checkpoint empties it anyway). Above the WAL a second of
# 200 answers/s writes (about 8 MB): cut back to 4 MB, the file was extended again every
# second, and a sync of an extended file also commits the file system's journal, under the
# write lock (docs/scaling.md, session 8). 16 MB is issue 13's bound on the WAL.
JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024
# The safety net: should the checkpoints beside the writer fall behind (another process holds
# an old snapshot, a thread is starved), a commit folds the WAL once it reaches this many pages
# (8 MB at 4 KB pages). In normal running the checkpoints keep it far below.
AUTOCHECKPOINT_PAGES = 2000
# Threads that run synchronous read bodies on SQLite (see Database.read_sync).
READER_THREADS = 2


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_memory(url: str) -> bool:
    return make_url(url).database in (None, "", ":memory:")


def _prepare_sqlite_path(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_session(engine: sa.Engine, memory: bool) -> None:
    """WAL, busy timeout and foreign keys on every connection; writers BEGIN IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN IMMEDIATE can be issued.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # A commit that crosses the auto-checkpoint threshold copies and syncs the whole
            # WAL before it returns: the slowest 1% of answers. Database checkpoints beside
            # the writer instead, off every commit's path; the auto-checkpoint stays on, at a
            # size those checkpoints never let the WAL reach, as the backstop.
            cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the lock up front (IMMEDIATE): two processes never deadlock upgrading
        # a read lock, they queue on busy_timeout instead. Readers stay deferred.
        # Straight to the driver (driver_sql.run): SQLAlchemy's execution of a BEGIN cost a
        # one-click write on the event loop about as much as one of its inserts.
        options = conn.get_execution_options()
        if options.get(READ_ONLY):
            run(conn, "BEGIN")
        elif options.get(NO_WAIT):
            # The lock now or never: this writer runs on the event loop, which must never
            # sit in busy_timeout while another process writes (it falls back to its thread).
            # Straight on the sqlite3 connection: three statements through SQLAlchemy's
            # execution cost a short write on the loop about a fifth of its time.
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA busy_timeout=0")
            try:
                run(conn, "BEGIN IMMEDIATE")
            finally:
                raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        else:
            run(conn, "BEGIN IMMEDIATE")


def create_short_write_engine(url: str) -> AsyncEngine:
    """PostgreSQL connections for the short writes (Database.write_sync with `short`: a
    batch of clicks, a team join, a user's upsert), with generic plans. The click batch's
    statement was planned again on every call (`pg_stat_statements`: 3,152 plans for 3,150
    calls, 1.06 ms of planning to 0.37 ms of execution): answers at 200/s gave p99 8-12 ms
    where the generic plan gives 4.4 (docs/scaling.md, session 11). Its plan was written
    for the generic case (bot/storage/click_pg.py). The other writes (closes, rescores)
    keep the server's choice on `create_engine`'s pool: forced generic plans made a rescore
    half as slow again."""
    # Up to ONE_WRITE_LANES click batches at once plus the odd join or upsert.
    return _generic_plans(url, pool_size=4, max_overflow=4)


def create_lean_engine(url: str) -> AsyncEngine:
    """PostgreSQL connections for the hot one-statement reads (Database.read_sync with
    `single`): autocommit, and generic plans. The server re-planned each of those prepared
    statements on every call (its generic plan looked costlier to it than the custom one):
    0.5-0.7 ms a board read, against 0.2 ms with the generic plan, the same index plan
    (EXPLAIN checked on the board, tie and stats statements). Only statements keyed on a
    user, a channel or a workspace's board run here, so one plan fits every parameter."""
    # Each statement holds a connection for well under a millisecond, so a few serve a
    # burst; kept small because every process adds them to the server's connection count.
    engine = _generic_plans(url, pool_size=3, max_overflow=2)
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _generic_plans(url: str, pool_size: int, max_overflow: int) -> AsyncEngine:
    """A PostgreSQL pool whose sessions run every prepared statement on its generic plan."""
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"server_settings": {"plan_cache_mode": "force_generic_plan"}},
    )
    keep_healthy(engine.sync_engine)
    return engine


def create_engine(url: str) -> AsyncEngine:
    if not is_sqlite(url):
        engine = create_async_engine(url, pool_size=10, max_overflow=10)
        keep_healthy(engine.sync_engine)
        return engine
    _prepare_sqlite_path(url)
    memory = is_memory(url)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}
    if memory:
        # One shared connection, or every checkout would see a different empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_async_engine(url, **kwargs)
    _sqlite_session(engine.sync_engine, memory)
    return engine


def create_sync_sqlite_engine(url: str) -> sa.Engine:
    """The same file through the plain sqlite3 driver, for bodies run in one thread hop."""
    engine = sa.create_engine(
        make_url(url).set(drivername="sqlite"),
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        # The writer thread's connection, one per reader thread and one for the event loop's
        # own short reads and writes, so no checkout ever waits (checkpoints bring their own).
        pool_size=2 + READER_THREADS,
        max_overflow=0,
    )
    _sqlite_session(engine, memory=False)
    return engine
