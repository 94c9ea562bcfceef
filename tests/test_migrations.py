"""Alembic migrations produce exactly the schema the code declares."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import warnings
from asyncio.subprocess import PIPE
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from bot.storage.database import Database, create_engine
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores
from bot.storage.tables import metadata
from tests.conftest import ROOT
from tests.helpers import KEYED_TOTALS, user_rows

# Indexes on an expression: Alembic cannot compare them (SQLite's are not reflected, and
# PostgreSQL gives back its own rewording), so the schema comparison leaves them out and
# tests/test_covering_reads.py checks each against its declaration on both databases.
EXPRESSION_INDEXES = {"ix_totals_teams"}


def schema_diff(conn):  # type: ignore[no-untyped-def]
    def include(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
        return not (type_ == "index" and name in EXPRESSION_INDEXES)

    context = MigrationContext.configure(conn, opts={"include_object": include})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        return compare_metadata(context, metadata)


async def test_migrations_match_metadata(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    await upgrade(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(schema_diff) == []
    await engine.dispose()


async def test_upgrading_a_populated_database_fills_the_board_counters(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine, "0002")
    at = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
    async with db.engine.begin() as conn:
        for name, rows in {
            "users": user_rows("w", (1, 2, 3), at),
            "teams": [
                {"id": 1, "workspace": "w", "name": "Owls", "name_key": "owls", "created_at": at}
            ],
            "memberships": [
                {"user_id": 1, "team_id": 1, "joined_at": at},
                {"user_id": 2, "team_id": 1, "joined_at": at},
            ],
            "totals": [
                {
                    "workspace": "w",
                    "period": p,
                    "kind": k,
                    "subject_id": s,
                    "points": pts,
                    "correct": ok,
                    "answered": 1,
                }
                for p in ("all", "2026-W47")
                for k, s, pts, ok in (
                    ("user", 1, 20, 1),
                    ("user", 2, 20, 1),
                    ("user", 3, 0, 0),
                    ("team", 1, 40, 2),
                )
            ],
            "team_active": [
                {"workspace": "w", "period": p, "team_id": 1, "user_id": u}
                for p in ("all", "2026-W47")
                for u in (1, 2)
            ],
        }.items():
            # Totals in their shape at this revision (keyed by workspace, period and kind).
            table = KEYED_TOTALS if name == "totals" else metadata.tables[name]
            await conn.execute(table.insert(), rows)
    await upgrade(db.engine)
    store = sql_stores(db)
    assert await store.boards.counter_drift("w") == {}
    [owls] = await store.boards.team_table("w", "all")
    assert (owls.points, owls.active, owls.members) == (40, 2, 2)
    second = await store.boards.user_rank("w", "all", 2)
    assert second is not None and second.rank == 2
    await db.dispose()


async def test_processes_starting_together_migrate_once(db_url: str) -> None:
    # Replicas start at the same moment on a fresh database and each runs the migrations:
    # real processes, since Alembic keeps its migration context in module globals.
    env = {**os.environ, "STUDYBOT_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "adapters.cli", "db", "upgrade", "--db", db_url]
    procs = [
        await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env, stdout=PIPE, stderr=PIPE)
        for _ in range(3)
    ]
    async with asyncio.timeout(60):  # a lost race would leave the losers waiting forever
        outputs = await asyncio.gather(*(p.communicate() for p in procs))
    assert [p.returncode for p in procs] == [0, 0, 0], [err.decode()[-500:] for _, err in outputs]
    engine = create_engine(db_url)
    async with engine.connect() as conn:
        assert await conn.run_sync(schema_diff) == []
    await engine.dispose()


async def test_upgrading_leaves_interrupted_claims_to_be_resumed_at_their_publish_step(
    db_url: str,
) -> None:
    db = Database(db_url)
    await upgrade(db.engine, "0003")
    at = dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC)
    async with db.engine.begin() as conn:
        await conn.execute(
            metadata.tables["channels"].insert(),
            [
                {
                    "id": 1,
                    "platform": "slack",
                    "workspace": "slack:T1",
                    "external_id": "C1",
                    "updated_at": at,
                }
            ],
        )
        await conn.execute(
            metadata.tables["claims"].insert(),
            [
                {
                    "channel_id": 1,
                    "kind": kind,
                    "period": "2026-11-16",
                    "status": status,
                    "owner": "old",
                    "claimed_at": at,
                    "updated_at": at,
                }
                for kind, status in (("post", "published"), ("close", "claimed"))
            ],
        )
    await upgrade(db.engine)
    claims = sql_stores(db).claims
    post = await claims.get_claim(1, "post", "2026-11-16")
    close = await claims.get_claim(1, "close", "2026-11-16")
    assert post is not None and (post.status, post.step) == ("published", "done")
    # A close an older version was interrupted in: resumed by the first tick, checking first.
    assert close is not None and (close.status, close.step) == ("claimed", "publish")
    assert close.lease_until is None
    assert [c.kind for c in await claims.resumable(at)] == ["close"]
    await db.dispose()


async def test_upgrading_moves_retired_questions_into_the_workspace_bank(db_url: str) -> None:
    """0017: a retirement from before becomes a disabled item of kind `question` (by the
    admin the audit log names), the bank version moves, and the old table goes."""
    import sqlalchemy as sa

    from bot.storage.deck_tables import workspace_bank_versions, workspace_disabled
    from bot.storage.decks import SqlDeckStore

    db = Database(db_url)
    await upgrade(db.engine, "0016_inbox")
    at = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
    async with db.engine.begin() as conn:
        for sql, params in (
            (
                "INSERT INTO retired_questions (workspace, question_id, retired_at)"
                " VALUES (:w, :q, :at)",
                [{"w": "w1", "q": "sm-relu", "at": at}, {"w": "w2", "q": "ss-median", "at": at}],
            ),
            (
                "INSERT INTO audit_log (workspace, actor_ref, actor_name, action, question_id,"
                " created_at) VALUES ('w1', 'console:ada', 'Ada', 'retire', 'sm-relu', :at)",
                [{"at": at}],
            ),
            ("INSERT INTO workspace_bank_versions VALUES ('w1', 4)", [{}]),
        ):
            await conn.execute(sa.text(sql), params)
    await upgrade(db.engine)
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(
                    workspace_disabled.c.workspace,
                    workspace_disabled.c.kind,
                    workspace_disabled.c.item,
                    workspace_disabled.c.created_by,
                ).order_by(workspace_disabled.c.workspace)
            )
        ).all()
        versions = {
            r.workspace: r.version for r in await conn.execute(sa.select(workspace_bank_versions))
        }
        tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
    assert [tuple(r) for r in rows] == [
        ("w1", "question", "sm-relu", "console:ada"),
        ("w2", "question", "ss-median", ""),
    ]
    assert versions == {"w1": 5, "w2": 1}
    assert "retired_questions" not in tables
    _, _, disabled = await SqlDeckStore(db).bank_parts("w1")
    assert disabled == {"question": {"sm-relu"}}
    await db.dispose()


def test_the_head_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import alembic_config, head_revision

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert head_revision() == script.get_current_head()


async def test_a_database_behind_the_head_is_upgraded_and_one_at_it_is_only_read(
    db_url: str,
) -> None:
    from bot.storage.migrate import at_head, head_revision

    db = Database(db_url)
    assert not await at_head(db.engine)  # a new database: no alembic_version table
    await upgrade(db.engine, "0016_inbox")
    assert not await at_head(db.engine)
    await upgrade(db.engine)
    assert await at_head(db.engine)
    async with db.engine.connect() as conn:
        [version] = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    assert version[0] == head_revision()
    await db.dispose()
