"""tie blocks: players per score bucket and block of 1,024 ids, for a rank deep in a tie"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0019_tie_blocks'
down_revision = '0018_user_aliases'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tie_blocks',
    sa.Column('workspace', sa.String(length=200), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('block', sa.Integer(), nullable=False),
    sa.Column('users', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('workspace', 'period', 'points', 'correct', 'block', name=op.f('pk_tie_blocks'))
    )
    # Existing data: counted from the rows it summarises (integer division on both databases;
    # 1024 is bot.storage.tables.TIE_BLOCK, written out so this revision never changes).
    op.execute(
        "INSERT INTO tie_blocks (workspace, period, points, correct, block, users)"
        " SELECT workspace, period, points, correct, subject_id / 1024, COUNT(*) FROM totals"
        " WHERE kind = 'user' AND points > 0"
        " GROUP BY workspace, period, points, correct, subject_id / 1024"
    )


def downgrade() -> None:
    op.drop_table('tie_blocks')
