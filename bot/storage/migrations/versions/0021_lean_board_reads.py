"""lean board reads: the team board's index; score_counts and cards in key order on SQLite"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0021_lean_board_reads'
down_revision = '0020_notes_unchecked'
branch_labels = None
depends_on = None

# The expression is written out as bot/storage/team_order.py team_share renders it, so this
# revision never changes with the code; the statements repeat it word for word (a planner
# matches an index expression, and a partial index's WHERE, by their form), on both databases.
SHARE = "CASE WHEN (active > 0) THEN CAST(points AS FLOAT) / CAST(active AS FLOAT) ELSE 0.0 END"


def upgrade() -> None:
    op.execute(
        f"CREATE INDEX ix_totals_teams ON totals"
        f" (workspace, period, ({SHARE}) DESC, correct DESC, subject_id)"
        f" WHERE kind = 'team' AND points > 0"
    )
    # On SQLite, tables WITHOUT ROWID keep their rows in the key's order: a rank sums a range
    # of the histogram in place (a few thousand rows at most), and `stats` reads a player's
    # cards from a page or two (the copy of every card takes a while on a large database:
    # about two minutes for 4.7 million cards on a loaded machine).
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild('score_counts', with_rowid=False)
        _rebuild('cards', with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild('cards', with_rowid=True)
        _rebuild('score_counts', with_rowid=True)
    op.drop_index('ix_totals_teams', table_name='totals')


def _rebuild(table: str, with_rowid: bool) -> None:
    with op.batch_alter_table(
        table, recreate='always', table_kwargs={'sqlite_with_rowid': with_rowid}
    ):
        pass
