"""The interaction inbox's table: every platform interaction, written before its ack."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.tables import TS, metadata

# Rows still being worked on (bot/storage/inbox.py: UNFINISHED), as the partial index names them.
UNFINISHED_SQL = "state IN ('received', 'processing')"

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
    # The replay's look-up of rows still being worked on (inbox.take_due). Partial: a click
    # written on the one-write path is inserted done and never enters it, one WAL page fewer
    # per click (docs/scaling.md, session 9). Queries that use it name UNFINISHED_SQL's
    # states as literals: a planner matches a partial index's condition to the query's text,
    # and a bound parameter is not the literal it names.
    sa.Index(
        "ix_inbox_unfinished",
        "state",
        "lease_until",
        sqlite_where=sa.text(UNFINISHED_SQL),
        postgresql_where=sa.text(UNFINISHED_SQL),
    ),
)
