"""Leaderboards over a bulk-loaded workspace: 100,000 users, 1,000 teams, 5M answers."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.stats import summary
from bot.bootstrap import App, ManualClock, SeededRng, build_app
from bot.schedule import month_key, week_key
from bot.settings import Settings
from bot.storage.board_keys import board_of
from bot.storage.database import is_sqlite
from bot.storage.rounds import OPENED
from bot.storage.tables import totals

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = "discord:bench"
FIRST_DAY = dt.date(2026, 7, 6)  # a Monday; 100 weekday rounds run to 2026-11-20
CHUNK = 100_000


def round_days(count: int) -> list[dt.date]:
    days, day = [], FIRST_DAY
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


class Plan:
    """What to load: users answer a random half of the rounds, 60% of them correctly."""

    def __init__(self, users: int, teams: int, answers: int) -> None:
        self.users, self.teams = users, teams
        self.per_round = users // 2
        self.rounds = max(1, answers // self.per_round)
        self.days = round_days(self.rounds)
        self.base = [(10, 20, 30)[r % 3] for r in range(self.rounds)]
        self.last_week = week_key(self.days[-1])

    def team_of(self, user: int) -> int:
        return user % self.teams + 1

    def answer_rows(self) -> Iterator[tuple[int, int, int, bool, int, dt.date]]:
        """(answer id, round id, user id, correct, points, day), the same on every backend."""
        rng = random.Random(20261120)
        ident = 0
        for r in range(self.rounds):
            for index in sorted(rng.sample(range(self.users), self.per_round)):
                ident += 1
                correct = rng.random() < 0.6
                yield ident, r + 1, index + 1, correct, self.base[r] if correct else 0, self.days[r]

    @property
    def answer_count(self) -> int:
        return self.rounds * self.per_round


# The loaded rounds, closed in one channel with no question snapshot: the columns a round
# is opened with, its id and its close. On SQLite the times as SQLAlchemy stores them:
# opened at 09:00, closing and closed at 17:00.
ROUND_COLUMNS = ("id", *(name for name in OPENED if name != "question_json"), "closed_at")
SQLITE_TIMES = ("09:00:00.000000", "17:00:00.000000", "17:00:00.000000")


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


# Running totals derived from the raw point events, exactly as the app would have kept them.
TOTALS_SQL = [
    # Every board the events count on (a board per workspace, period and kind), then the
    # totals on them.
    """
    INSERT INTO boards (workspace, period, kind)
    SELECT p.workspace, p.period, k.kind FROM (
        SELECT DISTINCT workspace, 'all' AS period FROM point_events
        UNION SELECT DISTINCT workspace, week FROM point_events
        UNION SELECT DISTINCT workspace, month FROM point_events
    ) AS p CROSS JOIN (SELECT 'user' AS kind UNION ALL SELECT 'team') AS k
    ORDER BY p.workspace, p.period, k.kind
    """,
    """
    INSERT INTO totals (board_id, subject_id, kind, points, correct, answered)
    SELECT b.id, g.subject_id, g.kind, g.p, g.c, g.n FROM (
        SELECT workspace, period, kind, subject_id, SUM(points) AS p, SUM(c) AS c,
               COUNT(*) AS n FROM (
            SELECT workspace, 'all' AS period, 'user' AS kind, user_id AS subject_id, points,
                   CASE WHEN correct THEN 1 ELSE 0 END AS c FROM point_events
            UNION ALL SELECT workspace, week, 'user', user_id, points,
                   CASE WHEN correct THEN 1 ELSE 0 END FROM point_events
            UNION ALL SELECT workspace, month, 'user', user_id, points,
                   CASE WHEN correct THEN 1 ELSE 0 END FROM point_events
            UNION ALL SELECT workspace, 'all', 'team', team_id, points,
                   CASE WHEN correct THEN 1 ELSE 0 END FROM point_events
            UNION ALL SELECT workspace, week, 'team', team_id, points,
                   CASE WHEN correct THEN 1 ELSE 0 END FROM point_events
            UNION ALL SELECT workspace, month, 'team', team_id, points,
                   CASE WHEN correct THEN 1 ELSE 0 END FROM point_events
        ) AS e GROUP BY workspace, period, kind, subject_id
    ) AS g JOIN boards b ON b.workspace = g.workspace AND b.period = g.period AND b.kind = g.kind
    ORDER BY b.id, g.subject_id
    """,
    """
    INSERT INTO team_active (workspace, period, team_id, user_id)
    SELECT DISTINCT workspace, 'all', team_id, user_id FROM point_events
    UNION SELECT DISTINCT workspace, week, team_id, user_id FROM point_events
    UNION SELECT DISTINCT workspace, month, team_id, user_id FROM point_events
    """,
    # The counters kept beside the totals, derived as migration 0003 derives them.
    "UPDATE teams SET members ="
    " (SELECT COUNT(*) FROM memberships WHERE memberships.team_id = teams.id)",
    "UPDATE totals SET active = (SELECT COUNT(*) FROM boards b, team_active a"
    " WHERE b.id = totals.board_id AND a.workspace = b.workspace AND a.period = b.period"
    " AND a.team_id = totals.subject_id) WHERE kind = 'team'",
    "INSERT INTO score_counts (workspace, period, points, correct, users)"
    " SELECT b.workspace, b.period, t.points, t.correct, COUNT(*)"
    " FROM totals t JOIN boards b ON b.id = t.board_id"
    " WHERE t.kind = 'user' AND t.points > 0"
    " GROUP BY b.workspace, b.period, t.points, t.correct",
    "INSERT INTO tie_blocks (workspace, period, points, correct, block, users)"
    " SELECT b.workspace, b.period, t.points, t.correct, t.subject_id / 1024, COUNT(*)"
    " FROM totals t JOIN boards b ON b.id = t.board_id"
    " WHERE t.kind = 'user' AND t.points > 0"
    " GROUP BY b.workspace, b.period, t.points, t.correct, t.subject_id / 1024",
    "INSERT INTO score_bands (workspace, period, band, users)"
    " SELECT workspace, period, points / 16, SUM(users) FROM score_counts"
    " GROUP BY workspace, period, points / 16",
]

# Zero rows when every user total equals the sum of that user's answers' points.
CHECK_SQL = """
    SELECT COUNT(*) FROM (
        SELECT a.user_id, SUM(a.points) AS p FROM answers a GROUP BY a.user_id
    ) AS s JOIN boards b ON b.workspace = '{ws}' AND b.period = 'all' AND b.kind = 'user'
    JOIN totals t ON t.board_id = b.id AND t.subject_id = s.user_id
    WHERE t.points <> s.p
