"""Wire level: the real client and aiohttp transport against a local fake Discord (127.0.0.1)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import sqlalchemy as sa

from adapters.discord.render import render
from adapters.discord.response import INTERACTION_TTL
from adapters.discord.runtime import build_discord
from adapters.runtime import Runtime
from bot import faults
from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.catalog import NAMES
from bot.commands import ShowLeaderboard
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.inbox import LEASE
from bot.intake import Interaction, Ticket
from bot.replies import RoundReveal, WeeklyTally
from bot.settings import Settings
from bot.storage.tables import answers
from bot.usecases import boards, daily
from tests.discord.fake_discord import (
    OP_IDENTIFY,
    POST_PERMISSIONS,
    FakeDiscord,
    Fault,
    Request,
    refusal,
)
from tests.discord.helpers import on_discord
from tests.helpers import inbox_rows

TOKEN = "fake.bot-token.never-real"  # a token-shaped secret the logs must never show
WAIT = 10.0  # seconds; bounds a hang, never asserts speed
RESPONSE_WINDOW = INTERACTION_TTL


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def runtime(
    app: App, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Runtime]:
    """`studybot run`'s Discord runtime, logged in, synced and connected to the fake."""
    # discord.py builds every REST URL from Route.BASE; the gateway URL comes from the fake's
    # GET /gateway/bot, exactly as in production.
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    settings = Settings(_env_file=None, DISCORD_TOKEN=TOKEN)
    built = build_discord(app, settings)
    task = asyncio.ensure_future(built.serve())
    try:
        async with asyncio.timeout(WAIT):
            await fake.frame(OP_IDENTIFY)
            await fake.request("PUT", "/commands")
            client = built.publisher.client  # type: ignore[attr-defined]
            while client.get_channel(fake.channel_id) is None:  # the guild is cached
                await asyncio.sleep(0.01)
        yield built
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def interact(fake: FakeDiscord, payload: dict[str, Any]) -> tuple[Request, Request]:
    """Deliver an interaction over the gateway; its callback and first follow-up."""
    after = len(fake.requests)
    await fake.dispatch("INTERACTION_CREATE", payload)
    async with asyncio.timeout(WAIT):
        callback = await fake.request("POST", f"/interactions/{payload['id']}/", after)
        followup = await fake.request("POST", f"/webhooks/{fake.app_id}/{payload['token']}", after)
    return callback, followup


async def respond(fake: FakeDiscord, payload: dict[str, Any]) -> Request:
    """Deliver an interaction answered by its response alone (a click on a daily card: one
    write, then the reply as the callback); that callback, and no follow-up was sent."""
    after = len(fake.requests)
    await fake.dispatch("INTERACTION_CREATE", payload)
    async with asyncio.timeout(WAIT):
        callback = await fake.request("POST", f"/interactions/{payload['id']}/", after)
    assert not [r for r in fake.requests[after:] if r.path.startswith("/webhooks/")]
    return callback


def described(callback: Request) -> str:
    """The text of a type-4 callback's one embed, checked private (ephemeral flag)."""
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] == 64
    [embed] = callback.body["data"]["embeds"]
    return str(embed["description"])


