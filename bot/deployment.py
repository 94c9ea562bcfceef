"""The port for facts about the deployment itself, not about any workspace."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class MetaStore(Protocol):
    """One value per key (the `meta` table): e.g. the digest of the Discord command tree
    last synced, so a start syncs only when the commands changed."""

    async def get_value(self, key: str) -> str | None: ...

    async def set_value(self, key: str, value: str, now: dt.datetime) -> None: ...
