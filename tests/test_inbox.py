"""The interaction inbox in the core: processed once, retryable after a failure, replayed late."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.host import replay_inbox
from bot import commands as c
from bot import faults
from bot import messages as m
from bot.bootstrap import App, ManualClock, SeededRng, build_app
from bot.identity import Platform
from bot.inbox import LEASE, MAX_ATTEMPTS
from bot.intake import Interaction
from bot.replies import Notice, Reply, Tone, Visibility
from bot.settings import Settings, SettingsError, load_settings
from bot.storage.tables import inbox
from bot.usecases.daily import open_daily_round
from bot.wire import dump_replies, dump_request, load_replies, load_request
from tests.conftest import FIXTURE_CONTENT, origin
from tests.helpers import correct_text, inbox_rows, say, via_inbox

ADA = origin("Ada", admin=True)
BOB = origin("Bob")
MEDIAN = "ss-median"
TTL = dt.timedelta(minutes=30)


@dataclass
class Recorder:
    """A platform's late replies, as the core hands them over."""

    sent: list[tuple[str | None, str, list[Reply]]] = field(default_factory=list)

    async def deliver_late(
        self, route: str | None, user_ref: str, replies: Sequence[Reply]
    ) -> None:
        self.sent.append((route, user_ref, list(replies)))


@pytest.fixture(autouse=True)
def _disarmed() -> Iterator[None]:
    yield
    faults.disarm()


async def open_round(app: App, clock: ManualClock) -> str:
    await say(app, ADA, "config channel")
    opened = await open_daily_round(app.ctx, ADA.place, clock.now(), MEDIAN)
    assert opened is not None
    return correct_text(app, opened[1])


def texts(replies: Sequence[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Notice)]


LOCKED = m.DAILY_LOCKED.split("{")[0]


async def test_a_fault_after_the_write_is_honest_and_the_retry_confirms(
    app: App, clock: ManualClock
) -> None:
    typed = await open_round(app, clock)
    faults.arm("answer.written")
    failed = await via_inbox(app, BOB, f"answer {typed}", "cmd-1")  # type: ignore[arg-type]
    # The answer is stored; the message does not claim otherwise, and asks for a retry.
    assert texts(failed) == [m.INTERNAL_ERROR]
    assert "nothing was recorded" not in m.INTERNAL_ERROR
    [row] = await inbox_rows(app)
    assert (row.state, row.attempts) == ("failed", 1)  # retryable, not "handled"
    # The same request again (a redelivery) takes the failed row and confirms normally.
    again = await via_inbox(app, BOB, f"answer {typed}", "cmd-1")  # type: ignore[arg-type]
    assert len(texts(again)) == 1 and texts(again)[0].startswith(LOCKED)
    # A new request with the same answer is confirmed too, never a bare "already answered".
    new = await via_inbox(app, BOB, f"answer {typed}", "cmd-2")  # type: ignore[arg-type]
    assert texts(new) == texts(again)
    assert [(r.state, r.attempts) for r in await inbox_rows(app)] == [("done", 2), ("done", 1)]
    rnd = await app.stores.rounds.open_round((await app.ctx.actor(BOB)).channel.id)
    assert rnd is not None and len(await app.stores.answers.round_answers(rnd.id)) == 1


async def test_an_unprocessed_row_is_replayed_once_and_a_failed_one_is_not(
    app: App, clock: ManualClock
) -> None:
    typed = await open_round(app, clock)
    dying = Interaction("click-1", BOB, f"answer {typed}", route='{"to":"here"}', route_ttl=TTL)
    assert (await app.dispatcher.receive(dying)).verdict == "new"  # then the process dies
    faults.arm("answer.claimed")
    assert texts(await via_inbox(app, origin("Cy"), "answer B", "click-2")) == [m.INTERNAL_ERROR]
    recorder = Recorder()
    platforms = {Platform.CONSOLE: recorder}
    assert await app.dispatcher.replay(platforms) == 0  # the holder's lease still runs
    clock.advance(LEASE)
    assert await app.dispatcher.replay(platforms) == 1
    # Only the row nobody answered: Cy was told to try again, and will.
    [(route, user, replies)] = recorder.sent
    assert (route, user) == ('{"to":"here"}', "bob")
    assert len(texts(replies)) == 1 and texts(replies)[0].startswith(LOCKED)
    assert await app.dispatcher.replay(platforms) == 0
    assert [r.state for r in await inbox_rows(app)] == ["done", "failed"]