async def test_login_sync_and_a_slash_command_over_the_wire(
    runtime: Runtime, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    identify = next(f for f in fake.gateway_frames if f["op"] == OP_IDENTIFY)["d"]
    assert identify["token"] == TOKEN
    # Only GUILDS (1 << 0): no messages, typing, reactions, voice states or members arrive.
    assert identify["intents"] == 1
    assert discord.Intents._from_value(identify["intents"]) == discord.Intents(guilds=True)
    assert all(r.headers["Authorization"] == f"Bot {TOKEN}" for r in fake.requests)
    [sync] = [r for r in fake.requests if r.method == "PUT"]
    assert sync.path == f"/applications/{fake.app_id}/commands"  # global: no dev guild set
    assert sorted(c["name"] for c in sync.body) == sorted(NAMES)

    payload = fake.interaction(2, {"id": "1", "name": "help", "type": 1})
    callback, followup = await interact(fake, payload)
    assert callback.body == {"type": 5, "data": {"flags": 64}}
    assert followup.query.get("wait") in ("1", "true")  # the message comes back
    assert followup.body["embeds"][0]["title"] == m.HELP_TITLE
    assert followup.body["allowed_mentions"] == {"parse": []}
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_cancelling_serve_closes_the_client(
    app: App, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    built = build_discord(app, Settings(_env_file=None, DISCORD_TOKEN=TOKEN))
    task = asyncio.ensure_future(built.serve())
    async with asyncio.timeout(WAIT):
        await fake.frame(OP_IDENTIFY)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    client = built.publisher.client  # type: ignore[attr-defined]
    assert client.is_closed()
    async with asyncio.timeout(WAIT):
        await fake.wait_for(lambda: not fake.connected)


async def test_a_duplicated_click_delivery_is_answered_once(
    runtime: Runtime, fake: FakeDiscord, app: App, clock: ManualClock
) -> None:
    place = PlaceRef(Platform.DISCORD, str(fake.guild_id), str(fake.channel_id))
    opened = await daily.open_daily_round(app.ctx, place, clock.now(), question_id="ss-median")
    assert opened is not None
    _, card = opened
    view = render(card).view
    assert view is not None
    message = fake.message(fake.channel_id, {"components": view.to_components()})
    custom_id = view.to_components()[0]["components"][0]["custom_id"]
    click = fake.interaction(3, {"custom_id": custom_id, "component_type": 2}, message=message)
    # The gateway delivers the very same interaction twice (same id): one answer counts.
    first = await respond(fake, click)
    second = await respond(fake, click)
    assert described(first) == m.DAILY_LOCKED.format(closes="17:00 UTC")
    # The inbox knows the interaction id: its stored reply again, and nothing else runs.
    assert described(second) == described(first)
    # One initial response per delivery: the catch-all for unknown ids stayed out of it.
    callbacks = [r for r in fake.requests if r.path.startswith(f"/interactions/{click['id']}/")]
    assert len(callbacks) == 2
    async with app.db.engine.connect() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(answers))).scalar()
    assert count == 1


async def test_an_interaction_outside_a_server_is_refused(
    runtime: Runtime, fake: FakeDiscord
) -> None:
    payload = fake.interaction(2, {"id": "1", "name": "stats", "type": 1}, in_guild=False)
    after = len(fake.requests)
    await fake.dispatch("INTERACTION_CREATE", payload)
    async with asyncio.timeout(WAIT):
        callback = await fake.request("POST", f"/interactions/{payload['id']}/", after)
    # Answered at once, privately, with the reason; nothing reaches the core.
    assert callback.body["type"] == 4
    assert callback.body["data"]["flags"] == 64
    assert callback.body["data"]["embeds"][0]["description"] == m.DISCORD_GUILD_ONLY


async def posted_question(
    runtime: Runtime, app: App, clock: ManualClock, place: PlaceRef
) -> tuple[str, RoundReveal]:
    """A daily question published to `place`, then its round closed: the question's message
    id and the reveal for the publisher to post in reply."""
    opened = await daily.open_daily_round(app.ctx, place, clock.now(), question_id="ss-median")
    assert opened is not None
    rnd, card = opened
    question_ref = await runtime.publisher.publish(place, card, None, "test:post")
    reveal = await daily.close_daily_round(app.ctx, rnd.id, clock.now())
    assert reveal is not None and question_ref is not None
    return question_ref, reveal


async def first_response(fake: FakeDiscord, payload: dict[str, Any]) -> Request:
    """Deliver an interaction over the gateway; the bot's initial response to it."""
    after = len(fake.requests)
    await fake.dispatch("INTERACTION_CREATE", payload)
    async with asyncio.timeout(WAIT):
        return await fake.request("POST", f"/interactions/{payload['id']}/", after)


def modal_submit(fake: FakeDiscord, custom_id: str, answer: str | None) -> dict[str, Any]:
    """A MODAL_SUBMIT as Discord sends it: the text input inside its action row."""
    inputs = [] if answer is None else [{"type": 4, "custom_id": "answer", "value": answer}]
    data = {"custom_id": custom_id, "components": [{"type": 1, "components": inputs}]}
    return fake.interaction(5, data)


