"""A schedule changed on the day: today's post goes out late while its round can be answered."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.bootstrap import App, ManualClock
from bot.replies import QuestionCard
from tests.helpers import errors, say, text
from tests.processes import noon_zone
from tests.test_scheduler import ADA, RecordingPublisher, at, channel_id, enable, tick

MONDAY = "2026-11-16"
LATE = "today's question (due 09:00) goes out now, open until 20:00"


async def claim_status(app: App, kind: str, period: str) -> str | None:
    claim = await app.stores.claims.get_claim(await channel_id(app), kind, period)
    return claim.status if claim is not None else None


async def test_a_post_skipped_at_enable_goes_out_once_when_a_later_close_reopens_its_round(
    app: App, clock: ManualClock
) -> None:
    pub = RecordingPublisher()
    clock.set(at(0, 18))
    # Enabled after the default close (09:00-17:00 UTC): today's round could not be answered.
    shown = await text(app, ADA, "config channel")
    assert "next question Tue 2026-11-17 09:00 UTC" in shown
    assert await claim_status(app, "post", MONDAY) == "skipped"
    # A close at 20:00 makes it answerable again: said, and caught up like any late post.
    assert f"Updated: close time 20:00; {LATE}." in await text(app, ADA, "config close 20:00")
    assert await claim_status(app, "post", MONDAY) is None
    [posted] = await tick(app, clock, at(0, 18, 1), pub)
    assert (posted.kind.value, posted.period, posted.status) == ("post", MONDAY, "published")
    assert await tick(app, clock, at(0, 18, 2), pub) == []
    # Said again, the late post is not announced twice, nor posted twice.
    again = await text(app, ADA, "config close 20:00")
    assert "goes out now" not in again
    assert await tick(app, clock, at(0, 18, 3), pub) == []
    [(_, card, _)] = pub.sent
    assert isinstance(card, QuestionCard)
    # The tally that fell due before the channel was enabled stays forgone.
    assert await claim_status(app, "tally", "2026-W46") == "skipped"


async def test_a_published_post_is_never_released_by_a_schedule_change(
    app: App, clock: ManualClock
) -> None:
    pub = RecordingPublisher()
    clock.set(at(0, 8))
    await enable(app)
    [posted] = await tick(app, clock, at(0, 9), pub)
    assert posted.status == "published"
    clock.set(at(0, 10))
    for line in ("config close 20:00", "config time 09:30", "config timezone Europe/London"):
        shown = await text(app, ADA, line)
        assert "goes out now" not in shown, (line, shown)
    assert await tick(app, clock, at(0, 10, 1), pub) == []
    assert len(pub.sent) == 1 and await claim_status(app, "post", MONDAY) == "published"


async def test_a_change_that_leaves_today_too_late_names_tomorrow(
    app: App, clock: ManualClock
) -> None:
    pub = RecordingPublisher()
    clock.set(at(0, 18))
    await enable(app)
    shown = await text(app, ADA, "config time 10:00")
    assert "next question Tue 2026-11-17 10:00 UTC" in shown and "goes out" not in shown
    assert await tick(app, clock, at(0, 18, 1), pub) == []
    assert await claim_status(app, "post", MONDAY) == "skipped"


async def test_resuming_while_today_can_still_be_answered_posts_it_late(
    app: App, clock: ManualClock
) -> None:
    pub = RecordingPublisher()
    clock.set(at(0, 7))
    await enable(app, "config pause", "config close 20:00")
    clock.set(at(0, 18))
    resumed = await text(app, ADA, "config resume")
    assert f"The daily question is running again; {LATE}." in resumed
    shown = await text(app, ADA, "config show")
    assert f"on, {LATE}" in shown
    # Enabling it again shows the same.
    assert f"on, {LATE}" in await text(app, ADA, "config channel")
    [posted] = await tick(app, clock, at(0, 18, 1), pub)
    assert (posted.kind.value, posted.period) == ("post", MONDAY)
    shown = await text(app, ADA, "config show")
    assert "next question Tue 2026-11-17 09:00 UTC" in shown


@pytest.mark.parametrize("hour", [0, 8, 9, 16, 17, 18, 23])
async def test_the_process_tests_channel_opens_at_any_hour(
    app: App, clock: ManualClock, hour: int
) -> None:
    """The settings `tests.processes.open_channel` gives the bot processes (a zone where it is
    about noon, a post a minute ago): whatever the UTC hour, the first tick posts. Enabled
    after 17:00 UTC the default schedule's round had closed, and no post came all evening."""
    now = at(0, hour, 30)
    clock.set(now)
    zone = noon_zone(now)
    local = now.astimezone(dt.timezone(dt.timedelta(hours=12 - hour)))
    lines = (
        "config channel",
        f"config timezone {zone}",
        f"config close {local + dt.timedelta(minutes=30):%H:%M}",
        f"config time {local - dt.timedelta(minutes=1):%H:%M}",
    )
    for line in lines:
        assert errors(await say(app, ADA, line)) == [], line
    pub = RecordingPublisher()
    [posted] = await tick(app, clock, now + dt.timedelta(seconds=30), pub)
    assert (posted.kind.value, posted.status) == ("post", "published")