async def test_a_late_reply_past_the_route_window_goes_without_the_route(
    app: App, clock: ManualClock
) -> None:
    await open_round(app, clock)
    dying = Interaction("cmd-1", BOB, c.ShowDaily(), route='{"to":"here"}', route_ttl=TTL)
    await app.dispatcher.receive(dying)
    clock.advance(TTL + dt.timedelta(minutes=1))
    recorder = Recorder()
    assert await app.dispatcher.replay({Platform.CONSOLE: recorder}) == 1
    [(route, user, replies)] = recorder.sent
    assert (route, user) == (None, "bob")  # the adapter replies by DM
    assert replies  # today's question, as `daily` shows it
    # Another platform's replayer never takes this platform's rows.
    assert await app.dispatcher.replay({Platform.SLACK: Recorder()}) == 0


async def test_a_row_that_keeps_dying_is_set_aside(app: App, clock: ManualClock) -> None:
    await app.dispatcher.receive(Interaction("poison", BOB, c.ShowTopics()))
    for _ in range(MAX_ATTEMPTS - 1):  # each replay "dies" before finishing
        clock.advance(LEASE)
        assert len(await app.stores.inbox.take_due(["console"], clock.now(), LEASE, 10)) == 1
    clock.advance(LEASE)
    assert await app.stores.inbox.take_due(["console"], clock.now(), LEASE, 10) == []
    [row] = await inbox_rows(app)
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS + 1)


async def test_a_repeat_of_a_done_request_shows_its_reply_privately(app: App) -> None:
    first = await via_inbox(app, BOB, c.ShowLeaderboard(), "cmd-1")
    assert first[0].visibility is Visibility.PUBLIC  # the board is for the channel
    again = await via_inbox(app, BOB, c.ShowLeaderboard(), "cmd-1")
    assert again == [type(first[0])(**{**vars(first[0]), "visibility": Visibility.PRIVATE})]


async def test_an_inbox_that_cannot_be_written_runs_nothing(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*args: object) -> None:
        raise RuntimeError("database restarting")

    monkeypatch.setattr(app.stores.inbox, "admit", down)
    replies = await via_inbox(app, BOB, c.CreateTeam("Owls"), "cmd-1")
    assert replies == [Notice(m.INTERNAL_ERROR, Tone.ERROR)]
    monkeypatch.undo()
    assert texts(await say(app, BOB, "team list")) != []  # no team was created
    assert "Owls" not in str(await say(app, BOB, "team list"))


async def test_an_unreadable_row_is_set_aside(app: App, clock: ManualClock) -> None:
    await app.dispatcher.receive(Interaction("old", BOB, c.ShowTopics()))
    async with app.db.engine.begin() as conn:
        await conn.execute(sa.update(inbox).values(payload='{"origin": 1}'))
    clock.advance(LEASE)
    recorder = Recorder()
    assert await app.dispatcher.replay({Platform.CONSOLE: recorder}) == 1
    assert recorder.sent == []
    assert [r.state for r in await inbox_rows(app)] == ["failed"]


async def test_requests_and_replies_survive_the_wire(app: App) -> None:
    requests: list[object] = [
        "team join Owls",
        c.UpdateConfig(days=frozenset({0, 4}), post_time=dt.time(9, 30)),
        c.UpdateConfig(topics=("sample-stats",)),
        c.SubmitAnswer("", round_id=3, choice=1, delivery_id="x"),
        (c.ShowStats(), c.ShowLeaderboard("teams", "week")),
    ]
    for request in requests:
        assert load_request(dump_request(ADA, request)) == (ADA, request)  # type: ignore[arg-type]
    replies: list[Reply] = []
    for line in ("help", "topics", "quiz sample-stats 2", "stats", "leaderboard", "daily"):
        replies += await say(app, ADA, line)
    assert len({type(r) for r in replies}) >= 5
    assert load_replies(dump_replies(replies)) == replies


async def test_the_host_replays_the_inbox_at_start(app: App, clock: ManualClock) -> None:
    # A row left by a process killed after the ack, its lease long run out by the restart.
    await app.dispatcher.receive(Interaction("killed", BOB, c.ShowTopics(), route="r"))
    clock.advance(LEASE)
    recorder = Recorder()
    replaying = asyncio.ensure_future(replay_inbox(app, {Platform.CONSOLE: recorder}, every=60))
    try:
        async with asyncio.timeout(10):
            while not recorder.sent:
                await asyncio.sleep(0.01)
    finally:
        replaying.cancel()
    [(route, user, replies)] = recorder.sent
    assert (route, user) == ("r", "bob") and replies
    assert [r.state for r in await inbox_rows(app)] == ["done"]


async def test_a_reply_with_a_chart_is_stored_as_its_text(app: App) -> None:
    [board, *_] = await say(app, ADA, "stats chart")
    assert getattr(board, "image", None) is not None  # a PNG, bytes no JSON text can hold
    [stored] = load_replies(dump_replies([board]))
    assert stored == dataclasses.replace(board, image=None)  # type: ignore[type-var]


