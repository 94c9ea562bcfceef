"""What the core needs from the outside world: clock, randomness, storage, publishing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.identity import PlaceRef
from bot.replies import Reply
from bot.schedule import ChannelSchedule


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware."""
        ...


class Rng(Protocol):
    def shuffle(self, items: list[int], seed: str) -> list[int]:
        """A permutation of `items` that depends only on `seed` (stable per round or quiz)."""
        ...

    def sample(self, population: Sequence[str], k: int) -> list[str]: ...


class Publisher(Protocol):
    """Posts scheduler replies to a channel of one platform; returns a message reference."""

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None = None
    ) -> str | None: ...


@dataclass(frozen=True)
class UserRecord:
    id: int
    workspace: str
    external_id: str
    display_name: str


@dataclass(frozen=True)
class TeamRecord:
    id: int
    name: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChannelRecord:
    id: int
    platform: str
    workspace: str
    external_id: str
    enabled: bool
    schedule: ChannelSchedule
    topics: tuple[str, ...]
    difficulty: str  # easy | medium | hard | mixed


@dataclass(frozen=True)
class RoundRecord:
    id: int
    channel_id: int
    workspace: str
    local_date: dt.date
    question_id: str
    order: tuple[int, ...]
    opened_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    post_ref: str | None


@dataclass(frozen=True)
class AnswerRecord:
    user_id: int
    display_name: str
    given: str
    normalized: str
    correct: bool
    points: int
    answered_at: dt.datetime


@dataclass(frozen=True)
class QuizRecord:
    id: int
    user_id: int
    question_ids: tuple[str, ...]
    orders: tuple[tuple[int, ...], ...]
    position: int
    awaiting_rating: bool
    active: bool

    @property
    def current(self) -> str | None:
        return self.question_ids[self.position] if self.position < len(self.question_ids) else None


@dataclass(frozen=True)
class QuizTally:
    answered: int
    correct: int
    points: int
    rated: dict[str, int]


@dataclass(frozen=True)
class PointAward:
    """Points for one event, attributed to the period keys of the place it happened in."""

    user_id: int
    points: int
    correct: bool
    source: str  # daily | quiz
    day: dt.date
    at: dt.datetime


@dataclass(frozen=True)
class BoardEntry:
    subject_id: int
    name: str
    points: int
    correct: int
    rank: int


@dataclass(frozen=True)
class TeamEntry:
    team_id: int
    name: str
    points: int
    active: int
    members: int
    rank: int

    @property
    def per_active(self) -> float:
        return self.points / self.active if self.active else 0.0


@dataclass(frozen=True)
class UserStatsRecord:
    answered: int
    correct: int
    current_streak: int
    best_streak: int
    by_topic: tuple[tuple[str, int, int], ...]  # topic, answered, correct


@dataclass(frozen=True)
class ClaimRecord:
    """A piece of scheduled work as claimed in the database."""

    channel_id: int
    kind: str
    period: str
    status: str  # claimed | published | failed | skipped
    attempts: int
    owner: str
    message_ref: str | None
    error: str | None


@dataclass(frozen=True)
class TallySnapshotRow:
    team_id: int
    rank: int
    points: int
    active: int
