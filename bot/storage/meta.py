"""Deployment facts as keys and values (the `meta` table)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.storage.database import Database
from bot.storage.tables import meta


class SqlMetaStore:
    """One value per key; the last write wins."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_value(self, key: str) -> str | None:
        async with self.db.read() as conn:
            found = await conn.execute(sa.select(meta.c.value).where(meta.c.key == key))
            return found.scalar_one_or_none()

    async def set_value(self, key: str, value: str, now: dt.datetime) -> None:
        async with self.db.write() as conn:
            # Update, else insert; both in one write transaction, so one writer at a time.
            changed = await conn.execute(
                sa.update(meta).where(meta.c.key == key).values(value=value, updated_at=now)
            )
            if changed.rowcount == 0:
                await conn.execute(sa.insert(meta).values(key=key, value=value, updated_at=now))
