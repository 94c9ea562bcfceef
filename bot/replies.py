"""The closed set of neutral replies that every adapter knows how to render."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from bot import messages as m
from bot.questions import Difficulty, QuestionType


class Visibility(enum.Enum):
    PRIVATE = "private"  # only the actor sees it (ephemeral)
    PUBLIC = "public"  # the whole channel sees it


class Tone(enum.Enum):
    INFO = "info"
    SUCCESS = "success"
    ERROR = "error"


@dataclass(frozen=True)
class Image:
    """A file a reply carries: a PNG drawn for it (a chart), or a document to keep (an
    exported deck); the reply's text stays complete without it (a fallback).

    `alt_text` states the key numbers (or what the document holds), for screen readers and
    for platforms that show the description instead of the file."""

    filename: str
    data: bytes = field(repr=False)
    alt_text: str
    title: str = ""  # what the chart is, where a platform shows a file's title


@dataclass(frozen=True)
class Notice:
    text: str
    tone: Tone = Tone.INFO
    visibility: Visibility = Visibility.PRIVATE


@dataclass(frozen=True)
class Option:
    """A displayed choice: its shown letter and the original index the button carries."""

    label: str
    text: str
    index: int


@dataclass(frozen=True)
class QuestionCard:
    """A question to answer; `round_id` for a daily round, `quiz_id` for a solo quiz."""

    question_id: str
    topic: str
    difficulty: Difficulty
    type: QuestionType
    prompt: str
    options: tuple[Option, ...] = ()
    round_id: int | None = None
    quiz_id: int | None = None
    position: int = 0  # quiz: 1-based number of this question
    total: int = 0  # quiz: questions in the quiz
    closes_at: str = ""  # daily: local close time as shown to users
    visibility: Visibility = Visibility.PRIVATE
    interview: bool = False  # an interview question: answered in the user's own words


@dataclass(frozen=True)
class AnswerFeedback:
    """Quiz feedback after one answer (open items: the model answer before self-rating)."""

    question_id: str
    correct: bool
    given: str
    answer: str
    explanation: str
    points: int = 0
    note: str = ""  # e.g. why no points were earned
    visibility: Visibility = Visibility.PRIVATE


@dataclass(frozen=True)
class Flashcard:
    """An open item's model answer, shown so the user can rate themselves."""

    question_id: str
    quiz_id: int
    model_answer: str
    key_points: tuple[str, ...]
    visibility: Visibility = Visibility.PRIVATE


@dataclass(frozen=True)
class QuizSummary:
    answered: int
    correct: int
    total: int
    points: int
    stopped: bool = False
    rated: dict[str, int] = field(default_factory=dict)  # open items: got/partly/missed
    visibility: Visibility = Visibility.PRIVATE


@dataclass(frozen=True)
class OptionShare:
    label: str
    text: str
    count: int
    correct: bool


@dataclass(frozen=True)
class RoundReveal:
    round_id: int
    question_id: str
    prompt: str
    answer: str
    explanation: str
    answered: int
    correct_count: int
    shares: tuple[OptionShare, ...]
    winners: tuple[str, ...]  # display names, never mentions
    first_correct: str | None
    visibility: Visibility = Visibility.PUBLIC

    @property
    def counts(self) -> str:
        """The round's tally line; a round nobody answered says so (its share table, all
        zeros, is left out by every renderer)."""
        if not self.answered:
            return m.REVEAL_NOBODY.format(round=self.round_id)
        return m.REVEAL_COUNTS.format(
            round=self.round_id, answered=self.answered, correct=self.correct_count
        )

    @property
    def shown_shares(self) -> tuple[OptionShare, ...]:
        return self.shares if self.answered else ()


@dataclass(frozen=True)
class BoardRow:
    rank: int
    name: str
    points: int
    detail: str = ""  # teams: per active member and members


