"""chunked close: a resumable settle cursor on rounds, the board index in board order"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settle_cursor', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('settle_previous', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('settle_points', sa.Integer(), nullable=True))
    op.create_index(
        'ix_rounds_settling',
        'rounds',
        ['workspace'],
        unique=False,
        sqlite_where=sa.text('settle_cursor IS NOT NULL'),
        postgresql_where=sa.text('settle_cursor IS NOT NULL'),
    )
    op.drop_index('ix_totals_rank', table_name='totals')
    op.create_index(
        'ix_totals_board',
        'totals',
        ['workspace', 'period', 'kind', sa.text('points DESC'), sa.text('correct DESC'), 'subject_id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_totals_board', table_name='totals')
    op.create_index(
        'ix_totals_rank',
        'totals',
        ['workspace', 'period', 'kind', 'points', 'correct', 'subject_id'],
        unique=False,
    )
    op.drop_index('ix_rounds_settling', table_name='rounds')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('settle_points')
        batch_op.drop_column('settle_previous')
        batch_op.drop_column('settle_cursor')
