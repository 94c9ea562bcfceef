"""PostgreSQL pool health: connections the server closed are replaced before anyone uses them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger(__name__)

T = TypeVar("T")

# A PostgreSQL connection idle this long may have been dropped (a server restart, a proxy's idle
# timeout) and is pinged before use; a busy one is not (asyncpg's ping is three round trips).
PING_AFTER_IDLE_S = 5.0


def _closed(dbapi_connection: Any) -> bool:
    """Whether the driver already knows the server closed the connection: a restart (or an
    admin's pg_terminate_backend) sends the client a goodbye and closes the socket, which
    asyncpg notices as it happens. A local flag: no round trip."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    return bool(callable(is_closed) and is_closed())


def keep_healthy(engine: sa.Engine) -> None:
    """At checkout, a connection the server closed, or one idle long enough to have been
    dropped silently and failing its ping, is replaced (DisconnectionError makes the pool
    open a new one) instead of being handed to the caller to fail its first statement."""

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if _closed(dbapi_connection):
            raise sa.exc.DisconnectionError("the server closed this pooled connection")
        if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise sa.exc.DisconnectionError(f"idle connection failed its ping: {exc}") from exc


async def run_once_more_if_cut(
    begin: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
    body: Callable[[sa.Connection], T],
) -> T:
    """Run `body` in a transaction from `begin`, and once more if the connection turned out
    dead before the body finished (SQLAlchemy then invalidates the pool, so the second try
    gets a new connection): the recipe of SQLAlchemy's "Dealing with Disconnects", retrying
    from the transaction's start. A failure after the body, at the commit, is left alone: the
    commit may have happened."""
    for attempt in (1, 2):
        ran = False
        try:
            async with begin() as conn:
                result = await conn.run_sync(body)
                ran = True
            return result
        except sa.exc.DBAPIError as exc:
            if ran or attempt == 2 or not exc.connection_invalidated:
                raise
            log.info("a database connection was cut (%s); running the transaction again", exc)
    raise AssertionError("unreachable")


@contextmanager
def autocommit(conn: sa.Connection) -> Iterator[sa.Connection]:
    """Statements run here commit each by itself (the server's implicit transaction): one
    round trip for a data-modifying statement instead of three (BEGIN, it, COMMIT). Only at
    the start of `conn`'s transaction, before its first statement: asyncpg sends BEGIN
    lazily, with the first statement, so after this block the transaction begins as usual
    and, if nothing else runs, commits without a round trip."""
    raw = conn.connection.dbapi_connection
    if raw is None or getattr(raw, "_transaction", None) is not None:
        raise RuntimeError("autocommit only before the transaction's first statement")
    raw.autocommit = True
    try:
        yield conn
    finally:
        raw.autocommit = False
