"""The stats statement's rows (bot/storage/board_statements.py `_stats`) as records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.records import BoardEntry, CardGlance, StudyStreak
from bot.review import ReviewPolicy
from bot.storage.board_queries import stats_record
from bot.storage.driver_sql import day, instant
from bot.store_ports import StatsCard, StudyRead


def stats_parts(rows: Sequence[Any]) -> StatsCard:
    """The card row (part 0) and the answers by topic (part 1): the stats, the all-time
    standing (None without points) and the team's name."""
    row = next((r for r in rows if r.part == 0), None)
    stats = stats_record((r for r in rows if r.part == 1), row)
    if row is None:
        return stats, None, None
    stats = replace(
        stats,
        interview_answers=int(row.practice_n or 0),
        interview_share=float(row.practice or 0.0),
    )
    standing = None
    if row.points is not None:
        standing = BoardEntry(row.id, row.display_name, row.points, row.correct, int(row.rank))
    return stats, standing, row.team


def study_part(rows: Sequence[Any]) -> StudyRead:
    """The review cards (part 2) and the streak and settings of the card row (part 0): the
    workspace's defaults where it has none, no streak before a first review session."""
    cards = []
    row = None
    for r in rows:
        if r.part == 2:
            due = instant(r.due)
            assert due is not None  # a card is always due some day
            cards.append(
                CardGlance(r.question_id, r.topic, due, r.stability, instant(r.last_review))
            )
        elif r.part == 0:
            row = r
    default = ReviewPolicy()
    if row is None:
        return cards, None, default
    streak = None
    if row.l_streak is not None:
        streak = StudyStreak(row.l_streak, row.l_best_streak, day(row.l_last_study_day))
    policy = ReviewPolicy(
        row.s_retention if row.s_retention is not None else default.retention,
        row.s_maximum_interval if row.s_maximum_interval is not None else default.maximum_interval,
    )
    return cards, streak, policy
