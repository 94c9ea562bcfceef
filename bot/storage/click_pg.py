"""A batch of daily-card clicks on PostgreSQL as one statement: rows, users and answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import sqlalchemy as sa

from bot.faults import fault_point
from bot.inbox import Admission, InboxEntry, StoredReply
from bot.records import DailyAnswer, DailyAnswerOutcome
from bot.storage.inbox_tables import inbox
from bot.storage.pg_arrays import grid, unnest
from bot.storage.pg_pool import autocommit
from bot.storage.rows import CLOSED, FORGOTTEN, NO_CHANNEL, forgotten_key, name_key
from bot.storage.tables import answers

# One data-modifying statement, its input a row per click (unnest, below). Keys this
# statement's snapshot has not seen ("fresh") go the steps of
# SqlAnswerStore.write_daily_answers: the channel's zone, the round still open (FOR SHARE:
# a close in another process waits for these answers, or they see it closed), the forgotten
# user's lock, the users upserted (the batch's last name wins), each (round, user)'s first
# answer inserted. Then every inbox row is inserted (ON CONFLICT DO NOTHING: a key that
# another process wrote meanwhile is left to the caller; answers are unique per round and
# user, so no answer is written twice). A row whose answer went in, in the zone its reply
# was rendered for, is inserted done with that reply; the others stay `received` for the
# caller. Sibling statements of a WITH cannot see each other's rows, so the row cannot be
# written first and marked done after: its state is decided before it is inserted. `seq`
# is the row's place in the caller's batch; rows go in key order (no deadlock between two
# processes writing overlapping keys). Look-ups are scalar subqueries per row (the inbox
# key, the channel's zone, the forgotten lock, an earlier answer only where none was
# inserted) and the rounds by their ids: the cached plan probes the unique indexes whatever
# the statistics said when it was made. As joins, a plan made while the tables were small
# scanned the whole inbox, and every answer of the round for each row, in every batch.
# Between the CTEs every join has one key (`seq`, a user's `ukey`, a (round, user)'s `ru`)
# or is a hashed IN, and the look-ups flag rows instead of filtering them: the generic
# plan estimates a CTE filtered twice, or joined on two keys, at one row, and then joins
# the batch to itself in nested loops (a pass over the batch per row, about a third of
# the statement's time at 100 clicks); on one key it hashes.
# `alone` ($6): the statement runs without a transaction around it and writes only whole
# clicks: an answer only with its reply rendered for the zone read here, and a row only
# done (ClickWriter.write). `again_ok`: the click's reply as a second answer with the
# same `given` is its rendered reply (a repeated click is told it is locked in); such a
# click whose first answer is in this statement's snapshot, or went in from this batch with
# the same `given`, is written done with that reply too, no answer of its own.
# The statement's input, a row per click: its columns by type, each type's as one
# two-dimensional array (bot/storage/pg_arrays.py).
TEXTS = (
    "platform", "dedupe_key", "workspace", "user_ref", "payload", "route", "a_workspace",
    "external_id", "display_name", "name_key", "channel", "topic", "given", "normalized",
    "forgot_key", "pre_zone", "pre_reply",
)  # fmt: skip
STAMPS = ("route_expires_at", "received_at", "lease_until", "answered_at")
INTS = ("seq", "round_id")
BOOLS = ("correct", "again_ok")
# The parameters after the four arrays: the batch's time, and `alone`.
NOW, ALONE = "$5", "$6"
INPUT = unnest(("text", TEXTS), ("timestamptz", STAMPS), ("int", INTS), ("bool", BOOLS))
_ROUND = INTS.index("round_id") + 1
ROUND_IDS = f"($3::int[])[{_ROUND}:{_ROUND}]"

CLICKS = f"""
WITH input AS (
  SELECT * FROM {INPUT}
),
looked AS (
  SELECT i.*,
         (SELECT b.id FROM inbox b
          WHERE b.platform = i.platform AND b.dedupe_key = i.dedupe_key) IS NULL AS fresh,
         (SELECT c.timezone FROM channels c
          WHERE c.workspace = i.a_workspace AND c.external_id = i.channel) AS timezone,
         (SELECT f.round_id FROM forgotten_answers f
          WHERE f.round_id = i.round_id AND f.user_key = i.forgot_key) IS NULL AS unlocked,
         length(i.a_workspace) || ':' || i.a_workspace || i.external_id AS ukey
  FROM input i
),
open_rounds AS (
  SELECT id FROM rounds WHERE id = ANY ({ROUND_IDS}) AND closed_at IS NULL
  FOR SHARE
),
up AS (
  INSERT INTO users (workspace, external_id, display_name, name_key, created_at)
  SELECT DISTINCT ON (a_workspace, external_id)
         a_workspace, external_id, display_name, name_key, answered_at
  FROM looked WHERE fresh AND timezone IS NOT NULL AND unlocked
  ORDER BY a_workspace, external_id, seq DESC
  ON CONFLICT (workspace, external_id)
  DO UPDATE SET display_name = excluded.display_name, name_key = excluded.name_key
  RETURNING id, length(workspace) || ':' || workspace || external_id AS ukey
),
firsts AS (
  SELECT l.seq, l.round_id, l.topic, l.given, l.normalized, l.correct, l.answered_at,
         l.pre_reply, up.id AS user_id, l.round_id::bigint * 4294967296 + up.id AS ru,
         row_number() OVER w AS nth, first_value(l.given) OVER w AS first_given, l.again_ok,
         l.pre_reply IS NOT NULL AND l.timezone = l.pre_zone AS rendered
  FROM looked l JOIN up ON up.ukey = l.ukey
  WHERE l.fresh AND l.timezone IS NOT NULL AND l.unlocked
  WINDOW w AS (PARTITION BY l.round_id, up.id ORDER BY l.seq)
),
ans AS (
  INSERT INTO answers (round_id, user_id, topic, given, normalized, correct, answered_at)
  SELECT round_id, user_id, topic, given, normalized, correct, answered_at
  FROM firsts
  WHERE nth = 1 AND round_id IN (SELECT id FROM open_rounds) AND (rendered OR NOT {ALONE})
  ORDER BY round_id, user_id
  ON CONFLICT DO NOTHING
  RETURNING round_id::bigint * 4294967296 + user_id AS ru
),
written AS (
  SELECT f.seq, f.pre_reply FROM firsts f
  WHERE f.rendered AND (
    (f.nth = 1 AND (f.ru IN (SELECT ru FROM ans)) IS TRUE)
    OR (f.again_ok AND (f.round_id IN (SELECT id FROM open_rounds)) IS TRUE
        AND f.given = COALESCE(
          CASE WHEN f.nth > 1 AND (f.ru IN (SELECT ru FROM ans)) IS TRUE THEN f.first_given END,
          (SELECT e.given FROM answers e
           WHERE e.round_id = f.round_id AND e.user_id = f.user_id))))
),
ins AS (
  INSERT INTO inbox (platform, dedupe_key, workspace, user_ref, payload, route,
                     route_expires_at, state, attempts, received_at, lease_until,
                     finished_at, reply)
  SELECT i.platform, i.dedupe_key, i.workspace, i.user_ref, i.payload, i.route,
         i.route_expires_at, CASE WHEN w.seq IS NULL THEN 'received' ELSE 'done' END, 1,
         i.received_at, CASE WHEN w.seq IS NULL THEN i.lease_until ELSE {NOW}::timestamptz END,
         CASE WHEN w.seq IS NULL THEN NULL ELSE {NOW}::timestamptz END, w.pre_reply
  FROM input i LEFT JOIN written w ON w.seq = i.seq
  WHERE w.seq IS NOT NULL OR NOT {ALONE}
  ORDER BY i.platform, i.dedupe_key
  ON CONFLICT DO NOTHING
  RETURNING id, platform, dedupe_key, state
)
SELECT ins.id AS entry, ins.platform, ins.dedupe_key, ins.state = 'done' AS finished,
       l.fresh, l.seq, l.round_id, CASE WHEN l.fresh THEN l.timezone END AS timezone,
       l.round_id IN (SELECT id FROM open_rounds) AS open,
       f.user_id, f.nth, COALESCE(f.nth = 1 AND f.ru IN (SELECT ru FROM ans), false) AS inserted,
       CASE WHEN f.user_id IS NOT NULL AND NOT (f.nth = 1 AND f.ru IN (SELECT ru FROM ans)) THEN
         (SELECT e.given FROM answers e WHERE e.round_id = l.round_id AND e.user_id = f.user_id)
       END AS earlier
