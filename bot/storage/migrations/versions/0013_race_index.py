"""point_events by (workspace, week, team): the team race of a week's tally reads one range"""

from __future__ import annotations

from alembic import op


revision = '0013_race_index'
down_revision = '0012_workspace_decks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_point_events_workspace_week_team',
        'point_events',
        ['workspace', 'week', 'team_id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_point_events_workspace_week_team', table_name='point_events')
