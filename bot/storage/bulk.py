"""Driver-level executemany for the big writes of a rescore (no per-row SQLAlchemy work)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

_MARK = re.compile(r"\?")


def many(conn: sa.Connection, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Run `sql` (written with `?` placeholders) once per row through the driver's own
    executemany: SQLAlchemy's per-row parameter processing costs more than the database
    does for tens of thousands of rows. Values must be plain ints, strings, bools or None
    (or already passed through the column's bind processor)."""
    if not rows:
        return
    style = conn.dialect.paramstyle
    if style == "numeric_dollar":
        numbers = itertools.count(1)
        sql = _MARK.sub(lambda _: f"${next(numbers)}", sql)
    elif style in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    conn.exec_driver_sql(sql, list(rows))


def bind(conn: sa.Connection, column: sa.Column[Any], value: Any) -> Any:
    """`value` as SQLAlchemy would send it for `column` (e.g. SQLite's timestamp text)."""
    process = column.type.bind_processor(conn.dialect)
    return process(value) if process is not None else value