FROM ins
JOIN looked l ON l.platform = ins.platform AND l.dedupe_key = ins.dedupe_key
LEFT JOIN firsts f ON f.seq = l.seq
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


# One written row's reply, rendered before the statement: its JSON and what to hand back.
Rendered = tuple[str, Any]
# What the statement made of an inserted row: its outcome, and its reply if it was
# inserted done with it (else the caller finishes or holds the row).
Written = tuple[DailyAnswerOutcome, Rendered | None]
# Channels whose zone is remembered, at most (a reply is rendered for the zone last seen).
ZONES_KEPT = 100_000


class ClickWriter:
    """Writes batches of clicks with their inbox rows, one statement each (CLICKS). A
    click's reply names its channel's zone, read in the statement; the zone last read for
    the channel is what the reply is rendered for beforehand, and a row whose zone turns
    out different (or whose outcome is not `stored`) is finished by the caller."""

    def __init__(self) -> None:
        self.zones: dict[tuple[str, str], str] = {}

    def write(
        self,
        conn: sa.Connection,
        entries: Sequence[tuple[InboxEntry, dt.timedelta, int]],
        items: Sequence[DailyAnswer],
        replies: Sequence[Callable[[DailyAnswerOutcome], Rendered | None]],
        *,
        alone: bool = False,
    ) -> tuple[list[tuple[int, str, str]], dict[tuple[str, str], Written]]:
        """Insert the inbox rows `entries` (entry, lease, place in the caller's batch) and,
        for keys not seen before, write their answers `items` (one per entry): (id,
        platform, key) of each row inserted, and for each inserted key not seen before its
        outcome (as write_daily_answers gives it) and its reply if the row is done.

        `alone`: the statement runs by itself, committed as it ends (no transaction
        around it), so it writes only what is complete: an answer together with its row
        done with the reply rendered beforehand, or a second answer repeating the first
        (same `given`, which the statement sees) done with the same reply. Every other row
        (a key seen before, a zone not known or changed, a round closed, a different second
        answer) is neither inserted nor has anything written, and is left to the caller's
        transaction. With no reply
        rendered beforehand nothing could be written: no statement runs."""
        texts: list[tuple[str | None, ...]] = []
        stamps: list[tuple[dt.datetime | None, ...]] = []
        ints: list[tuple[int, int]] = []
        bools: list[tuple[bool, bool]] = []
        rendered: dict[int, Rendered] = {}
        for (e, lease, seq), a, reply in zip(entries, items, replies, strict=True):
            zone = self.zones.get((a.workspace, a.channel))
            pre = None if zone is None else reply(DailyAnswerOutcome("stored", zone))
            if pre is not None:
                rendered[seq] = pre
            texts.append(
                (
                    e.platform,
                    e.key,
                    e.workspace,
                    e.user_ref,
                    e.payload,
                    e.route,
                    a.workspace,
                    a.external_id,
                    a.display_name,
                    name_key(a.display_name),
                    a.channel,
                    a.topic,
                    a.given[:300],
                    a.normalized[:300],
                    forgotten_key(a.round_id, a.workspace, a.external_id),
                    zone if pre is not None else None,
                    pre[0] if pre is not None else None,
                )
            )
            stamps.append((e.route_expires_at, e.received_at, e.received_at + lease, a.at))
            ints.append((seq, a.round_id))
            bools.append(
                (
                    a.correct,
                    zone is not None and pre is not None and _again(reply, zone, a) == pre[0],
                )
            )
        if not texts or (alone and not rendered):
            return [], {}
        now = max(e.received_at for e, _, _ in entries)
        if alone:
            # Killed (or failing) here, nothing of the batch is written and nothing acked.
            fault_point("inbox.uncommitted")
        arrays = (grid(texts), grid(stamps), grid(ints), grid(bools), now, alone)
        found = list(conn.exec_driver_sql(CLICKS, arrays))
        if len(self.zones) > ZONES_KEPT:
            self.zones.clear()
        by_seq = {seq: a for (_, _, seq), a in zip(entries, items, strict=True)}
        for r in found:
            if r.timezone is not None:
                a = by_seq[r.seq]
                self.zones[(a.workspace, a.channel)] = r.timezone
        inserted = [(r.entry, r.platform, r.dedupe_key) for r in found]
        fresh = [r for r in found if r.fresh]
        outcomes = _outcomes(conn, fresh, {seq: a.given[:300] for seq, a in by_seq.items()})
        return inserted, {
            (r.platform, r.dedupe_key): (outcomes[r.seq], rendered[r.seq] if r.finished else None)
            for r in fresh
        }


