"""inbox unfinished: the (state, lease_until) index holds only rows still being worked on"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0022_inbox_unfinished'
down_revision = '0021_lean_board_reads'
branch_labels = None
depends_on = None

# Done rows (nearly all) only answer repeats, by their unique key: out of this index, a click
# inserted done writes one WAL page fewer on SQLite (docs/scaling.md, session 9). `prune`
# finds old rows by id order instead (bot/storage/inbox.py).
UNFINISHED = "state IN ('received', 'processing')"


def upgrade() -> None:
    op.drop_index('ix_inbox_state_lease', table_name='inbox')
    op.create_index(
        'ix_inbox_unfinished',
        'inbox',
        ['state', 'lease_until'],
        unique=False,
        sqlite_where=sa.text(UNFINISHED),
        postgresql_where=sa.text(UNFINISHED),
    )


def downgrade() -> None:
    op.drop_index('ix_inbox_unfinished', table_name='inbox')
    op.create_index('ix_inbox_state_lease', 'inbox', ['state', 'lease_until'], unique=False)
