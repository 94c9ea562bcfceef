"""The store ports: one protocol per aggregate, and the bundle a use case reaches them by."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.audit_ports import AuditStore
from bot.deck_ports import DeckStore
from bot.deployment import MetaStore
from bot.identity import UserRef
from bot.inbox import InboxStore
from bot.records import (
    AnswerRecord,
    BoardEntry,
    CardGlance,
    CardReview,
    ChannelRecord,
    ClaimRecord,
    DailyAnswer,
    DailyAnswerOutcome,
    InterviewAnswerRecord,
    PointAward,
    QuizAnswer,
    QuizRecord,
    QuizTally,
    ReportRecord,
    RoundRecord,
    RoundTally,
    SeenQuestion,
    StudyStreak,
    TallySnapshotRow,
    TeamEntry,
    TeamRecord,
    UserStatsRecord,
)
from bot.review import ReviewPolicy
from bot.review_ports import CardStore
from bot.user_ports import UserStore

# A player's stats card: the stats, the all-time standing (None without points), the team.
StatsCard = tuple[UserStatsRecord, BoardEntry | None, str | None]
# The private part of own stats: the review cards, the study streak, the review settings.
StudyRead = tuple[list[CardGlance], StudyStreak | None, ReviewPolicy]


class TeamStore(Protocol):
    """Teams and their members; a membership change recounts its teams."""

    async def create_team(
        self, workspace: str, name: str, now: dt.datetime
    ) -> TeamRecord | None: ...

    async def find_team(self, workspace: str, name: str) -> TeamRecord | None: ...

    async def delete_team(self, team_id: int) -> None: ...

    async def team_of(self, user_id: int) -> TeamRecord | None: ...

    async def join_team(self, user_id: int, team_id: int, now: dt.datetime) -> None: ...

    async def leave_team(self, user_id: int) -> None: ...

    async def list_teams(self, workspace: str) -> list[TeamRecord]: ...


class ChannelStore(Protocol):
    """Channels, created on first use, with the schedule admins set."""

    async def get_channel(self, workspace: str, external_id: str) -> ChannelRecord | None: ...

    async def get_channel_by_id(self, channel_id: int) -> ChannelRecord | None: ...

    async def channels_by_ids(self, ids: Collection[int]) -> dict[int, ChannelRecord]: ...

    async def ensure_channel(
        self, platform: str, workspace: str, external_id: str, now: dt.datetime
    ) -> ChannelRecord: ...

    async def update_channel(
        self, channel_id: int, values: Mapping[str, Any], now: dt.datetime
    ) -> None: ...

    async def enabled_channels(self) -> list[ChannelRecord]: ...

    async def due_channels(
        self, now: dt.datetime, platforms: Sequence[str] | None = None
    ) -> list[ChannelRecord]:
        """Enabled channels whose stored next due instant is at or before `now`."""

    async def advance_due(self, moves: Sequence[tuple[ChannelRecord, dt.datetime | None]]) -> None:
        """Store each channel's next due instant unless it changed since it was read."""


class RoundStore(Protocol):
    """Daily rounds and their close, which awards points in the same transaction."""

    async def create_round(
        self,
        channel: ChannelRecord,
        local_date: dt.date,
        question_id: str,
        order: Iterable[int],
        opened_at: dt.datetime,
        closes_at: dt.datetime,
        question_json: str | None = None,
    ) -> RoundRecord | None:
        """Open the channel's round for `local_date` with a snapshot of its question; None
        when one exists already."""
        ...

    async def get_round(self, round_id: int) -> RoundRecord | None: ...

    async def round_on(self, channel_id: int, local_date: dt.date) -> RoundRecord | None: ...

    async def open_round(self, channel_id: int) -> RoundRecord | None: ...

    async def set_post_ref(self, round_id: int, ref: str) -> None: ...

    async def used_questions(self, channel_id: int) -> set[str]: ...

    async def round_snapshot(self, round_id: int) -> RoundRecord | None:
        """The round as this process last read it. Its channel, workspace, question, option"""
        ...

    async def rounds_due_to_close(self, now: dt.datetime) -> list[RoundRecord]: ...

    async def next_round_close(self, after: dt.datetime) -> dt.datetime | None: ...

    async def close_round(self, round_id: int, at: dt.datetime, base_points: int) -> bool:
        """Close once, then award points and streaks in the same transaction: a handful of"""
        ...


