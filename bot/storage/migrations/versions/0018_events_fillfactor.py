"""point_events pages keep half their room free on PostgreSQL (fillfactor 50), so a rescore's
rewrite of an event's points and verdict stays on its page (a HOT update: no index entries)"""

from __future__ import annotations

from alembic import op


revision = '0018_events_fillfactor'
down_revision = '0017_retire_in_bank'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL only (SQLite has no fillfactor). Pages written from now on keep the room;
    # existing ones are not rewritten here (a VACUUM FULL would lock the table meanwhile).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE point_events SET (fillfactor = 50)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE point_events RESET (fillfactor)')
