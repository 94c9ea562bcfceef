"""round snapshot: every round keeps the question it asked (rounds.question_json)"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_json', sa.Text(), nullable=True))
    # Existing rounds: the question as the bank has it now, when the migration is given the
    # bank (at start, and `studybot db upgrade` when the decks load). A question already gone
    # stays NULL and the round falls back to the bank at run time.
    snapshot = context.config.attributes.get('question_json')
    if snapshot is None:
        return
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text('SELECT DISTINCT question_id FROM rounds'))]
    for question_id in ids:
        text = snapshot(question_id)
        if text is not None:
            bind.execute(
                sa.text('UPDATE rounds SET question_json = :q WHERE question_id = :id'),
                {'q': text, 'id': question_id},
            )


def downgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('question_json')
