"""Claims on scheduled work (leases with a step): first caller wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from bot.records import ClaimRecord
from bot.storage.database import Database
from bot.storage.rows import claim_record, utc
from bot.storage.tables import answers, channel_admins, claims, quiz_answers, rounds

# Columns a claim's holder may change while it works.
_UPDATABLE = frozenset({"status", "step", "attempts", "message_ref", "error", "lease_until"})


def _key(channel_id: int, kind: str, period: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        claims.c.channel_id == channel_id, claims.c.kind == kind, claims.c.period == period
    )


class SqlClaimStore:
    """Claims that make scheduled work happen once."""

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
        *,
        step: str = "done",
        lease: dt.timedelta | None = None,
        reopen: bool = False,
    ) -> ClaimRecord | None:
        """The claim, for the one caller (in any process) that holds it now; else None.

        A new key is inserted. An existing `claimed` one is taken over once its lease has
        expired (its holder died or let go), keeping its step; with `reopen`, a `failed` or
        `skipped` one is taken too and restarts at `step`."""
        until = now + lease if lease is not None else None
        inserted = (
            self.db.insert(claims)
            .values(
                channel_id=channel_id,
                kind=kind,
                period=period,
                status=status,
                step=step,
                owner=owner[:64],
                claimed_at=now,
                updated_at=now,
                lease_until=until,
            )
            .on_conflict_do_nothing()
            .returning(*claims.c)
        )
        expired = sa.and_(
            claims.c.status == "claimed",
            sa.or_(claims.c.lease_until.is_(None), claims.c.lease_until <= now),
        )
        values: dict[str, Any] = {"owner": owner[:64], "lease_until": until, "updated_at": now}
        if reopen:
            expired = sa.or_(expired, claims.c.status.in_(("failed", "skipped")))
            values |= {
                "status": "claimed",
                "step": sa.case((claims.c.status == "claimed", claims.c.step), else_=step),
            }
        takeover = (
            claims.update()
            .where(_key(channel_id, kind, period), expired)
            .values(**values)
            .returning(*claims.c)
        )
        async with self.db.write() as conn:
            row = (await conn.execute(inserted)).first()
            if row is None and status == "claimed":
                row = (await conn.execute(takeover)).first()
        return claim_record(row) if row is not None else None

    async def update_claim(
        self,
        channel_id: int,
        kind: str,
        period: str,
        owner: str,
        now: dt.datetime,
        values: Mapping[str, Any],
    ) -> bool:
        """Record progress on a claim this owner holds; False if another owner took it over."""
        unknown = set(values) - _UPDATABLE
        if unknown:
            raise ValueError(f"not a claim column: {sorted(unknown)}")
        fields = dict(values)
        if isinstance(fields.get("error"), str):
            fields["error"] = fields["error"][:300]
        async with self.db.write() as conn:
            done = await conn.execute(
                claims.update()
                .where(_key(channel_id, kind, period), claims.c.owner == owner[:64])
                .values(**fields, updated_at=now)
            )
        return bool(done.rowcount == 1)

    async def get_claim(self, channel_id: int, kind: str, period: str) -> ClaimRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(sa.select(claims).where(_key(channel_id, kind, period)))
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

    async def resumable(self, now: dt.datetime) -> list[ClaimRecord]:
        """Work left unfinished whose lease has expired: a crashed or interrupted holder."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(claims)
                    .where(
                        claims.c.status == "claimed",
                        sa.or_(claims.c.lease_until.is_(None), claims.c.lease_until <= now),
                    )
                    .order_by(claims.c.claimed_at, claims.c.id)
                )
            ).all()
        return [claim_record(r) for r in rows]

    async def troubled(
        self, since: dt.datetime, channel_id: int | None = None
    ) -> list[ClaimRecord]:
        """Work touched since `since` that failed for good or is being retried after errors."""
        query = sa.select(claims).where(
            claims.c.updated_at >= since,
            sa.or_(
                claims.c.status == "failed",
                sa.and_(claims.c.status == "claimed", claims.c.error.is_not(None)),
            ),
        )
        if channel_id is not None:
            query = query.where(claims.c.channel_id == channel_id)
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    query.order_by(claims.c.channel_id, claims.c.period, claims.c.kind)
                )
            ).all()
        return [claim_record(r) for r in rows]

    async def set_channel_admin(self, channel_id: int, user_ref: str, now: dt.datetime) -> None:
        """Remember who enabled the channel: the one to tell when the platform refuses posts."""
        stmt = self.db.insert(channel_admins).values(
            channel_id=channel_id, user_ref=user_ref[:200], updated_at=now
        )
        async with self.db.write() as conn:
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[channel_admins.c.channel_id],
                    set_={"user_ref": stmt.excluded.user_ref, "updated_at": now},
                )
            )

    async def take_alert(self, channel_id: int, now: dt.datetime) -> str | None:
        """The admin to tell about a refusal in the channel, once per UTC day; else None."""
        day = now.astimezone(dt.UTC).date().isoformat()
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    channel_admins.update()
                    .where(
                        channel_admins.c.channel_id == channel_id,
                        sa.or_(
                            channel_admins.c.alerted_on.is_(None),
                            channel_admins.c.alerted_on != day,
                        ),
                    )
                    .values(alerted_on=day, updated_at=now)
                    .returning(channel_admins.c.user_ref)
                )
            ).first()
        return str(row.user_ref) if row is not None else None

    async def latest_instant(self) -> dt.datetime | None:
        """The latest instant stored work or an answer carries (None for a new database):
        a simulated clock resumes from it instead of going back to the real time."""
        latest = sa.select(sa.func.max(claims.c.updated_at).label("t")).union_all(
            sa.select(sa.func.max(rounds.c.opened_at)),
            sa.select(sa.func.max(rounds.c.closed_at)),
            sa.select(sa.func.max(answers.c.answered_at)),
            sa.select(sa.func.max(quiz_answers.c.answered_at)),
        )
        async with self.db.read() as conn:
            found = [utc(v) for v in (await conn.execute(latest)).scalars() if v is not None]
        return max(found) if found else None
