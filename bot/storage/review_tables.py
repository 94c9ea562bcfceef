"""Tables of spaced repetition: review cards, learners (streak, reminder), workspace settings."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.tables import TS, metadata

# One FSRS card per user and question. A question removed from the bank leaves its card
# dormant: it is skipped when reviews are picked, never deleted or broken. On SQLite the rows
# live in their key's order (WITHOUT ROWID): a player's ~50 cards, which `stats` reads all of,
# sit on a page or two instead of one page each (each reveal appended every player's card).
cards = sa.Table(
    "cards",
    metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("question_id", sa.String(40), primary_key=True),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("state", sa.SmallInteger, nullable=False),  # fsrs.State
    sa.Column("step", sa.Integer, nullable=True),
    sa.Column("stability", sa.Float, nullable=True),
    sa.Column("difficulty", sa.Float, nullable=True),
    sa.Column("due", TS, nullable=False),
    sa.Column("last_review", TS, nullable=True),
    sa.Column("reps", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lapses", sa.Integer, nullable=False, server_default="0"),
    # The next due card of a user is one index probe, however many cards there are.
    # On PostgreSQL it carries what own `stats` reads of each card (bot.records.CardGlance),
    # read from the index alone rather than a table page per card.
    sa.Index(
        "ix_cards_user_due",
        "user_id",
        "due",
        postgresql_include=["question_id", "topic", "stability", "last_review"],
    ),
    sqlite_with_rowid=False,
)

# A user's study streak (days with at least one review) and opt-in daily reminder; the next
# reminder instant is stored and indexed so a tick reads only the reminders due.
learners = sa.Table(
    "learners",
    metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("best_streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_study_day", sa.Date, nullable=True),
    sa.Column("remind_time", sa.String(5), nullable=True),
    sa.Column("remind_zone", sa.String(64), nullable=True),
    sa.Column("remind_channel_id", sa.Integer, nullable=True),
    sa.Column("remind_next_at", TS, nullable=True),
    sa.Index("ix_learners_remind_next_at", "remind_next_at"),
)

# Per-workspace scheduling settings set by admins; a workspace without a row uses defaults.
review_settings = sa.Table(
    "review_settings",
    metadata,
    sa.Column("workspace", sa.String(200), primary_key=True),
    sa.Column("retention", sa.Float, nullable=True),
    sa.Column("maximum_interval", sa.Integer, nullable=True),
    sa.Column("updated_at", TS, nullable=False),
)
