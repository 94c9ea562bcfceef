"""Forgetting a user: their rows go, their points come off every total."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from bot.storage.audit_tables import private_notes
from bot.storage.awards import Buckets, move_buckets
from bot.storage.board_keys import board_of
from bot.storage.board_keys import board_totals as bt
from bot.storage.database import Database
from bot.storage.membership import lock_teams, membership_for_update, recount_members
from bot.storage.name_tables import user_aliases
from bot.storage.review_tables import cards, learners
from bot.storage.rows import forgotten_key
from bot.storage.tables import (
    TIE_BLOCK,
    answers,
    boards,
    forgotten_answers,
    interview_answers,
    memberships,
    point_events,
    quiz_answers,
    quizzes,
    reports,
    rounds,
    team_active,
    totals,
    user_stats,
    users,
)


class SqlPrivacyStore:
    """Deletes a user and takes their points off every running total."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def forget_user(self, user_id: int) -> None:
        """Delete the user and everything that is theirs, and take their points off the totals
        and off every counter kept beside them."""
        async with self.db.write() as conn:
            team = await conn.run_sync(membership_for_update, user_id)
            locked = await conn.run_sync(lock_teams, [team] if team else [])
            events = (
                await conn.execute(sa.select(point_events).where(point_events.c.user_id == user_id))
            ).all()
            team_points: Counter[tuple[str, str, int]] = Counter()
            team_correct: Counter[tuple[str, str, int]] = Counter()
            team_answered: Counter[tuple[str, str, int]] = Counter()
            for e in events:
                if e.team_id is None:
                    continue
                for period in ("all", e.week, e.month):
                    key = (e.workspace, period, e.team_id)
                    team_points[key] += e.points
                    team_correct[key] += int(e.correct)
                    team_answered[key] += 1
            team_active_rows = {
                (r.workspace, r.period, r.team_id)
                for r in await conn.execute(
                    sa.select(team_active).where(team_active.c.user_id == user_id)
                )
            }
            for key in sorted(set(team_points) | team_active_rows):
                workspace, period, team_id = key
                await conn.execute(
                    totals.update()
                    .where(
                        totals.c.board_id == board_of(workspace, period, "team"),
                        totals.c.subject_id == team_id,
                    )
                    .values(
                        points=totals.c.points - team_points[key],
                        correct=totals.c.correct - team_correct[key],
                        answered=totals.c.answered - team_answered[key],
                        active=totals.c.active - int(key in team_active_rows),
                    )
                )
            # Their rows on the users boards of their workspace (by the key: board, subject).
            theirs = sa.select(boards.c.id).where(
                boards.c.workspace
                == sa.select(users.c.workspace).where(users.c.id == user_id).scalar_subquery(),
                boards.c.kind == "user",
            )
            buckets: dict[str, Buckets] = {}
            for r in await conn.execute(
                sa.select(bt).where(
                    bt.c.board_id.in_(theirs), bt.c.subject_id == user_id, bt.c.points > 0
                )
            ):
                bucket = (r.period, r.points, r.correct, user_id // TIE_BLOCK)
                buckets.setdefault(r.workspace, Counter())[bucket] -= 1
            for workspace, moved in sorted(buckets.items()):
                await move_buckets(self.db, conn, workspace, moved)
            await conn.execute(
                totals.delete().where(totals.c.board_id.in_(theirs), totals.c.subject_id == user_id)
            )
            await conn.execute(team_active.delete().where(team_active.c.user_id == user_id))
            # An answer to a round still open goes like the rest, but the round stays locked
            # for this person: otherwise forgetting would be a way to answer twice.
            who = (
                await conn.execute(
                    sa.select(users.c.workspace, users.c.external_id).where(users.c.id == user_id)
                )
            ).first()
            open_rounds = (
                (
                    await conn.execute(
                        sa.select(answers.c.round_id)
                        .join(rounds, rounds.c.id == answers.c.round_id)
                        .where(answers.c.user_id == user_id, rounds.c.closed_at.is_(None))
                        .order_by(answers.c.round_id)
                    )
                )
                .scalars()
                .all()
            )
            if who is not None and open_rounds:
                await conn.execute(
                    self.db.insert(forgotten_answers).on_conflict_do_nothing(),
                    [
                        {
                            "round_id": r,
                            "user_key": forgotten_key(r, who.workspace, who.external_id),
                        }
                        for r in open_rounds
                    ],
                )
            for table in (
                point_events,
                quiz_answers,
                quizzes,
                answers,
                memberships,
                user_stats,
                reports,
                interview_answers,
                cards,
                learners,
                user_aliases,
                # No foreign key cascades here (0020_notes_unchecked). After the totals
                # delete above: a rescore writing this person's note holds their totals row
                # until it commits, so the note it wrote is seen and deleted here.
                private_notes,
            ):
                await conn.execute(table.delete().where(table.c.user_id == user_id))
            await conn.execute(users.delete().where(users.c.id == user_id))
            await conn.run_sync(recount_members, locked)
