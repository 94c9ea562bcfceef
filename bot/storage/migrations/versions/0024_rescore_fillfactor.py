"""rescore fillfactor: user_stats pages half filled on PostgreSQL, so its updates are HOT"""

from __future__ import annotations

from alembic import op


revision = '0024_rescore_fillfactor'
down_revision = '0023_score_bands'
branch_labels = None
depends_on = None

# Nothing in user_stats is indexed but its key, so an update is HOT (no index entry, one WAL
# record) whenever the new row version fits on its page. Packed full by inserts, the pages
# had no room: a rescore rewrites the streak stats of up to 85% of a round's players in one
# transaction (docs/scaling.md, Rescoring, session 11) and each close about half of them. At
# 50 a page keeps room for as many versions as it holds rows; the table is one small row
# per player. Existing pages are not rewritten (that takes VACUUM FULL's lock): a row moves
# to a half-filled page at its next update that does not fit. SQLite has no such setting.
TABLE = 'user_stats'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE {TABLE} SET (fillfactor = 50)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE {TABLE} RESET (fillfactor)')
