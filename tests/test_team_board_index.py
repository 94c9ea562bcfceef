"""Lean board reads (migration 0021): the team board's index read in order by the team
statements; the histogram and the cards in key order on SQLite. (That the migrated index is
the declared one: tests/test_covering_reads.py, beside the other indexes 0026 rebuilt.)"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from bot.storage.board_statements import ASKER_TEAM_BOARD, TEAM_BOARD, TEAM_TABLE
from bot.storage.database import Database, create_engine
from bot.storage.migrate import upgrade
from bot.storage.review_tables import cards
from bot.storage.stores import sql_stores
from bot.storage.tables import score_counts, teams, users
from tests.helpers import insert_totals, user_rows

WS = "console:acme"


async def definition(conn: Any, name: str) -> str:
    """The database's own wording of index `name`, with the name taken out."""
    if conn.dialect.name == "sqlite":
        found = await conn.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :n"), {"n": name}
        )
    else:
        found = await conn.execute(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": name}
        )
    text = found.scalar_one()
    return re.sub(r"\s+", " ", text.replace(name, "NAME"))


async def plan(db: Database, stmt: Any, params: dict[str, Any]) -> list[str]:
    """The plan's steps for `stmt` with `params` written in, on either database. PostgreSQL
    is told to avoid whole-table scans and sorts, as it does at full size; with these few
    rows it would otherwise take them, and the test would say nothing about the index."""
    bound = stmt.params(params)
    sql = str(bound.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    async with db.engine.connect() as conn:
        if db.sqlite:
            return [r[-1] for r in await conn.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))]
        await conn.execute(sa.text("SET enable_seqscan = off"))
        await conn.execute(sa.text("SET enable_sort = off"))
        await conn.execute(sa.text("SET enable_bitmapscan = off"))
        return [r[0] for r in await conn.execute(sa.text(f"EXPLAIN {sql}"))]


async def test_the_team_statements_read_the_index_in_order_without_a_sort(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    at = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
    async with db.write() as conn:
        await conn.execute(
            teams.insert(),
            [
                {"id": i, "workspace": WS, "name": f"T{i}", "name_key": f"t{i}", "created_at": at}
                for i in range(1, 301)
            ],
        )
        await insert_totals(
            db,
            conn,
            [
                {
                    "workspace": WS,
                    "period": period,
                    "kind": "team",
                    "subject_id": i,
                    "points": i * 7 % 50,
                    "correct": i % 3,
                    "answered": 5,
                    "active": i % 4,
                }
                for i in range(1, 301)
                for period in ("all", "2026-W47")
            ],
        )
    await db.optimize()
    params = {"workspace": WS, "period": "all", "user": 1, "limit": 10, "external": "u1"}
    for stmt in (TEAM_BOARD, ASKER_TEAM_BOARD, TEAM_TABLE):
        steps = await plan(db, stmt, params)
        text = "\n".join(steps)
        assert "ix_totals_teams" in text, text
        assert "TEMP B-TREE" not in text and "Sort" not in text, text
    # And the rows it reads are the board: every team with points, in share order.
    table = await sql_stores(db).boards.team_table(WS, "all")
    assert len(table) == sum(1 for i in range(1, 301) if i * 7 % 50)
    shares = [(-t.per_active, -t.correct, t.team_id) for t in table]
    assert shares == sorted(shares)
    await db.dispose()


async def test_the_migration_keeps_the_histogram_and_the_cards_both_ways(db_url: str) -> None:
    # On SQLite the revision copies score_counts and cards into tables WITHOUT ROWID (and
    # back on a downgrade); every row must come through both copies unchanged.
    db = Database(db_url)
    await upgrade(db.engine, "0020_notes_unchecked")
    at = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
    counts = [
        {"workspace": WS, "period": period, "points": points, "correct": ok, "users": n}
        for period in ("all", "2026-W47")
        for points, ok, n in ((20, 1, 3), (40, 2, 1), (40, 1, 7))
    ]
    studied = [
        {
            "user_id": user,
            "question_id": f"q{q}",
            "topic": "ml",
            "state": 2,
            "step": None,
            "stability": 1.5 * q,
            "difficulty": 5.0,
            "due": at + dt.timedelta(days=q),
            "last_review": at,
            "reps": q,
            "lapses": 0,
        }
        for user in (1, 2)
        for q in range(1, 6)
    ]
    async with db.engine.begin() as conn:
        await conn.execute(score_counts.insert(), counts)
        await conn.execute(
            users.insert(),
            user_rows(WS, (1, 2), at),
        )
        await conn.execute(cards.insert(), studied)

    async def stored() -> tuple[list[Any], list[Any], list[str]]:
        async with db.engine.connect() as conn:
            histogram = (await conn.execute(sa.select(score_counts))).all()
            found = (await conn.execute(sa.select(cards))).all()
            ddl = []
            if db.sqlite:
                ddl = list(
                    (
                        await conn.execute(
                            sa.text(
                                "SELECT sql FROM sqlite_master"
                                " WHERE name IN ('score_counts', 'cards')"
                            )
                        )
                    ).scalars()
                )
        return sorted(tuple(r) for r in histogram), sorted(tuple(r) for r in found), ddl

    before = await stored()
    await upgrade(db.engine)
    after = await stored()
    assert after[:2] == before[:2] and len(after[1]) == 10
    assert all("WITHOUT ROWID" in sql for sql in after[2])
    await db.engine.dispose()
    await downgrade_to(db_url, "0020_notes_unchecked")
    again = await stored()
    assert again[:2] == before[:2]
    assert not any("WITHOUT ROWID" in sql for sql in again[2])
    await db.dispose()


async def downgrade_to(db_url: str, revision: str) -> None:
    from alembic import command

    from bot.storage.migrate import alembic_config

    engine = create_engine(db_url)

    def down(conn: Any) -> None:
        config = alembic_config(db_url)
        config.attributes["connection"] = conn
        command.downgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(down)
    await engine.dispose()
