"""Channels and their daily-question settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from bot.records import (
    ChannelRecord,
)
from bot.storage.database import Database
from bot.storage.rows import (
    channel_record,
)
from bot.storage.tables import (
    channels,
)


class SqlChannelStore:
    """Channels, created on first use, with the schedule admins set."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_channel(self, workspace: str, external_id: str) -> ChannelRecord | None:
        query = sa.select(channels).where(
            channels.c.workspace == workspace, channels.c.external_id == external_id
        )
        # Every command reads its channel: one hop (read_sync), not aiosqlite's several.
        row = await self.db.read_sync(lambda conn: conn.execute(query).first())
        return channel_record(row) if row else None

    async def get_channel_by_id(self, channel_id: int) -> ChannelRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(sa.select(channels).where(channels.c.id == channel_id))
            ).first()
        return channel_record(row) if row else None

    async def ensure_channel(
        self, platform: str, workspace: str, external_id: str, now: dt.datetime
    ) -> ChannelRecord:
        found = await self.get_channel(workspace, external_id)
        if found is not None:
            return found
        stmt = (
            self.db.insert(channels)
            .values(platform=platform, workspace=workspace, external_id=external_id, updated_at=now)
            .on_conflict_do_nothing()
        )
        async with self.db.write() as conn:
            await conn.execute(stmt)
        found = await self.get_channel(workspace, external_id)
        assert found is not None
        return found

    async def update_channel(
        self, channel_id: int, values: Mapping[str, Any], now: dt.datetime
    ) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                channels.update()
                .where(channels.c.id == channel_id)
                .values(**values, updated_at=now)
            )

    async def enabled_channels(self) -> list[ChannelRecord]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(channels).where(channels.c.enabled.is_(True)).order_by(channels.c.id)
                )
            ).all()
        return [channel_record(r) for r in rows]
