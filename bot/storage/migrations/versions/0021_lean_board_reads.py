"""lean board reads: the team board's index; score_counts and cards in key order on SQLite"""

from __future__ import annotations

from alembic import op


revision = '0021_lean_board_reads'
down_revision = '0020_notes_unchecked'
branch_labels = None
depends_on = None

# The expression is written out as bot/storage/team_order.py team_share renders it, so this
# revision never changes with the code; the statements repeat it word for word (a planner
# matches an index expression, and a partial index's WHERE, by their form), on both databases.
SHARE = "CASE WHEN (active > 0) THEN CAST(points AS FLOAT) / CAST(active AS FLOAT) ELSE 0.0 END"


# The two tables as they stand at this revision, written out so it never changes with the code.
TABLES = {
    'score_counts': (
        "workspace VARCHAR(200) NOT NULL, period VARCHAR(8) NOT NULL,"
        " points INTEGER NOT NULL, correct INTEGER NOT NULL,"
        " users INTEGER DEFAULT '0' NOT NULL,"
        " CONSTRAINT pk_score_counts PRIMARY KEY (workspace, period, points, correct)",
        "workspace, period, points, correct",
        "workspace, period, points, correct, users",
        [],
    ),
    'cards': (
        "user_id INTEGER NOT NULL, question_id VARCHAR(40) NOT NULL, topic VARCHAR(64) NOT NULL,"
        " state SMALLINT NOT NULL, step INTEGER, stability FLOAT, difficulty FLOAT,"
        " due DATETIME NOT NULL, last_review DATETIME,"
        " reps INTEGER DEFAULT '0' NOT NULL, lapses INTEGER DEFAULT '0' NOT NULL,"
        " CONSTRAINT pk_cards PRIMARY KEY (user_id, question_id),"
        " CONSTRAINT fk_cards_user_id_users FOREIGN KEY(user_id)"
        " REFERENCES users (id) ON DELETE CASCADE",
        "user_id, question_id",
        "user_id, question_id, topic, state, step, stability, difficulty, due, last_review,"
        " reps, lapses",
        ["CREATE INDEX ix_cards_user_due ON cards (user_id, due)"],
    ),
}


def upgrade() -> None:
    op.execute(
        f"CREATE INDEX ix_totals_teams ON totals"
        f" (workspace, period, ({SHARE}) DESC, correct DESC, subject_id)"
        f" WHERE kind = 'team' AND points > 0"
    )
    # On SQLite, tables WITHOUT ROWID keep their rows in the key's order: a rank sums a range
    # of the histogram in place (a few thousand rows at most), and `stats` reads a player's
    # cards from a page or two.
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild('score_counts', with_rowid=False)
        _rebuild('cards', with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild('cards', with_rowid=True)
        _rebuild('score_counts', with_rowid=True)
    op.drop_index('ix_totals_teams', table_name='totals')


def _rebuild(table: str, with_rowid: bool) -> None:
    """The table copied into a new one with or without rowids. The rows are copied in the
    key's order: into a table WITHOUT ROWID that is an append, where the rowid order (every
    player's card of one reveal after another) made each row a random insert, many times
    slower for millions of cards."""
    columns, key, names, indexes = TABLES[table]
    suffix = '' if with_rowid else ' WITHOUT ROWID'
    op.execute(f"CREATE TABLE _rebuilt_{table} ({columns}){suffix}")
    op.execute(
        f"INSERT INTO _rebuilt_{table} ({names}) SELECT {names} FROM {table} ORDER BY {key}"
    )
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE _rebuilt_{table} RENAME TO {table}")
    for ddl in indexes:
        op.execute(ddl)
