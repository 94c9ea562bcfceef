"""What every use case shares: the stores, the bank, the clock, and who is asking."""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from rapidfuzz import process

from bot import messages as m
from bot.content import QuestionBank
from bot.identity import Origin, PlaceRef, Platform
from bot.interview import BuiltinGrader
from bot.ports import Clock, Grader, Rng, Stores
from bot.records import ChannelRecord, UserRecord
from bot.replies import Notice, Tone
from bot.schedule import local_date
from bot.scoring import QUIZ_DAILY_CAP


class UserError(Exception):
    """A refusal the user should read: shown privately, nothing was written."""


@dataclass(frozen=True)
class Actor:
    """The user behind a command and the channel it came from, as stored."""

    origin: Origin
    user: UserRecord
    channel: ChannelRecord

    @property
    def workspace(self) -> str:
        return self.origin.place.workspace_key

    @property
    def timezone(self) -> str:
        return self.channel.schedule.timezone


@dataclass
class Context:
    """The ports and settings the use cases run against; built once by the bootstrap."""

    stores: Stores
    bank: QuestionBank
    clock: Clock
    rng: Rng
    quiz_cap: int = QUIZ_DAILY_CAP
    owner: str = ""
    grader: Grader | None = None  # interview answers; the built-in grader unless configured

    def __post_init__(self) -> None:
        if self.grader is None:
            self.grader = BuiltinGrader(self.bank.vocabulary)
        # Names the claimant in the claims table, to tell processes apart when debugging.
        self.owner = self.owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    async def actor(self, origin: Origin) -> Actor:
        now = self.clock.now()
        place = origin.place
        user = await self.stores.users.ensure_user(
            place.workspace_key, origin.user.user_id, origin.display_name, now
        )
        channel = await self.stores.channels.ensure_channel(
            place.platform.value, place.workspace_key, place.channel, now
        )
        return Actor(origin, user, channel)

    def today(self, actor: Actor) -> dt.date:
        return local_date(self.clock.now(), actor.timezone)

    def resolve_topic(self, word: str) -> str:
        """Map a topic word to a deck: exact slug, a unique slug part or prefix, else suggest."""
        topics = self.bank.topics
        low = word.lower()
        if low in topics:
            return low
        matches = [t for t in topics if low in t.split("-") or t.startswith(low)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UserError(m.ambiguous_topic(word, matches))
        guesses = [g for g, score, _ in process.extract(low, topics, limit=3) if score >= 55]
        raise UserError(m.unknown_topic(word, guesses))


def require_admin(actor: Actor, what: str) -> None:
    if not actor.origin.is_admin:
        raise UserError(m.NOT_ADMIN.format(what=what))


def ok(text: str) -> Notice:
    return Notice(text, Tone.SUCCESS)


def place_of(channel: ChannelRecord) -> PlaceRef:
    platform = Platform(channel.platform)
    # Channels store the workspace key ("slack:T123"); the place wants the bare workspace id.
    workspace = channel.workspace.removeprefix(f"{platform.value}:")
    return PlaceRef(platform, workspace, channel.external_id)