"""


def _load_sqlite(path: str, plan: Plan) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    stamp = "2026-07-01 00:00:00.000000"
    with conn:
        conn.executemany(
            "INSERT INTO users (id, workspace, external_id, display_name, name_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                (u, WORKSPACE, f"u{u}", f"Player {u}", f"player {u}", stamp)
                for u in range(1, plan.users + 1)
            ),
        )
        conn.executemany(
            "INSERT INTO teams (id, workspace, name, name_key, deleted, created_at)"
            " VALUES (?, ?, ?, ?, 0, ?)",
            ((t, WORKSPACE, f"Team {t}", f"team {t}", stamp) for t in range(1, plan.teams + 1)),
        )
        conn.executemany(
            "INSERT INTO memberships (user_id, team_id, joined_at) VALUES (?, ?, ?)",
            ((u, plan.team_of(u - 1), stamp) for u in range(1, plan.users + 1)),
        )
        conn.execute(
            "INSERT INTO channels (id, platform, workspace, external_id, enabled, updated_at)"
            " VALUES (1, 'discord', ?, 'general', 1, ?)",
            (WORKSPACE, stamp),
        )
        conn.executemany(
            f"INSERT INTO rounds ({', '.join(ROUND_COLUMNS)})"
            f" VALUES ({', '.join('?' for _ in ROUND_COLUMNS)})",
            (
                (r + 1, 1, WORKSPACE, d.isoformat(), "q", "", *(f"{d} {t}" for t in SQLITE_TIMES))
                for r, d in enumerate(plan.days)
            ),
        )
    rows = plan.answer_rows()
    while True:
        chunk = [next(rows, None) for _ in range(CHUNK)]
        chunk = [c for c in chunk if c is not None]
        if not chunk:
            break
        with conn:
            conn.executemany(
                "INSERT INTO answers (id, round_id, user_id, topic, given, normalized, correct,"
                " points, answered_at) VALUES (?, ?, ?, 'bench', 'A', '0', ?, ?, ?)",
                ((i, r, u, int(c), p, f"{d} 12:00:00.000000") for i, r, u, c, p, d in chunk),
            )
            conn.executemany(
                "INSERT INTO point_events (id, workspace, user_id, team_id, source, points,"
                " correct, week, month, day, occurred_at)"
                " VALUES (?, ?, ?, ?, 'daily', ?, ?, ?, ?, ?, ?)",
                (
                    (
                        i,
                        WORKSPACE,
                        u,
                        plan.team_of(u - 1),
                        p,
                        int(c),
                        week_key(d),
                        month_key(d),
                        d.isoformat(),
                        f"{d} 12:00:00.000000",
                    )
                    for i, r, u, c, p, d in chunk
                ),
            )
    with conn:
        for sql in TOTALS_SQL:
            conn.execute(sql)
    conn.execute("ANALYZE")
    bad = conn.execute(CHECK_SQL.format(ws=WORKSPACE)).fetchone()[0]
    conn.close()
    if bad:
        raise RuntimeError(f"{bad} user totals disagree with the answers")


async def _load_postgres(url: str, plan: Plan) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    stamp = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    try:
        await conn.copy_records_to_table(
            "users",
            columns=["id", "workspace", "external_id", "display_name", "name_key", "created_at"],
            records=[
                (u, WORKSPACE, f"u{u}", f"Player {u}", f"player {u}", stamp)
                for u in range(1, plan.users + 1)
            ],
        )
        await conn.copy_records_to_table(
            "teams",
            columns=["id", "workspace", "name", "name_key", "deleted", "created_at"],
            records=[
                (t, WORKSPACE, f"Team {t}", f"team {t}", False, stamp)
                for t in range(1, plan.teams + 1)
            ],
        )
        await conn.copy_records_to_table(
            "memberships",
            columns=["user_id", "team_id", "joined_at"],
            records=[(u, plan.team_of(u - 1), stamp) for u in range(1, plan.users + 1)],
        )
        await conn.execute(
            "INSERT INTO channels (id, platform, workspace, external_id, enabled, updated_at)"
            " VALUES (1, 'discord', $1, 'general', true, $2)",
            WORKSPACE,
            stamp,
        )
        await conn.copy_records_to_table(
            "rounds",
            columns=list(ROUND_COLUMNS),
            records=[
                (r + 1, 1, WORKSPACE, d, "q", "", _at(d), _at(d), _at(d))
                for r, d in enumerate(plan.days)
            ],
        )
        rows = plan.answer_rows()
        while True:
            chunk = [c for c in (next(rows, None) for _ in range(CHUNK)) if c is not None]
            if not chunk:
                break
            await conn.copy_records_to_table(
                "answers",
                columns=[
                    "id",
                    "round_id",
                    "user_id",
                    "topic",
                    "given",
                    "normalized",
                    "correct",
                    "points",
                    "answered_at",
                ],
                records=[(i, r, u, "bench", "A", "0", c, p, _at(d)) for i, r, u, c, p, d in chunk],
            )
            await conn.copy_records_to_table(
                "point_events",
                columns=[
                    "id",
                    "workspace",
                    "user_id",
                    "team_id",
                    "source",
                    "points",
                    "correct",
                    "week",
                    "month",
                    "day",
                    "occurred_at",
                ],
                records=[
                    (
                        i,
                        WORKSPACE,
                        u,
                        plan.team_of(u - 1),
                        "daily",
                        p,
                        c,
                        week_key(d),
                        month_key(d),
                        d,
                        _at(d),
                    )
                    for i, r, u, c, p, d in chunk
                ],
            )
        for sql in TOTALS_SQL:
            await conn.execute(sql)
        for table in ("users", "teams", "rounds", "answers", "point_events", "channels"):
            # Explicit ids bypassed the sequences; later inserts must not collide with them.
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT MAX(id) FROM {table}))"
            )
        # Index-only scans need the visibility map, as autovacuum would have it in production.
        await conn.execute("VACUUM ANALYZE")
        bad = await conn.fetchval(CHECK_SQL.format(ws=WORKSPACE))
    finally:
        await conn.close()
    if bad:
        raise RuntimeError(f"{bad} user totals disagree with the answers")


async def _app(db_url: str) -> App:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=ROOT / "content",
        clock=ManualClock(dt.datetime(2026, 11, 20, 18, tzinfo=dt.UTC)),
        rng=SeededRng(1),
    )


async def _time(call: Callable[[], Awaitable[Any]], runs: int) -> dict[str, float]:
    for _ in range(5):
        await call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return summary(samples)


async def boards(
    db_url: str,
    users: int = 100_000,
    teams: int = 1_000,
    answers: int = 5_000_000,
    runs: int = 200,
) -> dict[str, Any]:
    plan = Plan(users, teams, answers)
    app = await _app(db_url)  # creates the schema through the migrations
    await app.close()
    start = time.perf_counter()
    if is_sqlite(db_url):
        path = make_url(db_url).database
        assert path is not None
        await asyncio.to_thread(_load_sqlite, path, plan)
    else:
        await _load_postgres(db_url, plan)
    load_s = time.perf_counter() - start
    app = await _app(db_url)
    store = app.stores.boards
    drift = await store.counter_drift(WORKSPACE)
    if drift:
        raise RuntimeError(f"board counters disagree with the loaded rows: {list(drift)}")
    rng = random.Random(7)
    out: dict[str, Any] = {
        "users": users,
        "teams": teams,
        "answers": plan.answer_count,
        "rounds": plan.rounds,
        "load_s": round(load_s, 1),
    }
    try:
        for label, period in (("week", plan.last_week), ("all", "all")):
            top = await store.top_users(WORKSPACE, period, 10)
            table = await store.team_table(WORKSPACE, period)
            assert len(top) == 10 and len(table) == teams, (len(top), len(table))
            out[f"top10_{label}"] = await _time(
                partial(store.top_users, WORKSPACE, period, 10), runs
            )
            # Players on this board: a user without points there is answered by one query.
            async with app.db.read() as conn:
                ranked = (
                    (
                        await conn.execute(
                            sa.select(totals.c.subject_id).where(
                                totals.c.board_id == board_of(WORKSPACE, period, "user"),
                                totals.c.points > 0,
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
            probe = itertools.cycle(rng.sample(list(ranked), runs))
            out[f"rank_{label}"] = await _time(
                lambda p=period, who=probe: store.user_rank(WORKSPACE, p, next(who)), runs
            )
            out[f"teams_{label}"] = await _time(partial(store.team_table, WORKSPACE, period), runs)
    finally:
        await app.close()
    return out
