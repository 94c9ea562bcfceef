"""The rank's counters: players per score bucket, per tie block of ids and per band of points."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.tables import metadata

score_counts = sa.Table(
    "score_counts",
    metadata,
    # How many players hold each (points, correct) on a board, kept with the totals: a rank is
    # a sum over these few rows, not a count over every better player (O(rank)); on SQLite in
    # the key's order (WITHOUT ROWID), so the sum reads one range of them in place.
    sa.Column("workspace", sa.String(200), primary_key=True),
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("points", sa.Integer, primary_key=True),
    sa.Column("correct", sa.Integer, primary_key=True),
    sa.Column("users", sa.Integer, nullable=False, server_default="0"),
    sqlite_with_rowid=False,
)
# Players per bucket of score_counts and block of TIE_BLOCK ids, kept by the same writes: the
# rank inside a tie of thousands sums the blocks below the asker's and counts one block's range
# of ix_totals_board, instead of every tied player with a lower id (O(position in the tie)).
TIE_BLOCK = 1024
tie_blocks = sa.Table(
    "tie_blocks",
    metadata,
    sa.Column("workspace", sa.String(200), primary_key=True),
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("points", sa.Integer, primary_key=True),
    sa.Column("correct", sa.Integer, primary_key=True),
    sa.Column("block", sa.Integer, primary_key=True),  # subject_id // TIE_BLOCK
    sa.Column("users", sa.Integer, nullable=False, server_default="0"),
)
# Players per band of SCORE_BAND points, kept by the same writes as score_counts: a rank sums
# the bands above the asker's and the buckets of its band above it (~35 bands and a few dozen
# buckets mid-board at 100 rounds) instead of every better bucket (~1,700). On PostgreSQL each
# bucket summed is a heap fetch (no index-only scan on a table every close updates; see
# docs/scaling.md, session 11).
SCORE_BAND = 16
score_bands = sa.Table(
    "score_bands",
    metadata,
    sa.Column("workspace", sa.String(200), primary_key=True),
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("band", sa.Integer, primary_key=True),  # points // SCORE_BAND
    sa.Column("users", sa.Integer, nullable=False, server_default="0"),
    sqlite_with_rowid=False,
)