def _again(
    reply: Callable[[DailyAnswerOutcome], Rendered | None], zone: str, a: DailyAnswer
) -> str | None:
    """The stored JSON of the reply to this click as a second answer whose first had the same
    `given`: when it is the "stored" reply's (a repeated click is told its answer is locked
    in), the statement may finish such a click alone."""
    try:
        again = reply(DailyAnswerOutcome("already", zone, given=a.given[:300]))
    except Exception:  # a refusal, or anything unusual: left to the caller, as before
        return None
    return None if again is None else again[0]


def _outcomes(
    conn: sa.Connection, found: Sequence[Any], givens: dict[int, str]
) -> dict[int, DailyAnswerOutcome]:
    """Each row's outcome by its place in the batch, as write_daily_answers decides it."""
    # (round, user) -> the given of its first answer in this batch, when that was inserted.
    firsts = {(r.round_id, r.user_id): givens[r.seq] for r in found if r.inserted and r.nth == 1}
    earlier = {(r.round_id, r.user_id): r.earlier for r in found if r.earlier is not None}
    missing = sorted(
        {(r.round_id, r.user_id) for r in found if r.open and r.user_id is not None}
        - firsts.keys()
        - earlier.keys()
    )
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
    return {r.seq: _outcome(r, firsts, earlier) for r in found}


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


