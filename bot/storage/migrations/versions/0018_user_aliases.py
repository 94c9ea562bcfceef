"""user_aliases: the other names a person goes by (Slack handle, real name), for `stats NAME`"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0018_user_aliases'
down_revision = '0017_retire_in_bank'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'user_aliases',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('workspace', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name='fk_user_aliases_user_id_users', ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('user_id', 'name_key', name='pk_user_aliases'),
    )
    op.create_index(
        'ix_user_aliases_workspace_name', 'user_aliases', ['workspace', 'name_key'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_user_aliases_workspace_name', table_name='user_aliases')
    op.drop_table('user_aliases')
