"""SQLAlchemy Core tables: the schema Alembic migrates and every repository query uses."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = sa.DateTime(timezone=True)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("name_key", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("workspace", "external_id", name="uq_users_workspace_external"),
    sa.Index("ix_users_workspace_name", "workspace", "name_key"),
)

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    # Deleted teams keep their row (past points still name them) but free the name.
    sa.Column("name_key", sa.String(100), nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", TS, nullable=False),
    # Kept by every membership change (a recount under the team's row lock), so the team
    # board reads it instead of counting a workspace's memberships on every call.
    sa.Column("members", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("workspace", "name_key", name="uq_teams_workspace_name"),
)

memberships = sa.Table(
    "memberships",
    metadata,
    # A user row belongs to one workspace, so this key is "one team per user per workspace".
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    sa.Column("joined_at", TS, nullable=False),
    sa.Index("ix_memberships_team", "team_id"),
)

channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("post_time", sa.String(5), nullable=False, server_default="09:00"),
    sa.Column("close_time", sa.String(5), nullable=False, server_default="17:00"),
    sa.Column("days", sa.String(7), nullable=False, server_default="1111100"),
    sa.Column("topics", sa.Text, nullable=False, server_default=""),
    sa.Column("difficulty", sa.String(10), nullable=False, server_default="mixed"),
    sa.Column("weekly_day", sa.Integer, nullable=False, server_default="4"),
    sa.Column("weekly_time", sa.String(5), nullable=False, server_default="17:00"),
    sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", TS, nullable=False),
    # The next instant a post or tally of this channel falls due (NULL: nothing will), so an
    # idle tick reads only the channels due through the index, however many there are.
    sa.Column("next_due_at", TS, nullable=True),
    sa.UniqueConstraint("workspace", "external_id", name="uq_channels_workspace_external"),
    sa.Index("ix_channels_next_due_at", "next_due_at"),
)

rounds = sa.Table(
    "rounds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "channel_id", sa.Integer, sa.ForeignKey("channels.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("local_date", sa.Date, nullable=False),
    sa.Column("question_id", sa.String(40), nullable=False),
    sa.Column("choice_order", sa.String(20), nullable=False, server_default=""),
    sa.Column("opened_at", TS, nullable=False),
    sa.Column("closes_at", TS, nullable=False),
    sa.Column("closed_at", TS, nullable=True),
    sa.Column("post_ref", sa.String(200), nullable=True),  # platform message id, for threading
    # The question as it was asked (Question JSON): answers, the close and the reveal never
    # depend on the current deck. NULL only for rounds older than the column whose question
    # had left the bank when it was added; those fall back to the bank.
    sa.Column("question_json", sa.Text, nullable=True),
    # A close sets closed_at at once, then awards in short transactions (see close_round):
    # while it runs, the last user id settled, the previous round its streaks follow and
    # the base points; settle_cursor is NULL again once every answer is awarded.
    sa.Column("settle_cursor", sa.Integer, nullable=True),
    sa.Column("settle_previous", sa.Integer, nullable=True),
    sa.Column("settle_points", sa.Integer, nullable=True),
    # Points before the streak bonus (kept for rescoring); when `question void` voided it.
    sa.Column("base_points", sa.Integer, nullable=True),
    sa.Column("voided_at", TS, nullable=True),
    # One daily round per channel and local date: a second post attempt collides here.
    sa.UniqueConstraint("channel_id", "local_date", name="uq_rounds_channel_date"),
    sa.Index("ix_rounds_workspace_closed", "workspace", "closed_at"),
    # Closes still awarding: a handful of rows at most, found without a scan.
    sa.Index(
        "ix_rounds_settling",
        "workspace",
        sqlite_where=sa.text("settle_cursor IS NOT NULL"),
        postgresql_where=sa.text("settle_cursor IS NOT NULL"),
    ),
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("given", sa.String(300), nullable=False),
    sa.Column("normalized", sa.String(300), nullable=False),
    sa.Column("correct", sa.Boolean, nullable=False),
    sa.Column("points", sa.Integer, nullable=False, server_default="0"),
    sa.Column("streak", sa.Integer, nullable=False, server_default="0"),  # at the close; 0 if wrong
    sa.Column("answered_at", TS, nullable=False),
    # One locked answer per user per round, whatever the number of clicks or processes.
    sa.UniqueConstraint("round_id", "user_id", name="uq_answers_round_user"),
    # A player's answers; with the streak, their best streak is one index probe (a rescore
    # writes it again for every player it touched).
    # On PostgreSQL it carries what `stats` counts by topic, read from the index alone.
    sa.Index(
        "ix_answers_user_streak",
        "user_id",
        "streak",
        postgresql_include=["round_id", "topic", "correct"],
    ),
)

forgotten_answers = sa.Table(
    "forgotten_answers",
    metadata,
    # Someone who used `forgetme` after answering a round that is still open: their answer
    # is gone, but the round stays locked for them. The key is a one-way hash of the round,
    # workspace and platform user id, so the row names nobody and links no two rounds.
    sa.Column(
        "round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_key", sa.String(64), primary_key=True),
)

quizzes = sa.Table(
    "quizzes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "channel_id", sa.Integer, sa.ForeignKey("channels.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("question_ids", sa.Text, nullable=False),  # the planned questions, comma separated
    sa.Column("orders", sa.Text, nullable=False),  # shown option order per question, ';' separated
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("awaiting_rating", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("stopped", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("finished_at", TS, nullable=True),
    # quiz | interview: an interview is a session of open questions graded by key points.
    sa.Column("kind", sa.String(10), nullable=False, server_default="quiz"),
    # Interview answers keep their text only when the user asked for it (`interview ... keep`).
    sa.Column("keep", sa.Boolean, nullable=False, server_default=sa.false()),
    # At most one running quiz per user: a double `quiz` start cannot create two.
    sa.Index(
        "uq_quizzes_active_user",
        "user_id",
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    ),
)

quiz_answers = sa.Table(
    "quiz_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "quiz_id", sa.Integer, sa.ForeignKey("quizzes.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("question_id", sa.String(40), nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("gradable", sa.Boolean, nullable=False),
    sa.Column("given", sa.String(300), nullable=False),
    sa.Column("correct", sa.Boolean, nullable=False),
    sa.Column("rating", sa.String(10), nullable=True),  # open items: got / partly / missed
    sa.Column("points", sa.Integer, nullable=False, server_default="0"),
    sa.Column("answered_at", TS, nullable=False),
    sa.UniqueConstraint("quiz_id", "question_id", name="uq_quiz_answers_quiz_question"),
    sa.Index("ix_quiz_answers_user_question", "user_id", "question_id"),
)

point_events = sa.Table(
    "point_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # The team at the moment of the event: later team changes never move these points.
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
    sa.Column("source", sa.String(10), nullable=False),  # daily | quiz
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("correct", sa.Boolean, nullable=False),
    sa.Column("week", sa.String(8), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("occurred_at", TS, nullable=False),
    sa.Column("round_id", sa.Integer, nullable=True),  # daily events: the round (for rescoring)
    sa.Index("ix_point_events_user_source_day", "user_id", "source", "day"),
    # The team race drawn with a weekly tally: one week's events of a workspace by team.
    sa.Index("ix_point_events_workspace_week_team", "workspace", "week", "team_id"),
    sa.Index("ix_point_events_round_user", "round_id", "user_id"),
)

team_active = sa.Table(
    "team_active",
    metadata,
    # Members who answered in a period, so boards can rank by points per active member.
    sa.Column("workspace", sa.String(200), primary_key=True),
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("team_id", sa.Integer, primary_key=True),
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
)

user_stats = sa.Table(
    "user_stats",
    metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("current_streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("best_streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_streak_round", sa.Integer, nullable=True),
)

claims = sa.Table(
    "claims",
    metadata,
    # Scheduled work is claimed here before it is published: the unique key is what makes a
    # post, reveal or tally go out once across restarts, overlapping ticks and processes.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "channel_id", sa.Integer, sa.ForeignKey("channels.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("kind", sa.String(10), nullable=False),  # post | close | tally
    sa.Column("period", sa.String(10), nullable=False),  # local date or ISO week
    sa.Column("status", sa.String(10), nullable=False),  # claimed | published | failed | skipped
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("owner", sa.String(64), nullable=False, server_default=""),
    sa.Column("message_ref", sa.String(200), nullable=True),
    sa.Column("error", sa.String(300), nullable=True),
    sa.Column("claimed_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    # A claim is a lease: work whose holder died or gave up for this tick is taken over once
    # `lease_until` has passed, and resumes at `step` (open/close/tally, publish, done).
    sa.Column("step", sa.String(10), nullable=False, server_default="done"),
    sa.Column("lease_until", TS, nullable=True),
    sa.UniqueConstraint("channel_id", "kind", "period", name="uq_claims_channel_kind_period"),
    sa.Index("ix_claims_status_lease", "status", "lease_until"),
)

channel_admins = sa.Table(
    "channel_admins",
    metadata,
    # Who enabled the channel (ran `config channel`): told in private when the platform refuses
    # the bot's posts there, at most once a day (`alerted_on`, the UTC date of the last one).
    sa.Column(
        "channel_id", sa.Integer, sa.ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_ref", sa.String(200), nullable=False),
    sa.Column("alerted_on", sa.String(10), nullable=True),
    sa.Column("updated_at", TS, nullable=False),
)

tally_rows = sa.Table(
    "tally_rows",
    metadata,
    # What each weekly tally showed, so the next one can say what changed since.
    sa.Column(
        "channel_id",
        sa.Integer,
        sa.ForeignKey("channels.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("team_id", sa.Integer, primary_key=True),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("active", sa.Integer, nullable=False),
)

# What users say is wrong with a question; the deck maintainers' queue. A report keeps the
# question id and the answer as given, so it stays readable after the deck changes.
reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("question_id", sa.String(40), nullable=False),
    sa.Column("source", sa.String(10), nullable=False),  # quiz | daily | shown | named
    sa.Column("given", sa.String(300), nullable=True),
    sa.Column("reason", sa.String(500), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("user_id", "question_id", name="uq_reports_user_question"),
    sa.Index("ix_reports_workspace_created", "workspace", "created_at"),
)

# Graded interview answers: the score per key point always, the user's own words only if kept.
interview_answers = sa.Table(
    "interview_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "quiz_id", sa.Integer, sa.ForeignKey("quizzes.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("question_id", sa.String(40), nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("covered", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("points", sa.String(20), nullable=False),  # one 1/0 per key point, in order
    sa.Column("grader", sa.String(10), nullable=False),  # builtin | model
    sa.Column("answer", sa.Text, nullable=True),
    sa.Column("answered_at", TS, nullable=False),
    sa.UniqueConstraint("quiz_id", "question_id", name="uq_interview_answers_quiz_question"),
    sa.Index("ix_interview_answers_user_answered", "user_id", "answered_at"),
)

# Small facts about the deployment itself, not about any workspace: e.g. the hash of the
# Discord command tree last synced, so a start syncs only when the commands changed.
meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

# The boards and their totals, workspace decks, the inbox, the spaced-repetition tables, the
# team board's index and the rank's counters live in their own modules (this one is at its
# size limit); importing them here registers them on `metadata` for Alembic and the schema
# checks. The boards first: the team board's index is declared on totals.
import bot.storage.review_tables  # noqa: E402, F401
from bot.storage import deck_tables as deck_tables  # noqa: E402
from bot.storage import team_order as team_order  # noqa: E402
from bot.storage.board_tables import boards as boards  # noqa: E402
from bot.storage.board_tables import totals as totals  # noqa: E402
from bot.storage.inbox_tables import inbox as inbox  # noqa: E402
from bot.storage.name_tables import user_aliases as user_aliases  # noqa: E402
from bot.storage.rank_tables import SCORE_BAND as SCORE_BAND  # noqa: E402
from bot.storage.rank_tables import TIE_BLOCK as TIE_BLOCK  # noqa: E402
from bot.storage.rank_tables import score_bands as score_bands  # noqa: E402
from bot.storage.rank_tables import score_counts as score_counts  # noqa: E402
from bot.storage.rank_tables import tie_blocks as tie_blocks  # noqa: E402
