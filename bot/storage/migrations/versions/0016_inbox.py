"""inbox: every interaction written before its ack; replaces the deliveries claims"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0016_inbox'
down_revision = '0015_cards'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('workspace', sa.String(length=200), nullable=False),
    sa.Column('user_ref', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('route', sa.Text(), nullable=True),
    sa.Column('route_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='1', nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
    sa.UniqueConstraint('platform', 'dedupe_key', name='uq_inbox_platform_key'),
    )
    op.create_index('ix_inbox_state_lease', 'inbox', ['state', 'lease_until'], unique=False)
    # The inbox is now the one place that dedupes deliveries; the old claims go. A delivery
    # claimed just before the upgrade and repeated just after is the only thing forgotten.
    op.drop_table('deliveries')


def downgrade() -> None:
    op.create_table('deliveries',
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('delivery_id', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'delivery_id', name=op.f('pk_deliveries'))
    )
    op.drop_index('ix_inbox_state_lease', table_name='inbox')
    op.drop_table('inbox')
