"""Teams and memberships: one team per user per workspace."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.records import (
    TeamRecord,
)
from bot.storage.database import Database
from bot.storage.membership import lock_teams, membership_for_update, recount_members
from bot.storage.rows import (
    name_key,
)
from bot.storage.tables import (
    memberships,
    teams,
    users,
)

_TEAM_OF = (
    sa.select(teams.c.id, teams.c.name)
    .join(memberships, memberships.c.team_id == teams.c.id)
    .where(memberships.c.user_id == sa.bindparam("user_id"))
)


class SqlTeamStore:
    """Teams and their members; a membership change recounts its teams."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_team(self, workspace: str, name: str, now: dt.datetime) -> TeamRecord | None:
        stmt = (
            self.db.insert(teams)
            .values(workspace=workspace, name=name, name_key=name_key(name), created_at=now)
            .on_conflict_do_nothing()
            .returning(teams.c.id)
        )
        async with self.db.write() as conn:
            team_id = (await conn.execute(stmt)).scalar_one_or_none()
        return TeamRecord(team_id, name) if team_id is not None else None

    async def find_team(self, workspace: str, name: str) -> TeamRecord | None:
        query = sa.select(teams.c.id, teams.c.name).where(
            teams.c.workspace == workspace,
            teams.c.name_key == name_key(name),
            teams.c.deleted.is_(False),
        )
        row = await self.db.read_sync(
            lambda conn: conn.execute(query).first(), short=True, single=True
        )
        return TeamRecord(row.id, row.name) if row else None

    async def delete_team(self, team_id: int) -> None:
        def body(conn: sa.Connection) -> None:
            # Membership rows before team rows, the order join, leave and forget take them in.
            conn.execute(
                sa.select(memberships.c.user_id)
                .where(memberships.c.team_id == team_id)
                .order_by(memberships.c.user_id)
                .with_for_update()
            )
            locked = lock_teams(conn, [team_id])
            conn.execute(memberships.delete().where(memberships.c.team_id == team_id))
            recount_members(conn, locked)
            # Keep the row for past points, free the name for a new team.
            conn.execute(
                teams.update()
                .where(teams.c.id == team_id)
                .values(
                    deleted=True, name_key=teams.c.name_key + "#" + sa.cast(teams.c.id, sa.String)
                )
            )

        await self.db.write_sync(body)

    async def team_of(self, user_id: int) -> TeamRecord | None:
        row = await self.db.read_sync(
            lambda conn: conn.execute(_TEAM_OF, {"user_id": user_id}).first(),
            short=True,
            single=True,
        )
        return TeamRecord(row.id, row.name) if row else None

    async def join_team(self, user_id: int, team_id: int, now: dt.datetime) -> None:
        stmt = self.db.insert(memberships).values(user_id=user_id, team_id=team_id, joined_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[memberships.c.user_id], set_={"team_id": team_id, "joined_at": now}
        )

        def body(conn: sa.Connection) -> None:
            before = membership_for_update(conn, user_id)
            locked = lock_teams(conn, [team_id, *([before] if before else [])])
            conn.execute(stmt)
            recount_members(conn, locked)

        # A few indexed statements: on SQLite run where it is cheapest (no thread hops).
        await self.db.write_sync(body, short=True)

    async def leave_team(self, user_id: int) -> None:
        def body(conn: sa.Connection) -> None:
            before = membership_for_update(conn, user_id)
            locked = lock_teams(conn, [before] if before else [])
            conn.execute(memberships.delete().where(memberships.c.user_id == user_id))
            recount_members(conn, locked)

        await self.db.write_sync(body, short=True)

    async def list_teams(self, workspace: str) -> list[TeamRecord]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        teams.c.id,
                        teams.c.name,
                        teams.c.name_key,
                        users.c.display_name,
                        users.c.name_key.label("member_key"),
                    )
                    .select_from(
                        teams.outerjoin(memberships, memberships.c.team_id == teams.c.id).outerjoin(
                            users, users.c.id == memberships.c.user_id
                        )
                    )
                    .where(teams.c.workspace == workspace, teams.c.deleted.is_(False))
                )
            ).all()
        # Sorted here, not by ORDER BY: text order in SQL follows the database's collation
        # (code points on SQLite, linguistic on a default PostgreSQL); the list must not.
        grouped: dict[int, tuple[str, list[str]]] = {}
        for row in sorted(rows, key=lambda r: (r.name_key, r.member_key or "")):
            entry = grouped.setdefault(row.id, (row.name, []))
            if row.display_name:
                entry[1].append(row.display_name)
        return [TeamRecord(tid, name, tuple(members)) for tid, (name, members) in grouped.items()]
