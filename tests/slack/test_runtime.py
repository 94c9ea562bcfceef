"""Running the adapter: start-up checks, Socket Mode against a local websocket, HTTP mode."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import aiohttp
import pytest

from adapters.slack.app import SlackAdapter
from adapters.slack.publisher import SlackPublisher
from adapters.slack.runtime import (
    SlackSetupError,
    SlackStartError,
    build_slack,
    serve_http,
    serve_socket,
)
from bot.bootstrap import App
from bot.identity import Platform
from tests.slack.conftest import APP_TOKEN, SlackDriver, slack_settings
from tests.slack.fake_slack import DROP, Failure, FakeSlack


def test_socket_mode_needs_an_app_token(app: App, fake: FakeSlack) -> None:
    with pytest.raises(SlackSetupError, match="SLACK_APP_TOKEN") as caught:
        build_slack(app, slack_settings(fake))
    assert isinstance(caught.value, SystemExit)  # one line on stderr, no traceback
    assert str(caught.value.code).startswith("studybot: ")


def test_http_mode_needs_a_signing_secret(app: App, fake: FakeSlack) -> None:
    settings = slack_settings(fake, SLACK_SIGNING_SECRET="")
    with pytest.raises(SlackSetupError, match="SLACK_SIGNING_SECRET"):
        build_slack(app, settings, http_port=3000)


def test_tokens_are_checked_for_their_kind(app: App, fake: FakeSlack) -> None:
    swapped = slack_settings(fake, SLACK_BOT_TOKEN=APP_TOKEN, SLACK_APP_TOKEN="xoxb-nope")
    with pytest.raises(SlackSetupError, match="xoxb-") as caught:
        build_slack(app, swapped)
    assert "test-token" not in str(caught.value.code)  # never echo a token
    bad_app = slack_settings(fake, SLACK_APP_TOKEN="xoxb-nope")
    with pytest.raises(SlackSetupError, match="xapp-"):
        build_slack(app, bad_app)


async def test_runtimes_for_both_modes(app: App, fake: FakeSlack) -> None:
    socket = build_slack(app, slack_settings(fake, SLACK_APP_TOKEN=APP_TOKEN))
    http = build_slack(app, slack_settings(fake), http_port=3000)
    for runtime in (socket, http):
        assert runtime.platform is Platform.SLACK
        assert isinstance(runtime.publisher, SlackPublisher)


async def test_http_mode_serves_until_cancelled(app: App, fake: FakeSlack) -> None:
    with socket.socket() as probe:  # a free port for the server to take
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    runtime = build_slack(app, slack_settings(fake, SLACK_HTTP_HOST="127.0.0.1"), http_port=port)
    task = asyncio.ensure_future(runtime.serve())
    async with asyncio.timeout(10), aiohttp.ClientSession() as session:
        driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", fake, session)
        while True:
            try:
                replies = await driver.command_replies("help", "UBOB")
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)  # the server task is still binding its port
        assert "StudyBot commands" in replies[0].args["text"]
        # A load balancer's GET probe gets an answer; the events path is for signed POSTs.
        async with session.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert (health.status, await health.text()) == (200, "ok")
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("drops", [0, 2], ids=["reachable", "unreachable-at-start"])
async def test_socket_mode_smoke(app: App, fake: FakeSlack, drops: int) -> None:
    # `drops`: apps.connections.open fails at the network level this often (slack_sdk retries
    # a dropped connection once), as when the bot starts before the network is up.
    fake.failures["apps.connections.open"] = [Failure(DROP)] * drops
    key = "sock1"
    command = {
        "token": "legacy",
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "UBOB",
        "user_name": "bob",
        "command": "/study",
        "text": "help",
        "api_app_id": "A1",
        "response_url": fake.response_url(key),
        "trigger_id": "t1",
    }
    fake.socket_frames = [
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": command,
        }
    ]
    # Socket Mode signs nothing: no signing secret is needed, only the app-level token.
    adapter = SlackAdapter(app, slack_settings(fake, SLACK_SIGNING_SECRET=""))
    task = asyncio.ensure_future(serve_socket(adapter.bolt, APP_TOKEN))
    try:
        async with asyncio.timeout(15):
            await fake.wait_for(
                lambda: any(m.get("envelope_id") == "env-1" for m in fake.socket_received)
            )
            [reply] = await fake.wait_for_key(key)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    [ack] = [m for m in fake.socket_received if m.get("envelope_id") == "env-1"]
    assert not ack.get("payload")  # a plain ack; the reply went to the response_url
    opened = fake.of("apps.connections.open")
    assert len(opened) == drops + 1
    assert all(call.auth == f"Bearer {APP_TOKEN}" for call in opened)
    assert reply.args["response_type"] == "ephemeral"
    assert "StudyBot commands" in reply.args["text"]


@pytest.mark.parametrize(
    ("method", "variable"),
    [("auth.test", "SLACK_BOT_TOKEN"), ("apps.connections.open", "SLACK_APP_TOKEN")],
)
async def test_a_refused_token_stops_socket_mode_with_a_clear_error(
    app: App, fake: FakeSlack, method: str, variable: str
) -> None:
    fake.failures[method] = [Failure(200, body={"ok": False, "error": "invalid_auth"})]
    adapter = SlackAdapter(app, slack_settings(fake))
    async with asyncio.timeout(10):
        with pytest.raises(SlackStartError, match=f"Slack refused {variable} \\(invalid_auth\\)"):
            await serve_socket(adapter.bolt, APP_TOKEN)
    assert fake.socket_received == []


async def test_a_refused_bot_token_stops_http_mode(app: App, fake: FakeSlack) -> None:
    fake.failures["auth.test"] = [Failure(200, body={"ok": False, "error": "token_revoked"})]
    adapter = SlackAdapter(app, slack_settings(fake))
    with pytest.raises(SlackStartError, match="SLACK_BOT_TOKEN \\(token_revoked\\)"):
        await serve_http(adapter.bolt, 0, host="127.0.0.1")


async def test_a_taken_port_stops_http_mode_with_a_clear_error(app: App, fake: FakeSlack) -> None:
    adapter = SlackAdapter(app, slack_settings(fake))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SlackStartError, match=f"cannot listen on 127.0.0.1:{port}"):
            await serve_http(adapter.bolt, port, host="127.0.0.1")
