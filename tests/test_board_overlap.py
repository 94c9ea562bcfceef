"""A board or own stats read runs beside the actor look-up (two statements in flight on
PostgreSQL), and gives what a read after the look-up gives: a timezone changed since, a
new display name or a first command are read again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event

from bot import commands as c
from bot.bootstrap import App, ManualClock
from bot.identity import UserRef
from bot.replies import LeaderboardView, Notice, StatsView
from tests.conftest import origin
from tests.test_lean_boards import WS, scored_players


@contextmanager
def in_flight(app: App) -> Iterator[dict[str, int]]:
    """Statements sent meanwhile, and the most of them awaiting the server at once
    (SQLite's BEGIN and PRAGMAs not counted, as in tests/test_lean_boards.py)."""
    seen = {"now": 0, "most": 0, "sent": 0}

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith(("BEGIN", "PRAGMA")):
            seen["now"] += 1
            seen["sent"] += 1
            seen["most"] = max(seen["most"], seen["now"])

    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith(("BEGIN", "PRAGMA")):
            seen["now"] -= 1

    engines = [app.db.engine.sync_engine]
    engines += [app.db._sync_engine] if app.db._sync_engine is not None else []
    engines += [app.db.lean.sync_engine] if app.db.lean is not None else []
    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)


COMMANDS = [
    c.ShowLeaderboard("users", "week"),
    c.ShowLeaderboard("teams", "all"),
    c.ShowStats(),
]


@pytest.mark.parametrize("command", COMMANDS, ids=["users", "teams", "stats"])
async def test_the_read_rides_beside_the_actor_look_up(app: App, command: c.Command) -> None:
    await scored_players(app, 4)
    asker = origin("P1")
    # The first makes the channel's timezone known; the second opens a second connection.
    for _ in range(2):
        await app.dispatcher.dispatch(command, asker)
    with in_flight(app) as seen:
        replies = await app.dispatcher.dispatch(command, asker)
    assert isinstance(replies[0], LeaderboardView | StatsView), replies
    # On SQLite they run inline on the loop, one after the other; on PostgreSQL they are sent
    # together and the command waits for one round trip instead of two (own stats too: the
    # review cards come in the stats statement).
    assert (seen["sent"], seen["most"]) == (2, 1 if app.db.sqlite else 2), seen


async def test_a_timezone_changed_since_the_last_command_is_read_again(
    app: App, clock: ManualClock
) -> None:
    await scored_players(app, 3)  # quiz points on Monday 16 November (week 47)
    asker = origin("P0")
    board = c.ShowLeaderboard("users", "week")
    # Sunday 23:30 UTC: still week 47 in UTC, already Monday of week 48 in Tokyo.
    clock.set(dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC))
    [view, _] = await app.dispatcher.dispatch(board, asker)
    assert isinstance(view, LeaderboardView) and len(view.rows) == 3
    channel = await app.stores.channels.get_channel(WS, "general")
    assert channel is not None
    await app.stores.channels.update_channel(channel.id, {"timezone": "Asia/Tokyo"}, clock.now())
    [empty] = await app.dispatcher.dispatch(board, asker)
    # The board of Tokyo's week 48 (empty), not week 47's read for the timezone of before.
    assert isinstance(empty, Notice) and "week of 2026-11-23" in empty.text, empty


async def test_a_new_display_name_is_on_the_board_at_once(app: App) -> None:
    await scored_players(app, 3)
    leader = origin("P2")
    board = c.ShowLeaderboard("users", "all")
    [view, _] = await app.dispatcher.dispatch(board, leader)
    assert isinstance(view, LeaderboardView) and view.rows[0].name == "P2"
    for _ in range(3):  # on PostgreSQL the two reads race: any of them must see the new name
        renamed = replace(leader, display_name="Zed")
        [view, _] = await app.dispatcher.dispatch(board, renamed)
        assert isinstance(view, LeaderboardView) and view.rows[0].name == "Zed", view.rows
        leader = replace(leader, display_name="P2")
        [view, _] = await app.dispatcher.dispatch(board, leader)
        assert isinstance(view, LeaderboardView) and view.rows[0].name == "P2", view.rows


async def test_a_first_command_reads_after_the_user_is_written(app: App) -> None:
    await scored_players(app, 3)
    await app.dispatcher.dispatch(c.ShowStats(), origin("P0"))  # the channel is known
    newcomer = origin("Newcomer")
    [stats] = await app.dispatcher.dispatch(c.ShowStats(), newcomer)
    assert isinstance(stats, StatsView)
    assert (stats.name, stats.points, stats.rank, stats.answered) == ("Newcomer", 0, None, 0)


async def test_a_read_beside_that_fails_is_run_again_after_the_look_up(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    await scored_players(app, 3)
    board = c.ShowLeaderboard("users", "all")
    await app.dispatcher.dispatch(board, origin("P0"))  # the channel's timezone is now known
    real = app.stores.boards.user_board
    asked: list[object] = []

    async def cut(workspace: str, period: str, user: int | UserRef, limit: int = 10) -> Any:
        asked.append(user)
        if isinstance(user, UserRef):
            raise ConnectionResetError("the read beside lost its connection")
        return await real(workspace, period, user, limit)

    monkeypatch.setattr(app.stores.boards, "user_board", cut)
    [view, standing] = await app.dispatcher.dispatch(board, origin("P0"))
    assert isinstance(view, LeaderboardView) and [r.name for r in view.rows] == ["P2", "P1", "P0"]
    assert isinstance(standing, Notice) and "#3" in standing.text
    assert [type(u) for u in asked] == [UserRef, int]
