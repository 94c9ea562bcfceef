"""Plain records the core and its stores exchange: rows as the core sees them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from bot.schedule import ChannelSchedule


@dataclass(frozen=True)
class UserRecord:
    id: int
    workspace: str
    external_id: str
    display_name: str


@dataclass(frozen=True)
class Sighting:
    """What a command finds stored about its asker, in one read: the user (None before the
    first command), the channel (None before its first command) and the bank's version."""

    user: UserRecord | None
    channel: ChannelRecord | None
    bank_version: int


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
class RoundTally:
    """What a round's reveal shows of its answers: how many, per normalized answer, and
    the display names of those right, in the order they answered."""

    answered: int
    by_answer: Mapping[str, int]
    right: int
    winners: tuple[str, ...]


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
class QuizAnswer:
    """One stored answer of a quiz: what a repeat of its delivery is confirmed from."""

    user_id: int
    given: str
    correct: bool
    rating: str | None  # open items: got / partly / missed
    points: int


@dataclass(frozen=True)
class QuizTally:
    answered: int
    correct: int
    points: int
    rated: dict[str, int]


# Every `PointAward.source` written: a rescore finds a player's events of one period by the
# (user, source, day) index, one probe per source.
POINT_SOURCES = ("daily", "quiz")


@dataclass(frozen=True)
class PointAward:
    """Points for one event, attributed to the period keys of the place it happened in."""

    user_id: int
    points: int
    correct: bool
    source: str  # one of POINT_SOURCES
    day: dt.date
    at: dt.datetime
    round_id: int | None = None  # daily points: the round, so a rescore finds the event


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


@dataclass(frozen=True)
class DeckRecord:
    """A workspace's own deck as stored; `items` is its checked questions as JSON."""

    id: int
    workspace: str
    name: str
    title: str
    format: str
    question_count: int
    enabled: bool
    created_by: str
    created_at: dt.datetime
    items: str = ""
    source: str = ""


@dataclass(frozen=True)
class RescoreRequest:
    """An admin's void or rekey of one closed round; `correct` is the new verdict per user id
    (rekey); `note` is each player's private note as a template (`note_template`): literal
    text and the slots `before` / `after` (their all-time points) in turn, so the storage
    fills in ten thousand notes in one statement."""

    round_id: int
    workspace: str
    action: str  # void | rekey
    actor_ref: str
    actor_name: str
    detail: str
    at: dt.datetime
    note: tuple[str, ...]
    correct: Mapping[int, bool] = field(default_factory=dict)
    question_json: str | None = None


@dataclass(frozen=True)
class RescoreOutcome:
    """done | unknown | open | voided | busy; for done, the audit row and the players whose
    totals moved, with their all-time points before and after."""

    status: str
    audit_id: int | None = None
    users: int = 0
    points_before: int = 0
    points_after: int = 0


@dataclass(frozen=True)
class AuditRecord:
    id: int
    actor_name: str
    action: str
    round_id: int | None
    question_id: str
    detail: str
    users: int
    points_before: int
    points_after: int
    created_at: dt.datetime


@dataclass(frozen=True)
class PendingNote:
    """A private note to send: the place (for the platform) and the person."""

    id: int
    channel: ChannelRecord
    user_ref: str
    text: str


@dataclass(frozen=True)
class CardRecord:
    """A user's review card for one question, as FSRS last scheduled it."""

    user_id: int
    question_id: str
    topic: str
    state: int  # fsrs.State: 1 learning, 2 review, 3 relearning
    step: int | None
    stability: float | None
    difficulty: float | None
    due: dt.datetime
    last_review: dt.datetime | None
    reps: int
    lapses: int


class CardGlance(NamedTuple):
    """What own `stats` reads of a review card: its due date and its forgetting curve's
    inputs. A plain tuple, where a full CardRecord per card cost more than reading them."""

    question_id: str
    topic: str
    due: dt.datetime
    stability: float | None
    last_review: dt.datetime | None


class StudyStreak(NamedTuple):
    """The study streak as own `stats` shows it."""

    streak: int
    best_streak: int
    last_study_day: dt.date | None


@dataclass(frozen=True)
class CardReview:
    """One graded answer to apply to the user's card, in the transaction that records it."""

    user_id: int
    question_id: str
    topic: str
    rating: str  # again | hard | good (bot/review.py)
    at: dt.datetime
    study_day: dt.date | None = None  # a `review` answer: the local day it keeps the streak of


@dataclass(frozen=True)
class LearnerRecord:
    """A user's study streak (days with a review) and daily reminder."""

    user_id: int
    streak: int
    best_streak: int
    last_study_day: dt.date | None
    remind_time: str | None  # HH:MM in remind_zone; None: no reminders
    remind_zone: str | None
    remind_next_at: dt.datetime | None
    remind_channel_id: int | None = None  # where `remind` was set: its platform and workspace


@dataclass(frozen=True)
class ReminderRecord:
    """A reminder that has fallen due: whom to tell, on which platform, and when it was due."""

    user_id: int
    user_ref: str  # the platform's user id
    platform: str
    workspace: str  # the channel's workspace key ("slack:T123")
    channel: str  # the channel's platform id, where `remind` was set
    remind_time: str
    remind_zone: str
    next_at: dt.datetime
