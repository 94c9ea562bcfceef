"""Users of each workspace: upserted on first sight, renamed, found by name."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.records import (
    UserRecord,
)
from bot.storage.database import Database
from bot.storage.rows import (
    name_key,
)
from bot.storage.tables import (
    users,
)


class SqlUserStore:
    """Users, keyed by workspace and platform user id."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure_user(
        self, workspace: str, external_id: str, display_name: str, now: dt.datetime
    ) -> UserRecord:
        query = sa.select(users).where(
            users.c.workspace == workspace, users.c.external_id == external_id
        )
        # Every command reads its user: a key look-up, run where it is cheapest (read_sync).
        row = await self.db.read_sync(lambda conn: conn.execute(query).first(), short=True)
        if row is not None and row.display_name == display_name:
            return UserRecord(row.id, workspace, external_id, display_name)
        stmt = self.db.insert(users).values(
            workspace=workspace,
            external_id=external_id,
            display_name=display_name,
            name_key=name_key(display_name),
            created_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[users.c.workspace, users.c.external_id],
            set_={"display_name": display_name, "name_key": name_key(display_name)},
        ).returning(users.c.id)
        async with self.db.write() as conn:
            user_id = (await conn.execute(stmt)).scalar_one()
        return UserRecord(user_id, workspace, external_id, display_name)

    async def rename_user(self, workspace: str, external_id: str, display_name: str) -> bool:
        stmt = (
            sa.update(users)
            .where(
                users.c.workspace == workspace,
                users.c.external_id == external_id,
                users.c.display_name != display_name,
            )
            .values(display_name=display_name, name_key=name_key(display_name))
        )
        async with self.db.write() as conn:
            return (await conn.execute(stmt)).rowcount > 0

    async def find_user(self, workspace: str, name: str) -> UserRecord | None:
        key = name_key(name)
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(users)
                    .where(
                        users.c.workspace == workspace,
                        sa.or_(users.c.name_key == key, users.c.external_id == name),
                    )
                    .order_by(users.c.id)
                    .limit(1)
                )
            ).first()
        return UserRecord(row.id, row.workspace, row.external_id, row.display_name) if row else None
