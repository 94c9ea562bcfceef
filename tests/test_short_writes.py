"""The fan-out's short writes: on SQLite those that meet share a commit, each its own result."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import sqlalchemy as sa

from bot.bootstrap import App, ManualClock
from bot.storage.short_writes import ShortWrites

CHANNELS = 12
LEASE = dt.timedelta(seconds=90)


class Commits:
    """Counts the commits every engine of the app makes while inside the block."""

    def __init__(self, app: App) -> None:
        self.engines = [app.db.engine.sync_engine, *app.db.sync_engines()]
        self.count = 0

    def _one(self, *_: Any) -> None:
        self.count += 1

    def __enter__(self) -> Commits:
        for engine in self.engines:
            sa.event.listen(engine, "commit", self._one)
        return self

    def __exit__(self, *_: object) -> None:
        for engine in self.engines:
            sa.event.remove(engine, "commit", self._one)


async def channel_ids(app: App, clock: ManualClock) -> list[int]:
    stores = app.ctx.stores
    made = [
        await stores.channels.ensure_channel("discord", "discord:1", str(100 + i), clock.now())
        for i in range(CHANNELS)
    ]
    return [c.id for c in made]


async def test_claims_of_many_channels_at_once_each_hold_their_own(
    app: App, clock: ManualClock
) -> None:
    claims = app.ctx.stores.claims
    ids = await channel_ids(app, clock)

    async def claim(cid: int, owner: str) -> Any:
        return await claims.claim(cid, "post", "2026-11-16", clock.now(), owner, lease=LEASE)

    with Commits(app) as commits:
        first = await asyncio.gather(*(claim(cid, "a") for cid in ids))
    assert [c.channel_id for c in first] == ids and all(c.owner == "a" for c in first)
    if app.db.sqlite:
        # Twelve claims made in one turn of the loop: far fewer commits than claims.
        assert commits.count < CHANNELS, commits.count
    # Each is held: another owner gets none, and the holder's update reaches its own row.
    assert await asyncio.gather(*(claim(cid, "b") for cid in ids)) == [None] * CHANNELS
    updated = await asyncio.gather(
        *(
            claims.update_claim(cid, "post", "2026-11-16", owner, clock.now(), {"attempts": 1})
            for cid, owner in zip(ids, ["a", "b"] * (CHANNELS // 2), strict=True)
        )
    )
    assert updated == [True, False] * (CHANNELS // 2)  # only the holder's update counts


async def test_a_failing_write_fails_its_caller_only(app: App, clock: ManualClock) -> None:
    ids = await channel_ids(app, clock)
    short = ShortWrites.of(app.db)

    def broken(conn: sa.Connection) -> None:
        conn.execute(sa.text("SELECT * FROM no_such_table"))

    outcome = await asyncio.gather(
        short.write(broken),
        app.ctx.stores.claims.claim(ids[0], "post", "2026-11-16", clock.now(), "a"),
        return_exceptions=True,
    )
    assert isinstance(outcome[0], sa.exc.DBAPIError)
    claim = outcome[1]
    assert not isinstance(claim, BaseException) and claim is not None
    assert await app.ctx.stores.claims.get_claim(ids[0], "post", "2026-11-16") == claim
