"""The click batch's SQL on SQLite: timestamps as SQLAlchemy stores them, keys found by index."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from bot.inbox import InboxEntry, InboxRecord
from bot.storage import click_sql
from bot.storage.answers import BATCH_LOOKUP
from bot.storage.click_sql import ts
from bot.storage.inbox import SqlInboxStore
from bot.storage.inbox_rows import done_record, fresh, to_record
from bot.storage.inbox_tables import inbox
from bot.storage.rows import pairs_in
from bot.storage.tables import TS, answers, channels, forgotten_answers, metadata, rounds


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


NOW = dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC)


def _filled(conn: sa.Connection) -> None:
    """Two channels with an open and a closed round, a forgotten lock, inbox rows."""
    for n in (1, 2):
        conn.execute(
            channels.insert().values(
                id=n, platform="discord", workspace="w", external_id=f"c{n}", updated_at=NOW
            )
        )
        for day, closed in ((1, None), (2, NOW)):
            conn.execute(
                rounds.insert().values(
                    id=10 * n + day,
                    channel_id=n,
                    workspace="w",
                    local_date=dt.date(2026, 11, day),
                    question_id="q",
                    opened_at=NOW,
                    closes_at=NOW,
                    closed_at=closed,
                )
            )
    conn.execute(forgotten_answers.insert().values(round_id=21, user_key="k"))
    for n, state in enumerate(("received", "processing", "done", "failed")):
        conn.execute(
            inbox.insert().values(
                platform="discord",
                dedupe_key=f"key-{n}",
                workspace="w",
                user_ref="u",
                payload="{}",
                route="r" if n % 2 else None,
                route_expires_at=NOW + dt.timedelta(minutes=n) if n % 2 else None,
                state=state,
                received_at=NOW - dt.timedelta(seconds=n),
                lease_until=NOW + dt.timedelta(seconds=(-30, 10, -30, 30)[n]),
            )
        )


def test_driver_level_reads_return_what_sqlalchemy_reads() -> None:
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        _filled(conn)
        places = [("w", "c1"), ("w", "c2"), ("w", "nowhere")]
        round_ids = [11, 12, 21, 22]
        mine = click_sql.batch_lookup(conn, round_ids, places)
        theirs = conn.execute(BATCH_LOOKUP, {"round_ids": round_ids, "places": places}).all()
        assert sorted(map(tuple, mine)) == sorted(map(tuple, theirs))
        assert {(r[3], bool(r[4])) for r in mine} == {(11, False), (21, True)}
        keys = [("discord", f"key-{n}") for n in range(5)]
        read = {r.dedupe_key: to_record(r) for r in click_sql.inbox_rows(conn, keys)}
        expected = {r.dedupe_key: to_record(r) for r in conn.execute(sa.select(inbox))}
        assert read == expected and len(read) == 4
        # Failed rows and unfinished rows whose lease ran out are held again; a done row or
        # one still leased is not: the same rows as the statement PostgreSQL runs.
        lease = dt.timedelta(minutes=5)
        again = {
            r.dedupe_key: to_record(r) for r in click_sql.take_over(conn, keys, NOW, NOW + lease)
        }
        assert sorted(again) == ["key-0", "key-3"]
        assert all(r.state == "processing" and r.attempts == 2 for r in again.values())
    other = sa.create_engine("sqlite://")
    metadata.create_all(other)
    with other.begin() as conn:
        _filled(conn)
        entry = InboxEntry("discord", "key-0", "w", "u", "{}", None, None, NOW)
        theirs_again = SqlInboxStore._take_over(conn, keys, [(entry, lease)], False)
        assert {k: v for (_, k), v in theirs_again.items()} == again
    for e in (engine, other):
        with e.connect() as conn:
            rows = conn.execute(sa.select(inbox).order_by(inbox.c.id)).all()
        assert [r.lease_until for r in rows if r.dedupe_key in again] == [
            (NOW + lease).replace(tzinfo=None)
        ] * 2


def test_the_driver_level_statements_search_by_key() -> None:
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    keys = [("discord", f"click-{n}") for n in range(50)]
    with engine.connect() as conn:
        statements = [
            (click_sql._keyed(t, *cols, len(keys)), [v for k in keys for v in k])
            for t, cols in (
                (click_sql._INBOX_ROWS, ("platform", "dedupe_key")),
                (click_sql._GIVEN, ("round_id", "user_id")),
            )
        ]
        take = click_sql._keyed(click_sql._TAKE_OVER, "platform", "dedupe_key", len(keys))
        statements.append((take, ["t", *[v for k in keys for v in k], "t"]))
        statements.append((click_sql._lookup_sql(2, 3), [1, 2, "w", "a", "w", "b", "w", "c"]))
        for sql, params in statements:
            plan = [
                row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(params))
            ]
            assert not any(step.startswith("SCAN") for step in plan), (sql, plan)


def test_records_built_without_the_frozen_init_are_the_same_records() -> None:
    entry = InboxEntry("slack", "k-1", "w", "u", "{}", "route", NOW, NOW)
    made = fresh(entry, 7)
    assert made == InboxRecord(
        7, "slack", "k-1", "w", "u", "{}", "route", NOW, "received", 1, NOW, None
    )
    assert made.__dict__.keys() == {f.name for f in dataclasses.fields(InboxRecord)}
    done = done_record(made, '[{"text":"x"}]')
    assert done == dataclasses.replace(made, state="done", reply='[{"text":"x"}]')
    assert made.state == "received" and hash(done) == hash(dataclasses.replace(done))
    with pytest.raises(dataclasses.FrozenInstanceError):
        done.state = "failed"  # type: ignore[misc]
