"""Daily rounds: opened once per channel and day, closed once with points and streaks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from bot.records import (
    ChannelRecord,
    PointAward,
    RoundRecord,
)
from bot.scoring import streak_bonus
from bot.storage.awards import award_many
from bot.storage.database import Database
from bot.storage.rows import (
    ROUND_CACHE_SIZE,
    chunks,
    order_text,
    round_record,
    utc,
)
from bot.storage.tables import (
    answers,
    rounds,
    user_stats,
    users,
)


class SqlRoundStore:
    """Daily rounds and their close, which awards points in the same transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._rounds: dict[int, RoundRecord] = {}

    async def create_round(
        self,
        channel: ChannelRecord,
        local_date: dt.date,
        question_id: str,
        order: Iterable[int],
        opened_at: dt.datetime,
        closes_at: dt.datetime,
        question_json: str | None = None,
    ) -> RoundRecord | None:
        """Open the channel's round for `local_date`; None when one exists already."""
        stmt = (
            self.db.insert(rounds)
            .values(
                channel_id=channel.id,
                workspace=channel.workspace,
                local_date=local_date,
                question_id=question_id,
                choice_order=order_text(order),
                opened_at=opened_at,
                closes_at=closes_at,
                question_json=question_json,
            )
            .on_conflict_do_nothing()
            .returning(rounds.c.id)
        )
        async with self.db.write() as conn:
            round_id = (await conn.execute(stmt)).scalar_one_or_none()
        return await self.get_round(round_id) if round_id is not None else None

    async def get_round(self, round_id: int) -> RoundRecord | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(rounds).where(rounds.c.id == round_id))).first()
        return round_record(row) if row else None

    async def round_on(self, channel_id: int, local_date: dt.date) -> RoundRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(rounds).where(
                        rounds.c.channel_id == channel_id, rounds.c.local_date == local_date
                    )
                )
            ).first()
        return round_record(row) if row else None

    async def open_round(self, channel_id: int) -> RoundRecord | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(rounds)
                    .where(rounds.c.channel_id == channel_id, rounds.c.closed_at.is_(None))
                    .order_by(rounds.c.id.desc())
                    .limit(1)
                )
            ).first()
        return round_record(row) if row else None

    async def set_post_ref(self, round_id: int, ref: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(rounds.update().where(rounds.c.id == round_id).values(post_ref=ref))

    async def used_questions(self, channel_id: int) -> set[str]:
        async with self.db.read() as conn:
            rows = (
                (
                    await conn.execute(
                        sa.select(rounds.c.question_id).where(rounds.c.channel_id == channel_id)
                    )
                )
                .scalars()
                .all()
            )
        return set(rows)

    async def round_snapshot(self, round_id: int) -> RoundRecord | None:
        """The round as this process last read it. Its channel, workspace, question, option
        order and close time never change; `closed_at` may be stale (still None), so callers
        rely on it only when set, and writes re-check it in their transaction."""
        cached = self._rounds.get(round_id)
        if cached is not None:
            return cached
        found = await self.get_round(round_id)
        if found is not None:
            if len(self._rounds) >= ROUND_CACHE_SIZE:
                del self._rounds[next(iter(self._rounds))]
            self._rounds[round_id] = found
        return found

    async def rounds_due_to_close(self, now: dt.datetime) -> list[RoundRecord]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(rounds)
                    .where(rounds.c.closed_at.is_(None), rounds.c.closes_at <= now)
                    .order_by(rounds.c.closes_at, rounds.c.id)
                )
            ).all()
        return [round_record(r) for r in rows]

    async def next_round_close(self, after: dt.datetime) -> dt.datetime | None:
        async with self.db.read() as conn:
            value = (
                await conn.execute(
                    sa.select(sa.func.min(rounds.c.closes_at)).where(
                        rounds.c.closed_at.is_(None), rounds.c.closes_at > after
                    )
                )
            ).scalar_one_or_none()
        return utc(value) if value is not None else None

    async def close_round(self, round_id: int, at: dt.datetime, base_points: int) -> bool:
        """Close once, then award points and streaks in the same transaction: a handful of
        set-based statements, whatever the number of answers (the writer is held throughout)."""
        async with self.db.write() as conn:
            closed = await conn.execute(
                rounds.update()
                .where(rounds.c.id == round_id, rounds.c.closed_at.is_(None))
                .values(closed_at=at)
            )
            if closed.rowcount != 1:
                return False
            rnd = round_record(
                (await conn.execute(sa.select(rounds).where(rounds.c.id == round_id))).one()
            )
            previous = (
                await conn.execute(
                    sa.select(rounds.c.id)
                    .where(
                        rounds.c.workspace == rnd.workspace,
                        rounds.c.closed_at.is_not(None),
                        rounds.c.id != round_id,
                    )
                    .order_by(rounds.c.closed_at.desc(), rounds.c.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            rows = (
                await conn.execute(
                    sa.select(answers.c.id, answers.c.user_id, answers.c.correct)
                    .where(answers.c.round_id == round_id)
                    .order_by(answers.c.id)
                )
            ).all()
            correct_ids = sorted(r.user_id for r in rows if r.correct)
            streaks: dict[int, Any] = {}
            for chunk in chunks(correct_ids):
                found = await conn.execute(
                    sa.select(user_stats).where(user_stats.c.user_id.in_(chunk))
                )
                streaks.update({r.user_id: r for r in found})
            stats_rows: list[dict[str, int]] = []
            points_rows: list[dict[str, int]] = []
            awards: list[PointAward] = []
            for row in rows:
                points = 0
                if row.correct:
                    stat = streaks.get(row.user_id)
                    streak = (
                        stat.current_streak + 1
                        if stat and previous is not None and stat.last_streak_round == previous
                        else 1
                    )
                    best = max(streak, stat.best_streak if stat else 0)
                    stats_rows.append(
                        {
                            "user_id": row.user_id,
                            "current_streak": streak,
                            "best_streak": best,
                            "last_streak_round": round_id,
                        }
                    )
                    points = base_points + streak_bonus(streak)
                    points_rows.append({"answer_id": row.id, "new_points": points})
                awards.append(
                    PointAward(row.user_id, points, row.correct, "daily", rnd.local_date, at)
                )
            if stats_rows:
                stmt = self.db.insert(user_stats)
                await conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[user_stats.c.user_id],
                        set_={
                            "current_streak": stmt.excluded.current_streak,
                            "best_streak": stmt.excluded.best_streak,
                            "last_streak_round": stmt.excluded.last_streak_round,
                        },
                    ),
                    sorted(stats_rows, key=lambda r: r["user_id"]),
                )
            if points_rows:
                await conn.execute(
                    answers.update()
                    .where(answers.c.id == sa.bindparam("answer_id"))
                    .values(points=sa.bindparam("new_points")),
                    points_rows,
                )
            await award_many(self.db, conn, rnd.workspace, awards)
            # Everyone else in the workspace loses their streak: they missed this round.
            right_here = sa.select(answers.c.user_id).where(
                answers.c.round_id == round_id, answers.c.correct.is_(True)
            )
            await conn.execute(
                user_stats.update()
                .where(
                    user_stats.c.current_streak > 0,
                    user_stats.c.user_id.in_(
                        sa.select(users.c.id).where(users.c.workspace == rnd.workspace)
                    ),
                    user_stats.c.user_id.not_in(right_here),
                )
                .values(current_streak=0)
            )
        return True
