"""board numbers: a boards table, and totals keyed by (board, subject) instead of four columns"""

from __future__ import annotations

from alembic import op


revision = '0027_board_numbers'
down_revision = '0026_covering_reads'
branch_labels = None
depends_on = None

# A rescore rewrites tens of thousands of totals rows in one transaction, and each new row
# version costs an entry in every index of the table. Keyed by (workspace, period, kind,
# subject) those entries held three texts and an integer; keyed by a board's number they hold
# two integers, and the same update of 25,716 rows took about 40% less time (docs/scaling.md,
# session 14). The table is rebuilt (copied in key order, then swapped in): writes to it wait
# for the migration (a lock taken first), reads go on until the swap.
#
# Written out as it stands at this revision, so this migration never changes with the code.
SHARE = "CASE WHEN (active > 0) THEN CAST(points AS FLOAT) / CAST(active AS FLOAT) ELSE 0.0 END"
BOARDS = (
    "CREATE TABLE boards (id {serial} NOT NULL, workspace VARCHAR(200) NOT NULL,"
    " period VARCHAR(8) NOT NULL, kind VARCHAR(4) NOT NULL,"
    " CONSTRAINT pk_boards PRIMARY KEY (id),"
    " CONSTRAINT uq_boards_workspace UNIQUE (workspace, period, kind))"
)
NEW = (
    "CREATE TABLE totals_rebuilt (board_id INTEGER NOT NULL, subject_id INTEGER NOT NULL,"
    " kind VARCHAR(4) NOT NULL, points INTEGER DEFAULT '0' NOT NULL,"
    " correct INTEGER DEFAULT '0' NOT NULL, answered INTEGER DEFAULT '0' NOT NULL,"
    " active INTEGER DEFAULT '0' NOT NULL,"
    " CONSTRAINT {pk} PRIMARY KEY (board_id, subject_id))"
)
OLD = (
    "CREATE TABLE totals_rebuilt (workspace VARCHAR(200) NOT NULL, period VARCHAR(8) NOT NULL,"
    " kind VARCHAR(4) NOT NULL, subject_id INTEGER NOT NULL,"
    " points INTEGER DEFAULT '0' NOT NULL, correct INTEGER DEFAULT '0' NOT NULL,"
    " answered INTEGER DEFAULT '0' NOT NULL, active INTEGER DEFAULT '0' NOT NULL,"
    " CONSTRAINT {pk} PRIMARY KEY (workspace, period, kind, subject_id))"
)
# The indexes' leading columns: the board's number now; before, its key (the team board's
# index, on team rows only, left the kind out).
BOARD_INDEX = "CREATE INDEX ix_totals_board ON totals ({board}, points DESC, correct DESC, subject_id)"
TEAM_INDEX = (
    "CREATE INDEX ix_totals_teams ON totals"
    " ({board}, ({share}) DESC, correct DESC, subject_id){include}"
    " WHERE kind = 'team' AND points > 0"
)


def upgrade() -> None:
    pg = op.get_bind().dialect.name == 'postgresql'
    _hold_writes(pg)
    op.execute(BOARDS.format(serial='SERIAL' if pg else 'INTEGER'))
    op.execute(
        "INSERT INTO boards (workspace, period, kind)"
        " SELECT DISTINCT workspace, period, kind FROM totals ORDER BY workspace, period, kind"
    )
    op.execute(NEW.format(pk=_key(pg)))
    op.execute(
        "INSERT INTO totals_rebuilt (board_id, subject_id, kind, points, correct, answered, active)"
        " SELECT b.id, t.subject_id, t.kind, t.points, t.correct, t.answered, t.active"
        " FROM totals t JOIN boards b"
        " ON b.workspace = t.workspace AND b.period = t.period AND b.kind = t.kind"
        " ORDER BY b.id, t.subject_id"
    )
    _swap(pg, 'board_id', 'board_id')


def downgrade() -> None:
    pg = op.get_bind().dialect.name == 'postgresql'
    _hold_writes(pg)
    op.execute(OLD.format(pk=_key(pg)))
    op.execute(
        "INSERT INTO totals_rebuilt"
        " (workspace, period, kind, subject_id, points, correct, answered, active)"
        " SELECT b.workspace, b.period, t.kind, t.subject_id,"
        " t.points, t.correct, t.answered, t.active"
        " FROM totals t JOIN boards b ON b.id = t.board_id"
        " ORDER BY b.workspace, b.period, t.kind, t.subject_id"
    )
    _swap(pg, 'workspace, period, kind', 'workspace, period')
    op.execute("DROP TABLE boards")


def _swap(pg: bool, board: str, team: str) -> None:
    """The rebuilt table in place of totals, with the key's and both indexes' names."""
    op.execute("DROP TABLE totals")
    op.execute("ALTER TABLE totals_rebuilt RENAME TO totals")
    if pg:
        op.execute(f"ALTER TABLE totals RENAME CONSTRAINT {_key(pg)} TO pk_totals")
    op.execute(BOARD_INDEX.format(board=board))
    include = ' INCLUDE (points, active)' if pg else ''
    op.execute(TEAM_INDEX.format(board=team, share=SHARE, include=include))


def _key(pg: bool) -> str:
    """The rebuilt table's key's name: on PostgreSQL the key is an index, and pk_totals is
    taken until the old table goes; SQLite keeps a key's name in the table's text only."""
    return 'pk_totals_rebuilt' if pg else 'pk_totals'


def _hold_writes(pg: bool) -> None:
    """On PostgreSQL, no write to totals between the copy and the swap (a write the copy's
    snapshot missed would be lost with the old table): writers wait for the migration to
    commit, readers go on until the swap. SQLite's migration holds the one write lock."""
    if pg:
        op.execute("LOCK TABLE totals IN SHARE MODE")
