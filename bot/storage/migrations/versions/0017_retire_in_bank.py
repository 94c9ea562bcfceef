"""retired questions move into the workspace bank (workspace_disabled, kind question);
answers indexed by user and streak (a player's best streak is one index probe)"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0017_retire_in_bank'
down_revision = '0016_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each retirement becomes a disabled item of kind `question`, by the admin the audit log
    # names for it; the workspaces' bank versions move so running processes rebuild.
    op.execute(
        """
        INSERT INTO workspace_disabled (workspace, kind, item, created_by, created_at)
        SELECT r.workspace, 'question', r.question_id,
               COALESCE((SELECT a.actor_ref FROM audit_log a
                         WHERE a.workspace = r.workspace AND a.question_id = r.question_id
                           AND a.action = 'retire'
                         ORDER BY a.id LIMIT 1), ''),
               r.retired_at
        FROM retired_questions r
        WHERE NOT EXISTS (SELECT 1 FROM workspace_disabled d
                          WHERE d.workspace = r.workspace AND d.kind = 'question'
                            AND d.item = r.question_id)
        """
    )
    op.execute(
        """
        UPDATE workspace_bank_versions SET version = version + 1
        WHERE workspace IN (SELECT workspace FROM retired_questions)
        """
    )
    op.execute(
        """
        INSERT INTO workspace_bank_versions (workspace, version)
        SELECT DISTINCT r.workspace, 1 FROM retired_questions r
        WHERE NOT EXISTS (SELECT 1 FROM workspace_bank_versions v
                          WHERE v.workspace = r.workspace)
        """
    )
    op.drop_table('retired_questions')
    # Replaces the index on user_id alone, which it serves too.
    op.create_index('ix_answers_user_streak', 'answers', ['user_id', 'streak'], unique=False)
    op.drop_index('ix_answers_user', table_name='answers')


def downgrade() -> None:
    op.create_table('retired_questions',
    sa.Column('workspace', sa.String(length=200), nullable=False),
    sa.Column('question_id', sa.String(length=40), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('workspace', 'question_id', name=op.f('pk_retired_questions'))
    )
    op.execute(
        """
        INSERT INTO retired_questions (workspace, question_id, retired_at)
        SELECT workspace, item, created_at FROM workspace_disabled WHERE kind = 'question'
        """
    )
    op.execute("DELETE FROM workspace_disabled WHERE kind = 'question'")
    op.create_index('ix_answers_user', 'answers', ['user_id'], unique=False)
    op.drop_index('ix_answers_user_streak', table_name='answers')
