"""The boards (a workspace's users or teams over a period) and their running totals."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.tables import metadata

# One row per board: a workspace's users or teams over one period. The totals rows carry its
# number, not the three texts: each index entry of a totals row is then two integers wide in
# place of three texts and one, and a rescore, which rewrites tens of thousands of totals rows
# and an entry of each index per row, spent 40% less on that update (docs/scaling.md,
# session 14). A board is never deleted (a forgotten player's rows go, the board stays), so
# its number never changes meaning.
boards = sa.Table(
    "boards",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False),
    sa.Column("period", sa.String(8), nullable=False),  # all | 2026-W47 | 2026-11
    sa.Column("kind", sa.String(4), nullable=False),  # user | team
    sa.UniqueConstraint("workspace", "period", "kind"),
)

totals = sa.Table(
    "totals",
    metadata,
    # Running totals per subject and board, written in the same transaction as the event.
    # No foreign key to boards: a board row is never deleted, and the check would cost every
    # insert of a close a look-up.
    sa.Column("board_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("subject_id", sa.Integer, primary_key=True, autoincrement=False),
    # The board's kind again, in the row: the team board's partial index (team_order.py)
    # can only name the row's own columns, and keeps user rows out by it.
    sa.Column("kind", sa.String(4), nullable=False),  # user | team
    sa.Column("points", sa.Integer, nullable=False, server_default="0"),
    sa.Column("correct", sa.Integer, nullable=False, server_default="0"),
    sa.Column("answered", sa.Integer, nullable=False, server_default="0"),
    # Team rows: members who earned a point event in the period (rows of team_active).
    sa.Column("active", sa.Integer, nullable=False, server_default="0"),
)
# The board order itself (points and correct descending, then the lower id): the top of a
# board is the start of this index, read in order even through a tie of thousands (no sort),
# and players tied on points and correct answers are one range of it (a rank's last term).
sa.Index(
    "ix_totals_board",
    totals.c.board_id,
    totals.c.points.desc(),
    totals.c.correct.desc(),
    totals.c.subject_id,
)
