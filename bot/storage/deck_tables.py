"""Tables of workspace decks and of what a workspace has taken out of rotation."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.tables import TS, metadata

# A workspace's own deck: the file as given (for `deck export` of the original) and its checked
# items as JSON (what the bank loads, no re-parsing). Question ids are `x--<id>-<local id>`.
workspace_decks = sa.Table(
    "workspace_decks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("name", sa.String(40), nullable=False),  # the topic label in this workspace
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("format", sa.String(10), nullable=False),  # toml | csv | yaml | json
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("items", sa.Text, nullable=False),
    sa.Column("question_count", sa.Integer, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("workspace", "name", name="uq_workspace_decks_workspace_name"),
)

# What a workspace has taken out of rotation, by kind: `topic` (a built-in topic) or
# `question` (one question, `question retire`; the action itself is in the audit log).
workspace_disabled = sa.Table(
    "workspace_disabled",
    metadata,
    sa.Column("workspace", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(10), primary_key=True),
    sa.Column("item", sa.String(80), primary_key=True),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

# Bumped in the transaction of every deck or rotation change: a process compares it with the
# version its cached bank was built at, so another process's import is seen on the next command.
workspace_bank_versions = sa.Table(
    "workspace_bank_versions",
    metadata,
    sa.Column("workspace", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)
