"""Board reads over time (points by week, a week's team race) for the charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from bot.storage.board_queries import team_days, weekly_points
from bot.storage.database import Database


class BoardHistory:
    """The board store's reads of point events by week and by day (part of SqlBoardStore)."""

    db: Database

    async def weekly_points(self, user_id: int, since: dt.date) -> dict[str, tuple[int, int, int]]:
        """Points, answers and correct answers per ISO week (`2026-W47`) from `since` on;
        weeks without answers are absent. One statement."""
        query = weekly_points(user_id, since)
        rows = await self.db.read_sync(lambda conn: conn.execute(query).all())
        return {r.week: (int(r.points or 0), int(r.answered), int(r.correct or 0)) for r in rows}

    async def team_days(
        self, workspace: str, week: str, team_ids: Collection[int]
    ) -> list[tuple[int, dt.date, int, int]]:
        """(team, day, member, points) for each member's day with answers, in one statement."""
        if not team_ids:
            return []
        query = team_days(workspace, week, team_ids)
        rows = await self.db.read_sync(lambda conn: conn.execute(query).all())
        return [(r.team_id, r.day, r.user_id, int(r.points or 0)) for r in rows]
