"""The click batch's SQL on SQLite: timestamps as SQLAlchemy stores them, keys found by index."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from bot.storage.click_sql import ts
from bot.storage.inbox_tables import inbox
from bot.storage.rows import pairs_in
from bot.storage.tables import TS, answers, metadata


def test_timestamps_are_the_text_sqlalchemy_would_bind() -> None:
    dialect = sqlite.dialect()
    bind = TS.dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    for value in (
        dt.datetime(2026, 11, 16, 8, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
        dt.datetime(999, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC),
    ):
        assert ts(value) == bind(value)


def test_a_batch_of_keys_is_searched_by_index_not_scanned() -> None:
    # A row-value IN over a list scans the table on SQLite: every batch with a repeat read
    # every inbox row (and every answer) until the keys were written as an OR of pairs.
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    keys = [("discord", f"click-{n}") for n in range(50)]
    with engine.connect() as conn:
        for query in (
            sa.select(inbox.c.id).where(pairs_in(inbox.c.platform, inbox.c.dedupe_key, keys, True)),
            sa.select(answers.c.given).where(
                pairs_in(answers.c.round_id, answers.c.user_id, [(1, 2), (3, 4)], True)
            ),
        ):
            sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
            assert not any(step.startswith("SCAN") for step in plan), plan
            assert any(step.startswith("SEARCH") for step in plan), plan
