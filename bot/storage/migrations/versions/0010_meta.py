"""meta: deployment facts as keys and values (the Discord command tree's hash)"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
# Another branch may add 0009; the chain is re-made at merge.
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meta',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_meta'))
    )


def downgrade() -> None:
    op.drop_table('meta')
