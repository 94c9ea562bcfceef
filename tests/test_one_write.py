"""A click on a daily card is one write: its inbox row, its answer and its reply together."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from bench.answers import Trips
from bot import commands as c
from bot import faults
from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.identity import Origin
from bot.inbox import OneWrite
from bot.intake import Interaction
from bot.replies import Notice, Reply, Tone, Visibility
from bot.wire import load_replies, load_request
from tests.conftest import origin
from tests.faults.day import open_round
from tests.helpers import inbox_rows, say, via_inbox

BOB = origin("Bob")
LOCKED = m.DAILY_LOCKED.split("{")[0]


@pytest.fixture(autouse=True)
def _disarmed() -> Iterator[None]:
    yield
    faults.disarm()


class Statements:
    """Counts the statements every engine of the app runs while inside the block."""

    def __init__(self, app: App) -> None:
        self.engines = [app.db.engine.sync_engine, *app.db.sync_engines()]
        self.count = 0

    def _one(self, *_: Any) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        for engine in self.engines:
            sa.event.listen(engine, "before_cursor_execute", self._one)
        return self

    def __exit__(self, *_: object) -> None:
        for engine in self.engines:
            sa.event.remove(engine, "before_cursor_execute", self._one)


def click(round_id: int, choice: int = 1, key: str = "click-1") -> c.SubmitAnswer:
    return c.SubmitAnswer("", round_id=round_id, choice=choice, delivery_id=key)


def texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Notice)]


async def answers_of(app: App, round_id: int) -> list[str]:
    return [a.given for a in await app.stores.answers.round_answers(round_id)]


async def round_bob_forgot(app: App, clock: ManualClock) -> tuple[int, str]:
    """An open round (its id and the right answer's text) in which Bob answered and then had
    his data forgotten: his answer is gone, his lock on the round stays."""
    round_id, typed = await open_round(app, clock)
    await say(app, BOB, "answer A")
    await say(app, BOB, "forgetme confirm")
    return round_id, typed


async def test_the_answer_and_the_reply_are_committed_with_the_row_before_the_ack(
    app: App, clock: ManualClock
) -> None:
    round_id, typed = await open_round(app, clock)
    sent = Interaction("click-1", BOB, click(round_id))
    ticket = await app.dispatcher.receive(sent)  # what an adapter does before its ack
    assert ticket.verdict == "written"
    [row] = await inbox_rows(app)
    assert (row.state, row.attempts) == ("done", 1)
    assert load_replies(row.reply) == ticket.replies  # the reply stored is the reply sent
    assert texts(ticket.replies)[0].startswith(LOCKED)
    assert await answers_of(app, round_id) == [typed]
    with Statements(app) as after_the_ack:
        assert await app.dispatcher.process(ticket, sent) == ticket.replies
    assert after_the_ack.count == 0  # nothing is written (or read) once the ack has gone


async def test_a_repeat_delivery_shows_the_stored_reply_and_writes_no_second_answer(
    app: App, clock: ManualClock
) -> None:
    round_id, typed = await open_round(app, clock)
    first = await via_inbox(app, BOB, click(round_id), "click-1")
    # The platform delivers the same interaction again, even with another choice inside.
    again = await app.dispatcher.receive(Interaction("click-1", BOB, click(round_id, 0)))
    assert again.verdict == "done"
    assert again.replies == first and all(r.visibility is Visibility.PRIVATE for r in again.replies)
    assert await answers_of(app, round_id) == [typed]
    assert [(r.state, r.attempts) for r in await inbox_rows(app)] == [("done", 1)]


async def test_a_repeat_while_the_first_delivery_runs_is_already_on_it(
    app: App, clock: ManualClock
) -> None:
    round_id, _ = await open_round(app, clock)
    planners = dict(app.dispatcher.planners)
    app.dispatcher.planners.clear()  # the first delivery takes the general path: held, unrun
    held = Interaction("click-1", BOB, click(round_id))
    ticket = await app.dispatcher.receive(held)
    assert ticket.verdict == "new"
    app.dispatcher.planners.update(planners)
    repeat = await app.dispatcher.receive(Interaction("click-1", BOB, click(round_id)))
    assert (repeat.verdict, texts(repeat.replies)) == ("busy", [m.INBOX_BUSY])
    assert await answers_of(app, round_id) == []  # the repeat wrote nothing
    assert texts(await app.dispatcher.process(ticket, held))[0].startswith(LOCKED)
    assert len(await answers_of(app, round_id)) == 1


async def test_deliveries_of_one_key_in_one_batch_write_once_and_reply_alike(
    app: App, clock: ManualClock
) -> None:
    round_id, typed = await open_round(app, clock)
    same = Interaction("click-1", BOB, click(round_id))
    others = [
        Interaction(f"click-{n}", origin(f"P{n}"), click(round_id, n % 2, f"click-{n}"))
        for n in range(2, 8)
    ]
    tickets = await asyncio.gather(*(app.dispatcher.receive(i) for i in [same, *others, same]))
    first, *rest, repeat = tickets
    assert {t.verdict for t in rest} == {"written"}
    # One of the two deliveries of the key writes it; the other (usually the later one, but
    # each reads the round before it is queued, so under load either may be first) sees it
    # done at the commit: the same reply, never a second answer.
    assert sorted([first.verdict, repeat.verdict]) == ["done", "written"]
    assert repeat.replies == first.replies
    stored = {a.display_name: a.given for a in await app.stores.answers.round_answers(round_id)}
    assert len(stored) == 7 and stored["Bob"] == typed  # one each, Bob's once
    assert all(r.state == "done" and r.attempts == 1 for r in await inbox_rows(app))


async def test_a_different_second_answer_is_refused_and_its_repeat_refused_alike(
    app: App, clock: ManualClock
) -> None:
    round_id, typed = await open_round(app, clock)
    await via_inbox(app, BOB, click(round_id), "click-1")
    [refusal] = await via_inbox(app, BOB, click(round_id, 0, "click-2"), "click-2")
    assert isinstance(refusal, Notice) and refusal.tone is Tone.ERROR
    assert refusal.text == m.DAILY_ALREADY.format(given=typed, closes="17:00 UTC")
    assert await via_inbox(app, BOB, click(round_id, 0, "click-2"), "click-2") == [refusal]
    assert await answers_of(app, round_id) == [typed]


async def test_an_outcome_the_write_cannot_answer_takes_the_general_path(
    app: App, clock: ManualClock
) -> None:
    round_id, _ = await round_bob_forgot(app, clock)
    # Forgotten: the batch writes nothing and holds the row; the handler says why.
    sent = Interaction("click-1", BOB, click(round_id))
    ticket = await app.dispatcher.receive(sent)
    assert ticket.verdict == "new"
    refused = await app.dispatcher.process(ticket, sent)
    assert texts(refused) == [m.DAILY_FORGOTTEN]
    assert await answers_of(app, round_id) == []
    assert [r.state for r in await inbox_rows(app)][-1] == "done"


async def test_a_row_held_for_the_general_path_keeps_what_a_replay_runs(
    app: App, clock: ManualClock
) -> None:
    # A forgotten user's click falls back to admit -> run -> finish; if the process dies
    # after the ack, the replay reads the request from the row, so it must be stored.
    round_id, _ = await round_bob_forgot(app, clock)
    ticket = await app.dispatcher.receive(Interaction("click-1", BOB, click(round_id)))
    assert ticket.verdict == "new"
    held = [r for r in await inbox_rows(app) if r.dedupe_key == "click-1"]
    assert [r.state for r in held] == ["received"]
    assert load_request(held[0].payload) == (BOB, click(round_id))


async def test_a_written_click_renders_its_reply_once(app: App, clock: ManualClock) -> None:
    # The reply stored with the row is the one handed back: rendered in the batch, not again.
    round_id, _ = await open_round(app, clock)
    planner = app.dispatcher.planners[c.SubmitAnswer]
    renders: list[object] = []

    async def counted(*args: Any) -> OneWrite[Any, Any] | None:
        found = await planner(*args)
        assert found is not None
        render = found.render

        def once(outcome: Any) -> list[Reply] | None:
            renders.append(outcome)
            return render(outcome)

        return OneWrite(found.item, once)

    app.dispatcher.planners[c.SubmitAnswer] = counted
    ticket = await app.dispatcher.receive(Interaction("click-1", BOB, click(round_id)))
    assert ticket.verdict == "written" and texts(ticket.replies)[0].startswith(LOCKED)
    assert len(renders) == 1
    [row] = await inbox_rows(app)
    assert load_replies(row.reply) == ticket.replies


async def test_a_planner_that_fails_leaves_the_general_path(
    app: App, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    round_id, typed = await open_round(app, clock)

    async def broken(*_: object) -> None:
        raise RuntimeError("no snapshot")

    app.dispatcher.planners[c.SubmitAnswer] = broken
    with caplog.at_level(logging.ERROR, logger="bot.intake"):
        replies = await via_inbox(app, BOB, click(round_id), "click-1")
    assert texts(replies)[0].startswith(LOCKED)
    assert any("could not plan" in r.getMessage() for r in caplog.records)
    assert await answers_of(app, round_id) == [typed]


async def test_a_failure_before_the_commit_leaves_no_row_and_no_answer(
    app: App, clock: ManualClock
) -> None:
    round_id, typed = await open_round(app, clock)
    faults.arm("inbox.uncommitted")
    who: Origin = BOB
    assert await via_inbox(app, who, click(round_id), "click-1") == [
        Notice(m.INTERNAL_ERROR, Tone.ERROR)
    ]
    assert await inbox_rows(app) == [] and await answers_of(app, round_id) == []
    # The same delivery again is new: nothing of the failed one was kept.
    assert texts(await via_inbox(app, who, click(round_id), "click-1"))[0].startswith(LOCKED)
    assert await answers_of(app, round_id) == [typed]


async def test_a_forgotten_lock_in_the_round_still_refuses_only_its_owner(
    app: App, clock: ManualClock
) -> None:
    # The batch's look-up flags rounds holding a forgotten user's lock; only then is each
    # user checked, and only the one who forgot is refused.
    round_id, typed = await round_bob_forgot(app, clock)
    cy = origin("Cy")
    bob_click = Interaction("click-b", BOB, click(round_id, 1, "click-b"))
    cy_click = Interaction("click-c", cy, click(round_id, 1, "click-c"))
    bob_ticket, cy_ticket = await asyncio.gather(
        app.dispatcher.receive(bob_click), app.dispatcher.receive(cy_click)
    )
    assert (bob_ticket.verdict, cy_ticket.verdict) == ("new", "written")
    assert texts(await app.dispatcher.process(bob_ticket, bob_click)) == [m.DAILY_FORGOTTEN]
    assert texts(cy_ticket.replies)[0].startswith(LOCKED)
    assert await answers_of(app, round_id) == [typed]  # Cy's; Bob's stays forgotten


async def test_a_reply_rendered_for_a_zone_since_changed_is_rendered_again(
    app: App, clock: ManualClock
) -> None:
    # On PostgreSQL a click's reply is rendered before its one statement, for the zone last
    # read for its channel; a channel whose zone changed since gets the reply of its new zone.
    round_id, _ = await open_round(app, clock)
    first = await via_inbox(app, BOB, click(round_id), "click-1")
    assert texts(first) == [m.DAILY_LOCKED.format(closes="17:00 UTC")]
    await say(app, origin("Ada", admin=True), "config timezone Europe/Berlin")
    sent = Interaction("click-2", origin("Cy"), click(round_id, 1, "click-2"))
    ticket = await app.dispatcher.receive(sent)
    assert ticket.verdict == "written"
    assert texts(ticket.replies) == [m.DAILY_LOCKED.format(closes="18:00 CET")]
    row = next(r for r in await inbox_rows(app) if r.dedupe_key == "click-2")
    assert (row.state, load_replies(row.reply)) == ("done", ticket.replies)


async def test_a_click_whose_reply_is_known_takes_one_round_trip_on_postgresql(
    app: App, clock: ManualClock
) -> None:
    # Once a click has read its channel's zone, the next click's reply is rendered before
    # its statement, and on PostgreSQL that statement commits by itself: one round trip,
    # no BEGIN and no COMMIT. SQLite writes it in one transaction.
    round_id, _ = await open_round(app, clock)
    await via_inbox(app, BOB, click(round_id), "click-1")
    with Trips(app) as trips:
        ticket = await app.dispatcher.receive(
            Interaction("click-2", origin("Cy"), click(round_id, 1, "click-2"))
        )
    assert ticket.verdict == "written" and texts(ticket.replies)[0].startswith(LOCKED)
    if app.db.sqlite:
        assert trips.transactions == 1
    else:
        assert (trips.statements, trips.transactions, trips.round_trips) == (1, 0, 1)
    row = next(r for r in await inbox_rows(app) if r.dedupe_key == "click-2")
    assert (row.state, load_replies(row.reply)) == ("done", ticket.replies)
    assert len(await answers_of(app, round_id)) == 2


async def test_a_failure_before_the_one_statement_leaves_nothing_of_the_click(
    app: App, clock: ManualClock
) -> None:
    round_id, _ = await open_round(app, clock)
    await via_inbox(app, BOB, click(round_id), "click-1")  # the zone is known from here
    cy = origin("Cy")
    faults.arm("inbox.uncommitted")
    assert texts(await via_inbox(app, cy, click(round_id, 1, "click-2"), "click-2")) == [
        m.INTERNAL_ERROR
    ]
    assert [r.dedupe_key for r in await inbox_rows(app)] == ["click-1"]
    assert len(await answers_of(app, round_id)) == 1
    again = await via_inbox(app, cy, click(round_id, 1, "click-2"), "click-2")  # new, written
    assert texts(again)[0].startswith(LOCKED)
    assert len(await answers_of(app, round_id)) == 2


async def test_a_batch_of_a_new_click_a_repeat_and_a_double_click_writes_each_once(
    app: App, clock: ManualClock
) -> None:
    # The one statement writes what it can finish (Cy's click); the repeat of a done key and
    # Cy's second click go through the transaction after it, in the same batch.
    round_id, typed = await open_round(app, clock)
    first = await via_inbox(app, BOB, click(round_id), "click-1")
    cy = origin("Cy")
    new, repeat, double = await asyncio.gather(
        app.dispatcher.receive(Interaction("click-2", cy, click(round_id, 1, "click-2"))),
        app.dispatcher.receive(Interaction("click-1", BOB, click(round_id))),
        app.dispatcher.receive(Interaction("click-3", cy, click(round_id, 0, "click-3"))),
    )
    assert (repeat.verdict, repeat.replies) == ("done", first)
    replies = sorted([texts(new.replies)[0], texts(double.replies)[0]])
    assert replies[0].startswith(LOCKED) or replies[1].startswith(LOCKED)
    assert any(r.startswith(m.DAILY_ALREADY.split("{")[0]) for r in replies)
    stored = {a.display_name: a.given for a in await app.stores.answers.round_answers(round_id)}
    assert len(stored) == 2 and stored["Bob"] == typed
    assert sorted((r.dedupe_key, r.state, r.attempts) for r in await inbox_rows(app)) == [
        ("click-1", "done", 1),
        ("click-2", "done", 1),
        ("click-3", "done", 1),
    ]


async def test_a_repeated_click_and_a_redelivery_open_no_transaction_on_postgresql(
    app: App, clock: ManualClock
) -> None:
    # A second click on the same option is told its answer is locked in, and a redelivery
    # of a done key is shown its stored reply: on PostgreSQL neither opens a transaction
    # (the self-committing statement writes the first; one read finds the second).
    round_id, typed = await open_round(app, clock)
    first = await via_inbox(app, BOB, click(round_id), "click-1")
    with Trips(app) as again:
        ticket = await app.dispatcher.receive(
            Interaction("click-2", BOB, click(round_id, key="click-2"))
        )
    assert ticket.verdict == "written" and texts(ticket.replies) == texts(first)
    with Trips(app) as redelivered:
        repeat = await app.dispatcher.receive(Interaction("click-1", BOB, click(round_id)))
    assert (repeat.verdict, repeat.replies) == ("done", first)
    if app.db.sqlite:
        assert (again.transactions, redelivered.transactions) == (1, 1)
    else:
        assert (again.statements, again.transactions) == (1, 0)
        assert (redelivered.statements, redelivered.transactions) == (2, 0)
    stored = await app.stores.answers.round_answers(round_id)
    assert [(a.display_name, a.given) for a in stored] == [("Bob", typed)]
    assert sorted((r.dedupe_key, r.state, r.attempts) for r in await inbox_rows(app)) == [
        ("click-1", "done", 1),
        ("click-2", "done", 1),
    ]


async def test_click_batches_are_never_planned_again_on_postgresql(
    app: App, clock: ManualClock
) -> None:
    # The click statement is prepared once per connection and run with its generic plan:
    # left to the server's choice it was planned again on every call, which cost about
    # three times its execution (docs/scaling.md, session 11). The server keeps per
    # session how often each prepared statement took a custom or the generic plan.
    if app.db.sqlite:
        assert app.db.short is None
        return
    round_id, _ = await open_round(app, clock)
    for k in range(12):
        await via_inbox(app, origin(f"P{k}"), click(round_id, key=f"click-{k}"), f"click-{k}")
    assert len(await answers_of(app, round_id)) == 12
    assert app.db.short is not None
    seen: list[tuple[int, int]] = []
    held = []
    # Hold every connection of the short writes' pool at once, so each session is asked.
    for _ in range(app.db.short.pool.checkedin()):
        conn = await app.db.short.connect()
        held.append(conn)
        rows = await conn.exec_driver_sql(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%WITH input AS%unnest%'"
        )
        seen += [(int(g), int(cu)) for g, cu in rows]
    for conn in held:
        await conn.close()
    assert seen and sum(g for g, _ in seen) >= 12
    assert all(cu == 0 for _, cu in seen)
    async with app.db.engine.connect() as conn:
        mode = (await conn.exec_driver_sql("SHOW plan_cache_mode")).scalar()
    assert mode == "auto"  # the other writes keep the server's choice


async def test_a_batch_of_clicks_stores_each_click_with_its_own_values(
    app: App, clock: ManualClock
) -> None:
    # Written together, each click's columns must stay with it: on PostgreSQL they go to the
    # server as one two-dimensional array per type (bot/storage/click_pg.py).
    round_id, typed = await open_round(app, clock)
    names = ['Quote "Q"', "Back\\slash", "{Brace}", "Com,ma", "NULL", "Ünï cödé", "Plain"]
    sent = [
        Interaction(
            f"click-{n}",
            origin(name),
            click(round_id, 1 if n % 2 == 0 else 0, f"click-{n}"),
            route=f'{{"token":"t{n}"}}' if n % 3 else None,
            route_ttl=dt.timedelta(minutes=15),
        )
        for n, name in enumerate(names)
    ]
    tickets = await asyncio.gather(*(app.dispatcher.receive(i) for i in sent))
    assert {t.verdict for t in tickets} == {"written"}
    stored = {a.display_name: a.given for a in await app.stores.answers.round_answers(round_id)}
    assert sorted(stored) == sorted(names)
    for n, name in enumerate(names):
        assert (stored[name] == typed) is (n % 2 == 0), name
    rows = {r.dedupe_key: r for r in await inbox_rows(app)}
    for interaction in sent:
        row = rows[interaction.key]
        assert (row.state, row.route) == ("done", interaction.route)
        assert (row.route_expires_at is None) is (interaction.route is None)
