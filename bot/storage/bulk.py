"""Driver-level reads and writes for the big statements of a rescore (no per-row ORM work)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Sequence
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
    conn.exec_driver_sql(_native(conn, sql), list(rows))


def insert_rows(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[tuple[Any, ...]],
    columns: Sequence[str] | None = None,
) -> None:
    """INSERT `rows` (one value per column of `columns`, by default all of `table`'s). On
    PostgreSQL one statement whose parameters are one array per column, unnested by the
    server: an executemany runs the statement once per row there, and for ten thousand rows
    those executions cost the server more than the rows themselves. SQLite runs in
    process, where the executemany of `many` is already the cheap way."""
    if not rows:
        return
    cols = [table.c[n] for n in columns] if columns is not None else list(table.columns)
    names = ", ".join(c.name for c in cols)
    if conn.dialect.name != "postgresql":
        marks = ", ".join("?" for _ in cols)
        many(conn, f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
        return
    arrays: list[str] = []
    params: list[Any] = []
    for n, (c, values) in enumerate(zip(cols, zip(*rows, strict=True), strict=True), start=1):
        kind = c.type.compile(dialect=conn.dialect)
        if isinstance(c.type, sa.Integer | sa.Boolean):
            arrays.append(f"string_to_array(${n}, ',', '')::{kind}[]")
            params.append(int_list(values))
        else:
            arrays.append(f"${n}::{kind}[]")
            params.append(list(values))
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({', '.join(arrays)})",
        tuple(params),
    )


def int_list(values: Collection[int | bool | None]) -> str:
    """Integers or booleans as one comma-separated text (None as an empty item; a boolean as
    True or False, which PostgreSQL reads), for `string_to_array(?, ',', '')::integer[]`: the
    driver encodes a list parameter element by element with a type check each, which for the
    tens of thousands of values of a rescore cost the bot more than the server's parse of
    one text."""
    if None in values:
        return ",".join("" if v is None else str(v) for v in values)
    return ",".join(map(str, values))


def fetch(conn: sa.Connection, sql: str, params: tuple[Any, ...]) -> Sequence[Sequence[Any]]:
    """The rows of a read written with `?` placeholders, as the driver returned them (tuples,
    or asyncpg's records: both unpack and index like tuples): for reads of tens of thousands
    of rows whose values need no type processing. Taken from the driver's cursor in one
    `fetchall`: SQLAlchemy's own fetch builds a Row per row, and iterating the result costs a
    `fetchone` through the async adapter per row."""
    result = conn.exec_driver_sql(_native(conn, sql), params)
    try:
        rows: Sequence[Sequence[Any]] = result.cursor.fetchall()
    finally:
        result.close()
    return rows


def _native(conn: sa.Connection, sql: str) -> str:
    style = conn.dialect.paramstyle
    if style == "numeric_dollar":
        numbers = itertools.count(1)
        return _MARK.sub(lambda _: f"${next(numbers)}", sql)
    if style in ("format", "pyformat"):
        return sql.replace("?", "%s")
    return sql


def bind(conn: sa.Connection, column: sa.Column[Any], value: Any) -> Any:
    """`value` as SQLAlchemy would send it for `column` (e.g. SQLite's timestamp text)."""
    process = column.type.bind_processor(conn.dialect)
    return process(value) if process is not None else value
