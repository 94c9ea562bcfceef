"""A closed app is freed whole: its database, engines and their statement caches."""

from __future__ import annotations

import gc
import weakref

from bot.bootstrap import ManualClock
from tests.conftest import build_test_app, origin
from tests.helpers import errors, say

ADA = origin("Ada", admin=True)


async def test_a_closed_app_leaves_its_database_behind_for_the_collector(
    db_url: str, clock: ManualClock
) -> None:
    app = await build_test_app(db_url, clock)
    # Writes through every per-database helper: the short writes (a claim, a channel) and the
    # batched answers' write group.
    for line in ("config channel", "quiz stats 1 easy"):
        assert errors(await say(app, ADA, line)) == [], line
    database = weakref.ref(app.db)
    engine = weakref.ref(app.db.engine)
    await app.close()
    del app
    gc.collect()
    # Each per-database helper was once kept in a class-level weak map whose values referred
    # to their database, so no database built in a process was ever freed (every test's
    # stayed, with its engines and their compiled statements: 2.7 million objects in a test
    # worker at the end, whose last collection outlasted the test runner's 5 s exit grace).
    assert database() is None
    assert engine() is None
