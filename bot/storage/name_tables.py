"""Other names people go by (a Slack handle, a real name): `stats NAME` finds them by these too."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.tables import metadata

# Besides the display name (users.name_key), the names a platform knows a person by, as name
# keys. The workspace is repeated so a look-up by name is one index probe.
user_aliases = sa.Table(
    "user_aliases",
    metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("name_key", sa.String(200), primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Index("ix_user_aliases_workspace_name", "workspace", "name_key"),
)
