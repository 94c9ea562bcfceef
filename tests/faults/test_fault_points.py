"""A fault at every step of post, close and tally: after recovery each goes out exactly once."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from bot import faults
from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.commands import SubmitAnswer
from bot.replies import Notice, QuestionCard, RoundReveal, WeeklyTally
from bot.scoring import daily_points
from bot.usecases.daily import close_daily_round, open_daily_round
from tests.helpers import correct_text, errors, inbox_rows, say, via_inbox, wrong_text
from tests.test_scheduler import (
    ADA,
    BOB,
    CY,
    MONDAY,
    RecordingPublisher,
    at,
    channel_id,
    enable,
    tick,
)

WORK_POINTS = sorted(p for p in faults.POINTS if p.split(".")[0] in faults.KINDS)
TYPES = {"post": QuestionCard, "close": RoundReveal, "tally": WeeklyTally}


@pytest.fixture(autouse=True)
def _disarmed() -> Iterator[None]:
    # A test that fails half way must not leave a point armed for the next one.
    yield
    faults.disarm()


def test_every_step_of_post_close_and_tally_has_a_point() -> None:
    expected = sorted(
        f"{kind}.{step}"
        for kind in ("post", "close", "tally")
        for step in ("claimed", "stepped", "published", "recorded")
    )
    assert expected == WORK_POINTS


def test_arming_an_unknown_point_names_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match=re.escape("no fault point 'post.clamed'; known: answer.claimed")
    ):
        faults.arm("post.clamed")
    with pytest.raises(ValueError, match="expected <point>:kill or <point>:raise"):
        faults.arm_from_env("post.claimed:explode")


def test_an_armed_point_fires_its_times_then_is_inert() -> None:
    faults.arm("answer.written", times=2)
    for _ in range(2):
        with pytest.raises(
            faults.InjectedFault, match=re.escape("fault injected at answer.written")
        ):
            faults.fault_point("answer.written")
    assert not faults.armed("answer.written")
    faults.fault_point("answer.written")  # inert again
    faults.arm_from_env("answer.claimed:raise")
    with pytest.raises(faults.InjectedFault):
        faults.fault_point("answer.claimed")


async def faulted_tick(
    app: App, clock: ManualClock, when: dt.datetime, pub: RecordingPublisher, point: str
) -> None:
    """Tick at `when` with `point` armed to fail once, then the two ticks after recovery:
    the work is out exactly once by the end of them."""
    kind = point.split(".")[0]
    faults.arm(point)
    first = await tick(app, clock, when, pub)
    assert not faults.armed(point), f"{point} was never reached"
    assert [(r.kind.value, r.status) for r in first] == [(kind, "retrying")]
    faults.disarm()
    later = []
    for minute in (1, 2):
        later += await tick(app, clock, when + dt.timedelta(minutes=minute), pub)
    published = [r for r in later if r.kind.value == kind and r.status == "published"]
    # Past `published` the platform has the message: it is adopted or was recorded already.
    assert len(published) == (0 if point.endswith(".recorded") else 1)
    assert len(pub.of(TYPES[kind])) == 1


def integrity(db_url: str) -> str:
    with sqlite3.connect(make_url(db_url).database or "") as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.parametrize("point", WORK_POINTS)
async def test_a_fault_at_each_step_leaves_one_post_one_threaded_reveal_one_tally(
    app: App, clock: ManualClock, db_url: str, point: str
) -> None:
    kind = point.split(".")[0]
    pub = RecordingPublisher()
    await enable(app, "config days mon")

    async def run(when: dt.datetime, this: str) -> None:
        if this == kind:
            await faulted_tick(app, clock, when, pub, point)
        else:
            results = await tick(app, clock, when, pub)
            assert [(r.kind.value, r.status) for r in results] == [(this, "published")]

    await run(at(0, 9), "post")
    [(_, card, _)] = pub.of(QuestionCard)
    assert isinstance(card, QuestionCard)
    assert errors(await say(app, BOB, f"answer {correct_text(app, card)}")) == []
    assert errors(await say(app, CY, f"answer {wrong_text(app, card)}")) == []
    await run(at(0, 17), "close")
    await run(at(4, 17), "tally")

    # Nothing went out twice, and a later tick adds nothing.
    assert [type(r) for _, r, _ in pub.sent] == [QuestionCard, RoundReveal, WeeklyTally]
    assert await tick(app, clock, at(4, 18), pub) == []
    rnd = await app.stores.rounds.round_on(await channel_id(app), MONDAY)
    assert rnd is not None and rnd.closed_at is not None
    card_ref = pub.by_key[f"studybot:{rnd.channel_id}:post:{MONDAY.isoformat()}"]
    assert rnd.post_ref == card_ref
    [(_, reveal, thread)] = pub.of(RoundReveal)
    assert thread == card_ref  # threaded under the question
    assert isinstance(reveal, RoundReveal) and reveal.winners == ("Bob",)
    # Every answer once, points awarded once.
    base = daily_points(app.bank.by_id[rnd.question_id].difficulty)
    answers = await app.stores.answers.round_answers(rnd.id)
    assert sorted((a.display_name, a.points) for a in answers) == [("Bob", base), ("Cy", 0)]
    [(_, tally, _)] = pub.of(WeeklyTally)
    assert isinstance(tally, WeeklyTally)
    assert [(u.name, u.points) for u in tally.top_users] == [("Bob", base)]
    workspace = ADA.place.workspace_key
    assert await app.stores.boards.counter_drift(workspace) == {}
    assert await app.stores.boards.stored_totals(workspace) == await app.stores.boards.recount(
        workspace
    )
    for work, period in (("post", "2026-11-16"), ("close", "2026-11-16"), ("tally", "2026-W47")):
        claim = await app.stores.claims.get_claim(rnd.channel_id, work, period)
        assert claim is not None and (claim.status, claim.step) == ("published", "done")
    if db_url.startswith("sqlite"):
        assert integrity(db_url) == "ok"


MEDIAN = "ss-median"  # MCQ; option 1 (Median) is right


@pytest.mark.parametrize(
    ("point", "clicked"),
    [
        ("inbox.uncommitted", True),
        ("answer.written", True),
        ("answer.written", False),
        ("answer.claimed", False),
    ],
)
async def test_a_fault_while_answering_keeps_the_answer_once(
    app: App, clock: ManualClock, db_url: str, point: str, clicked: bool
) -> None:
    await enable(app)
    opened = await open_daily_round(app.ctx, ADA.place, clock.now(), MEDIAN)
    assert opened is not None
    rnd, card = opened
    typed = correct_text(app, card)
    if point == "answer.written" and clicked:  # a click takes its one write unless planned out
        app.dispatcher.planners.clear()

    async def answer() -> list[str]:
        if clicked:  # a click, retried with the same delivery id: the inbox takes it again
            click = SubmitAnswer("", round_id=rnd.id, choice=1, delivery_id="bob-1")
            replies = await via_inbox(app, BOB, click, "bob-1")
        else:
            replies = await say(app, BOB, f"answer {typed}")
        return [r.text for r in replies if isinstance(r, Notice)]

    faults.arm(point)
    assert await answer() == [m.INTERNAL_ERROR]
    assert not faults.armed(point)
    if point == "inbox.uncommitted":  # the click's row and answer went together: neither
        assert await inbox_rows(app) == []
        assert await app.stores.answers.round_answers(rnd.id) == []
    again = await answer()
    # Stored before the fault (answer.written) or not (answer.claimed, or the click's one
    # transaction rolled back at inbox.uncommitted), the retry gets the normal confirmation:
    # "Please try again" was true, and no bare "already answered".
    assert len(again) == 1 and again[0].startswith(m.DAILY_LOCKED.split("{")[0])
    if point == "inbox.uncommitted":  # nothing was left of the failed try: the retry is new
        assert [(r.state, r.attempts) for r in await inbox_rows(app)] == [("done", 1)]
    elif clicked:  # the failed row was retryable, and the retry finished it
        assert [(r.state, r.attempts) for r in await inbox_rows(app)] == [("done", 2)]
    [stored] = [
        a for a in await app.stores.answers.round_answers(rnd.id) if a.display_name == "Bob"
    ]
    assert stored.correct
    reveal = await close_daily_round(app.ctx, rnd.id, rnd.closes_at)
    assert reveal is not None and reveal.winners == ("Bob",)
    base = daily_points(app.bank.by_id[MEDIAN].difficulty)
    bob = [a for a in await app.stores.answers.round_answers(rnd.id) if a.display_name == "Bob"]
    assert [a.points for a in bob] == [base]
    workspace = ADA.place.workspace_key
    assert await app.stores.boards.counter_drift(workspace) == {}
    if db_url.startswith("sqlite"):
        assert integrity(db_url) == "ok"
