"""forgotten answers: an anonymous lock on an open round for a user who used forgetme"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('forgotten_answers',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_forgotten_answers_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'user_key', name=op.f('pk_forgotten_answers'))
    )


def downgrade() -> None:
    op.drop_table('forgotten_answers')
