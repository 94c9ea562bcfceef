"""A void's team members left with no event in a period: no longer active in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from bot.records import POINT_SOURCES
from bot.storage.rescore_tables import events, gone
from bot.storage.tables import point_events, team_active

ALL = "all"


def drop_inactive(conn: sa.Connection, workspace: str) -> None:
    """A team member whose only event of a period was voided is no longer active in it."""
    found = _spans(conn)
    if found is None:
        return  # no voided event: nobody left a period
    spans, shared = found
    e = point_events
    # One probe per member first: an event of theirs for the team left in the voided one's
    # week and month keeps them active in all three periods (nearly everyone in a daily
    # workspace), so only the others are checked period by period: 10,000 probes for a
    # void of 10,000 team answers instead of 30,000. The days as literals (a round's events
    # share its day: one week and month): the planner then bounds each probe by them
    # (joined to a derived table, PostgreSQL chose bitmap scans four times as costly).
    left = sa.select(sa.literal(1)).where(
        e.c.user_id == events.c.user_id,
        e.c.source.in_(POINT_SOURCES),
        e.c.team_id == events.c.team_id,
        sa.or_(
            *(
                (events.c.week == week) & (events.c.month == month) & e.c.day.between(lo, hi)
                for week, month, lo, hi in shared
            )
        ),
    )
    stale = (
        sa.select(events.c.team_id, events.c.user_id, events.c.week, events.c.month)
        .where(events.c.dn < 0, events.c.team_id.is_not(None), ~sa.exists(left))
        .distinct()
        .cte("stale")
    )
    lost = sa.union(
        *(
            sa.select(period.label("period"), stale.c.team_id, stale.c.user_id)
            for period in (sa.literal(ALL), stale.c.week, stale.c.month)
        )
    ).subquery()
    # Each check probes the (user, source, day) index over the period's days only: matched
    # on the week or month key alone, it read every event of the member's history up to
    # the period (2 of the 2.3 s of CPU of a void on a 30-round workspace, SQLite). A
    # scalar subquery, not NOT EXISTS: PostgreSQL turns NOT EXISTS into an anti-join whose
    # probe cannot take the joined span's days into the index condition (0.5-0.9 s on 30
    # rounds at load 7, against 0.26 s for the per-row probe).
    first = (
        sa.select(sa.literal(1))
        .where(
            e.c.user_id == lost.c.user_id,
            e.c.source.in_(POINT_SOURCES),
            e.c.day.between(spans.c.lo, spans.c.hi),
            e.c.team_id == lost.c.team_id,
            (lost.c.period == ALL) | (e.c.week == lost.c.period) | (e.c.month == lost.c.period),
        )
        .limit(1)
        .scalar_subquery()
    )
    conn.execute(
        gone.insert().from_select(
            ["period", "team_id", "user_id"],
            sa.select(lost.c.period, lost.c.team_id, lost.c.user_id)
            .select_from(lost.join(spans, spans.c.period == lost.c.period))
            .where(first.is_(None)),
        )
    )
    t = team_active
    # By their keys, not a walk over the workspace's every membership row.
    conn.execute(
        t.delete().where(
            t.c.workspace == workspace,
            sa.tuple_(t.c.period, t.c.team_id, t.c.user_id).in_(
                sa.select(gone.c.period, gone.c.team_id, gone.c.user_id)
            ),
        )
    )


def _span(week: str, month: str) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """The days of an ISO week key and of a calendar month key."""
    year, number = week.split("-W")
    monday = dt.date.fromisocalendar(int(year), int(number), 1)
    first = dt.date(int(month[:4]), int(month[5:7]), 1)
    following = (first + dt.timedelta(days=31)).replace(day=1)
    return (monday, monday + dt.timedelta(days=6)), (first, following - dt.timedelta(days=1))


def _spans(
    conn: sa.Connection,
) -> tuple[Any, list[tuple[str, str, dt.date, dt.date]]] | None:
    """The days of each period the voided events count in (a few rows): all time, and each
    ISO week and calendar month key (the keys awards derive from an event's day); and the
    days each (week, month) pair of them shares. None when no event was voided."""
    rows = [(ALL, dt.date.min, dt.date.max)]
    shared: list[tuple[str, str, dt.date, dt.date]] = []
    for week, month in conn.execute(
        sa.select(events.c.week, events.c.month).where(events.c.dn < 0).distinct()
    ):
        (w_lo, w_hi), (m_lo, m_hi) = _span(week, month)
        rows += [(week, w_lo, w_hi), (month, m_lo, m_hi)]
        shared.append((week, month, max(w_lo, m_lo), min(w_hi, m_hi)))
    if not shared:
        return None
    spans = sa.union(
        *(
            sa.select(
                sa.literal(period, sa.String).label("period"),
                sa.literal(lo, sa.Date).label("lo"),
                sa.literal(hi, sa.Date).label("hi"),
            )
            for period, lo, hi in sorted(set(rows))
        )
    ).subquery()
    return spans, shared
