"""The database: one writer per process, thread-hop-free reads, and SQLite's checkpoints."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.ports import StorageFull
from bot.storage.engines import (
    READ_ONLY,
    READER_THREADS,
    create_lean_engine,
    create_short_write_engine,
    create_sync_sqlite_engine,
    is_memory,
)
from bot.storage.engines import create_engine as create_engine
from bot.storage.engines import is_sqlite as is_sqlite
from bot.storage.pg_pool import run_once_more_if_cut
from bot.storage.short_pace import paced
from bot.storage.sqlite_now import try_now
from bot.storage.wal_index import catch_up, wal_copied

log = logging.getLogger(__name__)

T = TypeVar("T")

# At most this often, a write that commits starts a checkpoint (WAL back into the file).
CHECKPOINT_EVERY_S = 1.0
# After this long without a write, a TRUNCATE checkpoint empties the WAL file. Measured on the
# event loop's clock, like the timer, so a simulated loop (SimCord) sees one consistent time;
# longer than a simulated settle, which would otherwise wait for the pending timer.
IDLE_CHECKPOINT_S = 30.0
# The checkpoint connection waits this long for a lock before trying again later.
CHECKPOINT_BUSY_MS = 2_000
# Copies of the WAL's last frames tried beside the writer before the step under the write
# lock (wal_index.catch_up).
CATCH_UP_TRIES = 4
SQLITE_FULL = 13
PG_DISK_FULL = "53100"
# Rows ANALYZE reads per index on SQLite: approximate statistics are all the planner needs.
ANALYSIS_LIMIT = 1000


def is_full(exc: BaseException) -> bool:
    """True for "no space left": SQLite's SQLITE_FULL (disk full or max_page_count reached),
    PostgreSQL's disk_full."""
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, sqlite3.Error):
        return getattr(orig, "sqlite_errorcode", None) == SQLITE_FULL or "is full" in str(orig)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code == PG_DISK_FULL


def _sqlite_file(url: str) -> str | None:
    return None if is_memory(url) else make_url(url).database