async def test_deliveries_admitted_together_run_each_key_once(app: App) -> None:
    # A burst's admissions share one write; a key delivered twice within it (a redelivery
    # racing its original) is held by one delivery, the other hears "already on it".
    teams = [Interaction(f"team-{i}", BOB, c.CreateTeam(f"Owls {i}")) for i in range(3)]
    tickets = await asyncio.gather(
        *(app.dispatcher.receive(i) for i in [teams[0], teams[1], teams[0], teams[2]])
    )
    assert [t.verdict for t in tickets] == ["new", "new", "busy", "new"]
    assert texts(tickets[2].replies) == [m.INBOX_BUSY]
    assert len({t.entry_id for t in tickets}) == 3
    for ticket, interaction in zip([tickets[0], tickets[1], tickets[3]], teams, strict=True):
        await app.dispatcher.process(ticket, interaction)
    again = await asyncio.gather(*(app.dispatcher.receive(i) for i in teams))
    assert [t.verdict for t in again] == ["done", "done", "done"]
    assert all(row.attempts == 1 and row.state == "done" for row in await inbox_rows(app))


async def test_the_lease_is_a_setting(db_url: str, clock: ManualClock) -> None:
    settings = Settings(_env_file=None, STUDYBOT_INBOX_LEASE="5")  # type: ignore[call-arg]
    app = await build_app(
        settings, db_url=db_url, content_dir=FIXTURE_CONTENT, clock=clock, rng=SeededRng(7)
    )
    try:
        await app.dispatcher.receive(Interaction("killed", BOB, c.ShowTopics(), route="r"))
        recorder = Recorder()
        clock.advance(dt.timedelta(seconds=4))
        assert await app.dispatcher.replay({Platform.CONSOLE: recorder}) == 0  # still held
        clock.advance(dt.timedelta(seconds=1))
        assert await app.dispatcher.replay({Platform.CONSOLE: recorder}) == 1
        [(route, user, replies)] = recorder.sent
        assert (route, user) == ("r", "bob") and replies
        [row] = await inbox_rows(app)
        # The replaying process holds the row for the configured lease too.
        assert (row.state, row.attempts) == ("done", 2)
    finally:
        await app.close()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"STUDYBOT_INBOX_LEASE": "soon"}, "STUDYBOT_INBOX_LEASE='soon' (environment or .env): "),
        ({"STUDYBOT_INBOX_LEASE": "0.5"}, "greater than or equal to 1"),
        ({"STUDYBOT_INBOX_LEASE": "3600"}, "less than or equal to 1800"),
        (
            {
                "STUDYBOT_INBOX_LEASE": "15",
                "STUDYBOT_GRADER_URL": "http://127.0.0.1:9/v1",
                "STUDYBOT_GRADER_TIMEOUT": "20",
            },
            "must be longer than STUDYBOT_GRADER_TIMEOUT (20 s), or a slow grading is replayed",
        ),
    ],
    ids=["not-a-number", "too-short", "too-long", "shorter-than-grading"],
)
def test_a_bad_lease_is_refused_in_one_line(
    env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith("setting STUDYBOT_INBOX_LEASE=") and "\n" not in message
    assert expected in message
    assert message.endswith("expected seconds, from 1 to 1800.")


def test_a_lease_within_bounds_is_taken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings().inbox_lease == LEASE.total_seconds()  # unset: two minutes
    monkeypatch.setenv("STUDYBOT_INBOX_LEASE", "2.5")
    assert load_settings().inbox_lease == 2.5
    # With a model grader, a lease longer than its timeout is fine.
    monkeypatch.setenv("STUDYBOT_GRADER_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("STUDYBOT_INBOX_LEASE", "30")
    assert load_settings().inbox_lease == 30


async def test_a_typed_line_is_parsed_once_on_its_way_through_the_inbox(
    app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import dispatch

    typed = await open_round(app, clock)
    parsed: list[str] = []
    real = dispatch.parse

    def counting(line: str) -> object:
        parsed.append(line)
        return real(line)

    monkeypatch.setattr(dispatch, "parse", counting)
    replies = await via_inbox(app, BOB, f"answer {typed}", "cmd-1")  # type: ignore[arg-type]
    assert texts(replies)[0].startswith(LOCKED)
    assert parsed == [f"answer {typed}"]  # at receipt; processing ran the kept command
    # A line that does not parse is kept as text and refused when run, as before.
    [refusal] = await via_inbox(app, BOB, "frobnicate", "cmd-2")  # type: ignore[arg-type]
    assert isinstance(refusal, Notice) and refusal.tone is Tone.ERROR
