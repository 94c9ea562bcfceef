"""Who acts and where: platform-neutral references with opaque string ids."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass


def name_key(name: str) -> str:
    """How names of teams and people are compared: spaces collapsed, NFKC, then casefolded
    (and NFKC again, as casefolding can denormalise), so `ＡＢＣ`, `abc` and `ABC` are one
    name, as are `ﬁsh` and `fish`."""
    folded = unicodedata.normalize("NFKC", " ".join(name.split())).casefold()
    return unicodedata.normalize("NFKC", folded)


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
