"""workspace decks, per-workspace disabled items and the bank version they bump"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012_workspace_decks'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'workspace_decks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('format', sa.String(length=10), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('items', sa.Text(), nullable=False),
        sa.Column('question_count', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace_decks')),
        sa.UniqueConstraint('workspace', 'name', name='uq_workspace_decks_workspace_name'),
    )
    op.create_table(
        'workspace_disabled',
        sa.Column('workspace', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('item', sa.String(length=80), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('workspace', 'kind', 'item', name=op.f('pk_workspace_disabled')),
    )
    op.create_table(
        'workspace_bank_versions',
        sa.Column('workspace', sa.String(length=200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('workspace', name=op.f('pk_workspace_bank_versions')),
    )


def downgrade() -> None:
    op.drop_table('workspace_bank_versions')
    op.drop_table('workspace_disabled')
    op.drop_table('workspace_decks')
