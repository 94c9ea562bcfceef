"""Runs the Slack adapter in Socket Mode (default) or HTTP mode, and hands out its publisher."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable
from typing import TypeVar

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.errors import SlackApiError

from adapters.runtime import Runtime
from adapters.slack import edge
from adapters.slack.app import SlackAdapter
from adapters.slack.late import SlackLateReplies
from adapters.slack.publisher import SlackPublisher
from bot import messages as m
from bot.bootstrap import App
from bot.identity import Platform
from bot.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# HTTP mode serves Slack (or the load balancer in front of it) on every interface.
HTTP_HOST = "0.0.0.0"
# On stop, requests in flight get this long to finish (aiohttp's default, 60 s, would outlast
# `docker stop`); Slack has had its ack within 3 s anyway.
SHUTDOWN_TIMEOUT_S = 2.0


class SlackStartError(RuntimeError):
    """Slack refused a token when the adapter connected, or HTTP mode cannot take its port;
    the host logs it and shuts down."""


class SlackSetupError(SystemExit):
    """A missing or wrong token or secret: the process stops with this one line, no traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(f"studybot: {message}")


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def check_setup(settings: Settings, http_port: int | None) -> None:
    """Refuse to start with a configuration that could only fail later, and say what to fix."""
    bot_token = _secret(settings.slack_bot_token)
    if not bot_token.startswith("xoxb-"):
        raise SlackSetupError(m.SLACK_SETUP_BOT_TOKEN)
    if http_port is None:
        if not _secret(settings.slack_app_token).startswith("xapp-"):
            raise SlackSetupError(m.SLACK_SETUP_APP_TOKEN)
    elif not _secret(settings.slack_signing_secret):
        raise SlackSetupError(m.SLACK_SETUP_SIGNING_SECRET)


async def _healthy(_: web.Request) -> web.Response:
    return web.Response(text="ok")


class SlackHttpServer:
    """Bolt behind an aiohttp server we control, so it starts, reports its port and stops
    inside our event loop. Every request passes the edge first (size, signature and age,
    body shape): junk gets 400, 401 or 413 and one log line, and never reaches Bolt, whose
    errors would be a 500 and a traceback."""

    def __init__(
        self,
        bolt: AsyncApp,
        port: int,
        host: str = HTTP_HOST,
        path: str = EVENTS_PATH,
        signing_secret: str | None = None,
    ) -> None:
        self.bolt = bolt
        self.host = host
        self.port = port
        self.path = path
        # The secret Bolt was built with (its own check stays on behind ours).
        self.secret = signing_secret if signing_secret is not None else str(bolt._signing_secret)
        self._runner: web.AppRunner | None = None

    async def events(self, request: web.Request) -> web.StreamResponse:
        size = request.content_length
        if size is not None and size > edge.MAX_BODY:
            return self._refuse(request, edge.Refusal(413, f"body of {size} bytes"))
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(request, edge.Refusal(413, "body too large"))
        refusal = edge.check_signature(request.headers, body, self.secret) or edge.check_body(
            request.content_type, body
        )
        if refusal is not None:
            return self._refuse(request, refusal)
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8"),
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
        return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))

    @staticmethod
    def _refuse(request: web.Request, refusal: edge.Refusal) -> web.Response:
        edge.refuse(refusal, request.remote)
        return web.Response(status=refusal.status, text=refusal.reason)

    async def start(self) -> int:
        """Listen; returns the bound port (useful when asked for port 0)."""
        web_app = web.Application(client_max_size=edge.MAX_BODY)
        web_app.router.add_post(self.path, self.events)
        # Load balancers probe with GET; the events path only answers Slack's signed POSTs.
        web_app.router.add_get(HEALTH_PATH, _healthy)
        self._runner = web.AppRunner(web_app, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:  # the port is taken, or needs privileges
            await self.stop()
            error = exc.strerror or str(exc)
            raise SlackStartError(
                m.SLACK_HTTP_BIND.format(host=self.host, port=self.port, error=error)
            ) from None
        address = self._runner.addresses[0]
        self.port = int(address[1])
        log.info("Slack HTTP mode: listening on %s:%d%s", self.host, self.port, self.path)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def checked(call: Awaitable[T], variable: str, doing: str) -> T | None:
    """Await a start-up call made with the token in `variable`. Slack refusing the token stops
    the start, in words, rather than failing every request later (or retrying forever); an
    unreachable Slack is not fatal (None): the connection is retried as usual."""
    try:
        return await call
    except SlackApiError as exc:
        error = exc.response.get("error", "error")
        raise SlackStartError(
            m.SLACK_START_REFUSED.format(variable=variable, error=error)
        ) from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("could not reach Slack to %s (%s); carrying on", doing, exc)
        return None


async def check_bot_token(bolt: AsyncApp) -> None:
    await checked(bolt.client.auth_test(), "SLACK_BOT_TOKEN", "check the bot token")


async def serve_http(bolt: AsyncApp, port: int, host: str = HTTP_HOST) -> None:
    await check_bot_token(bolt)
    server = SlackHttpServer(bolt, port, host)
    await server.start()
    try:
        await asyncio.Event().wait()  # until cancelled by the host
    finally:
        await server.stop()


async def serve_socket(bolt: AsyncApp, app_token: str) -> None:
    await check_bot_token(bolt)
    # Built here, not earlier: the Socket Mode client needs the running loop.
    handler = AsyncSocketModeHandler(bolt, app_token=app_token)
    # connect_async/close_async carry no annotations in Bolt, hence the ignores.
    try:
        # Issued here so a refused app token stops the start with a clear message; the client
        # would otherwise retry it forever. It connects to this URL, or, when Slack was out of
        # reach (None), asks for one itself and keeps retrying until Slack answers.
        handler.client.wss_uri = await checked(
            handler.client.issue_new_wss_url(), "SLACK_APP_TOKEN", "open Socket Mode"
        )
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack Socket Mode: connected")
        await asyncio.Event().wait()  # until cancelled by the host
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


def build_slack(app: App, settings: Settings, http_port: int | None = None) -> Runtime:
    """The Slack runtime for `studybot run`: Socket Mode with SLACK_APP_TOKEN, or HTTP mode on
    `http_port` (`--slack-http PORT`) with SLACK_SIGNING_SECRET."""
    check_setup(settings, http_port)
    adapter = SlackAdapter(app, settings)
    if http_port is not None:
        serve = functools.partial(serve_http, adapter.bolt, http_port, settings.slack_http_host)
    else:
        serve = functools.partial(serve_socket, adapter.bolt, _secret(settings.slack_app_token))
    return Runtime(
        Platform.SLACK, serve, SlackPublisher(adapter.client), late=SlackLateReplies(adapter)
    )
