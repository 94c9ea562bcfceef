"""A batch of daily-card clicks on PostgreSQL as one statement: rows, users and answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bot.inbox import InboxEntry
from bot.records import DailyAnswer, DailyAnswerOutcome
from bot.storage.rows import CLOSED, FORGOTTEN, NO_CHANNEL, forgotten_key, name_key
from bot.storage.tables import answers

# One data-modifying statement, its input one array per column (unnest): the inbox rows
# (ON CONFLICT DO NOTHING: a key seen before writes nothing here and is handled by the
# caller), then for the rows inserted the same steps as SqlAnswerStore.write_daily_answers:
# the channel's zone, the round still open (FOR SHARE: a close in another process waits for
# these answers, or they see it closed), the forgotten user's lock, the users upserted
# (the batch's last name wins) and each (round, user)'s first answer inserted. One round
# trip where the statement-by-statement batch took five. `seq` is the row's place in the
# caller's batch (first answer, last name); rows are inserted in key order (no deadlock
# between two processes writing overlapping keys).
CLICKS = """
WITH input AS (
  SELECT * FROM unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::int[],
    $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::int[],
    $17::text[], $18::text[], $19::text[], $20::bool[], $21::timestamptz[], $22::text[]
  ) AS t(platform, dedupe_key, workspace, user_ref, payload, route,
         route_expires_at, received_at, lease_until, seq,
         a_workspace, external_id, display_name, name_key, channel, round_id,
         topic, given, normalized, correct, answered_at, forgot_key)
),
ins AS (
  INSERT INTO inbox (platform, dedupe_key, workspace, user_ref, payload, route,
                     route_expires_at, state, attempts, received_at, lease_until)
  SELECT platform, dedupe_key, workspace, user_ref, payload, route,
         route_expires_at, 'received', 1, received_at, lease_until
  FROM input ORDER BY platform, dedupe_key
  ON CONFLICT DO NOTHING
  RETURNING id, platform, dedupe_key
),
new AS (
  SELECT i.*, ins.id AS entry
  FROM input i JOIN ins ON ins.platform = i.platform AND ins.dedupe_key = i.dedupe_key
),
open_rounds AS (
  SELECT id FROM rounds
  WHERE id IN (SELECT round_id FROM new) AND closed_at IS NULL
  FOR SHARE
),
zones AS (
  SELECT workspace, external_id, timezone FROM channels
  WHERE (workspace, external_id) IN (SELECT a_workspace, channel FROM new)
),
live AS (
  SELECT n.* FROM new n
  JOIN zones z ON z.workspace = n.a_workspace AND z.external_id = n.channel
  WHERE NOT EXISTS (
    SELECT 1 FROM forgotten_answers f
    WHERE f.round_id = n.round_id AND f.user_key = n.forgot_key
  )
),
up AS (
  INSERT INTO users (workspace, external_id, display_name, name_key, created_at)
  SELECT DISTINCT ON (a_workspace, external_id)
         a_workspace, external_id, display_name, name_key, answered_at
  FROM live ORDER BY a_workspace, external_id, seq DESC
  ON CONFLICT (workspace, external_id)
  DO UPDATE SET display_name = excluded.display_name, name_key = excluded.name_key
  RETURNING id, workspace, external_id
),
firsts AS (
  SELECT l.seq, l.round_id, l.topic, l.given, l.normalized, l.correct, l.answered_at,
         up.id AS user_id,
         row_number() OVER (PARTITION BY l.round_id, up.id ORDER BY l.seq) AS nth
  FROM live l JOIN up ON up.workspace = l.a_workspace AND up.external_id = l.external_id
),
ans AS (
  INSERT INTO answers (round_id, user_id, topic, given, normalized, correct, answered_at)
  SELECT round_id, user_id, topic, given, normalized, correct, answered_at
  FROM firsts WHERE nth = 1 AND round_id IN (SELECT id FROM open_rounds)
  ORDER BY round_id, user_id
  ON CONFLICT DO NOTHING
  RETURNING round_id, user_id
)
SELECT n.entry, n.platform, n.dedupe_key, n.seq, n.round_id, z.timezone,
       n.round_id IN (SELECT id FROM open_rounds) AS open,
       f.user_id, f.nth,
       EXISTS (SELECT 1 FROM ans WHERE ans.round_id = n.round_id AND ans.user_id = f.user_id)
         AS inserted,
       e.given AS earlier