async def test_a_post_skipped_for_a_reason_once_claimed_stays_skipped(
    app: App, clock: ManualClock
) -> None:
    """Only a skip for lateness is undone: one recorded after the post was claimed (here: no
    question fits the channel) stands, and the reply does not promise a post."""
    pub = RecordingPublisher()
    clock.set(at(0, 10))
    await enable(app)
    claims, cid, now = app.stores.claims, await channel_id(app), clock.now()
    assert await claims.claim(cid, "post", MONDAY, now, app.ctx.owner) is not None
    values = {"status": "skipped", "step": "done", "error": "no question fits this channel"}
    assert await claims.update_claim(cid, "post", MONDAY, app.ctx.owner, now, values)
    shown = await text(app, ADA, "config close 20:00")
    assert "goes out" not in shown and "Updated: close time 20:00." in shown
    assert await claim_status(app, "post", MONDAY) == "skipped"
    assert await tick(app, clock, at(0, 10, 1), pub) == [] and pub.sent == []


async def test_a_tally_forgone_at_enable_goes_out_when_moved_past_now(
    app: App, clock: ManualClock
) -> None:
    """Enabled on Friday after the default 17:00 tally, the week's tally is forgone; moved to
    20:00 it falls due after the enable, and goes out then. Moved earlier, it stays forgone."""
    pub = RecordingPublisher()
    clock.set(at(4, 18))
    await enable(app)
    assert await claim_status(app, "tally", "2026-W47") == "skipped"
    assert errors(await say(app, ADA, "config weekly fri 16:00")) == []
    assert await claim_status(app, "tally", "2026-W47") == "skipped"
    assert errors(await say(app, ADA, "config weekly fri 20:00")) == []
    assert await claim_status(app, "tally", "2026-W47") is None
    assert await tick(app, clock, at(4, 19, 59), pub) == []
    [tally] = await tick(app, clock, at(4, 20), pub)
    assert (tally.kind.value, tally.period, tally.status) == ("tally", "2026-W47", "published")
    assert await tick(app, clock, at(4, 20, 1), pub) == []


async def test_a_change_delivered_twice_before_the_tick_posts_once(
    app: App, clock: ManualClock
) -> None:
    """A platform's retry of the same change (or two admins at once): both replies say the
    post goes out, the second release finds nothing to release, and one post goes out."""
    pub = RecordingPublisher()
    clock.set(at(0, 18))
    await enable(app)
    for _ in range(2):
        assert f"Updated: close time 20:00; {LATE}." in await text(app, ADA, "config close 20:00")
    [posted] = await tick(app, clock, at(0, 18, 1), pub)
    assert (posted.kind.value, posted.period) == ("post", MONDAY)
    assert await tick(app, clock, at(0, 18, 2), pub) == [] and len(pub.sent) == 1