@pytest.mark.parametrize(
    "custom_id",
    [
        "sb:d:1:z",  # an action this version does not know
        "sb:v2:1:c1",  # a layout of some other version
        "sb:d:99999999999:c1",  # a round id no database row can have
        "sb:q:3:sm-relu:rmaybe",
    ],
)
async def test_a_click_on_a_button_no_kind_accepts_is_refused_politely(
    runtime: Runtime, fake: FakeDiscord, custom_id: str
) -> None:
    button = {"type": 2, "style": 1, "label": "A", "custom_id": custom_id}
    message = fake.message(fake.channel_id, {"components": [{"type": 1, "components": [button]}]})
    click = fake.interaction(3, {"custom_id": custom_id, "component_type": 2}, message=message)
    callback = await first_response(fake, click)
    # At once and privately, rather than Discord's "This interaction failed".
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] == 64
    assert callback.body["data"]["embeds"][0]["description"] == m.BUTTON_STALE
    assert callback.body["data"]["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    ("custom_id", "answer"),
    [("sb:d:x:modal", "B"), ("sb:d:99999999999:modal", "B"), ("sb:d:1:modal", None)],
)
async def test_a_modal_submission_naming_no_question_is_refused_politely(
    runtime: Runtime, fake: FakeDiscord, custom_id: str, answer: str | None
) -> None:
    callback = await first_response(fake, modal_submit(fake, custom_id, answer))
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] == 64
    assert callback.body["data"]["embeds"][0]["description"] == m.BUTTON_STALE


async def test_a_modal_answer_over_the_wire(
    runtime: Runtime, fake: FakeDiscord, app: App, clock: ManualClock
) -> None:
    # The submission as Discord sends it, read without any Modal object kept by the bot.
    place = PlaceRef(Platform.DISCORD, str(fake.guild_id), str(fake.channel_id))
    opened = await daily.open_daily_round(app.ctx, place, clock.now(), question_id="ss-median")
    assert opened is not None
    callback = await respond(fake, modal_submit(fake, f"sb:d:{opened[0].id}:modal", "B"))
    assert described(callback) == m.DAILY_LOCKED.format(closes="17:00 UTC")


