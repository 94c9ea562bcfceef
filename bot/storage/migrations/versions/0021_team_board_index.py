"""team board index: team rows with points in board order (points per active member first)"""

from __future__ import annotations

from alembic import op


revision = '0021_team_board_index'
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


def downgrade() -> None:
    op.drop_index('ix_totals_teams', table_name='totals')
