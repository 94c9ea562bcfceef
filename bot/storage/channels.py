"""Channels and their daily-question settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from bot.records import (
    ChannelRecord,
)
from bot.schedule import days_to_mask
from bot.storage.database import Database
from bot.storage.rows import (
    channel_record,
)
from bot.storage.tables import (
    channels,
)

# Channels whose next due instant one write transaction moves: short enough a lock that
# answers written meanwhile barely wait.
ADVANCE_CHUNK = 500
# Keys per IN list of channels_by_ids: well under SQLite's limit of bound parameters.
IDS_CHUNK = 500


class SqlChannelStore:
    """Channels, created on first use, with the schedule admins set."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_channel(self, workspace: str, external_id: str) -> ChannelRecord | None:
        query = sa.select(channels).where(
            channels.c.workspace == workspace, channels.c.external_id == external_id
        )
        # Every command reads its channel: a key look-up, run where it is cheapest (read_sync).
        row = await self.db.read_sync(lambda conn: conn.execute(query).first(), short=True)
        return channel_record(row) if row else None

    async def get_channel_by_id(self, channel_id: int) -> ChannelRecord | None:
        query = sa.select(channels).where(channels.c.id == channel_id)
        # A look-up by key (a reveal makes one per channel): on the event loop (read_sync).
        row = await self.db.read_sync(lambda conn: conn.execute(query).first(), short=True)
        return channel_record(row) if row else None

    async def channels_by_ids(self, ids: Collection[int]) -> dict[int, ChannelRecord]:
        """The channels with these ids (those that exist), in reads of IDS_CHUNK keys."""
        wanted = sorted(set(ids))

        def read(conn: sa.Connection) -> dict[int, ChannelRecord]:
            found: dict[int, ChannelRecord] = {}
            for start in range(0, len(wanted), IDS_CHUNK):
                chunk = wanted[start : start + IDS_CHUNK]
                for row in conn.execute(sa.select(channels).where(channels.c.id.in_(chunk))):
                    found[row.id] = channel_record(row)
            return found

        return await self.db.read_sync(read) if wanted else {}

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

    async def due_channels(
        self, now: dt.datetime, platforms: Sequence[str] | None = None
    ) -> list[ChannelRecord]:
        """Enabled channels whose next post or tally instant is at or before `now` (an index
        range on next_due_at: as many rows as are due, whatever the number of channels)."""
        query = sa.select(channels).where(
            channels.c.next_due_at <= now, channels.c.enabled.is_(True)
        )
        if platforms is not None:
            query = query.where(channels.c.platform.in_(list(platforms)))
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        # Sorted here, not in SQL: an ORDER BY id leads SQLite to walk the whole table in id
        # order instead of the next_due_at range.
        return sorted((channel_record(r) for r in rows), key=lambda c: c.id)

    async def advance_due(self, moves: Sequence[tuple[ChannelRecord, dt.datetime | None]]) -> None:
        """Set each channel's next due instant, only where neither its schedule nor its next
        due instant changed since the record was read (a config change meanwhile wins, so its
        new schedule is looked at on the next tick). Batched: one statement per chunk."""
        b = sa.bindparam
        stmt = (
            channels.update()
            .where(
                channels.c.id == b("b_id"),
                channels.c.enabled == b("b_enabled"),
                channels.c.timezone == b("b_timezone"),
                channels.c.post_time == b("b_post_time"),
                channels.c.close_time == b("b_close_time"),
                channels.c.days == b("b_days"),
                channels.c.weekly_day == b("b_weekly_day"),
                channels.c.weekly_time == b("b_weekly_time"),
                channels.c.paused == b("b_paused"),
                channels.c.next_due_at == b("b_seen", type_=channels.c.next_due_at.type),
            )
            .values(next_due_at=b("b_at", type_=channels.c.next_due_at.type))
        )
        params = [
            {
                "b_id": seen.id,
                "b_enabled": seen.enabled,
                "b_timezone": seen.schedule.timezone,
                "b_post_time": f"{seen.schedule.post_time:%H:%M}",
                "b_close_time": f"{seen.schedule.close_time:%H:%M}",
                "b_days": days_to_mask(seen.schedule.days),
                "b_weekly_day": seen.schedule.weekly_day,
                "b_weekly_time": f"{seen.schedule.weekly_time:%H:%M}",
                "b_paused": seen.schedule.paused,
                "b_seen": seen.next_due_at,
                "b_at": at,
            }
            # A channel with no stored instant was never due: nothing to move.
            for seen, at in moves
            if seen.next_due_at is not None
        ]
        for start in range(0, len(params), ADVANCE_CHUNK):
            async with self.db.write() as conn:
                await conn.execute(stmt, params[start : start + ADVANCE_CHUNK])
