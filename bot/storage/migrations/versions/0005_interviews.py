"""interviews: sessions of open questions graded by key points"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='quiz', nullable=False))
        batch_op.add_column(sa.Column('keep', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('interview_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=40), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('covered', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('points', sa.String(length=20), nullable=False),
    sa.Column('grader', sa.String(length=10), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_interview_answers_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_interview_answers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_answers')),
    sa.UniqueConstraint('quiz_id', 'question_id', name='uq_interview_answers_quiz_question')
    )
    with op.batch_alter_table('interview_answers', schema=None) as batch_op:
        batch_op.create_index('ix_interview_answers_user_answered', ['user_id', 'answered_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('interview_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_interview_answers_user_answered')
    op.drop_table('interview_answers')
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('keep')
        batch_op.drop_column('kind')
