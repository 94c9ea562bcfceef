"""Tables of admin rescoring: the audit trail and the private notes to send."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.tables import TS, metadata

# One row per admin action on a question (`question void | rekey | retire`): who, when, what,
# and the affected players' all-time points before and after.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("actor_ref", sa.String(200), nullable=False),
    sa.Column("actor_name", sa.String(200), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),  # void | rekey | retire
    sa.Column("round_id", sa.Integer, nullable=True),
    sa.Column("question_id", sa.String(40), nullable=False),
    sa.Column("detail", sa.String(500), nullable=False, server_default=""),
    sa.Column("users", sa.Integer, nullable=False, server_default="0"),  # players affected
    sa.Column("points_before", sa.Integer, nullable=False, server_default="0"),
    sa.Column("points_after", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_audit_log_workspace_id", "workspace", "id"),
)

# Private notes waiting to be sent (the tick sends each once, through the platform's DM).
# No foreign keys (0020_notes_unchecked): a rescore writes up to one note per player of a
# round in one statement, and PostgreSQL checks a foreign key by a trigger per row (two per
# note: three quarters of that insert's time). Every writer takes both ids from rows that
# hold them (the round's channel, the players' totals rows it has just updated); `forgetme`
# deletes a person's notes itself, and channels are never deleted. The tick joins users and
# channels, so a note could never go to nobody.
private_notes = sa.Table(
    "private_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, nullable=False),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("sent_at", TS, nullable=True),
    sa.Index("ix_private_notes_sent_at", "sent_at"),
)
