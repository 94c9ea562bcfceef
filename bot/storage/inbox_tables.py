"""The interaction inbox's table: every platform interaction, written before its ack."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.tables import TS, metadata

inbox = sa.Table(
    "inbox",
    metadata,
    # Every interaction a platform sends, written before it is acknowledged: the one place
    # that dedupes redeliveries, double clicks and replayed slash commands (the unique key),
    # and what a restart replays when a process died between the ack and the reply.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("dedupe_key", sa.String(200), nullable=False),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("user_ref", sa.String(200), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # the neutral request and who sent it (JSON)
    sa.Column("route", sa.Text, nullable=True),  # opaque to the core: the adapter's reply path
    sa.Column("route_expires_at", TS, nullable=True),
    sa.Column("state", sa.String(12), nullable=False),  # received|processing|done|failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("lease_until", TS, nullable=False),
    sa.Column("finished_at", TS, nullable=True),
    sa.Column("reply", sa.Text, nullable=True),  # the replies sent (JSON), shown again on a repeat
    sa.UniqueConstraint("platform", "dedupe_key", name="uq_inbox_platform_key"),
    sa.Index("ix_inbox_state_lease", "state", "lease_until"),
)