FROM new n
LEFT JOIN zones z ON z.workspace = n.a_workspace AND z.external_id = n.channel
LEFT JOIN firsts f ON f.seq = n.seq
LEFT JOIN answers e ON e.round_id = n.round_id AND e.user_id = f.user_id
"""

# Rows finished (done or failed) with their replies, the whole batch in one statement.
FINISH = """
UPDATE inbox SET state = u.state, reply = u.reply, finished_at = u.at, lease_until = u.at
FROM unnest($1::int[], $2::text[], $3::text[], $4::timestamptz[]) AS u(id, state, reply, at)
WHERE inbox.id = u.id
"""


def finish(conn: sa.Connection, rows: Sequence[tuple[int, str, str | None, dt.datetime]]) -> None:
    """(id, state, reply, at) for each row, as one statement (an executemany runs the
    UPDATE once per row in the server)."""
    ordered = sorted(rows)
    conn.exec_driver_sql(
        FINISH,
        (
            [r[0] for r in ordered],
            [r[1] for r in ordered],
            [r[2] for r in ordered],
            [r[3] for r in ordered],
        ),
    )


def write_clicks(
    conn: sa.Connection,
    entries: Sequence[tuple[InboxEntry, dt.timedelta, int]],
    items: Sequence[DailyAnswer],
) -> tuple[list[tuple[int, str, str]], dict[tuple[str, str], DailyAnswerOutcome]]:
    """Insert the inbox rows `entries` (entry, lease, place in the caller's batch) and, for
    the rows inserted, write their answers `items` (one per entry): (id, platform, key) of
    each row inserted, and each inserted key's outcome, as write_daily_answers gives it."""
    columns: list[list[Any]] = [[] for _ in range(22)]
    for (e, lease, seq), a in zip(entries, items, strict=True):
        given = a.given[:300]
        for column, value in zip(
            columns,
            (
                e.platform,
                e.key,
                e.workspace,
                e.user_ref,
                e.payload,
                e.route,
                e.route_expires_at,
                e.received_at,
                e.received_at + lease,
                seq,
                a.workspace,
                a.external_id,
                a.display_name,
                name_key(a.display_name),
                a.channel,
                a.round_id,
                a.topic,
                given,
                a.normalized[:300],
                a.correct,
                a.at,
                forgotten_key(a.round_id, a.workspace, a.external_id),
            ),
            strict=True,
        ):
            column.append(value)
    found = list(conn.exec_driver_sql(CLICKS, tuple(columns)))
    givens = {seq: a.given[:300] for (_, _, seq), a in zip(entries, items, strict=True)}
    inserted_rows = [(r.entry, r.platform, r.dedupe_key) for r in found]
    # (round, user) -> the given of its first answer in this batch, when that was inserted.
    firsts = {(r.round_id, r.user_id): givens[r.seq] for r in found if r.inserted and r.nth == 1}
    missing = sorted(
        {
            (r.round_id, r.user_id)
            for r in found
            if r.open and r.user_id is not None and r.earlier is None
        }
        - firsts.keys()
    )
    earlier = {(r.round_id, r.user_id): r.earlier for r in found if r.earlier is not None}
    if missing:
        # Not in the statement's snapshot: an answer another process committed meanwhile.
        earlier.update(
            ((row.round_id, row.user_id), row.given)
            for row in conn.execute(
                sa.select(answers.c.round_id, answers.c.user_id, answers.c.given).where(
                    sa.tuple_(answers.c.round_id, answers.c.user_id).in_(missing)
                )
            )
        )
    outcomes: dict[tuple[str, str], DailyAnswerOutcome] = {}
    for r in found:
        outcomes[(r.platform, r.dedupe_key)] = _outcome(r, firsts, earlier)
    return inserted_rows, outcomes


def _outcome(
    r: Any, firsts: dict[tuple[int, int], str], earlier: dict[tuple[int, int], str]
) -> DailyAnswerOutcome:
    if r.timezone is None:
        return NO_CHANNEL  # the caller takes the general path, which creates it
    if r.user_id is None:
        return FORGOTTEN  # answered, then forgotten: the round stays locked for them
    if not r.open:
        return CLOSED
    key = (r.round_id, r.user_id)
    if r.nth == 1 and r.inserted:
        return DailyAnswerOutcome("stored", r.timezone)
    if key in firsts:  # a second click in the same batch
        return DailyAnswerOutcome("already", given=firsts[key])
    if key in earlier:
        return DailyAnswerOutcome("already", given=earlier[key])
    return CLOSED  # the earlier answer vanished (forgotten user): as add_answer says
