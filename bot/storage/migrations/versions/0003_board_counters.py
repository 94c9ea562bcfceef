"""board counters: team members, active members per team and period, the score histogram"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('members', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('totals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_index('ix_totals_board')
        batch_op.create_index('ix_totals_rank', ['workspace', 'period', 'kind', 'points', 'correct', 'subject_id'], unique=False)
    op.create_table('score_counts',
    sa.Column('workspace', sa.String(length=200), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('users', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('workspace', 'period', 'points', 'correct', name=op.f('pk_score_counts'))
    )
    # Existing data: derive every counter from the rows it summarises.
    op.execute(
        "UPDATE teams SET members ="
        " (SELECT COUNT(*) FROM memberships WHERE memberships.team_id = teams.id)"
    )
    op.execute(
        "UPDATE totals SET active = (SELECT COUNT(*) FROM team_active"
        " WHERE team_active.workspace = totals.workspace AND team_active.period = totals.period"
        " AND team_active.team_id = totals.subject_id) WHERE kind = 'team'"
    )
    op.execute(
        "INSERT INTO score_counts (workspace, period, points, correct, users)"
        " SELECT workspace, period, points, correct, COUNT(*) FROM totals"
        " WHERE kind = 'user' AND points > 0 GROUP BY workspace, period, points, correct"
    )


def downgrade() -> None:
    op.drop_table('score_counts')
    with op.batch_alter_table('totals', schema=None) as batch_op:
        batch_op.drop_index('ix_totals_rank')
        batch_op.create_index('ix_totals_board', ['workspace', 'period', 'kind', 'points'], unique=False)
        batch_op.drop_column('active')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('members')
