"""score bands: players per band of 16 points, so a rank sums bands, not every better bucket"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0023_score_bands'
down_revision = '0022_inbox_unfinished'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('score_bands',
    sa.Column('workspace', sa.String(length=200), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('band', sa.Integer(), nullable=False),
    sa.Column('users', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('workspace', 'period', 'band', name=op.f('pk_score_bands')),
    # In the key's order on SQLite, as score_counts (0021): a rank's sum reads one range.
    sqlite_with_rowid=False,
    )
    # Existing data: summed from the histogram it groups (integer division on both databases;
    # 16 is bot.storage.tables.SCORE_BAND, written out so this revision never changes).
    op.execute(
        "INSERT INTO score_bands (workspace, period, band, users)"
        " SELECT workspace, period, points / 16, SUM(users) FROM score_counts"
        " WHERE users <> 0 GROUP BY workspace, period, points / 16"
    )


def downgrade() -> None:
    op.drop_table('score_bands')
