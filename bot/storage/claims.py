"""Claims on scheduled work and on platform deliveries: first caller wins."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.records import (
    ClaimRecord,
)
from bot.storage.database import Database
from bot.storage.rows import (
    claim_record,
)
from bot.storage.tables import (
    claims,
    deliveries,
)


class SqlClaimStore:
    """Claims that make scheduled work and platform deliveries happen once."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self,
        channel_id: int,
        kind: str,
        period: str,
        now: dt.datetime,
        owner: str,
        status: str = "claimed",
    ) -> bool:
        """True for the one caller (in any process) that takes this piece of work first."""
        stmt = (
            self.db.insert(claims)
            .values(
                channel_id=channel_id,
                kind=kind,
                period=period,
                status=status,
                owner=owner[:64],
                claimed_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(claims.c.id)
        )
        async with self.db.write() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none() is not None

    async def finish_claim(
        self,
        channel_id: int,
        kind: str,
        period: str,
        status: str,
        attempts: int,
        now: dt.datetime,
        message_ref: str | None = None,
        error: str | None = None,
    ) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                claims.update()
                .where(
                    claims.c.channel_id == channel_id,
                    claims.c.kind == kind,
                    claims.c.period == period,
                )
                .values(
                    status=status,
                    attempts=attempts,
                    message_ref=message_ref,
                    error=error[:300] if error else None,
                    updated_at=now,
                )
            )

    async def get_claim(self, channel_id: int, kind: str, period: str) -> ClaimRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(claims).where(
                        claims.c.channel_id == channel_id,
                        claims.c.kind == kind,
                        claims.c.period == period,
                    )
                )
            ).first()
        return claim_record(row) if row else None

    async def list_claims(self) -> list[ClaimRecord]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(claims).order_by(claims.c.channel_id, claims.c.kind, claims.c.period)
                )
            ).all()
        return [claim_record(r) for r in rows]

    async def claim_delivery(self, platform: str, delivery_id: str, now: dt.datetime) -> bool:
        """True the first time a platform delivery id is seen, False for every retry."""
        stmt = (
            self.db.insert(deliveries)
            .values(platform=platform, delivery_id=delivery_id, received_at=now)
            .on_conflict_do_nothing()
            .returning(deliveries.c.delivery_id)
        )
        async with self.db.write() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none() is not None
