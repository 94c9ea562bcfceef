"""A void's team activity: a member whose only events of a period were voided is inactive there."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from bot.records import POINT_SOURCES
from bot.storage.rescore_tables import events, gone
from bot.storage.tables import point_events, team_active

ALL = "all"


def _periods(*columns: Any) -> list[Any]:
    """The staged events once per period they count in: all time, their week, their month."""
    return [
        sa.select(period.label("period"), *columns)
        for period in (sa.literal(ALL), events.c.week, events.c.month)
    ]


def drop_inactive(conn: sa.Connection, workspace: str) -> None:
    """A team member whose only event of a period was voided is no longer active in it."""
    voided = (events.c.dn < 0, events.c.team_id.is_not(None))
    lost = sa.union(
        *(q.where(*voided) for q in _periods(events.c.team_id, events.c.user_id))
    ).subquery()
    found_spans = _spans(conn)
    if found_spans is None:
        return  # no voided event: nobody's activity moves
    spans, both = found_spans
    e = point_events

    def found(user: Any, team: Any, lo: Any, hi: Any, *period: Any) -> Any:
        # Each check probes the (user, source, day) index over the period's days only:
        # matched on the week or month key alone, it read every event of the member's
        # history up to the period (2 of the 2.3 s of CPU of a void on a 30-round
        # workspace, SQLite). A scalar subquery, not NOT EXISTS: PostgreSQL turns NOT
        # EXISTS into an anti-join whose probe cannot take the joined span's days into the
        # index condition (0.5-0.9 s on 30 rounds at load 7, against 0.26 s per row).
        return (
            sa.select(sa.literal(1))
            .where(
                e.c.user_id == user,
                e.c.source.in_(POINT_SOURCES),
                e.c.day.between(lo, hi),
                e.c.team_id == team,
                *period,
            )
            .limit(1)
            .scalar_subquery()
        )

    # One probe per member first, over the days in both the week and the month of their
    # voided event: another event for the team there keeps them active in all three periods,
    # and only the others are checked period by period (a void of a round of 10,000
    # players: 10,000 probes instead of 30,000; on PostgreSQL 30,000 buffers instead of
    # 90,000, on SQLite 100-110 ms instead of 150 at 30 rounds of history).
    member = (
        sa.select(events.c.team_id, events.c.user_id, events.c.week, events.c.month)
        .where(*voided)
        .distinct()
        .subquery()
    )
    m = member.c
    pair = (both.c.week == m.week) & (both.c.month == m.month)  # its week and month
    days = (e.c.week == m.week, e.c.month == m.month)
    in_both = found(m.user_id, m.team_id, both.c.lo, both.c.hi, *days)
    busy = (
        sa.select(m.team_id, m.user_id)
        .select_from(member.join(both, pair))
        .where(in_both.is_not(None))
    )
    unsettled = sa.select(lost.c.period, lost.c.team_id, lost.c.user_id).where(
        sa.tuple_(lost.c.team_id, lost.c.user_id).not_in(busy)
    )
    left = unsettled.subquery()
    period = (left.c.period == ALL) | (e.c.week == left.c.period) | (e.c.month == left.c.period)
    conn.execute(
        gone.insert().from_select(
            ["period", "team_id", "user_id"],
            sa.select(left.c.period, left.c.team_id, left.c.user_id)
            .select_from(left.join(spans, spans.c.period == left.c.period))
            .where(found(left.c.user_id, left.c.team_id, spans.c.lo, spans.c.hi, period).is_(None)),
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


def _literal_rows(rows: list[tuple[Any, ...]], columns: dict[str, Any]) -> Any:
    """A few rows given as literals, as a subquery with `columns` (name: type)."""
    return sa.union(
        *(
            sa.select(
                *(
                    sa.literal(v, kind).label(n)
                    for v, (n, kind) in zip(r, columns.items(), strict=True)
                )
            )
            for r in rows
        )
    ).subquery()


def _spans(conn: sa.Connection) -> tuple[Any, Any] | None:
    """The days of each period the voided events count in (a few rows): all time, and each
    ISO week and calendar month key (the keys awards derive from an event's day); and for
    each (week, month) pair of them, the days in both."""
    rows = [(ALL, dt.date.min, dt.date.max)]
    both = []
    for week, month in conn.execute(
        sa.select(events.c.week, events.c.month).where(events.c.dn < 0).distinct()
    ):
        year, number = week.split("-W")
        monday = dt.date.fromisocalendar(int(year), int(number), 1)
        rows.append((week, monday, monday + dt.timedelta(days=6)))
        first = dt.date(int(month[:4]), int(month[5:7]), 1)
        following = (first + dt.timedelta(days=31)).replace(day=1)
        rows.append((month, first, following - dt.timedelta(days=1)))
        (_, w_lo, w_hi), (_, m_lo, m_hi) = rows[-2:]
        both.append((week, month, max(w_lo, m_lo), min(w_hi, m_hi)))
    if not both:
        return None
    day = sa.Date
    return (
        _literal_rows(sorted(set(rows)), {"period": sa.String, "lo": day, "hi": day}),
        _literal_rows(both, {"week": sa.String, "month": sa.String, "lo": day, "hi": day}),
    )
