"""covering reads: the team rank, a player's answers by topic and review cards read from their indexes on PostgreSQL"""

from __future__ import annotations

from alembic import op


revision = '0026_covering_reads'
down_revision = '0025_events_fillfactor'
branch_labels = None
depends_on = None

# PostgreSQL answers a read from an index alone (an index-only scan) when the index holds
# every column the read uses and the table's pages are marked all-visible (by VACUUM, which
# autovacuum runs). Without that, each entry costs a visit to the table: at 100,000 players
# and 5,000,000 answers, a random player's own `stats` read ~290 pages, ~220 of them outside
# the cache (a player's answers lie on a page each, one per round; so do their cards), and a
# team's rank visited each team row ahead of it (an expression index never covers the
# columns of its expression). docs/scaling.md, session 12 and 13. SQLite keeps these reads
# as they are: its cards are in key order already, and it met the figures.
#
# The indexes are built again in the migration's transaction: writes to answers wait for it
# (seconds per million answers), reads do not.
#
# Written out as they stand at this revision, so this migration never changes with the code.
SHARE = "CASE WHEN (active > 0) THEN CAST(points AS FLOAT) / CAST(active AS FLOAT) ELSE 0.0 END"
TEAMS = (
    "CREATE INDEX ix_totals_teams ON totals"
    f" (workspace, period, ({SHARE}) DESC, correct DESC, subject_id){{include}}"
    " WHERE kind = 'team' AND points > 0"
)
# (name, table, key columns, the columns carried beside the key)
COVERING = (
    ('ix_answers_user_streak', 'answers', 'user_id, streak', 'round_id, topic, correct'),
    ('ix_cards_user_due', 'cards', 'user_id, due', 'question_id, topic, stability, last_review'),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP INDEX ix_totals_teams')
    op.execute(TEAMS.format(include=' INCLUDE (points, active)'))
    for name, table, key, carried in COVERING:
        op.execute(f'DROP INDEX {name}')
        op.execute(f'CREATE INDEX {name} ON {table} ({key}) INCLUDE ({carried})')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, table, key, _ in COVERING:
        op.execute(f'DROP INDEX {name}')
        op.execute(f'CREATE INDEX {name} ON {table} ({key})')
    op.execute('DROP INDEX ix_totals_teams')
    op.execute(TEAMS.format(include=''))
