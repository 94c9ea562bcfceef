"""The users port: people of each workspace, their names and the other names they go by."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from bot.records import Sighting, UserRecord


class UserStore(Protocol):
    """Users, keyed by workspace and platform user id."""

    # `guessed`: the name is a stand-in (a handle), stored for a new user only.
    async def ensure_user(
        self,
        workspace: str,
        external_id: str,
        display_name: str,
        now: dt.datetime,
        guessed: bool = False,
    ) -> UserRecord: ...

    # By member id, display name, else another name the user goes by (set_aliases), case-
    # insensitively; raises bot.errors.AmbiguousName when several match equally well.
    async def find_user(self, workspace: str, name: str) -> UserRecord | None: ...

    # The other names an existing user goes by (never creates one); False: no such user.
    async def set_aliases(self, workspace: str, external_id: str, names: Sequence[str]) -> bool: ...

    # An existing user's new name (never creates one); True when it changed.
    async def rename_user(self, workspace: str, external_id: str, display_name: str) -> bool: ...

    async def sighting(self, workspace: str, external_id: str, channel: str) -> Sighting:
        """The user, the channel and the bank version a command needs, in one statement."""
