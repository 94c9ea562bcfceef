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
# Each index is built anew beside the old one, then swapped in: the builds hold off writes
# to the three tables (8-12 s at 5,000,000 answers on the bench machine) while reads go on
# through the old indexes; only the swaps at the end, a moment each, hold off reads until
# the migration commits.
#
# Written out as they stand at this revision, so this migration never changes with the code.
SHARE = "CASE WHEN (active > 0) THEN CAST(points AS FLOAT) / CAST(active AS FLOAT) ELSE 0.0 END"
# Index definitions with the index's name as `{name}`.
TEAMS = (
    "CREATE INDEX {name} ON totals"
    f" (workspace, period, ({SHARE}) DESC, correct DESC, subject_id)%s"
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
    _swap(
        [('ix_totals_teams', TEAMS % ' INCLUDE (points, active)')]
        + [
            (name, f'CREATE INDEX {{name}} ON {table} ({key}) INCLUDE ({carried})')
            for name, table, key, carried in COVERING
        ]
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    _swap(
        [('ix_totals_teams', TEAMS % '')]
        + [(name, f'CREATE INDEX {{name}} ON {table} ({key})') for name, table, key, _ in COVERING]
    )


def _swap(indexes: list[tuple[str, str]]) -> None:
    """Each (name, definition): built under a new name first, then every old index dropped
    and each new one given its name."""
    for name, ddl in indexes:
        op.execute(ddl.format(name=f'{name}_new'))
    for name, _ in indexes:
        op.execute(f'DROP INDEX {name}')
        op.execute(f'ALTER INDEX {name}_new RENAME TO {name}')
