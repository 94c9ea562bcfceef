"""Board and stats commands: few round trips, and the board read in index order (no sort)."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import sqlite

from bot import commands as c
from bot.bootstrap import App
from bot.records import PointAward
from bot.replies import LeaderboardView, StatsView
from bot.schedule import month_key, week_key
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores
from bot.storage.tables import TIE_BLOCK, tie_blocks, totals, users
from tests.conftest import START, origin
from tests.helpers import insert_totals, user_rows

WS = "console:acme"


@dataclass(frozen=True)
class Sent:
    """One statement sent to the database: its text, whether it ran outside a transaction
    (autocommit: one round trip on PostgreSQL, no BEGIN or ROLLBACK around it) and whether it
    ran on the event loop's own thread."""

    sql: str
    autocommit: bool
    on_loop: bool


@contextmanager
def statements(app: App) -> Iterator[list[Sent]]:
    """Every query sent meanwhile, on every engine (SQLite's synchronous one and PostgreSQL's
    lean one run read_sync's); SQLite's BEGIN and PRAGMAs, which open a transaction, are not
    counted."""
    seen: list[Sent] = []
    loop = threading.get_ident()

    def count(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith(("BEGIN", "PRAGMA")):
            level = conn.get_execution_options().get("isolation_level")
            seen.append(Sent(statement, level == "AUTOCOMMIT", threading.get_ident() == loop))

    engines = [app.db.engine.sync_engine]
    engines += [app.db._sync_engine] if app.db._sync_engine is not None else []
    engines += [app.db.lean.sync_engine] if app.db.lean is not None else []
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


async def scored_players(app: App, count: int) -> list[int]:
    """`count` players with quiz points 1..count (the last one leads), half in a team."""
    store = app.stores
    channel = await store.channels.ensure_channel("console", WS, "general", START)
    team = await store.teams.create_team(WS, "Owls", START)
    assert team is not None
    ids = []
    for i in range(count):
        user = await store.users.ensure_user(WS, f"p{i}", f"P{i}", START)
        ids.append(user.id)
        if i % 2:
            await store.teams.join_team(user.id, team.id, START)
        quiz = await store.quizzes.start_quiz(user.id, channel.id, ["a"], [()], START)
        assert quiz is not None
        award = PointAward(user.id, i + 1, True, "quiz", START.date(), START)
        assert await store.quizzes.record_quiz_answer(
            quiz, WS, "a", "t", True, "x", True, None, award, START
        )
    return ids


async def test_every_board_and_stats_command_takes_at_most_two_round_trips(app: App) -> None:
    await scored_players(app, 14)
    asker = origin("P0")  # the last of 14: outside the top 10, so the reply carries a rank
    leader = origin("P13")
    with statements(app) as seen:
        await app.ctx.actor(asker)
    # The user, the channel and the bank version: one statement for every command.
    assert len(seen) == 1, seen
    commands: list[c.Command] = [
        c.ShowLeaderboard(scope, period)
        for scope in ("users", "teams")
        for period in ("week", "month", "all")
    ]
    commands += [c.ShowStats(), c.ShowStats("P13")]
    for command in commands:
        for who in (asker, leader):
            with statements(app) as seen:
                replies = await app.dispatcher.dispatch(command, who)
            reply = replies[0]
            # `stats NAME` first finds the player by name; own stats read the review cards in
            # the stats statement (beside the look-up on PostgreSQL: tests/test_board_overlap.py).
            extra = 1 if command == c.ShowStats("P13") else 0
            assert len(seen) <= 2 + extra, (command, seen)
            # One round trip each: on PostgreSQL no BEGIN/ROLLBACK around them; on SQLite read
            # on the event loop, with no hop to a thread and back.
            if app.db.sqlite:
                assert all(s.on_loop for s in seen), (command, seen)
            else:
                assert all(s.autocommit for s in seen), (command, seen)
            # The board is public; the asker's own standing comes privately beside it.
            standing = replies[1].text if len(replies) > 1 else ""  # type: ignore[attr-defined]
            if isinstance(reply, LeaderboardView) and reply.scope == "users" and who is asker:
                assert [r.rank for r in reply.rows] == list(range(1, 11))
                assert reply.rows[0].name == "P13" and reply.rows[0].points == 14
                assert "#14" in standing and "1 pts" in standing
            if isinstance(reply, LeaderboardView) and reply.scope == "teams":
                [owls] = reply.rows
                assert owls.name == "Owls"
                assert ("Owls" in standing) is (who is leader)  # P13 is in Owls, P0 is not
            if isinstance(reply, StatsView) and command == c.ShowStats():
                expected = (1, 14, "P0") if who is asker else (14, 1, "P13")
                assert (reply.points, reply.rank, reply.name) == expected
                assert reply.team == (None if who is asker else "Owls")
                assert (reply.answered, reply.correct) == (1, 1)


async def test_a_user_board_matches_the_rank_of_each_player(app: App) -> None:
    ids = await scored_players(app, 12)
    boards = app.stores.boards
    for period in ("all", week_key(START.date()), month_key(START.date())):
        for user_id in ids:
            top, mine = await boards.user_board(WS, period, user_id, 5)
            assert top == await boards.top_users(WS, period, 5)
            assert mine == await boards.user_rank(WS, period, user_id)
    nobody = await app.stores.users.ensure_user(WS, "new", "New", START)
    top, mine = await boards.user_board(WS, "all", nobody.id, 5)
    assert len(top) == 5 and mine is None


async def test_the_top_of_a_board_is_read_in_index_order_without_a_sort(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'plan.db'}")
    await upgrade(db.engine)
    at = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
    # A first round: thousands tied on the same points and correct answers.
    async with db.write() as conn:
        await conn.execute(
            users.insert(),
            user_rows(WS, range(1, 3001), at),
        )
        await insert_totals(
            db,
            conn,
            [
                {
                    "workspace": WS,
                    "period": "all",
                    "kind": "user",
                    "subject_id": i,
                    "points": 20 if i > 100 else 0,
                    "correct": 1,
                    "answered": 1,
                }
                for i in range(1, 3001)
            ],
        )
        # The tie's blocks of ids, as awards keep them (the asker's rank sums them).
        blocks = Counter(i // TIE_BLOCK for i in range(101, 3001))
        await conn.execute(
            tie_blocks.insert(),
            [
                {
                    "workspace": WS,
                    "period": "all",
                    "points": 20,
                    "correct": 1,
                    "block": b,
                    "users": n,
                }
                for b, n in sorted(blocks.items())
            ],
        )
    boards = sql_stores(db).boards
    query: Any = boards.user_board_query(WS, "all", 2000, 10)  # type: ignore[attr-defined]
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))

    async def plan() -> list[str]:
        async with db.read() as conn:
            return [r[-1] for r in await conn.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))]

    for analysed in (False, True):
        if analysed:
            await db.optimize()
        steps = await plan()
        assert not any("TEMP B-TREE" in step for step in steps), steps
        assert any("ix_totals_board" in step for step in steps), steps
    top, mine = await boards.user_board(WS, "all", 2000, 10)
    assert [e.subject_id for e in top] == list(range(101, 111))
    assert mine is not None and mine.rank == 2000 - 100
    await db.dispose()