class AnswerStore(Protocol):
    """Answers to daily rounds; bursts share one write (group commit)."""

    async def flush(self) -> None:
        """Wait for queued batched writes (before the engine is disposed)."""
        ...

    async def add_answer(
        self,
        round_id: int,
        user_id: int,
        topic: str,
        given: str,
        normalized: str,
        correct: bool,
        at: dt.datetime,
    ) -> bool:
        """Lock in one answer; False when the user already answered (any process, any click)."""
        ...

    async def submit_daily_answer(self, answer: DailyAnswer) -> DailyAnswerOutcome:
        """Claim the delivery, upsert the user and lock the answer in, as one write shared with"""
        ...

    async def get_answer(self, round_id: int, user_id: int) -> AnswerRecord | None: ...

    async def round_answers(self, round_id: int) -> list[AnswerRecord]: ...

    async def round_tally(self, round_id: int) -> RoundTally:
        """The reveal's counts and winners, counted by the database: a reveal of a big
        round no longer builds a record per answer on the event loop."""
        ...

    async def forgotten(self, round_id: int, workspace: str, external_id: str) -> bool:
        """Whether this platform user answered the round and then used `forgetme`."""
        ...


class QuizStore(Protocol):
    """Running and finished quizzes and their answers."""

    async def active_quiz(self, user_id: int) -> QuizRecord | None: ...

    async def get_quiz(self, quiz_id: int) -> QuizRecord | None: ...

    async def start_quiz(
        self,
        user_id: int,
        channel_id: int,
        question_ids: list[str],
        orders: list[tuple[int, ...]],
        now: dt.datetime,
        kind: str = "quiz",
        keep: bool = False,
    ) -> QuizRecord | None:
        """Create the user's running quiz (or interview); None when one is already running."""
        ...

    async def seen_quiz_questions(self, user_id: int) -> set[str]: ...

    async def correct_before(self, user_id: int, question_id: str) -> bool: ...

    async def quiz_points_on(self, user_id: int, day: dt.date) -> int: ...

    async def set_awaiting_rating(self, quiz_id: int, position: int) -> bool: ...

    async def record_quiz_answer(
        self,
        quiz: QuizRecord,
        workspace: str,
        question_id: str,
        topic: str,
        gradable: bool,
        given: str,
        correct: bool,
        rating: str | None,
        award: PointAward | None,
        now: dt.datetime,
        card: CardReview | None = None,
    ) -> bool:
        """Record the answer to the quiz's current question and move on; False if stale;
        `card` updates the user's review card in the same transaction."""
        ...

    async def stop_quiz(self, quiz_id: int, now: dt.datetime) -> None: ...

    async def quiz_tally(self, quiz_id: int) -> QuizTally: ...

    async def quiz_answer(self, quiz_id: int, question_id: str) -> QuizAnswer | None: ...


class BoardStore(Protocol):
    """Reads of the running totals, the rank histogram and tally snapshots."""

    async def top_users(self, workspace: str, period: str, limit: int = 10) -> list[BoardEntry]: ...

    async def user_rank(self, workspace: str, period: str, user_id: int) -> BoardEntry | None: ...

    async def team_table(self, workspace: str, period: str) -> list[TeamEntry]: ...

    async def user_board(
        self, workspace: str, period: str, user: int | UserRef, limit: int = 10
    ) -> tuple[list[BoardEntry], BoardEntry | None]:
        """The top of the board and the asker's standing, in one round trip. `user`: the
        stored id, or the platform user (looked up in the same statement)."""
        ...

    async def team_board(
        self, workspace: str, period: str, user: int | UserRef, limit: int
    ) -> tuple[list[TeamEntry], int | None]:
        """The top `limit` teams and the asker's team (its rank, wherever it stands) with the
        asker's team id, in one round trip."""
        ...

    async def stats_card(self, workspace: str, user: int | UserRef) -> StatsCard:
        """Answers by topic, streaks, all-time standing and team name, in one round trip."""
        ...

    async def own_stats(self, workspace: str, user: int | UserRef) -> tuple[StatsCard, StudyRead]:
        """`stats_card` with the player's review cards, study streak and review settings
        (own stats only: they are private), in one round trip."""
        ...

    async def user_stats(self, user_id: int) -> UserStatsRecord: ...

    async def weekly_points(self, user_id: int, since: dt.date) -> dict[str, tuple[int, int, int]]:
        """Points, answers and correct answers per ISO week from `since` on, in one statement."""
        ...

    async def team_days(
        self, workspace: str, week: str, team_ids: Collection[int]
    ) -> list[tuple[int, dt.date, int, int]]:
        """(team, day, member, points) for each member's day with answers in one week."""
        ...

    async def recount(self, workspace: str) -> dict[tuple[str, str, int], int]:
        """Totals recomputed from the raw point events; tests compare it with `totals`."""
        ...

    async def stored_totals(self, workspace: str) -> dict[tuple[str, str, int], int]: ...

    async def counter_drift(self, workspace: str) -> dict[str, list[Any]]:
        """Counters kept beside the totals that disagree with a recount of the rows they"""
        ...

    async def last_tally(
        self, channel_id: int, before: str
    ) -> tuple[str, dict[int, TallySnapshotRow]] | None:
        """The most recent tally snapshot of the channel for a week before `before`."""
        ...

    async def save_tally(
        self, channel_id: int, period: str, rows: Iterable[TallySnapshotRow]
    ) -> None: ...


