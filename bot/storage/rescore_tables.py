"""The temporary tables a rescore stages its changes in, before one statement per real table."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.schema import CreateTable, DropTable

# Staging tables, private to the transaction's connection (TEMPORARY on both databases) and
# dropped before it commits: the Python walk writes its results here once, then each real
# table takes one statement (UPDATE ... FROM, INSERT ... SELECT) instead of one per row.
_staging = sa.MetaData()
_TEMP = ["TEMPORARY"]
stage = sa.Table(  # the answers whose verdict, points or streak change
    "rescore_stage",
    _staging,
    # Not SERIAL: the values are given, and a sequence is one more relation to create and
    # drop with the table on every rescore (PostgreSQL).
    sa.Column("answer_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("round_id", sa.Integer, nullable=False),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("correct", sa.Boolean, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("streak", sa.Integer, nullable=False),
    # What the answer held before (its point event holds the same: the close and every
    # rescore write both), so an event's change is known without reading the event first.
    sa.Column("was_correct", sa.Boolean, nullable=False),
    sa.Column("was_points", sa.Integer, nullable=False),
    prefixes=_TEMP,
)
players = sa.Table(  # whose streak stats are written again; `reset`: the chain's end moved
    "rescore_players",
    _staging,
    sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("reset", sa.Boolean, nullable=False),
    sa.Column("cur", sa.Integer, nullable=True),
    sa.Column("last", sa.Integer, nullable=True),
    # The highest streak among the player's answers the rescore rewrites, before and after
    # (0 without one): what their best streak can be told from without reading their history.
    sa.Column("old_top", sa.Integer, nullable=False),
    sa.Column("new_top", sa.Integer, nullable=False),
    prefixes=_TEMP,
)
events = sa.Table(  # the change of each point event (a voided round's: all of it, negated)
    "rescore_events",
    _staging,
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("team_id", sa.Integer, nullable=True),
    sa.Column("week", sa.String(8), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("dp", sa.Integer, nullable=False),
    sa.Column("dc", sa.Integer, nullable=False),
    sa.Column("dn", sa.Integer, nullable=False),
    prefixes=_TEMP,
)
gone = sa.Table(  # (period, team, member) no longer active once the voided events go
    "rescore_gone",
    _staging,
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("team_id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, primary_key=True),
    prefixes=_TEMP,
)
moved = sa.Table(  # the net change per totals row (its key), unique by its GROUP BY
    # SQLite only: PostgreSQL feeds the sums to the totals update in the same statement.
    "rescore_moved",
    _staging,
    sa.Column("board_id", sa.Integer, nullable=False),
    sa.Column("subject_id", sa.Integer, nullable=False),
    sa.Column("dp", sa.Integer, nullable=False),
    sa.Column("dc", sa.Integer, nullable=False),
    sa.Column("dn", sa.Integer, nullable=False),
    sa.Column("da", sa.Integer, nullable=False),
    prefixes=_TEMP,
)
after = sa.Table(  # each changed totals row once the change is in, and the change itself
    # Written once by inserts (on PostgreSQL from the totals update's RETURNING): updating
    # the staged rows in place instead cost as much as the totals update itself. Both staged
    # tables name a row by its board's number alone: the rank counters and the notes map the
    # few numbers back to periods (bot/storage/rescore_buckets.py, rescore_stats.py).
    "rescore_after",
    _staging,
    sa.Column("board_id", sa.Integer, nullable=False),
    sa.Column("subject_id", sa.Integer, nullable=False),
    sa.Column("dp", sa.Integer, nullable=False),
    sa.Column("dc", sa.Integer, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("correct", sa.Integer, nullable=False),
    sa.Column("answered", sa.Integer, nullable=False),
    prefixes=_TEMP,
)
nets = sa.Table(  # the moved players' net per board, bucket and block of ids
    # SQLite only: PostgreSQL groups them in the statement that writes the rank counters.
    "rescore_nets",
    _staging,
    sa.Column("board_id", sa.Integer, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("correct", sa.Integer, nullable=False),
    sa.Column("block", sa.Integer, nullable=False),
    sa.Column("users", sa.Integer, nullable=False),
    prefixes=_TEMP,
)
ORDER = (stage, players, events, gone, moved, after, nets)

# PostgreSQL's copies without primary keys, the ones created there: its plans hash or scan
# the staged rows and never probe them by key, so a key index would only be written (about
# a third of the cost of staging 14,000 answers). SQLite keeps the keys: it finds staged
# rows by them (and an INTEGER key is the table's rowid there, no index at all).
_unkeyed = sa.MetaData()
UNKEYED = tuple(
    sa.Table(
        t.name,
        _unkeyed,
        *(sa.Column(c.name, c.type, nullable=c.nullable) for c in t.columns),
        prefixes=_TEMP,
    )
    for t in ORDER
    if t is not moved and t is not nets
)


def staging_ddl(conn: sa.Connection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The statements that create the staged tables and drop them again, as the connection's
    database writes them: compiled once per database, not on every rescore (a DDL statement
    is never in SQLAlchemy's compiled cache, and twelve compiles cost the bot more CPU than
    the server spent running them)."""
    name = conn.dialect.name
    if name not in _DDL:
        tables = ORDER if name == "sqlite" else UNKEYED
        create = tuple(str(CreateTable(t).compile(dialect=conn.dialect)).strip() for t in tables)
        drop = tuple(str(DropTable(t).compile(dialect=conn.dialect)) for t in reversed(tables))
        _DDL[name] = (create, drop)
    return _DDL[name]


_DDL: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
