"""Membership locks and member counts shared by team changes and forgetting a user."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.tables import (
    memberships,
    teams,
)


async def lock_teams(conn: AsyncConnection, team_ids: Iterable[int]) -> list[int]:
    """Membership changes of a team queue behind each other on PostgreSQL (SQLite's
    writer lock already does), so each member recount sees every committed change."""
    ids = sorted(set(team_ids))
    if ids:
        await conn.execute(
            sa.select(teams.c.id).where(teams.c.id.in_(ids)).order_by(teams.c.id).with_for_update()
        )
    return ids


async def recount_members(conn: AsyncConnection, team_ids: list[int]) -> None:
    if team_ids:
        count = (
            sa.select(sa.func.count()).where(memberships.c.team_id == teams.c.id).scalar_subquery()
        )
        await conn.execute(teams.update().where(teams.c.id.in_(team_ids)).values(members=count))


async def membership_for_update(conn: AsyncConnection, user_id: int) -> int | None:
    return (
        await conn.execute(
            sa.select(memberships.c.team_id)
            .where(memberships.c.user_id == user_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
