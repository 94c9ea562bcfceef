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
class PostAccess:
    """Whether the bot may post the scheduled messages in the place, as the platform says.

    `missing` names the channel permissions the bot lacks (Discord: "Send Messages", ...);
    `invite` says the bot must be invited first (a private Slack channel it is not in);
    `direct` that the place is a direct message between people, which no invitation fixes.
    """

    missing: tuple[str, ...] = ()
    invite: bool = False
    direct: bool = False

    @property
    def ok(self) -> bool:
        return not self.missing and not self.invite and not self.direct


@dataclass(frozen=True)
class Origin:
    """The actor of a command: the adapter fills it, the core trusts `is_admin`.

    `can_post` is what the adapter knows of the bot's own access to the place; None means
    unknown (the console, or a platform that could not be asked), and is not held against it.
    `guessed_name`: `display_name` is only the platform's stand-in (a Slack handle before
    users.info answered), good enough for someone new but never over a name already stored.
    """

    user: UserRef
    place: PlaceRef
    display_name: str
    is_admin: bool = False
    can_post: PostAccess | None = None
    guessed_name: bool = False
