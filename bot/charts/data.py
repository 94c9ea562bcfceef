"""What each chart is drawn from: small frozen records, so equal inputs hash alike (the cache)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WeekPoint:
    label: str  # e.g. "16 Nov": the week's Monday
    points: int
    answered: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class TopicPoint:
    topic: str
    answered: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class RetentionPoint:
    """Review cards: of the cards reviewed in a week, the share recalled."""

    label: str
    reviewed: int
    recalled: int

    @property
    def retention(self) -> float | None:
        return self.recalled / self.reviewed if self.reviewed else None


@dataclass(frozen=True)
class ProgressData:
    """Personal progress: points and accuracy by week (oldest first), accuracy by topic, and
    review retention by week when the player has review cards (None: no panel)."""

    name: str
    weeks: tuple[WeekPoint, ...]
    topics: tuple[TopicPoint, ...]
    retention: tuple[RetentionPoint, ...] | None = None


@dataclass(frozen=True)
class RaceLine:
    """One team's cumulative points per active member, one value per day so far."""

    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class RaceData:
    label: str  # the week, as the tally names it
    days: tuple[str, ...]  # the seven day names of the week, Monday first
    teams: tuple[RaceLine, ...]  # in tally order: the first is the leader


@dataclass(frozen=True)
class BoardBar:
    rank: int
    name: str
    value: float


@dataclass(frozen=True)
class BoardData:
    scope: str  # users | teams
    period_label: str
    bars: tuple[BoardBar, ...]  # in rank order


ChartData = ProgressData | RaceData | BoardData