async def test_a_network_failure_opening_the_thread_does_not_repeat_the_reveal(
    runtime: Runtime,
    fake: FakeDiscord,
    app: App,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    place = PlaceRef(Platform.DISCORD, str(fake.guild_id), str(fake.channel_id))
    question_ref, reveal = await posted_question(runtime, app, clock, place)
    # The connection drops while the thread is being opened: no HTTP answer at all.
    fake.drops.add(("POST", f"/channels/{fake.channel_id}/messages/{question_ref}/threads"))
    with caplog.at_level(logging.WARNING, logger="adapters.discord.publisher"):
        reveal_ref = await runtime.publisher.publish(place, reveal, question_ref, "test:close")
    # The reveal is out, so publish succeeds: raising would make the core post it again.
    posts = [r for r in fake.requests if r.path == f"/channels/{fake.channel_id}/messages"]
    assert [p.body["embeds"][0]["title"] for p in posts][-1] == m.DISCORD_REVEAL_TITLE
    assert len(posts) == 2 and reveal_ref is not None and reveal_ref != question_ref
    assert any("reveal posted without one" in r.getMessage() for r in caplog.records)


async def test_publishing_a_reveal_over_the_wire(
    runtime: Runtime,
    fake: FakeDiscord,
    app: App,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    place = PlaceRef(Platform.DISCORD, str(fake.guild_id), str(fake.channel_id))
    publisher = runtime.publisher
    question_ref, reveal = await posted_question(runtime, app, clock, place)
    # The bot may not open threads here: the reveal still goes out, and the log says why.
    fake.faults[("POST", f"/channels/{fake.channel_id}/messages/{question_ref}/threads")] = (
        403,
        {"message": "Missing Permissions", "code": 50013},
    )
    with caplog.at_level(logging.INFO, logger="adapters.discord.publisher"):
        reveal_ref = await publisher.publish(place, reveal, question_ref, "test:close")
    posts = [r for r in fake.requests if r.path == f"/channels/{fake.channel_id}/messages"]
    assert [p.body["embeds"][0]["title"] for p in posts][-1] == m.DISCORD_REVEAL_TITLE
    assert str(posts[-1].body["message_reference"]["message_id"]) == question_ref
    assert posts[-1].body["message_reference"]["fail_if_not_exists"] is False
    assert all(p.body["allowed_mentions"]["parse"] == [] for p in posts)
    assert reveal_ref is not None and reveal_ref != question_ref
    assert any("not allowed to open a thread" in r.getMessage() for r in caplog.records)


async def test_a_rejected_token_stops_serve_and_closes_the_client(
    app: App, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    fake.faults[("GET", "/users/@me")] = (401, {"message": "401: Unauthorized", "code": 0})
    built = build_discord(app, Settings(_env_file=None, DISCORD_TOKEN=TOKEN))
    with caplog.at_level(logging.DEBUG), pytest.raises(discord.LoginFailure):
        async with asyncio.timeout(WAIT):
            await built.serve()
    assert built.publisher.client.is_closed()  # type: ignore[attr-defined]
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_admin_rights_in_a_server_not_cached_yet_come_from_the_interaction(
    runtime: Runtime, fake: FakeDiscord
) -> None:
    # Another server whose GUILD_CREATE has not arrived: Discord's own computation of the
    # member's permissions (Manage Server here) decides, so the admin is not refused.
    show = {"name": "show", "type": 1, "options": []}
    data = {"id": "2", "name": "config", "type": 1, "options": [show]}
    manage_guild = discord.Permissions(manage_guild=True).value
    admin = fake.interaction(2, data, guild_id=fake.snowflake(), permissions=manage_guild)
    _, followup = await interact(fake, admin)
    # The settings of a channel without a daily question yet: shown only to admins.
    assert followup.body["embeds"][0]["description"] == on_discord(m.CONFIG_NOT_ENABLED)
    member = fake.interaction(2, data, guild_id=fake.snowflake())
    _, refused = await interact(fake, member)
    assert refused.body["embeds"][0]["description"] == m.NOT_ADMIN.format(
        what="see or change the channel settings"
    )


async def test_a_reveal_in_a_channel_this_process_does_not_cache(
    runtime: Runtime, fake: FakeDiscord, app: App, clock: ManualClock
) -> None:
    # With shards split over processes, the one that claims the reveal may not hold the
    # guild: the post and the thread still go out by channel id alone.
    other_channel = fake.snowflake()
    place = PlaceRef(Platform.DISCORD, str(fake.guild_id), str(other_channel))
    question_ref, reveal = await posted_question(runtime, app, clock, place)
    await runtime.publisher.publish(place, reveal, question_ref, "test:close")
    thread = next(r for r in fake.requests if r.path.endswith("/threads"))
    assert thread.path == f"/channels/{other_channel}/messages/{question_ref}/threads"
    assert thread.body["name"].startswith("Discuss: ")
    assert len(thread.body["name"]) <= 100


async def test_a_public_commands_error_goes_out_privately_over_the_wire(
    runtime: Runtime, fake: FakeDiscord, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(ctx: Any, cmd: Any, origin: Any) -> list[Any]:
        raise RuntimeError("database went away")

    monkeypatch.setitem(app.dispatcher.handlers, ShowLeaderboard, broken)
    payload = fake.interaction(2, {"id": "3", "name": "leaderboard", "type": 1})
    callback, _ = await interact(fake, payload)
    assert callback.body == {"type": 5}  # deferred publicly: the command is meant for all
    hook = f"/webhooks/{fake.app_id}/{payload['token']}"
    async with asyncio.timeout(WAIT):
        await fake.wait_for(
            lambda: any(r.method == "POST" and r.path == hook and r.body for r in fake.requests)
        )
    calls = [(r.method, r.path) for r in fake.requests if r.path.startswith(hook)]
    # The public "thinking" message is completed and deleted before the private error.
    assert calls == [
        ("PATCH", f"{hook}/messages/@original"),
        ("DELETE", f"{hook}/messages/@original"),
        ("POST", hook),
    ]
    [error] = [r for r in fake.requests if r.method == "POST" and r.path == hook]
    assert error.body["flags"] == 64
    assert error.body["embeds"][0]["description"] == m.INTERNAL_ERROR


async def test_config_channel_over_the_wire_reads_app_permissions(
    runtime: Runtime, fake: FakeDiscord
) -> None:
    channel = {"name": "channel", "type": 1, "options": []}
    data = {"id": "2", "name": "config", "type": 1, "options": [channel]}
    manage_guild = discord.Permissions(manage_guild=True).value
    no_threads = POST_PERMISSIONS & ~discord.Permissions(create_public_threads=True).value
    fake.bot_permissions[fake.channel_id] = no_threads
    # A server not cached yet, so the member's Manage Server comes from the interaction too.
    server = fake.snowflake()
    _, refused = await interact(
        fake, fake.interaction(2, data, guild_id=server, permissions=manage_guild)
    )
    expected = m.CONFIG_CANNOT_POST.format(permissions="Create Public Threads")
    assert refused.body["embeds"][0]["description"] == on_discord(expected)
    fake.bot_permissions[fake.channel_id] = POST_PERMISSIONS
    _, accepted = await interact(
        fake, fake.interaction(2, data, guild_id=server, permissions=manage_guild)
    )
    assert accepted.body["embeds"][0]["description"] == on_discord(m.CONFIG_ENABLED)


# -- charts ------------------------------------------------------------------------------------


async def race_tally(app: App, place: PlaceRef) -> WeeklyTally:
    """A weekly tally with its team race drawn, from two teams' quiz answers."""
    from tests.test_chart_commands import play  # one way of playing quizzes for every test

    owner = Origin(UserRef(Platform.DISCORD, "1"), place, "Ada", True)
    other = Origin(UserRef(Platform.DISCORD, "2"), place, "Bob", False)
    for line in ("team create Owls", "team create Hawks", "team join Owls"):
        await app.dispatcher.handle_text(line, owner)
    await app.dispatcher.handle_text("team join Hawks", other)
    await play(app, owner, "quiz sample-ml medium 1")
    await play(app, other, "quiz sample-ml easy 1")
    channel = await app.stores.channels.get_channel(place.workspace_key, place.channel)
    assert channel is not None
    tally = await boards.weekly_tally(app.ctx, channel, app.ctx.clock.now())
    assert tally.image is not None
    return tally


async def test_the_tally_goes_out_with_its_chart_in_the_embed(
    runtime: Runtime, fake: FakeDiscord, app: App
) -> None:
    place = PlaceRef(Platform.DISCORD, str(fake.guild_id), str(fake.channel_id))
    tally = await race_tally(app, place)
    assert tally.image is not None
    ref = await runtime.publisher.publish(place, tally, None, "tally:2026-W47")
    [post] = [r for r in fake.requests if r.path == f"/channels/{fake.channel_id}/messages"]
    # One multipart request: the embed in payload_json, the PNG as files[0].
    assert post.headers["Content-Type"].startswith("multipart/form-data")
    [upload] = post.files
    assert upload.field == "files[0]" and upload.filename == "team-race.png"
    assert upload.data == tally.image.data and upload.data.startswith(b"\x89PNG")
    [embed] = post.body["embeds"]
    assert embed["title"] == m.TALLY_TITLE.format(label=tally.period_label)
    assert embed["image"]["url"] == "attachment://team-race.png"
    assert post.body["attachments"][0]["description"] == tally.image.alt_text
    assert post.body["nonce"] and post.body["enforce_nonce"] is True
    [message] = fake.messages_in(fake.channel_id)
    assert ref == message["id"]
    assert message["attachments"][0]["description"] == tally.image.alt_text
    assert message["attachments"][0]["size"] == len(tally.image.data)


async def test_a_refused_chart_leaves_the_text_tally_and_one_warning(
    runtime: Runtime, fake: FakeDiscord, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    place = PlaceRef(Platform.DISCORD, str(fake.guild_id), str(fake.channel_id))
    tally = await race_tally(app, place)
    path = f"/channels/{fake.channel_id}/messages"
    fake.script[("POST", path)] = [
        Fault(413, {"message": "Request entity too large", "code": 40005})
    ]
    with caplog.at_level(logging.WARNING, logger="adapters.discord"):
        ref = await runtime.publisher.publish(place, tally, None, "tally:2026-W47")
    first, second = [r for r in fake.requests if r.path == path]
    assert first.files and not second.files
    assert "image" not in second.body["embeds"][0]
    assert second.body["embeds"][0]["title"] == m.TALLY_TITLE.format(label=tally.period_label)
    assert second.body["nonce"] == first.body["nonce"]  # the same piece of work
    [message] = fake.messages_in(fake.channel_id)
    assert ref == message["id"] and message["attachments"] == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "posting the text only" in warnings[0].getMessage()


async def test_leaderboard_chart_over_the_wire(
    runtime: Runtime, fake: FakeDiscord, app: App
) -> None:
    place = PlaceRef(Platform.DISCORD, str(fake.guild_id), str(fake.channel_id))
    await race_tally(app, place)  # two players with points
    payload = fake.interaction(
        2,
        {
            "id": "1",
            "name": "leaderboard",
            "type": 1,
            "options": [{"name": "view", "type": 3, "value": "chart"}],
        },
    )
    callback, followup = await interact(fake, payload)
    assert callback.body == {"type": 5}  # public: the board is for the channel
    [upload] = followup.files
    assert upload.filename == "leaderboard.png" and upload.data.startswith(b"\x89PNG")
    assert followup.body["embeds"][0]["image"]["url"] == "attachment://leaderboard.png"
    description = followup.body["attachments"][0]["description"]
    assert description.startswith("Leaderboard chart, users, week of ")


async def test_the_chart_button_under_text_stats_over_the_wire(
    runtime: Runtime, fake: FakeDiscord
) -> None:
    payload = fake.interaction(2, {"id": "1", "name": "stats", "type": 1})
    _, stats = await interact(fake, payload)
    assert not stats.files and "image" not in stats.body["embeds"][0]
    [row] = stats.body["components"]
    [button] = row["components"]
    assert button["custom_id"] == "sb:chart" and button["label"] == m.CHART_BUTTON
    message = fake.message(fake.channel_id, {"components": stats.body["components"]})
    click = fake.interaction(3, {"custom_id": "sb:chart", "component_type": 2}, message=message)
    callback, chart = await interact(fake, click)
    assert callback.body == {"type": 5, "data": {"flags": 64}}  # private, like `stats`
    [upload] = chart.files
    assert upload.filename == "progress.png" and upload.data.startswith(b"\x89PNG")
    assert chart.body["embeds"][0]["image"]["url"] == "attachment://progress.png"
    assert chart.body["attachments"][0]["description"].startswith("Progress chart for ")
    assert "components" not in chart.body or chart.body["components"] == []  # drawn: no button


async def open_click(fake: FakeDiscord, app: App, clock: ManualClock) -> dict[str, Any]:
    """A click on the first option of a fresh daily round in the fake's channel."""
    place = PlaceRef(Platform.DISCORD, str(fake.guild_id), str(fake.channel_id))
    opened = await daily.open_daily_round(app.ctx, place, clock.now(), question_id="ss-median")
    assert opened is not None
    view = render(opened[1]).view
    assert view is not None
    message = fake.message(fake.channel_id, {"components": view.to_components()})
    custom_id = view.to_components()[0]["components"][0]["custom_id"]
    return fake.interaction(3, {"custom_id": custom_id, "component_type": 2}, message=message)


async def test_a_click_on_a_daily_card_fails_whole_before_its_commit(
    runtime: Runtime, fake: FakeDiscord, app: App, clock: ManualClock
) -> None:
    # The click's one transaction fails before it commits (a crash there sends nothing at
    # all): no row, no answer, and the response says so; clicking again works, once.
    click = await open_click(fake, app, clock)
    faults.arm("inbox.uncommitted")
    try:
        failed = await respond(fake, click)
    finally:
        faults.disarm()
    assert described(failed) == m.INTERNAL_ERROR
    assert await inbox_rows(app) == [] and await answer_count(app) == 0
    again = await respond(fake, {**click, "id": str(fake.snowflake())})
    assert described(again) == m.DAILY_LOCKED.format(closes="17:00 UTC")
    assert [r.state for r in await inbox_rows(app)] == ["done"]
    assert await answer_count(app) == 1


async def answer_count(app: App) -> int:
    async with app.db.engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(answers)
        return int((await conn.execute(query)).scalar_one())


@pytest.mark.parametrize("late_by", [LEASE, dt.timedelta(minutes=20)])
async def test_an_answer_acknowledged_then_never_processed_is_replayed(
    runtime: Runtime,
    fake: FakeDiscord,
    app: App,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    late_by: dt.timedelta,
) -> None:
    # A typed `/answer`: deferred (the ack), then run; a click on a daily card is one write
    # before its response, so it never leaves a row to replay.
    await open_click(fake, app, clock)
    option = {"name": "text", "type": 3, "value": "B"}
    typed = fake.interaction(2, {"id": "1", "name": "answer", "type": 1, "options": [option]})
    stuck = asyncio.Event()

    async def dies(ticket: Ticket, interaction: Interaction) -> list[Any]:
        stuck.set()
        await asyncio.Event().wait()  # the process is gone: nothing after the ack happens
        return []

    monkeypatch.setattr(app.dispatcher, "process", dies)
    after = len(fake.requests)
    await fake.dispatch("INTERACTION_CREATE", typed)
    async with asyncio.timeout(WAIT):
        callback = await fake.request("POST", f"/interactions/{typed['id']}/", after)
        await stuck.wait()
    assert callback.body == {"type": 5, "data": {"flags": 64}}  # acknowledged (deferred)
    monkeypatch.delattr(app.dispatcher, "process")  # the method again, for the replay
    [row] = await inbox_rows(app)
    assert (row.dedupe_key, row.state) == (typed["id"], "received")
    # Another process (or this one, restarted) replays it once the lease has run out.
    assert runtime.late is not None
    clock.advance(late_by)
    before = len(fake.requests)
    assert await app.dispatcher.replay({Platform.DISCORD: runtime.late}) == 1
    sent = [r for r in fake.requests[before:] if r.method == "POST"]
    locked = m.DAILY_LOCKED.format(closes="17:00 UTC")
    if late_by < RESPONSE_WINDOW:  # the interaction's token is still good: a follow-up
        [late] = sent
        assert late.path == f"/webhooks/{fake.app_id}/{typed['token']}"
        assert late.body["flags"] == 64  # private, as the reply always is
    else:  # after 15 minutes the token is dead: a DM
        dm, late = sent
        assert dm.path == "/users/@me/channels"
        assert late.path.startswith("/channels/") and late.path.endswith("/messages")
    assert late.body["embeds"][0]["description"] == locked
    assert [(r.state, r.attempts) for r in await inbox_rows(app)] == [("done", 2)]
    assert await app.dispatcher.replay({Platform.DISCORD: runtime.late}) == 0  # once
    assert await answer_count(app) == 1


async def exported(app: App, fake: FakeDiscord) -> dict[str, Any]:
    """A deck imported into the fake's server, and the `/deck export` payload for it."""
    from bot.commands import ImportDeck

    admin = Origin(
        UserRef(Platform.DISCORD, "900000000000000500"),
        PlaceRef(Platform.DISCORD, str(fake.guild_id), str(fake.channel_id)),
        "alice",
        True,
    )
    body = "type,difficulty,prompt,choices,answer,accept,tolerance,explanation\n"
    body += "true_false,easy,Our feature store is Feast.,,true,,,It is.\n"
    await app.dispatcher.dispatch(ImportDeck("ours", "ours.csv", body), admin)
    export = {
        "name": "export",
        "type": 1,
        "options": [{"name": "name", "type": 3, "value": "ours"}],
    }
    data = {"id": "1", "name": "deck", "type": 1, "options": [export]}
    return fake.interaction(2, data, user_id=900_000_000_000_000_999)  # the server's owner


async def test_deck_export_is_an_attachment_below_a_short_text(
    runtime: Runtime, fake: FakeDiscord, app: App
) -> None:
    _, followup = await interact(fake, await exported(app, fake))
    assert followup.body["flags"] == 64  # an admin's file, for the admin
    [upload] = followup.files
    assert upload.filename == "ours.toml"
    assert upload.data.decode().startswith('[deck]\ntopic = "ours"')
    [embed] = followup.body["embeds"]
    assert "image" not in embed  # a document: attached below, not drawn inside
    assert embed["description"].startswith("Deck 'ours' exported in the native TOML format")
    assert "Feast" not in embed["description"]
    assert followup.body["attachments"][0]["description"].startswith("Deck 'ours'")


async def test_a_refused_export_file_sends_its_text_instead(
    runtime: Runtime, fake: FakeDiscord, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    payload = await exported(app, fake)
    hook = f"/webhooks/{fake.app_id}/{payload['token']}"
    fake.script[("POST", hook)] = [refusal(403, 50013, "Missing Permissions")]
    with caplog.at_level(logging.WARNING, logger="adapters.discord"):
        await interact(fake, payload)
        async with asyncio.timeout(WAIT):
            await fake.wait_for(
                lambda: (
                    len([r for r in fake.requests if r.method == "POST" and r.path == hook]) == 2
                )
            )
    first, second = [r for r in fake.requests if r.method == "POST" and r.path == hook]
    assert first.files and not second.files
    text = second.body["embeds"][0]["description"]
    assert text.startswith("Deck 'ours' exported") and '[deck]\ntopic = "ours"' in text
    assert "Our feature store is Feast." in text
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "file refused" in warning.getMessage()
