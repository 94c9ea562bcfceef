"""Workspace decks and per-workspace rotation, with the version every change bumps."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.records import DeckRecord
from bot.storage.database import Database
from bot.storage.deck_tables import workspace_bank_versions, workspace_decks, workspace_disabled
from bot.storage.rows import utc

_LISTED = [c for c in workspace_decks.c if c.name not in ("items", "source")]


def _record(row: Any) -> DeckRecord:
    m = row._mapping
    return DeckRecord(
        id=m["id"],
        workspace=m["workspace"],
        name=m["name"],
        title=m["title"],
        format=m["format"],
        question_count=m["question_count"],
        enabled=bool(m["enabled"]),
        created_by=m["created_by"],
        created_at=utc(m["created_at"]),
        items=m.get("items", ""),
        source=m.get("source", ""),
    )


class SqlDeckStore:
    """One row per workspace deck; one transaction per change, which also bumps the version."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def bank_version(self, workspace: str) -> int:
        # Read by every command (is the workspace's bank still current?): a key look-up.
        query = sa.select(workspace_bank_versions.c.version).where(
            workspace_bank_versions.c.workspace == workspace
        )
        found = await self.db.read_sync(lambda conn: conn.execute(query).scalar(), short=True)
        return int(found or 0)

    async def bank_parts(self, workspace: str) -> tuple[int, list[DeckRecord], dict[str, set[str]]]:
        async with self.db.read() as conn:
            version = await _version(conn, workspace)
            decks = (
                await conn.execute(
                    sa.select(workspace_decks)
                    .where(workspace_decks.c.workspace == workspace)
                    .order_by(workspace_decks.c.name)
                )
            ).all()
            off = (
                await conn.execute(
                    sa.select(workspace_disabled.c.kind, workspace_disabled.c.item).where(
                        workspace_disabled.c.workspace == workspace
                    )
                )
            ).all()
        disabled: dict[str, set[str]] = {}
        for kind, item in off:
            disabled.setdefault(kind, set()).add(item)
        return version, [_record(r) for r in decks], disabled

    async def list_decks(self, workspace: str) -> list[DeckRecord]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(*_LISTED)
                    .where(workspace_decks.c.workspace == workspace)
                    .order_by(workspace_decks.c.name)
                )
            ).all()
        return [_record(r) for r in rows]

    async def get_deck(self, workspace: str, name: str) -> DeckRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(workspace_decks).where(
                        workspace_decks.c.workspace == workspace, workspace_decks.c.name == name
                    )
                )
            ).first()
        return _record(row) if row is not None else None

    async def save_deck(self, deck: DeckRecord) -> tuple[DeckRecord, bool]:
        values = {
            "title": deck.title,
            "format": deck.format,
            "source": deck.source,
            "items": deck.items,
            "question_count": deck.question_count,
            "enabled": deck.enabled,
            "created_by": deck.created_by,
            "created_at": deck.created_at,
        }
        mine = (workspace_decks.c.workspace == deck.workspace, workspace_decks.c.name == deck.name)
        async with self.db.write() as conn:
            found = (await conn.execute(sa.select(workspace_decks.c.id).where(*mine))).first()
            if found is not None:
                await conn.execute(workspace_decks.update().where(*mine).values(**values))
                deck_id = int(found.id)
            else:
                inserted = await conn.execute(
                    workspace_decks.insert()
                    .values(workspace=deck.workspace, name=deck.name, **values)
                    .returning(workspace_decks.c.id)
                )
                deck_id = int(inserted.scalar_one())
            await bump_version(self.db, conn, deck.workspace)
        return dataclasses.replace(deck, id=deck_id), found is not None

    async def set_deck_enabled(self, workspace: str, name: str, enabled: bool) -> bool:
        async with self.db.write() as conn:
            changed = await conn.execute(
                workspace_decks.update()
                .where(workspace_decks.c.workspace == workspace, workspace_decks.c.name == name)
                .values(enabled=enabled)
            )
            if changed.rowcount:
                await bump_version(self.db, conn, workspace)
            return bool(changed.rowcount)

    async def delete_deck(self, workspace: str, name: str) -> bool:
        async with self.db.write() as conn:
            gone = await conn.execute(
                workspace_decks.delete().where(
                    workspace_decks.c.workspace == workspace, workspace_decks.c.name == name
                )
            )
            if gone.rowcount:
                await bump_version(self.db, conn, workspace)
            return bool(gone.rowcount)

    async def set_disabled(
        self, workspace: str, kind: str, item: str, disabled: bool, by: str, now: dt.datetime
    ) -> bool:
        key = (
            workspace_disabled.c.workspace == workspace,
            workspace_disabled.c.kind == kind,
            workspace_disabled.c.item == item,
        )
        async with self.db.write() as conn:
            if disabled:
                done = await conn.execute(
                    self.db.insert(workspace_disabled)
                    .values(
                        workspace=workspace, kind=kind, item=item, created_by=by, created_at=now
                    )
                    .on_conflict_do_nothing()
                )
            else:
                done = await conn.execute(workspace_disabled.delete().where(*key))
            if done.rowcount:
                await bump_version(self.db, conn, workspace)
            return bool(done.rowcount)


async def _version(conn: AsyncConnection, workspace: str) -> int:
    found = await conn.execute(
        sa.select(workspace_bank_versions.c.version).where(
            workspace_bank_versions.c.workspace == workspace
        )
    )
    return int(found.scalar_one_or_none() or 0)


async def bump_version(db: Database, conn: AsyncConnection, workspace: str) -> None:
    # One upsert, so two processes bumping a new workspace at once both count.
    table = workspace_bank_versions
    await conn.execute(
        db.insert(table)
        .values(workspace=workspace, version=1)
        .on_conflict_do_update(
            index_elements=[table.c.workspace], set_={"version": table.c.version + 1}
        )
    )
