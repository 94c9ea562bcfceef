"""The store port of workspace decks: imported decks and what a workspace took out of rotation."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from bot.records import DeckRecord


class DeckStore(Protocol):
    """Workspace decks and what a workspace has taken out of rotation (workspace_decks)."""

    async def bank_version(self, workspace: str) -> int:
        """Bumped by every change below; 0 for a workspace that never changed its bank."""

    async def bank_parts(self, workspace: str) -> tuple[int, list[DeckRecord], dict[str, set[str]]]:
        """In one read: the version, the decks with their items, the disabled items by kind."""
        ...

    async def list_decks(self, workspace: str) -> list[DeckRecord]: ...

    async def get_deck(self, workspace: str, name: str) -> DeckRecord | None:
        """The deck with its items and source."""

    async def save_deck(self, deck: DeckRecord) -> tuple[DeckRecord, bool]:
        """Insert, or replace the deck of that name keeping its id (so its question ids stay);
        the stored deck and True when it replaced one."""
        ...

    async def set_deck_enabled(self, workspace: str, name: str, enabled: bool) -> bool:
        """False when there is no such deck."""

    async def delete_deck(self, workspace: str, name: str) -> bool: ...

    async def set_disabled(
        self, workspace: str, kind: str, item: str, disabled: bool, by: str, now: dt.datetime
    ) -> bool:
        """Take an item out of rotation (or back); True when that changed anything."""
        ...
