"""channels.next_due_at: the instant the scheduler next looks at a channel, indexed"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('channels', sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_channels_next_due_at', 'channels', ['next_due_at'], unique=False)
    # Every enabled channel is looked at on the first tick (updated_at is in the past), which
    # then stores its real next instant.
    channels = sa.table(
        'channels',
        sa.column('enabled', sa.Boolean),
        sa.column('updated_at', sa.DateTime(timezone=True)),
        sa.column('next_due_at', sa.DateTime(timezone=True)),
    )
    op.execute(
        channels.update()
        .where(channels.c.enabled.is_(sa.true()))
        .values(next_due_at=channels.c.updated_at)
    )


def downgrade() -> None:
    op.drop_index('ix_channels_next_due_at', table_name='channels')
    op.drop_column('channels', 'next_due_at')
