"""cards, learners, review_settings: spaced repetition with FSRS, streaks and reminders"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0015_cards'
down_revision = '0014_audit'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cards',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.String(length=40), nullable=False),
        sa.Column('topic', sa.String(length=64), nullable=False),
        sa.Column('state', sa.SmallInteger(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=True),
        sa.Column('stability', sa.Float(), nullable=True),
        sa.Column('difficulty', sa.Float(), nullable=True),
        sa.Column('due', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_review', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reps', sa.Integer(), server_default='0', nullable=False),
        sa.Column('lapses', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name='fk_cards_user_id_users', ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('user_id', 'question_id', name='pk_cards'),
    )
    op.create_index('ix_cards_user_due', 'cards', ['user_id', 'due'], unique=False)
    op.create_table(
        'learners',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('streak', sa.Integer(), server_default='0', nullable=False),
        sa.Column('best_streak', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_study_day', sa.Date(), nullable=True),
        sa.Column('remind_time', sa.String(length=5), nullable=True),
        sa.Column('remind_zone', sa.String(length=64), nullable=True),
        sa.Column('remind_channel_id', sa.Integer(), nullable=True),
        sa.Column('remind_next_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name='fk_learners_user_id_users', ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('user_id', name='pk_learners'),
    )
    op.create_index(
        'ix_learners_remind_next_at', 'learners', ['remind_next_at'], unique=False
    )
    op.create_table(
        'review_settings',
        sa.Column('workspace', sa.String(length=200), nullable=False),
        sa.Column('retention', sa.Float(), nullable=True),
        sa.Column('maximum_interval', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('workspace', name='pk_review_settings'),
    )


def downgrade() -> None:
    op.drop_table('review_settings')
    op.drop_index('ix_learners_remind_next_at', table_name='learners')
    op.drop_table('learners')
    op.drop_index('ix_cards_user_due', table_name='cards')
    op.drop_table('cards')
