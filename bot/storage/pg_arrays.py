"""A batch of rows as PostgreSQL parameters: one two-dimensional array per column type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# asyncpg checks every element of a one-dimensional array parameter for being an array
# itself (one to three isinstance calls through abc's Python __instancecheck__ each: about
# 40 a click over the click statement's 25 arrays, a fifth of this process's CPU per click
# in a burst); of a two-dimensional array it checks the rows and only the first row's
# elements (docs/scaling.md, session 11). So each type's columns go as the rows of one
# array, unnested a row at a time (`$1[k:k]`).


def unnest(*groups: tuple[str, Sequence[str]]) -> str:
    """`unnest(...) AS t(...)` over parameters $1, $2, ... in order, one per (type, column
    names) group: the columns named, in the groups' order, a row per batch row."""
    parts: list[str] = []
    names: list[str] = []
    for number, (kind, columns) in enumerate(groups, start=1):
        parts += [f"(${number}::{kind}[])[{k}:{k}]" for k in range(1, len(columns) + 1)]
        names += columns
    return f"unnest({', '.join(parts)}) AS t({', '.join(names)})"


def grid(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows of one group's values as its two-dimensional array, a row of it per column
    (lists: asyncpg takes a tuple inside an array for a record)."""
    return [list(column) for column in zip(*rows, strict=True)]