@dataclass(frozen=True)
class LeaderboardView:
    scope: str
    period: str
    period_label: str
    rows: tuple[BoardRow, ...]  # nobody's row is marked: the whole channel sees the board
    visibility: Visibility = Visibility.PUBLIC
    image: Image | None = None  # `leaderboard chart`: the top 10 as bars


@dataclass(frozen=True)
class TopicAccuracy:
    topic: str
    answered: int
    correct: int


@dataclass(frozen=True)
class StatsView:
    name: str
    points: int
    rank: int | None
    answered: int
    correct: int
    current_streak: int
    best_streak: int
    team: str | None
    by_topic: tuple[TopicAccuracy, ...]
    # Interview practice: answers graded and the mean share of key points made; never points.
    interview_answers: int = 0
    interview_share: float = 0.0
    visibility: Visibility = Visibility.PRIVATE
    image: Image | None = None  # `stats chart`: progress by week and accuracy by topic
    # Whose stats these are, as `stats chart` would name them (None: the asker's own): the
    # Chart button under text stats asks for the same person's chart.
    subject: str | None = None


@dataclass(frozen=True)
class HelpLine:
    usage: str
    summary: str
    admin: bool = False


@dataclass(frozen=True)
class HelpView:
    title: str
    lines: tuple[HelpLine, ...]
    footer: str = ""
    visibility: Visibility = Visibility.PRIVATE


@dataclass(frozen=True)
class TableView:
    """A titled list of rows (topics, teams, channel settings)."""

    title: str
    rows: tuple[tuple[str, str], ...]
    footer: str = ""
    visibility: Visibility = Visibility.PRIVATE


@dataclass(frozen=True)
class TeamTallyRow:
    """One team on the weekly tally; changes are against the channel's previous tally."""

    rank: int
    name: str
    points: int
    per_active: float
    active: int
    members: int
    change: int | None = None  # points this week minus points in the previous tally; None: new
    rank_change: int | None = None  # places moved up (negative: down); None: new


@dataclass(frozen=True)
class WeeklyTally:
    period_label: str
    teams: tuple[TeamTallyRow, ...]
    top_users: tuple[BoardRow, ...]
    visibility: Visibility = Visibility.PUBLIC
    image: Image | None = None  # the team race through the week


@dataclass(frozen=True)
class FileView:
    """A short text and a file to keep (`deck export`). Adapters attach or upload the file
    where they can; without it (`image` None: an upload refused, a reply replayed from the
    inbox) the file's content goes as text instead, `fallback`."""

    text: str
    image: Image | None
    fallback: str
    tone: Tone = Tone.SUCCESS
    visibility: Visibility = Visibility.PRIVATE


def file_text(reply: FileView) -> Notice:
    """What a file reply says as text: the short text, and the file's content when the
    file itself does not go."""
    text = reply.text if reply.image is not None else f"{reply.text}\n\n{reply.fallback}"
    return Notice(text, reply.tone, reply.visibility)


def file_fallback(reply: Reply) -> Notice | None:
    """The content of a file reply as a text message, for when its upload failed after its
    short text went out (None for a chart: the text said everything already)."""
    if isinstance(reply, FileView):
        return Notice(reply.fallback, Tone.INFO, reply.visibility)
    return None


Reply = (
    Notice
    | QuestionCard
    | AnswerFeedback
    | Flashcard
    | QuizSummary
    | RoundReveal
    | LeaderboardView
    | StatsView
    | HelpView
    | TableView
    | WeeklyTally
    | FileView
)


def image_of(reply: Reply) -> Image | None:
    """The file a reply carries, if any (boards, stats and tallies a chart; an export its
    document)."""
    if isinstance(reply, LeaderboardView | StatsView | WeeklyTally | FileView):
        return reply.image
    return None


def without_image(reply: Reply) -> Reply:
    """The same reply as text only: what is sent when its file cannot be."""
    if (
        isinstance(reply, LeaderboardView | StatsView | WeeklyTally | FileView)
        and reply.image is not None
    ):
        return replace(reply, image=None)
    return reply
