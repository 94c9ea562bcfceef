"""events fillfactor: point_events pages half filled on PostgreSQL, so a rescore's rewrites are HOT"""

from __future__ import annotations

from alembic import op


revision = '0025_events_fillfactor'
down_revision = '0024_rescore_fillfactor'
branch_labels = None
depends_on = None

# No index of point_events holds points or correct, the two columns a rescore rewrites, so
# its update of a round's events is HOT (one WAL record, no entry in any of the four
# indexes) whenever the new version fits on the row's page. A close appends a round's
# events together, so a rekey rewrites most rows of the same pages: only half-filled pages
# have room for all of them. Measured (docs/scaling.md, session 13): the events' update of a
# 10,000-answer rescore 130-180 ms -> 32-43 ms of server time; at 70 only part of it fits
# (~90 ms). The price is a table twice the size on disk; its reads are by index (a player's
# events, a round's), a page per row either way. Existing pages are not rewritten.
TABLE = 'point_events'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE {TABLE} SET (fillfactor = 50)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE {TABLE} RESET (fillfactor)')
