"""The team board's order as one expression, shared by its index and the statements that read it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Alias

from bot.storage.board_tables import totals

# Constants written into the SQL text, never sent as bind parameters: neither SQLite's nor
# PostgreSQL's planner matches an expression index, or a partial index's WHERE, through a
# parameter (PostgreSQL plans the hot reads generically, without looking at their values).
ZERO = sa.literal_column("0", sa.Integer)
TEAM = sa.literal_column("'team'", sa.String)


def _divide(a: Any, b: Any) -> sa.ColumnElement[float]:
    return a.op("/", return_type=sa.Float)(b)  # type: ignore[no-any-return]


def team_share(t: Any) -> sa.ColumnElement[float]:
    """Points per active member of the team row `t` (totals or an alias of it), in double
    precision; 0 without an active member. Any statement that should read ix_totals_teams
    in order repeats this exact expression (the planners compare expressions, not values).

    Double precision is exact enough to order by: two different shares p1/a1 > p2/a2
    differ by at least 1/(a1 a2), more than the two divisions' roundings can close while
    p1 a2 + p2 a1 < 2**53 (points x active members that large is out of any workspace's
    reach), and equal shares divide to the same double; a test checks the order against
    exact fractions on both databases."""
    return sa.case(
        # A plain `/` between two doubles: SQLAlchemy's own division adds casts of its own
        # (and `+ 0.0` on SQLite), which the index's expression would then have to carry too.
        (t.c.active > ZERO, _divide(sa.cast(t.c.points, sa.Float), sa.cast(t.c.active, sa.Float))),
        else_=sa.literal_column("0.0", sa.Float),
    )


def on_board(t: Any) -> sa.ColumnElement[bool]:
    """A team row on a board: a team with points (the partial index's WHERE, in the same
    literal words so the planners see that the index holds every row the query wants)."""
    return sa.and_(t.c.kind == TEAM, t.c.points > ZERO)


# The team board's order (share, then more correct answers, then the earlier team) as an
# index holding team rows with points only: the top ten is the index's first ten entries of
# the period (no sort of a thousand teams), a team's rank is a count over the range ahead of
# it, and a player's answer, which rewrites user rows, never touches this index.
sa.Index(
    "ix_totals_teams",
    totals.c.board_id,
    sa.sql.elements.Grouping(team_share(totals)).desc(),  # PostgreSQL wants it in brackets
    totals.c.correct.desc(),
    totals.c.subject_id,
    sqlite_where=on_board(totals),
    postgresql_where=on_board(totals),
    # A team's rank counts the entries ahead of it from the index alone on PostgreSQL: an
    # expression index does not cover its expression's columns unless it carries them.
    postgresql_include=["points", "active"],
)


class TeamRows(Alias):
    """An alias of totals that SQLite reads through ix_totals_teams (INDEXED BY). SQLite
    picks an index by the statistics ANALYZE left, and in a workspace of few players and
    many teams it took ix_totals_board's range of team rows and sorted it (seen in a test).
    Named, the index is always taken, and a statement that no longer matches the index's
    expression fails loudly instead of sorting quietly. PostgreSQL takes it unasked."""

    inherit_cache = True


@compiles(TeamRows, "sqlite")
def _indexed_by(element: TeamRows, compiler: Any, **kw: Any) -> str:
    text: str = compiler.visit_alias(element, **kw)
    return f"{text} INDEXED BY ix_totals_teams" if kw.get("asfrom") else text


def team_rows(name: str) -> TeamRows:
    """Team rows of totals under the alias `name`, read through ix_totals_teams."""
    return TeamRows._construct(totals, name=name)
