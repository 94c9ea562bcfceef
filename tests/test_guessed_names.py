"""A name the platform only guessed (a Slack handle) names a newcomer, never over a stored one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from bot.bootstrap import App, ManualClock
from bot.commands import SubmitAnswer
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.replies import Notice, StatsView, Tone
from bot.storage.tables import users
from bot.usecases import daily
from bot.usecases.registration import record_display_name
from tests.helpers import via_inbox

PLACE = PlaceRef(Platform.SLACK, "T1", "C1")
WORKSPACE = PLACE.workspace_key
BOB = "UBOB"
# What a request carries before users.info answered: the handle, marked as a guess.
GUESS = Origin(UserRef(Platform.SLACK, BOB), PLACE, "bob", guessed_name=True)
ADMIN = Origin(UserRef(Platform.SLACK, "UADA"), PLACE, "Ada L", is_admin=True)
MEDIAN = "ss-median"  # MCQ: Mean, Median, Range, Standard deviation; Median is right


async def stored_name(app: App, external_id: str = BOB) -> str | None:
    async with app.db.read() as conn:
        row = await conn.execute(
            sa.select(users.c.display_name).where(
                users.c.workspace == WORKSPACE, users.c.external_id == external_id
            )
        )
        return row.scalar_one_or_none()


async def stats_name(app: App, who: Origin) -> str:
    [view, *_] = await app.dispatcher.handle_text("stats", who)
    assert isinstance(view, StatsView)
    return view.name


async def test_a_guess_names_a_newcomer_and_never_replaces_the_name_learned_since(
    app: App,
) -> None:
    # The first request after a restart: nobody stored yet, so the handle is the best name.
    assert await stats_name(app, GUESS) == "bob"
    assert await stored_name(app) == "bob"
    # The warm-up lands (users.info: display name "Bobby") while a second request, which
    # carried the handle too, is still in flight: that one must not write "bob" back.
    assert await record_display_name(app.ctx, WORKSPACE, BOB, "Bobby")
    assert await stats_name(app, GUESS) == "Bobby"
    assert await stored_name(app) == "Bobby"
    # A name the platform vouches for still renames as before.
    assert await stats_name(app, replace(GUESS, display_name="Bob B", guessed_name=False)) == (
        "Bob B"
    )
    assert await stored_name(app) == "Bob B"


@pytest.mark.parametrize("path", ["inbox", "direct"])
async def test_a_guessed_daily_click_keeps_the_stored_name(
    app: App, clock: ManualClock, path: str
) -> None:
    # Bob is known as Bobby from before the restart; his first click after it carries "bob".
    assert await stats_name(app, replace(GUESS, display_name="Bobby", guessed_name=False))
    opened = await daily.open_daily_round(app.ctx, PLACE, clock.now(), MEDIAN)
    assert opened is not None
    rnd, _card = opened
    click = SubmitAnswer("", round_id=rnd.id, choice=1, delivery_id=f"click-{path}")
    if path == "inbox":
        replies = await via_inbox(app, GUESS, click, "k1")
    else:
        replies = await app.dispatcher.dispatch(click, GUESS)
    [reply] = replies
    assert isinstance(reply, Notice) and reply.tone is Tone.SUCCESS, reply
    assert await stored_name(app) == "Bobby"


async def test_a_guess_written_after_a_rename_it_did_not_see_keeps_the_rename(
    app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race inside ensure_user: its read finds no row, then another request stores Bob
    # and the warm-up renames him before this write runs.
    store = app.ctx.stores.users
    await store.ensure_user(WORKSPACE, BOB, "Bobby", clock.now())
    real = app.db.read_sync

    async def stale_read(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(app.db, "read_sync", real)  # only this one read is stale
        return None

    monkeypatch.setattr(app.db, "read_sync", stale_read)
    found = await store.ensure_user(WORKSPACE, BOB, "bob", clock.now(), guessed=True)
    assert found.display_name == "Bobby"
    assert await stored_name(app) == "Bobby"
