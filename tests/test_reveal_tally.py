"""The reveal's tally, counted by the database, equals one counted from every answer."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores

NOW = dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC)
WS = "console:acme"


async def test_round_tally_counts_like_the_answers(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine)
    try:
        store = sql_stores(db)
        channel = await store.channels.ensure_channel("console", WS, "general", NOW)
        rnd = await store.rounds.create_round(channel, NOW.date(), "q", [], NOW, NOW)
        other = await store.rounds.create_round(
            channel, NOW.date() + dt.timedelta(days=1), "q2", [], NOW, NOW
        )
        assert rnd is not None and other is not None
        rng = random.Random(5)
        for i in range(40):
            user = await store.users.ensure_user(WS, f"u{i}", f"Player {39 - i}", NOW)
            given = rng.choice("0123")
            # Free text too: the same normalized answer given right and wrong is one share.
            correct = given == "1" or (given == "3" and i % 2 == 0)
            assert await store.answers.add_answer(rnd.id, user.id, "t", given, given, correct, NOW)
            if i % 3 == 0:  # another round's answers are not counted
                assert await store.answers.add_answer(other.id, user.id, "t", "1", "1", True, NOW)
        rows = await store.answers.round_answers(rnd.id)
        tally = await store.answers.round_tally(rnd.id)
        assert tally.answered == len(rows) == 40
        assert dict(tally.by_answer) == dict(Counter(a.normalized for a in rows))
        assert tally.right == sum(1 for a in rows if a.correct)
        # In the order they answered (the reveal names the first right answer first).
        assert tally.winners == tuple(a.display_name for a in rows if a.correct)
        empty = await store.rounds.create_round(
            channel, NOW.date() + dt.timedelta(days=2), "q3", [], NOW, NOW
        )
        assert empty is not None
        nothing = await store.answers.round_tally(empty.id)
        assert (nothing.answered, dict(nothing.by_answer), nothing.right, nothing.winners) == (
            0,
            {},
            0,
            (),
        )
    finally:
        await db.dispose()
