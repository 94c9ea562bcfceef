"""A round's reveal counted by the database: answers per normalized answer, and who was right."""

from __future__ import annotations

import sqlalchemy as sa

from bot.records import RoundTally
from bot.storage.tables import answers, users

# Both walk the round's index range: the answers per (normalized answer, verdict), and the
# names of those right in the order they answered (the reveal names the first one first).
_TALLY = (
    sa.select(answers.c.normalized, answers.c.correct, sa.func.count())
    .where(answers.c.round_id == sa.bindparam("k_round"))
    .group_by(answers.c.normalized, answers.c.correct)
)
_WINNERS = (
    sa.select(users.c.display_name)
    .join_from(answers, users, users.c.id == answers.c.user_id)
    .where(answers.c.round_id == sa.bindparam("k_round"), answers.c.correct.is_(True))
    .order_by(answers.c.id)
)


def round_tally(conn: sa.Connection, round_id: int) -> RoundTally:
    """The reveal's counts and winners. The reveal of a 50,000-answer round built a record
    per answer on the event loop instead, a stall of 0.4 s at 20,000 answers for every click
    meanwhile (docs/scaling.md, session 11); what is left in Python is a name per right answer."""
    params = {"k_round": round_id}
    by_answer: dict[str, int] = {}
    answered = right = 0
    for normalized, correct, n in conn.execute(_TALLY, params):
        by_answer[normalized] = by_answer.get(normalized, 0) + n
        answered += n
        right += n if correct else 0
    winners = tuple(conn.execute(_WINNERS, params).scalars())
    return RoundTally(answered, by_answer, right, winners)