async def test_optimize_analyses_the_tables(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    at = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
    async with db.write() as conn:
        await conn.execute(
            users.insert().values(
                workspace=WS, external_id="u", display_name="U", name_key="u", created_at=at
            )
        )
    await db.optimize(at_start=True)
    async with db.read() as conn:
        if db.sqlite:
            found = await conn.execute(sa.text("SELECT DISTINCT tbl FROM sqlite_stat1"))
        else:
            found = await conn.execute(
                sa.text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
            )
        analysed = set(found.scalars())
    assert "users" in analysed
    if not db.sqlite:
        # An empty table is left unanalysed at start: analysed empty, the plans cached
        # while it is small (foreign-key checks against users) scan it as it grows.
        assert "answers" not in analysed and "inbox" not in analysed
    await db.optimize()  # and again later (the ticker's daily call)
    await db.dispose()


def exact_order(teams: list[Any]) -> list[int]:
    """Team ids ranked by exact points per active member (no active member: a share of 0),
    then more correct answers, then the lower id: the order the team board promises."""

    def key(t: Any) -> tuple[Fraction, int, int]:
        share = Fraction(t.points, t.active) if t.active else Fraction(0)
        return (-share, -t.correct, t.team_id)

    return [t.team_id for t in sorted(teams, key=key)]


async def set_team_totals(app: App, team_ids: list[int], rng: random.Random) -> None:
    """Random team totals: shares that tie (10/2 and 15/3, 1/2 and 2/4), teams with points
    but no active member, points up to a million, ties on share and correct answers."""
    rows = []
    for team_id in team_ids:
        active = rng.choice([0, 1, 2, 3, 4, 5, 9])
        if rng.random() < 0.3:
            points = rng.randint(1, 10**6)
        else:
            points = rng.choice([1, 2, 5, 10, 15, 30]) * max(active, 1) // rng.choice([1, 1, 2])
        rows.append(
            {
                "workspace": WS,
                "period": "all",
                "kind": "team",
                "subject_id": team_id,
                "points": max(points, 1),
                "correct": rng.choice([1, 2]),
                "answered": 3,
                "active": active,
            }
        )
    async with app.db.write() as conn:
        await conn.execute(totals.delete().where(totals.c.kind == "team"))
        await insert_totals(app.db, conn, rows)


async def test_the_team_board_and_the_tally_table_rank_by_exact_points_per_active_member(
    app: App,
) -> None:
    # One statement ranks both (TEAM_BOARD for the top `limit` and the asker's team,
    # TEAM_TABLE for the weekly tally's whole table), in double precision: the same order
    # as exact fractions, checked on random teams and on both databases.
    rng = random.Random(7)
    store = app.stores
    team_ids = []
    for n in range(30):
        team = await store.teams.create_team(WS, f"T{n}", START)
        assert team is not None
        team_ids.append(team.id)
    for _ in range(8):
        await set_team_totals(app, team_ids, rng)
        whole = await store.boards.team_table(WS, "all")
        assert len(whole) == 30
        assert [t.team_id for t in whole] == exact_order(whole)
        assert [t.rank for t in whole] == list(range(1, 31))
    shares = Counter(Fraction(t.points, t.active) if t.active else 0 for t in whole)
    assert max(shares.values()) > 1  # some teams do tie on their share
    for n, team_id in enumerate(team_ids[::3]):
        user = await store.users.ensure_user(WS, f"m{n}", f"M{n}", START)
        await store.teams.join_team(user.id, team_id, START)
        board, mine = await store.boards.team_board(WS, "all", user.id, 5)
        assert mine == team_id
        whole = await store.boards.team_table(WS, "all")  # members moved with the join
        assert [t.team_id for t in whole] == exact_order(whole)
        by_id = {t.team_id: t for t in whole}
        expected = whole[:5] + ([by_id[team_id]] if by_id[team_id].rank > 5 else [])
        assert board == expected
