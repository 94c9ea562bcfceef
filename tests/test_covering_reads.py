"""Migration 0026: on PostgreSQL a team's rank, a player's answers by topic and their review
cards are read from indexes alone once the tables are vacuumed, and the indexes are as declared."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex

from bot.storage.board_statements import OWN_STATS, TEAM_BOARD
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.review_tables import cards
from bot.storage.stores import sql_stores
from bot.storage.tables import answers, channels, memberships, rounds, teams, totals, users
from tests.conftest import fresh_pg_database, require_pg
from tests.helpers import insert_totals, user_rows
from tests.test_team_board_index import definition, downgrade_to, plan

WS = "console:acme"
AT = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
PLAYERS, ROUNDS, TEAMS = 40, 12, 8
TOPICS = ("stats", "nlp", "vision")


def _index(table: sa.Table, name: str) -> sa.Index:
    return next(i for i in table.indexes if i.name == name)


INDEXES = {
    "ix_totals_teams": _index(totals, "ix_totals_teams"),
    "ix_answers_user_streak": _index(answers, "ix_answers_user_streak"),
    "ix_cards_user_due": _index(cards, "ix_cards_user_due"),
}


@pytest.mark.parametrize("name", INDEXES)
async def test_each_migrated_index_is_the_one_declared(db_url: str, name: str) -> None:
    # Alembic does not compare what an index carries beside its key (nor an expression), so
    # the migration's index is compared with the declaration's, as the database words both.
    db = Database(db_url)
    await upgrade(db.engine)
    declared = str(CreateIndex(INDEXES[name]).compile(dialect=db.engine.dialect))
    async with db.engine.begin() as conn:
        await conn.execute(sa.text(declared.replace(name, "ix_declared", 1)))
        assert await definition(conn, name) == await definition(conn, "ix_declared")
        if not db.sqlite:
            assert "INCLUDE" in await definition(conn, name)
    await db.dispose()


async def _load(db: Database) -> None:
    """Players in teams, closed rounds they answered (a topic each), their cards, team totals."""
    players = range(1, PLAYERS + 1)
    async with db.write() as conn:
        await conn.execute(users.insert(), user_rows(WS, players, AT))
        await conn.execute(
            teams.insert(),
            [
                {"id": t, "workspace": WS, "name": f"T{t}", "name_key": f"t{t}", "created_at": AT}
                for t in range(1, TEAMS + 1)
            ],
        )
        await conn.execute(
            memberships.insert(),
            [{"user_id": u, "team_id": u % TEAMS + 1, "joined_at": AT} for u in players],
        )
        await conn.execute(
            channels.insert().values(
                id=1, platform="console", workspace=WS, external_id="c", updated_at=AT
            )
        )
        await conn.execute(
            rounds.insert(),
            [
                {
                    "id": r,
                    "channel_id": 1,
                    "workspace": WS,
                    "local_date": AT.date() - dt.timedelta(days=ROUNDS - r),
                    "question_id": f"q{r}",
                    "opened_at": AT,
                    "closes_at": AT,
                    "closed_at": AT,
                }
                for r in range(1, ROUNDS + 1)
            ],
        )
        await conn.execute(
            answers.insert(),
            [
                {
                    "round_id": r,
                    "user_id": u,
                    "topic": TOPICS[r % 3],
                    "given": "a",
                    "normalized": "a",
                    "correct": (u + r) % 2 == 0,
                    "answered_at": AT,
                }
                for r in range(1, ROUNDS + 1)
                for u in players
            ],
        )
        await conn.execute(
            cards.insert(),
            [
                {
                    "user_id": u,
                    "question_id": f"q{r}",
                    "topic": TOPICS[r % 3],
                    "state": 2,
                    "stability": 2.0 + r,
                    "difficulty": 5.0,
                    "due": AT + dt.timedelta(days=r),
                    "last_review": AT,
                }
                for r in range(1, ROUNDS + 1)
                for u in players
            ],
        )
        await insert_totals(
            db,
            conn,
            [
                {
                    "workspace": WS,
                    "period": "all",
                    "kind": "team",
                    "subject_id": t,
                    "points": 10 * t,
                    "correct": t,
                    "answered": 2 * t,
                    "active": 1 + t % 3,
                }
                for t in range(1, TEAMS + 1)
            ],
        )


async def test_own_stats_and_a_teams_rank_are_read_from_the_indexes_alone() -> None:
    db = Database(await fresh_pg_database(require_pg()))
    await upgrade(db.engine)
    await _load(db)
    async with db.engine.connect() as conn:
        # What autovacuum leaves behind on a server: the pages marked all-visible.
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
            sa.text("VACUUM (ANALYZE)")
        )
    params: dict[str, Any] = {"workspace": WS, "period": "all", "user": 3, "limit": 10}
    stats_plan = "\n".join(await plan(db, OWN_STATS, params))
    assert "Index Only Scan using ix_answers_user_streak on answers" in stats_plan, stats_plan
    assert "Index Only Scan using ix_cards_user_due on cards" in stats_plan, stats_plan
    board_plan = "\n".join(await plan(db, TEAM_BOARD, params))
    assert "Index Only Scan using ix_totals_teams on totals ahead" in board_plan, board_plan
    # And the reads still say what the rows hold: player 3's answers by topic, their cards.
    (record, _, team), (glances, _, _) = await sql_stores(db).boards.own_stats(WS, 3)
    mine = range(1, ROUNDS + 1)
    assert record.by_topic == tuple(
        sorted(
            (
                t,
                sum(TOPICS[r % 3] == t for r in mine),
                sum(TOPICS[r % 3] == t and r % 2 == 1 for r in mine),
            )
            for t in TOPICS
        )
    )
    assert team == "T4"
    assert sorted((g.question_id, g.topic, g.stability) for g in glances) == sorted(
        (f"q{r}", TOPICS[r % 3], 2.0 + r) for r in mine
    )
    await db.dispose()


async def test_the_downgrade_gives_back_the_plain_indexes(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    # As 0026 left them (0027 keyed totals by board number since).
    await downgrade_to(db_url, "0026_covering_reads")
    async with db.engine.connect() as conn:
        upgraded = {name: await definition(conn, name) for name in INDEXES}
    await downgrade_to(db_url, "0025_events_fillfactor")
    async with db.engine.connect() as conn:
        downgraded = {name: await definition(conn, name) for name in INDEXES}
    if db.sqlite:
        assert downgraded == upgraded  # nothing to give back there
    else:
        assert not any("INCLUDE" in d for d in downgraded.values()), downgraded
        assert all(
            d == upgraded[name].split(" INCLUDE ")[0] + _predicate(upgraded[name])
            for name, d in downgraded.items()
        ), (downgraded, upgraded)
    await upgrade(db.engine, "0026_covering_reads")
    async with db.engine.connect() as conn:
        assert {name: await definition(conn, name) for name in INDEXES} == upgraded
    await db.dispose()


def _predicate(definition: str) -> str:
    """A partial index's WHERE, as PostgreSQL words it after the INCLUDE list."""
    return definition[definition.index(" WHERE ") :] if " WHERE " in definition else ""
