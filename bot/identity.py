"""Who acts and where: platform-neutral references with opaque string ids."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Platform(enum.StrEnum):
    CONSOLE = "console"
    DISCORD = "discord"
    SLACK = "slack"


@dataclass(frozen=True)
class PlaceRef:
    """A channel inside a workspace (a Discord guild, a Slack team, a console session)."""

    platform: Platform
    workspace: str
    channel: str

    @property
    def workspace_key(self) -> str:
        return f"{self.platform.value}:{self.workspace}"


@dataclass(frozen=True)
class UserRef:
    platform: Platform
    user_id: str


@dataclass(frozen=True)
class Origin:
    """The actor of a command: the adapter fills it, the core trusts `is_admin`."""

    user: UserRef
    place: PlaceRef
    display_name: str
    is_admin: bool = False
