"""claims become leases with a step; who enabled each channel, for refusal alerts"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
# Re-chained onto 0004 (rounds.question_json) at merge; 0003 until that branch lands.
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step', sa.String(length=10), server_default='done', nullable=False))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_claims_status_lease', ['status', 'lease_until'], unique=False)
    # Work an older version left claimed (a crash) is resumed at its publish step: publishing
    # now checks the platform before posting, so resuming cannot double a post.
    op.execute("UPDATE claims SET step = 'publish' WHERE status = 'claimed'")
    op.create_table('channel_admins',
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('user_ref', sa.String(length=200), nullable=False),
    sa.Column('alerted_on', sa.String(length=10), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_admins_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel_id', name=op.f('pk_channel_admins'))
    )


def downgrade() -> None:
    op.drop_table('channel_admins')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_status_lease')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('step')
