"""Plain records the core and its stores exchange: rows as the core sees them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.schedule import ChannelSchedule


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
    # When the scheduler next looks at this channel's posts and tallies; None: never (off,
    # paused, or never enabled).
    next_due_at: dt.datetime | None = None


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
    question_json: str | None = None  # the question as asked (see bot.usecases.daily)


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
    kind: str = "quiz"  # quiz | interview
    keep: bool = False  # interview answers keep the user's words

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
    correct: int = 0
    deleted: bool = False  # a deleted team keeps its past points on the boards

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
    interview_answers: int = 0  # graded interview answers (practice, never on the boards)
    interview_share: float = 0.0  # their mean share of key points covered


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
    step: str = "done"  # the next step: open | close | tally | publish | done
    lease_until: dt.datetime | None = None
    claimed_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class TallySnapshotRow:
    team_id: int
    rank: int
    points: int
    active: int


@dataclass(frozen=True)
class DailyAnswer:
    """A daily-round answer that passed every check the core makes without the database."""

    platform: str
    workspace: str
    external_id: str
    display_name: str
    channel: str
    round_id: int
    topic: str
    given: str
    normalized: str
    correct: bool
    at: dt.datetime


@dataclass(frozen=True)
class DailyAnswerOutcome:
    """What became of a DailyAnswer: stored | already | closed | no_channel |
    forgotten (answered, then `forgetme`: the round stays locked; nothing was written)."""

    status: str
    timezone: str = "UTC"  # the channel's, read in the same transaction
    given: str = ""  # the answer locked in earlier, when `already`


@dataclass(frozen=True)
class SeenQuestion:
    """A question a user answered or had in front of them, as a report would name it."""

    question_id: str
    source: str  # quiz | daily | shown
    given: str | None
    at: dt.datetime | None


@dataclass(frozen=True)
class ReportRecord:
    id: int
    workspace: str
    user_name: str
    question_id: str
    source: str
    given: str | None
    reason: str
    created_at: dt.datetime


@dataclass(frozen=True)
class InterviewAnswerRecord:
    question_id: str
    topic: str
    covered: int
    total: int
    points: str  # one 1/0 per key point, in order
    grader: str
    answer: str | None
    answered_at: dt.datetime
