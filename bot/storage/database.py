"""Async engine set-up for SQLite (WAL, busy timeout, foreign keys) and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "studybot_read_only"
# At most this often, a write that commits starts a checkpoint (WAL back into the file).
CHECKPOINT_EVERY_S = 1.0
# A PostgreSQL connection idle this long may have been dropped (a server restart, a proxy's idle
# timeout) and is pinged before use; a busy one is not (asyncpg's ping is three round trips).
PING_AFTER_IDLE_S = 5.0
# Threads that run synchronous read bodies on SQLite (see Database.read_sync).
READER_THREADS = 2
# Rows ANALYZE reads per index on SQLite: approximate statistics are all the planner needs.
ANALYSIS_LIMIT = 1000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _is_memory(url: str) -> bool:
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
            # the writer instead, off every commit's path.
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the lock up front (IMMEDIATE): two processes never deadlock upgrading
        # a read lock, they queue on busy_timeout instead. Readers stay deferred.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _ping_when_idle(engine: sa.Engine) -> None:
    """pool_pre_ping, for idle connections only: a failed ping makes the pool replace the
    connection (DisconnectionError) instead of handing a dead one to the caller."""

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise sa.exc.DisconnectionError(f"idle connection failed its ping: {exc}") from exc


def create_engine(url: str) -> AsyncEngine:
    if not is_sqlite(url):
        engine = create_async_engine(url, pool_size=10, max_overflow=10)
        _ping_when_idle(engine.sync_engine)
        return engine
    _prepare_sqlite_path(url)
    memory = _is_memory(url)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}
    if memory:
        # One shared connection, or every checkout would see a different empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_async_engine(url, **kwargs)
    _sqlite_session(engine.sync_engine, memory)
    return engine


def _create_sync_sqlite_engine(url: str) -> sa.Engine:
    """The same file through the plain sqlite3 driver, for bodies run in one thread hop."""
    engine = sa.create_engine(
        make_url(url).set(drivername="sqlite"),
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        # The writer thread's connection, the checkpoint's and one per reader thread.
        pool_size=2 + READER_THREADS,
        max_overflow=0,
    )
    _sqlite_session(engine, memory=False)
    return engine


class Database:
    """The engine plus the process's single writer: writes queue here instead of in the driver."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sqlite = is_sqlite(url)
        # SQLite has one writer per file: a process queues its writes here rather than on
        # busy_timeout. PostgreSQL takes row locks itself (writes take them in key order), so
        # its writers run side by side.
        self._write_lock = asyncio.Lock()
        # aiosqlite hops to its thread several times per statement; a synchronous body run
        # in one dedicated thread hops once (a memory database exists only in `engine`).
        self._sync_engine: sa.Engine | None = None
        self._writer_thread: ThreadPoolExecutor | None = None
        self._reader_threads: ThreadPoolExecutor | None = None
        self._checkpoint: asyncio.Task[None] | None = None
        self._last_checkpoint = time.monotonic()
        if self.sqlite and not _is_memory(url):
            self._sync_engine = _create_sync_sqlite_engine(url)
            self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="studybot-writer")
            self._reader_threads = ThreadPoolExecutor(
                READER_THREADS, thread_name_prefix="studybot-reader"
            )

    def _writer(self) -> AbstractAsyncContextManager[Any]:
        return self._write_lock if self.sqlite else nullcontext()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        async with self._writer(), self.engine.begin() as conn:
            yield conn
        self._maybe_checkpoint()

    async def write_sync(self, body: Callable[[sa.Connection], T]) -> T:
        """Run a synchronous body as one write transaction of this process's writer: on
        SQLite in the writer thread, elsewhere through the async driver (`run_sync`). The
        body must touch only the database; the SQL is the same on both."""
        async with self._writer():
            if self._sync_engine is not None and self._writer_thread is not None:
                engine = self._sync_engine

                def transact() -> T:
                    with engine.begin() as conn:
                        return body(conn)

                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(self._writer_thread, transact)
            else:
                async with self.engine.begin() as conn:
                    result = await conn.run_sync(body)
        self._maybe_checkpoint()
        return result

    async def read_sync(self, body: Callable[[sa.Connection], T]) -> T:
        """Run a synchronous body as one read (a deferred transaction): on SQLite in one hop
        to a reader thread, where aiosqlite hops several times per statement; elsewhere
        through the async driver. For the hot reads (boards, stats)."""
        engine = self._sync_engine
        if engine is not None and self._reader_threads is not None:

            def run() -> T:
                with engine.connect() as conn:
                    conn.execution_options(**{READ_ONLY: True})
                    return body(conn)

            return await asyncio.get_running_loop().run_in_executor(self._reader_threads, run)
        async with self.read() as conn:
            return await conn.run_sync(body)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            yield conn

    async def optimize(self, *, at_start: bool = False) -> None:
        """Refresh the planner's statistics (without them SQLite scans rounds for due closes).
        SQLite: ANALYZE reading at most ANALYSIS_LIMIT rows per index, so milliseconds even
        on millions of rows. PostgreSQL: ANALYZE; at start only the tables never analysed
        (autovacuum keeps them current after that), so a start stays quick."""
        if self.sqlite:
            async with self._writer(), self.engine.begin() as conn:
                await conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
                await conn.exec_driver_sql("ANALYZE")
            return
        async with self.engine.begin() as conn:
            if not at_start:
                await conn.exec_driver_sql("ANALYZE")
                return
            never = (
                await conn.exec_driver_sql(
                    "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema()"
                    " AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname"
                )
            ).scalars()
            for table in list(never):
                await conn.exec_driver_sql(f'ANALYZE "{table}"')

    def insert(self, table: sa.Table) -> Any:
        """A dialect insert, so callers can use ON CONFLICT on both databases."""
        if self.sqlite:
            return sqlite.insert(table)
        return postgresql.insert(table)

    def _maybe_checkpoint(self) -> None:
        """After a commit, at most once a second: copy the WAL into the file in a thread.
        PASSIVE never waits for readers or writers and never blocks them; a one-shot task
        (not a timer loop) leaves nothing running when the process is idle."""
        engine = self._sync_engine
        now = time.monotonic()
        if engine is None or self._checkpoint is not None:
            return
        if now - self._last_checkpoint < CHECKPOINT_EVERY_S:
            return
        self._last_checkpoint = now

        def checkpoint() -> None:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

        async def run() -> None:
            try:
                await asyncio.to_thread(checkpoint)
            except sa.exc.DBAPIError as exc:  # busy or locked: a later write tries again
                log.debug("WAL checkpoint deferred: %s", exc)
            finally:
                self._checkpoint = None

        self._checkpoint = asyncio.get_running_loop().create_task(run())

    async def dispose(self) -> None:
        if self._checkpoint is not None:
            await self._checkpoint
        await self.engine.dispose()
        if self._sync_engine is not None and self._writer_thread is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._writer_thread, self._sync_engine.dispose)
            self._writer_thread.shutdown(wait=True)
        if self._reader_threads is not None:
            self._reader_threads.shutdown(wait=True)
