"""Users of each workspace: upserted on first sight, renamed, found by name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from bot.errors import AmbiguousName
from bot.records import (
    Sighting,
    UserRecord,
)
from bot.storage.database import Database
from bot.storage.deck_tables import workspace_bank_versions
from bot.storage.driver_sql import Compiled
from bot.storage.name_tables import user_aliases
from bot.storage.rows import (
    channel_record,
    name_key,
)
from bot.storage.tables import (
    channels,
    users,
)

# People sharing a name that a refusal can list (bot.errors.AmbiguousName shows five).
MATCHES_READ = 20
_WORKSPACE = sa.bindparam("workspace", type_=sa.String)
# Every command starts here: its user, its channel and the workspace's bank version, three
# key look-ups outer-joined to one row, so the actor is one read (one round trip). Built once:
# building the statement per call cost more CPU than running it.
SIGHTING = sa.select(
    users.c.id.label("u_id"),
    users.c.display_name.label("u_name"),
    *channels.c,
    workspace_bank_versions.c.version.label("bank_version"),
).select_from(
    sa.select(sa.literal(1).label("k"))
    .subquery("one")
    .outerjoin(
        users,
        sa.and_(
            users.c.workspace == _WORKSPACE,
            users.c.external_id == sa.bindparam("user", type_=sa.String),
        ),
    )
    .outerjoin(
        channels,
        sa.and_(
            channels.c.workspace == _WORKSPACE,
            channels.c.external_id == sa.bindparam("channel", type_=sa.String),
        ),
    )
    .outerjoin(workspace_bank_versions, workspace_bank_versions.c.workspace == _WORKSPACE)
)

# Run at the driver level on SQLite: every command's first read (bot/storage/driver_sql.py).
_SIGHTING = Compiled(SIGHTING, "Sighting")


class SqlUserStore:
    """Users, keyed by workspace and platform user id."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure_user(
        self,
        workspace: str,
        external_id: str,
        display_name: str,
        now: dt.datetime,
        guessed: bool = False,
    ) -> UserRecord:
        query = sa.select(users).where(
            users.c.workspace == workspace, users.c.external_id == external_id
        )
        # Every command reads its user: a key look-up, run where it is cheapest (read_sync).
        row = await self.db.read_sync(
            lambda conn: conn.execute(query).first(), short=True, single=True
        )
        if row is not None and (row.display_name == display_name or guessed):
            return UserRecord(row.id, workspace, external_id, row.display_name)
        stmt = self.db.insert(users).values(
            workspace=workspace,
            external_id=external_id,
            display_name=display_name,
            name_key=name_key(display_name),
            created_at=now,
        )
        # A guessed name (a handle) never replaces one stored meanwhile, e.g. by a warm-up
        # that landed between the read above and this write: the row keeps its own.
        named = {"display_name": display_name, "name_key": name_key(display_name)}
        kept = {"display_name": users.c.display_name, "name_key": users.c.name_key}
        stmt = stmt.on_conflict_do_update(
            index_elements=[users.c.workspace, users.c.external_id],
            set_=kept if guessed else named,
        ).returning(users.c.id, users.c.display_name)
        # One statement: on SQLite run where it is cheapest (a new user's first command).
        stored = await self.db.write_sync(lambda conn: conn.execute(stmt).one(), short=True)
        return UserRecord(stored.id, workspace, external_id, stored.display_name)

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

    async def sighting(self, workspace: str, external_id: str, channel: str) -> Sighting:
        params = {"workspace": workspace, "user": external_id, "channel": channel}
        row = await self.db.read_sync(
            lambda conn: _SIGHTING.rows(conn, params)[0], short=True, single=True
        )
        user = None
        if row.u_id is not None:
            user = UserRecord(row.u_id, workspace, external_id, row.u_name)
        found = channel_record(row) if row.id is not None else None
        return Sighting(user, found, int(row.bank_version or 0))

    async def find_user(self, workspace: str, name: str) -> UserRecord | None:
        # `@ada` as typed where mentions are not escaped: the name after the sign too.
        names = {name, name.removeprefix("@")}
        keys = {name_key(n) for n in names}
        aliased = sa.select(user_aliases.c.user_id).where(
            user_aliases.c.workspace == workspace, user_aliases.c.name_key.in_(keys)
        )
        # An id is exact, a display name beats another name (a handle, a real name): only
        # people matched equally well make the name ambiguous.
        rank = sa.case(
            (users.c.external_id.in_(names), 0), (users.c.name_key.in_(keys), 1), else_=2
        ).label("rank")
        query = (
            sa.select(users, rank)
            .where(
                users.c.workspace == workspace,
                sa.or_(
                    users.c.external_id.in_(names),
                    users.c.name_key.in_(keys),
                    users.c.id.in_(aliased),
                ),
            )
            .order_by(rank, users.c.id)
            .limit(MATCHES_READ)
        )
        # `stats NAME` looks the player up: index reads, run where it is cheapest.
        rows = await self.db.read_sync(
            lambda conn: conn.execute(query).all(), short=True, single=True
        )
        best = [r for r in rows if r.rank == rows[0].rank] if rows else []
        if len(best) > 1:
            names_read = [r.display_name for r in best]
            raise AmbiguousName(name, names_read, complete=len(rows) < MATCHES_READ)
        row = best[0] if best else None
        return UserRecord(row.id, row.workspace, row.external_id, row.display_name) if row else None

    async def set_aliases(self, workspace: str, external_id: str, names: Sequence[str]) -> bool:
        """The other names an existing user goes by, replacing those recorded (never creates
        a user). True when the user exists."""
        keys = {name_key(n) for n in names if n.strip()}
        async with self.db.write() as conn:
            user_id = (
                await conn.execute(
                    sa.select(users.c.id).where(
                        users.c.workspace == workspace, users.c.external_id == external_id
                    )
                )
            ).scalar_one_or_none()
            if user_id is None:
                return False
            await conn.execute(user_aliases.delete().where(user_aliases.c.user_id == user_id))
            if keys:
                await conn.execute(
                    user_aliases.insert(),
                    [{"user_id": user_id, "workspace": workspace, "name_key": k} for k in keys],
                )
        return True
