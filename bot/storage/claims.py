"""Claims on scheduled work (leases with a step): first caller wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from bot.records import ClaimRecord
from bot.storage.database import Database
from bot.storage.rows import claim_record, utc
from bot.storage.short_writes import ShortWrites
from bot.storage.tables import answers, channel_admins, claims, quiz_answers, rounds

# Columns a claim's holder may change while it works.
_UPDATABLE = frozenset({"status", "step", "attempts", "message_ref", "error", "lease_until"})


# Columns a new claim is inserted with.
_INSERTED = (
    "channel_id",
    "kind",
    "period",
    "status",
    "step",
    "owner",
    "claimed_at",
    "updated_at",
    "lease_until",
)


def _bound(name: str, prefix: str = "v_") -> sa.BindParameter[Any]:
    """A bound parameter typed as the claim column it fills or compares with (the
    timestamps' type converts to UTC on SQLite)."""
    return sa.bindparam(prefix + name, type_=claims.c[name].type)


def _key(
    channel_id: int | None = None, kind: str | None = None, period: str | None = None
) -> sa.ColumnElement[bool]:
    """The claim's key: with values, a literal condition; without, bound parameters
    (k_channel_id, k_kind, k_period) for a statement built once."""
    if channel_id is None or kind is None or period is None:
        return sa.and_(
            claims.c.channel_id == _bound("channel_id", "k_"),
            claims.c.kind == _bound("kind", "k_"),
            claims.c.period == _bound("period", "k_"),
        )
    return sa.and_(
        claims.c.channel_id == channel_id, claims.c.kind == kind, claims.c.period == period
    )


def _takeover(reopen: bool) -> sa.Update:
    """Take an existing claim over once its lease ran out; with `reopen`, a failed or
    skipped one too, restarting at v_step (a claimed one keeps its step)."""
    now = sa.bindparam("k_now", type_=claims.c.lease_until.type)
    expired = sa.and_(
        claims.c.status == "claimed",
        sa.or_(claims.c.lease_until.is_(None), claims.c.lease_until <= now),
    )
    values: dict[str, Any] = {
        "owner": _bound("owner"),
        "lease_until": _bound("lease_until"),
        "updated_at": _bound("updated_at"),
    }
    if reopen:
        expired = sa.or_(expired, claims.c.status.in_(("failed", "skipped")))
        values |= {
            "status": "claimed",
            "step": sa.case((claims.c.status == "claimed", claims.c.step), else_=_bound("step")),
        }
    return claims.update().where(_key(), expired).values(values).returning(*claims.c)


class SqlClaimStore:
    """Claims that make scheduled work happen once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Statements built once with bound parameters: building and keying them per call was
        # about a tenth of a fan-out's CPU per channel (see docs/scaling.md, session 6).
        self._insert = (
            db.insert(claims)
            .values({name: _bound(name) for name in _INSERTED})
            .on_conflict_do_nothing()
            .returning(*claims.c)
        )
        self._takeover = {reopen: _takeover(reopen) for reopen in (False, True)}
        self._updates: dict[frozenset[str], sa.Update] = {}
        self._short = ShortWrites.of(db)

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
        key = {"k_channel_id": channel_id, "k_kind": kind, "k_period": period}
        inserted = {
            "v_channel_id": channel_id,
            "v_kind": kind,
            "v_period": period,
            "v_status": status,
            "v_step": step,
            "v_owner": owner[:64],
            "v_claimed_at": now,
            "v_updated_at": now,
            "v_lease_until": until,
        }
        taken = {
            **key,
            "k_now": now,
            "v_owner": owner[:64],
            "v_lease_until": until,
            "v_updated_at": now,
            "v_step": step,
        }
        takeover = self._takeover[reopen]

        def take(conn: sa.Connection) -> sa.Row[Any] | None:
            row = conn.execute(self._insert, inserted).first()
            if row is None and status == "claimed":
                row = conn.execute(takeover, taken).first()
            return row

        # Two indexed statements: on SQLite they run on the event loop when the write lock is
        # free, or share a commit with other channels' short writes (ShortWrites).
        row = await self._short.write(take)
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
        names = frozenset(fields)
        stmt = self._updates.get(names)
        if stmt is None:
            stmt = self._updates[names] = (
                claims.update()
                .where(_key(), claims.c.owner == _bound("owner", "k_"))
                .values({name: _bound(name) for name in sorted(names | {"updated_at"})})
            )
        params = {
            "k_channel_id": channel_id,
            "k_kind": kind,
            "k_period": period,
            "k_owner": owner[:64],
            "v_updated_at": now,
            **{f"v_{name}": value for name, value in fields.items()},
        }
        done = await self._short.write(lambda conn: conn.execute(stmt, params).rowcount)
        return bool(done == 1)

    async def get_claim(self, channel_id: int, kind: str, period: str) -> ClaimRecord | None:
        query = sa.select(claims).where(_key(channel_id, kind, period))
        row = await self.db.read_sync(lambda conn: conn.execute(query).first(), short=True)
        return claim_record(row) if row else None

    async def release_skipped(self, channel_id: int, kind: str, period: str) -> bool:
        """Forget a claim skipped as too late before any step of it ran (such a skip records
        no reason), so the work can be claimed again: a post a schedule change made
        answerable. Nothing of it was published, so no message can be posted twice. A claim
        in progress, published, failed, or skipped for a reason once claimed (no question
        fits, its round closed) is left as it is."""
        stmt = claims.delete().where(
            _key(channel_id, kind, period), claims.c.status == "skipped", claims.c.error.is_(None)
        )
        gone = await self._short.write(lambda conn: conn.execute(stmt).rowcount)
        return bool(gone == 1)

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