class Fused(Protocol):
    """A store's writer of rows with their items in one statement (ClickWriter.write): the
    rows inserted, and for each inserted key its outcome and, if the row went in done, its
    reply (rendered with the row's StoredReply); a key seen before is left to the caller.
    With `alone`, the statement commits by itself and inserts only the rows it finished."""

    def __call__(
        self,
        conn: sa.Connection,
        entries: Sequence[tuple[InboxEntry, dt.timedelta, int]],
        items: Sequence[Any],
        replies: Sequence[StoredReply],
        *,
        alone: bool = False,
    ) -> tuple[Sequence[tuple[int, str, str]], Mapping[tuple[str, str], tuple[Any, Any]]]: ...


# A one-write request as the inbox queues it: entry, lease, item, stored reply, payload.
Request = tuple[InboxEntry, dt.timedelta, Any, StoredReply, Any]


def write_alone(
    conn: sa.Connection, batch: Sequence[Request], write: Fused
) -> dict[tuple[str, str], tuple[InboxEntry, int, Any, Any]]:
    """The requests of `batch` that one self-committing statement finished (BEGIN and COMMIT
    saved: one round trip), by key: (entry, row id, outcome, reply). Each is whole in the
    database (row done with its reply, answer written) or absent, so a kill or a failure
    anywhere leaves nothing half-written, and a batch run again finds the rows done and
    shows their stored replies. Must run before `conn`'s first statement."""
    place: dict[tuple[str, str], int] = {}
    for seq, request in enumerate(batch):
        place.setdefault((request[0].platform, request[0].key), seq)
    firsts = [(seq, batch[seq]) for _, seq in sorted(place.items())]
    with autocommit(conn):
        rows, outcomes = write(
            conn,
            [(r[0], r[1], seq) for seq, r in firsts],
            [r[2] for _, r in firsts],
            [r[3] for _, r in firsts],
            alone=True,
        )
    return {
        (platform, key): (batch[place[(platform, key)]][0], row, *outcomes[(platform, key)])
        for row, platform, key in rows
    }


def merged(
    batch: Sequence[Request],
    written: Mapping[tuple[str, str], Admission],
    rest: list[Admission],
) -> list[Admission]:
    """One admission per request of `batch`: those the self-committing statement wrote, and
    in order the admissions of the others (`rest`)."""
    later = iter(rest)
    out: list[Admission] = []
    handed: set[tuple[str, str]] = set()
    for item in batch:
        key = (item[0].platform, item[0].key)
        if key not in written:
            out.append(next(later))
        elif key in handed:  # a repeat of a key written by this batch sees it done, as it is
            out.append(Admission("done", written[key].record))
        else:
            handed.add(key)
            out.append(written[key])
    return out


# A one-write row held for the general path gets the payload a replay reads.
HOLD = (
    sa.update(inbox)
    .where(inbox.c.id == sa.bindparam("entry"))
    .values(payload=sa.bindparam("request"))
)


def hold(conn: sa.Connection, rows: Sequence[tuple[int, str]]) -> None:
    """Held rows' payloads: (id, payload), in id order."""
    conn.execute(HOLD, [{"entry": e, "request": p} for e, p in rows])