def flush_files(file: str) -> None:
    """Flush a SQLite database file, then its WAL, to disk, beside the writer. With
    synchronous=NORMAL no commit syncs the WAL, so a checkpoint's own syncs would flush
    everything written since the last one; done here first, the syncs SQLite makes under
    the write lock (it needs them before the WAL may start again) find little left to
    write. Only ever an early flush: SQLite still makes every sync it needs."""
    sync = getattr(os, "fdatasync", os.fsync)
    for path in (file, f"{file}-wal"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:  # no WAL (emptied by an idle checkpoint), a URI name: nothing to do
            continue
        try:
            sync(fd)
        except OSError as exc:  # a platform that cannot sync a read-only descriptor
            log.debug("early flush of %s skipped: %s", path, exc)
        finally:
            os.close(fd)


class Database:
    """The engine plus the process's single writer: writes queue here instead of in the driver."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sqlite = is_sqlite(url)
        # PostgreSQL: the pool of the hot one-statement reads (see create_lean_engine).
        self.lean: AsyncEngine | None = None if self.sqlite else create_lean_engine(url)
        # PostgreSQL: the pool of the short writes (see create_short_write_engine).
        self.short: AsyncEngine | None = None if self.sqlite else create_short_write_engine(url)
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
        self._checkpoint_conn: sqlite3.Connection | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._last_checkpoint = time.monotonic()
        self._last_write = 0.0  # event-loop time of the last commit
        self.checkpoints = 0  # completed checkpoints, for the operator's and the tests' eyes
        self.full = False  # the last write failed for lack of space
        self._companions: dict[type, object] = {}
        self._file = _sqlite_file(url) if self.sqlite else None
        if self._file is not None:
            self._sync_engine = create_sync_sqlite_engine(url)
            self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="studybot-writer")
            self._reader_threads = ThreadPoolExecutor(
                READER_THREADS, thread_name_prefix="studybot-reader"
            )

    def companion(self, kind: type[T], make: Callable[[], T]) -> T:
        """The database's one `kind` helper (its write group, its short writes), made on first
        use and gone with the database. Not a class-level weak map: the helper refers to its
        database, so such an entry never died, and each database built (every test's) stayed
        in memory with its engines and their statement caches."""
        found = self._companions.get(kind)
        if found is None:
            found = self._companions[kind] = make()
        return cast(T, found)

    def sync_engines(self) -> list[sa.Engine]:
        """The engines beside `engine` that writes run on (on a SQLite file, the one its
        synchronous bodies run on; on PostgreSQL, the short writes' pool), for instruments
        that count statements."""
        if self._sync_engine is not None:
            return [self._sync_engine]
        return [self.short.sync_engine] if self.short is not None else []

    def _writer(self) -> AbstractAsyncContextManager[Any]:
        return self._write_lock if self.sqlite else nullcontext()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        async with self._writer():
            try:
                async with self.engine.begin() as conn:
                    yield conn
            except sa.exc.DBAPIError as exc:
                self._raise_if_full(exc)
                raise
        self._written()

    async def write_sync(self, body: Callable[[sa.Connection], T], *, short: bool = False) -> T:
        """Run a synchronous body as one write transaction of this process's writer: on
        SQLite in the writer thread, elsewhere through the async driver (`run_sync`). The
        body must touch only the database; the SQL is the same on both.

        `short`: a body of a few indexed statements (a batch of clicks). On SQLite it runs
        on the event loop itself when the file's write lock is free at that instant: the
        hop to the writer thread and back costs more than such a body (about 0.25 ms each
        way on a small VM), and an answer pays three of them."""
        async with paced(self, short, self._writer()):
            try:
                if self._sync_engine is not None and self._writer_thread is not None:
                    engine = self._sync_engine
                    if short:
                        ran, inline = try_now(engine, body)
                        if ran:
                            self._written()
                            return cast(T, inline)

                    def transact() -> T:
                        with engine.begin() as conn:
                            return body(conn)

                    loop = asyncio.get_running_loop()
                    result = await loop.run_in_executor(self._writer_thread, transact)
                else:
                    pool = self.short if short and self.short is not None else self.engine
                    result = await run_once_more_if_cut(pool.begin, body)
            except sa.exc.DBAPIError as exc:
                self._raise_if_full(exc)
                raise
        self._written()
        return result

    async def read_sync(
        self, body: Callable[[sa.Connection], T], *, short: bool = False, single: bool = False
    ) -> T:
        """Run a synchronous body as one read (a deferred transaction): on SQLite in one hop
        to a reader thread, where aiosqlite hops several times per statement; elsewhere
        through the async driver. For the hot reads (boards, stats).

        `short`: index reads of a few rows (a command's actor, a board, a player's stats).
        On SQLite it runs on the event loop itself, as a reader in WAL mode never waits for
        a writer, and the hop to a thread and back costs more than it.

        `single`: the body runs one statement. On PostgreSQL it then runs without a
        transaction around it (autocommit): one round trip instead of three (BEGIN, the
        statement, ROLLBACK), and a statement sees one snapshot anyway."""
        engine = self._sync_engine
        if engine is not None and short:
            with engine.connect() as conn:
                conn.execution_options(**{READ_ONLY: True})
                return body(conn)
        if single and not self.sqlite:
            return await run_once_more_if_cut(self._autocommit, body)
        if engine is not None and self._reader_threads is not None:

            def run() -> T:
                with engine.connect() as conn:
                    conn.execution_options(**{READ_ONLY: True})
                    return body(conn)

            return await asyncio.get_running_loop().run_in_executor(self._reader_threads, run)
        return await run_once_more_if_cut(self.read, body)

    @asynccontextmanager
    async def _autocommit(self) -> AsyncIterator[AsyncConnection]:
        async with (self.lean or self.engine).connect() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            yield conn

    async def optimize(self, *, at_start: bool = False) -> None:
        """Refresh the planner's statistics (see `analyze`, below the class)."""
        await analyze(self, at_start=at_start)

    def insert(self, table: sa.Table) -> Any:
        """A dialect insert, so callers can use ON CONFLICT on both databases."""
        if self.sqlite:
            return sqlite.insert(table)
        return postgresql.insert(table)

    # -- out of space ----------------------------------------------------------------------

    def _raise_if_full(self, exc: sa.exc.DBAPIError) -> None:
        """A write refused for lack of space becomes StorageFull: the caller tells the user
        to retry, and the operator reads one line when it starts and one when it ends."""
        if not is_full(exc):
            return
        if not self.full:
            self.full = True
            log.error(
                "database full (%s): writes fail and users are asked to retry until space "
                "is freed; the bot carries on by itself then",
                getattr(exc, "orig", exc),
            )
        raise StorageFull(str(getattr(exc, "orig", exc))) from exc

    def _written(self) -> None:
        if self.full:
            self.full = False
            log.warning("database writable again")
        self._last_write = asyncio.get_running_loop().time()
        self._maybe_checkpoint()
        self._arm_idle_checkpoint()

    # -- checkpoints (SQLite files only) -------------------------------------------------------

    def _checkpoint_now(self, mode: str) -> tuple[int, int, int]:
        """One checkpoint on a connection of its own that is never inside a transaction
        (a checkpoint inside one fails with "database table is locked")."""
        assert self._file is not None
        if self._checkpoint_conn is None:
            self._checkpoint_conn = sqlite3.connect(
                self._file,
                isolation_level=None,
                check_same_thread=False,
                uri=self._file.startswith("file:"),
            )
            self._checkpoint_conn.execute(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_MS}")
        # fetchall, not fetchone: a statement left unfinished keeps a read lock, and a reader
        # in the WAL stops the writer from restarting it.
        rows = self._checkpoint_conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
        return (int(rows[0][0]), int(rows[0][1]), int(rows[0][2])) if rows else (0, 0, 0)

    def _maybe_checkpoint(self) -> None:
        """After a commit, at most once a second: copy the WAL into the file in a thread.
        PASSIVE never waits for readers or writers; the bulk is copied beside the writer and
        only the tail between two transactions. A one-shot task (not a timer loop) leaves
        nothing running when the process is idle."""
        now = time.monotonic()
        if self._file is None or self._checkpoint is not None:
            return
        if now - self._last_checkpoint < CHECKPOINT_EVERY_S:
            return
        self._last_checkpoint = now
        self._start_checkpoint("PASSIVE")

    def _start_checkpoint(self, mode: str) -> None:
        file = self._file
        assert file is not None

        async def run() -> None:
            try:
                if mode == "PASSIVE":
                    await asyncio.to_thread(self._checkpoint_now, mode)
                    # The pages just copied and the frames appended meanwhile are flushed
                    # beside the writer too (measured in docs/scaling.md, session 8): the
                    # step under the lock then syncs only the last few milliseconds' writes.
                    await asyncio.to_thread(flush_files, file)
                    # Only a WAL copied to its end restarts: what came meanwhile is copied
                    # beside the writer again, then under the lock what came since, if any
                    # (else the lock covers an index read: docs/scaling.md, session 9).
                    await asyncio.to_thread(catch_up, self._checkpoint_now, CATCH_UP_TRIES)
                    async with self._write_lock:
                        if wal_copied(file):
                            result = (0, 0, 0)  # the next write starts the WAL again
                        else:
                            result = await asyncio.to_thread(self._checkpoint_now, mode)
                else:
                    # Our own writer queues here rather than in SQLite's busy handler.
                    async with self._write_lock:
                        result = await asyncio.to_thread(self._checkpoint_now, mode)
                self.checkpoints += 1
                log.debug("WAL checkpoint %s: busy %d, frames %d, copied %d", mode, *result)
            except sqlite3.Error as exc:  # busy, locked or full: a later write tries again
                log.debug("WAL checkpoint %s deferred: %s", mode, exc)
            finally:
                self._checkpoint = None

        self._checkpoint = asyncio.get_running_loop().create_task(run())

    def _arm_idle_checkpoint(self) -> None:
        """Once writes stop, empty the WAL file (TRUNCATE): an idle bot leaves no WAL."""
        if self._file is None or self._idle_timer is not None:
            return
        self._idle_timer = asyncio.get_running_loop().call_later(
            IDLE_CHECKPOINT_S, self._idle_check
        )

    def _idle_check(self) -> None:
        self._idle_timer = None
        quiet = asyncio.get_running_loop().time() - self._last_write
        if quiet < IDLE_CHECKPOINT_S:  # written since: look again when it has been quiet
            self._idle_timer = asyncio.get_running_loop().call_later(
                IDLE_CHECKPOINT_S - quiet, self._idle_check
            )
        elif self._checkpoint is None:
            self._start_checkpoint("TRUNCATE")
        else:
            self._arm_idle_checkpoint()

    async def checkpoint(self, mode: str = "TRUNCATE") -> None:
        """Checkpoint now and wait for it (shutdown, tests)."""
        if self._file is None:
            return
        if self._checkpoint is not None:
            await asyncio.shield(self._checkpoint)
        self._start_checkpoint(mode)
        if self._checkpoint is not None:
            await asyncio.shield(self._checkpoint)

    async def dispose(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        # A clean stop leaves the WAL folded into the file and emptied.
        await self.checkpoint()
        if self._checkpoint_conn is not None:
            self._checkpoint_conn.close()
            self._checkpoint_conn = None
        await self.engine.dispose()
        if self.lean is not None:
            await self.lean.dispose()
        if self.short is not None:
            await self.short.dispose()
        if self._sync_engine is not None and self._writer_thread is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._writer_thread, self._sync_engine.dispose)
            self._writer_thread.shutdown(wait=True)
        if self._reader_threads is not None:
            self._reader_threads.shutdown(wait=True)


async def analyze(db: Database, *, at_start: bool = False) -> None:
    """Refresh the planner's statistics (without them SQLite scans rounds for due closes).
    SQLite: ANALYZE reading at most ANALYSIS_LIMIT rows per index, so milliseconds even
    on millions of rows. PostgreSQL: ANALYZE; at start only the tables never analysed
    (autovacuum keeps them current after that), so a start stays quick, and of those
    only the ones holding rows: an empty table analysed is recorded as empty, and the
    plans a long-lived connection caches while it is small (every foreign-key check of
    an answer against `users`, the click statement's look-ups) then scan it in full as
    it grows, until autovacuum analyses it again (docs/scaling.md, session 8). Never
    analysed, the planner assumes it is at least ten pages, and probes its indexes."""
    if db.sqlite:
        async with db._writer(), db.engine.begin() as conn:
            await conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            await conn.exec_driver_sql("ANALYZE")
        return
    async with db.engine.begin() as conn:
        if not at_start:
            await conn.exec_driver_sql("ANALYZE")
            return
        never = (
            await conn.exec_driver_sql(
                "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema()"
                " AND last_analyze IS NULL AND last_autoanalyze IS NULL"
                " AND pg_relation_size(relid) > 0 ORDER BY relname"
            )
        ).scalars()
        for table in list(never):
            await conn.exec_driver_sql(f'ANALYZE "{table}"')