class ClaimStore(Protocol):
    """Claims (leases with a step) that make scheduled work happen once."""

    async def claim(
        self,
        channel_id: int,
        kind: str,
        period: str,
        now: dt.datetime,
        owner: str,
        status: str = "claimed",
        *,
        step: str = "done",
        lease: dt.timedelta | None = None,
        reopen: bool = False,
    ) -> ClaimRecord | None:
        """The claim, for the one caller (in any process) that holds it now; else None."""
        ...

    async def update_claim(
        self,
        channel_id: int,
        kind: str,
        period: str,
        owner: str,
        now: dt.datetime,
        values: Mapping[str, Any],
    ) -> bool:
        """Record progress on a claim this owner holds; False if another owner took it over."""
        ...

    async def get_claim(self, channel_id: int, kind: str, period: str) -> ClaimRecord | None: ...

    async def release_skipped(self, channel_id: int, kind: str, period: str) -> bool: ...

    async def list_claims(self) -> list[ClaimRecord]: ...

    async def resumable(self, now: dt.datetime) -> list[ClaimRecord]:
        """Work left unfinished whose lease has expired: a crashed or interrupted holder."""
        ...

    async def troubled(
        self, since: dt.datetime, channel_id: int | None = None
    ) -> list[ClaimRecord]:
        """Work touched since `since` that failed for good or is being retried after errors."""
        ...

    async def set_channel_admin(self, channel_id: int, user_ref: str, now: dt.datetime) -> None:
        """Remember who enabled the channel: the one to tell when the platform refuses posts."""
        ...

    async def take_alert(self, channel_id: int, now: dt.datetime) -> str | None:
        """The admin to tell about a refusal in the channel, once per UTC day; else None."""
        ...

    async def latest_instant(self) -> dt.datetime | None:
        """The latest instant stored work or an answer carries (None for a new database)."""
        ...


class PrivacyStore(Protocol):
    """Deletes a user and takes their points off every running total."""

    async def forget_user(self, user_id: int) -> None:
        """Delete the user and everything that is theirs, and take their points off the totals"""
        ...


class ReportStore(Protocol):
    """Question reports, one per user and question (a second report updates the first)."""

    async def last_answered(self, user_id: int) -> SeenQuestion | None:
        """The question the user answered last, in a quiz or a daily round."""
        ...

    async def add_report(
        self, workspace: str, user_id: int, seen: SeenQuestion, reason: str, now: dt.datetime
    ) -> bool:
        """Store the report; True when new, False when it replaced the user's earlier one."""
        ...

    async def list_reports(self, workspace: str | None, limit: int = 20) -> list[ReportRecord]:
        """The newest reports of a workspace (or of every workspace), newest first."""
        ...


class InterviewStore(Protocol):
    """Graded interview answers: scores always, the user's words only when kept."""

    async def record_interview_answer(
        self,
        quiz: QuizRecord,
        answer: InterviewAnswerRecord,
        now: dt.datetime,
        workspace: str = "",
        card: CardReview | None = None,
    ) -> bool:
        """Record the graded answer to the session's current question and move on; False if
        the session moved on already (a double submit)."""
        ...

    async def interview_history(self, user_id: int, limit: int = 20) -> list[InterviewAnswerRecord]:
        """The user's newest graded interview answers, newest first."""
        ...

    async def seen_interview_questions(self, user_id: int) -> set[str]: ...


@dataclass(frozen=True)
class Stores:
    """Every store, one per aggregate; a use case reaches only the ones it names."""

    users: UserStore
    teams: TeamStore
    channels: ChannelStore
    rounds: RoundStore
    answers: AnswerStore
    quizzes: QuizStore
    boards: BoardStore
    claims: ClaimStore
    privacy: PrivacyStore
    reports: ReportStore
    interviews: InterviewStore
    meta: MetaStore
    decks: DeckStore
    audit: AuditStore
    cards: CardStore
    inbox: InboxStore
