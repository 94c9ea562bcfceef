"""One frozen dataclass per user intent; adapters build them, the dispatcher routes them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.questions import Difficulty

# The largest id a row can have on both databases (PostgreSQL's INTEGER is 32-bit): an id
# from a button beyond it names nothing, and must not reach a query that would overflow.
ID_MAX = 2**31 - 1


@dataclass(frozen=True)
class ShowHelp:
    command: str | None = None


@dataclass(frozen=True)
class ShowTopics:
    pass


@dataclass(frozen=True)
class StartQuiz:
    topic: str | None = None
    difficulty: Difficulty | None = None
    count: int = 5


@dataclass(frozen=True)
class StopQuiz:
    pass


@dataclass(frozen=True)
class StopSession:
    """A bare `stop`: ends whatever runs (quiz, review or interview) as its own stop does."""


@dataclass(frozen=True)
class ShowDaily:
    pass


@dataclass(frozen=True)
class SubmitAnswer:
    """An answer typed as text, or chosen by a button that names its round or quiz.

    `round_id`/`quiz_id` pin the target so a late click never lands on a newer question;
    `delivery_id` names the platform's delivery (click, submission); adapters key the inbox
    by it, which is where a retried delivery is recognised.
    """

    text: str
    round_id: int | None = None
    quiz_id: int | None = None
    question_id: str | None = None
    delivery_id: str | None = None
    choice: int | None = None  # a button's original option index (MCQ); overrides `text`

    @property
    def ids_in_range(self) -> bool:
        # Spelled out: every click asks, and a generator over the two cost more than this.
        rnd, quiz = self.round_id, self.quiz_id
        return (rnd is None or 0 < rnd <= ID_MAX) and (quiz is None or 0 < quiz <= ID_MAX)


@dataclass(frozen=True)
class ShowLeaderboard:
    scope: str = "users"  # users | teams
    period: str = "week"  # week | month | all
    chart: bool = False  # `leaderboard chart`: the top 10 drawn as bars too


@dataclass(frozen=True)
class ShowStats:
    user_name: str | None = None
    chart: bool = False  # `stats chart`: progress by week and accuracy by topic drawn too


@dataclass(frozen=True)
class CreateTeam:
    name: str


@dataclass(frozen=True)
class DeleteTeam:
    name: str


@dataclass(frozen=True)
class JoinTeam:
    name: str


@dataclass(frozen=True)
class LeaveTeam:
    pass


@dataclass(frozen=True)
class ListTeams:
    pass


@dataclass(frozen=True)
class ShowConfig:
    pass


@dataclass(frozen=True)
class UpdateConfig:
    """One `config` change; one field is set (enable means `config channel`), or a post or
    close time with the time zone it is in."""

    enable: bool = False
    post_time: dt.time | None = None
    close_time: dt.time | None = None
    timezone: str | None = None
    days: frozenset[int] | None = None  # 0 = Monday
    topics: tuple[str, ...] | None = None  # () means all topics
    difficulty: Difficulty | None = None
    mixed_difficulty: bool = False
    weekly_day: int | None = None
    weekly_time: dt.time | None = None
    paused: bool | None = None


@dataclass(frozen=True)
class ForgetMe:
    confirm: bool = False


@dataclass(frozen=True)
class ReportQuestion:
    """Flag a question as wrong: the one named, else the one the user last answered or saw."""

    reason: str = ""
    question_id: str | None = None


@dataclass(frozen=True)
class StartInterview:
    topic: str | None = None
    count: int = 3
    keep: bool = False  # keep the user's words in the history, not only the scores


@dataclass(frozen=True)
class ShowInterviewHistory:
    pass


@dataclass(frozen=True)
class StopInterview:
    pass


@dataclass(frozen=True)
class ListReports:
    pass


@dataclass(frozen=True)
class ImportDeck:
    """A deck file for this workspace: `text` as read by the adapter (an upload, a pasted
    modal, a file), or only `path` when the console has still to read it."""

    name: str
    filename: str = ""
    text: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class ListDecks:
    pass


@dataclass(frozen=True)
class StartReview:
    """A private session over the user's due review cards, most overdue first."""

    topic: str | None = None
    count: int = 10


@dataclass(frozen=True)
class StopReview:
    pass


@dataclass(frozen=True)
class DeckAction:
    """`deck show|export|enable|disable|delete NAME`."""

    action: str
    name: str


@dataclass(frozen=True)
class VoidRound:
    round_id: int


@dataclass(frozen=True)
class RekeyRound:
    round_id: int
    answer: str


@dataclass(frozen=True)
class RetireQuestion:
    question_id: str


@dataclass(frozen=True)
class ListAudit:
    page: int = 1


@dataclass(frozen=True)
class SetReviewPolicy:
    """`config retention 0.85` or `config interval 365`: the workspace's review scheduling."""

    retention: float | None = None
    maximum_interval: int | None = None


@dataclass(frozen=True)
class SetReminder:
    """`remind HH:MM [ZONE]`, `remind off`; neither (`remind`) shows the current setting."""

    time: dt.time | None = None
    zone: str | None = None
    off: bool = False


Command = (
    ShowHelp
    | ShowTopics
    | StartQuiz
    | StopQuiz
    | StopSession
    | ShowDaily
    | SubmitAnswer
    | ShowLeaderboard
    | ShowStats
    | CreateTeam
    | DeleteTeam
    | JoinTeam
    | LeaveTeam
    | ListTeams
    | ShowConfig
    | UpdateConfig
    | ForgetMe
    | ReportQuestion
    | ListReports
    | VoidRound
    | RekeyRound
    | RetireQuestion
    | ListAudit
    | StartInterview
    | ShowInterviewHistory
    | StopInterview
    | ImportDeck
    | ListDecks
    | DeckAction
    | StartReview
    | StopReview
    | SetReminder
    | SetReviewPolicy
)
