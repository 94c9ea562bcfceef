"""`insert_rows`: a rescore's bulk inserts (one array per column on PostgreSQL) keep every row."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.bootstrap import App
from bot.storage.bulk import insert_rows

_probe = sa.MetaData()
probe = sa.Table(
    "bulk_probe",
    _probe,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("flag", sa.Boolean, nullable=False),
    sa.Column("n", sa.Integer, nullable=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=True),
    prefixes=["TEMPORARY"],
)
AT = dt.datetime(2026, 11, 16, 8, tzinfo=dt.UTC)


async def test_every_row_and_its_nulls_arrive_in_order_of_the_columns(app: App) -> None:
    rows = [
        (i, f"note {i}: it's «quoted», {{braced}}", i % 2 == 0, None if i % 3 else -i, None)
        for i in range(1, 2_501)
    ]

    def body(conn: sa.Connection) -> list[tuple[object, ...]]:
        probe.create(conn)
        try:
            insert_rows(conn, probe, rows)
            insert_rows(conn, probe, [])  # nothing to write: no statement, no error
            return [tuple(r) for r in conn.execute(sa.select(probe).order_by(probe.c.id))]
        finally:
            probe.drop(conn)

    assert await app.db.write_sync(body) == rows


async def test_named_columns_leave_the_others_to_their_defaults(app: App) -> None:
    def body(conn: sa.Connection) -> list[tuple[object, ...]]:
        probe.create(conn)
        try:
            insert_rows(conn, probe, [("b", True, AT), ("a", False, None)], ["label", "flag", "at"])
            got = conn.execute(sa.select(probe).order_by(probe.c.id))
            return [(r.id, r.label, r.flag, r.n, r.at is not None) for r in got]
        finally:
            probe.drop(conn)

    assert await app.db.write_sync(body) == [
        (1, "b", True, None, True),
        (2, "a", False, None, False),
    ]
