"""Membership locks and member counts shared by team changes and forgetting a user."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from bot.storage.tables import (
    memberships,
    teams,
)

# Built once: a join is a few indexed statements, and building them was much of its CPU.
_MEMBER_COUNT = (
    sa.select(sa.func.count()).where(memberships.c.team_id == teams.c.id).scalar_subquery()
)
_MEMBERSHIP = (
    sa.select(memberships.c.team_id)
    .where(memberships.c.user_id == sa.bindparam("user_id"))
    .with_for_update()
)


def lock_teams(conn: sa.Connection, team_ids: Iterable[int]) -> list[int]:
    """Membership changes of a team queue behind each other on PostgreSQL (SQLite's
    writer lock already does), so each member recount sees every committed change."""
    ids = sorted(set(team_ids))
    if ids:
        conn.execute(
            sa.select(teams.c.id).where(teams.c.id.in_(ids)).order_by(teams.c.id).with_for_update()
        )
    return ids


def recount_members(conn: sa.Connection, team_ids: list[int]) -> None:
    if team_ids:
        conn.execute(teams.update().where(teams.c.id.in_(team_ids)).values(members=_MEMBER_COUNT))


def membership_for_update(conn: sa.Connection, user_id: int) -> int | None:
    team_id: int | None = conn.execute(_MEMBERSHIP, {"user_id": user_id}).scalar_one_or_none()
    return team_id
