"""A SQLite write run right away on the caller's thread, if the file's write lock is free now."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

T = TypeVar("T")

SQLITE_BUSY = 5
SQLITE_LOCKED = 6
# Execution option: BEGIN IMMEDIATE only if the write lock is free now (see
# Database.write_sync); the engine's begin hook (bot/storage/database.py) honours it.
NO_WAIT = "studybot_no_wait"


def try_now(engine: sa.Engine, body: Callable[[sa.Connection], T]) -> tuple[bool, T | None]:
    """Run `body` as a write transaction right here if the write lock is free; (False, None)
    when another process holds it (nothing ran)."""
    with engine.connect() as conn:
        conn.execution_options(**{NO_WAIT: True})
        try:
            transaction = conn.begin()
        except sa.exc.OperationalError as exc:
            if is_busy(exc):
                return False, None
            raise
        with transaction:
            return True, body(conn)


def is_busy(exc: sa.exc.OperationalError) -> bool:
    orig = exc.orig
    return isinstance(orig, sqlite3.Error) and (
        getattr(orig, "sqlite_errorcode", None) in (SQLITE_BUSY, SQLITE_LOCKED)
        or "locked" in str(orig)
    )
