"""Slack fixtures: a fake Web API, the real AsyncApp over HTTP and a signing Slack client."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import sqlalchemy as sa

from adapters.slack.app import SlackAdapter
from adapters.slack.client import make_client
from adapters.slack.publisher import SlackPublisher
from adapters.slack.runtime import SlackHttpServer
from bot.bootstrap import App
from bot.settings import Settings
from bot.storage.tables import metadata
from tests.slack.fake_slack import TEAM, Call, FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
CHANNEL = "C1"
LISTED_ADMIN = "ULISTED"
EVE = "eve <!here> & <@UADMIN> *x*"

# users.info answers, as Slack's: `name` is the handle, the one payloads carry; what Slack
# shows is the profile's display name, else its real name. Eve's display name tries to ping
# and inject markup.
USERS: dict[str, dict[str, Any]] = {
    "UADMIN": {
        "id": "UADMIN",
        "name": "ada",
        "is_admin": True,
        "profile": {"display_name": "Ada L", "real_name": "Ada Lovelace"},
    },
    "UOWNER": {
        "id": "UOWNER",
        "name": "olu",
        "is_owner": True,
        "profile": {"display_name": "", "real_name": "Olu Okafor"},
    },
    "UBOB": {
        "id": "UBOB",
        "name": "bob",
        "profile": {"display_name": "Bobby", "real_name": "Robert Brown"},
    },
    "UCY": {"id": "UCY", "name": "cy", "profile": {"display_name": "Cyrus", "real_name": "Cy"}},
    "UEVE": {"id": "UEVE", "name": "eve", "profile": {"display_name": EVE, "real_name": "Eve"}},
    LISTED_ADMIN: {"id": LISTED_ADMIN, "name": "lee", "profile": {"real_name": "Lee Park"}},
}


def payload_name(user: str) -> str:
    """The handle Slack puts in an interaction payload for `user` (users.info's `name`)."""
    return str(USERS.get(user, {}).get("name", user.lower()))


def slack_settings(fake: FakeSlack, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_ADMIN_USERS": f" {LISTED_ADMIN} , UNOBODY",
        "SLACK_API_URL": fake.api_url,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def sign(body: str, timestamp: int, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


async def row_counts(app: App) -> dict[str, int]:
    async with app.db.engine.connect() as conn:
        return {
            t.name: (await conn.execute(sa.select(sa.func.count()).select_from(t))).scalar_one()
            for t in metadata.sorted_tables
        }


@dataclass
class SlackDriver:
    """Plays Slack: builds payloads as Slack sends them, signs them and posts them."""

    url: str
    fake: FakeSlack
    session: aiohttp.ClientSession
    sleeps: list[float] = field(default_factory=list)
    # Waits for the adapter's background users.info warm-up, so a step's names are settled.
    names: Callable[[], Awaitable[None]] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        return next(self._ids)

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        ts = int(time.time()) if timestamp is None else timestamp
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature or sign(body, ts),
            **(headers or {}),
        }
        async with self.session.post(self.url, data=body.encode(), headers=sent) as response:
            return response.status, await response.text()

    def command_body(self, text: str, user: str, channel: str = CHANNEL) -> tuple[str, str]:
        key = f"cmd{self.next_id()}"
        form = {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "acme",
            "channel_id": channel,
            # As Slack names the place a command was typed in (a DM has no name of its own).
            "channel_name": "directmessage" if channel.startswith("D") else "general",
            "user_id": user,
            "user_name": payload_name(user),
            "command": "/study",
            "text": text,
            "api_app_id": "A1",
            "response_url": self.fake.response_url(key),
            "trigger_id": f"trigger-{key}",
        }
        return urlencode(form), key

    async def command(self, text: str, user: str, channel: str = CHANNEL) -> str:
        """Send `/study text`; returns the response_url key its replies are posted to."""
        body, key = self.command_body(text, user, channel)
        status, _ = await self.post(body, "application/x-www-form-urlencoded")
        assert status == 200
        return key

    async def command_replies(self, text: str, user: str, channel: str = CHANNEL) -> list[Call]:
        key = await self.command(text, user, channel)
        await self.fake.wait_for(lambda: any(c.key == key for c in self.fake.calls))
        await self.settled()
        return [c for c in self.fake.calls if c.key == key]

    async def settled(self) -> None:
        if self.names is not None:
            await self.names()

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    def click_payload(
        self,
        action_id: str,
        user: str,
        *,
        value: str = "",
        channel: str = CHANNEL,
        action_ts: str | None = None,
    ) -> tuple[dict[str, Any], str]:
        n = self.next_id()
        key = f"act{n}"
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {
                "id": user,
                "username": payload_name(user),
                "name": payload_name(user),
                "team_id": TEAM,
            },
            "api_app_id": "A1",
            "token": "legacy",
            "container": {
                "type": "message",
                "message_ts": "1700000000.000001",
                "channel_id": channel,
            },
            "trigger_id": f"trigger-{key}",
            "channel": {"id": channel, "name": "general"},
            "response_url": self.fake.response_url(key),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b1",
                    "type": "button",
                    "value": value,
                    "text": {"type": "plain_text", "text": "x"},
                    "action_ts": action_ts or f"1700000100.{n:06d}",
                }
            ],
        }
        return payload, key

    async def click(self, action_id: str, user: str, **options: Any) -> str:
        payload, key = self.click_payload(action_id, user, **options)
        status, _ = await self.interact(payload)
        assert status == 200
        return key

    async def click_replies(self, action_id: str, user: str, **options: Any) -> list[Call]:
        key = await self.click(action_id, user, **options)
        await self.fake.wait_for(lambda: any(c.key == key for c in self.fake.calls))
        await self.settled()
        return [c for c in self.fake.calls if c.key == key]

    def submission(
        self,
        view: dict[str, Any],
        user: str,
        text: str,
        view_id: str | None = None,
        view_hash: str | None = None,
    ) -> dict[str, Any]:
        n = self.next_id()
        return {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {
                "id": user,
                "username": payload_name(user),
                "name": payload_name(user),
                "team_id": TEAM,
            },
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": f"trigger-view{n}",
            "view": {
                **view,
                "id": view_id or f"V{n}",
                "hash": view_hash or f"1700000200.h{n}",
                "state": {
                    "values": {"answer": {"text": {"type": "plain_text_input", "value": text}}}
                },
            },
        }

    async def open_modal(
        self, action_id: str, user: str, value: str = "", channel: str = CHANNEL
    ) -> dict[str, Any]:
        """Click an Answer button; returns the modal view StudyBot opened with views.open."""
        before = len(self.fake.of("views.open"))
        await self.click(action_id, user, value=value, channel=channel)
        opened = await self.fake.wait_calls("views.open", before + 1)
        view = opened[before].args["view"]
        return view if isinstance(view, dict) else json.loads(view)

    async def submit(
        self, view: dict[str, Any], user: str, text: str, **ids: str
    ) -> tuple[int, str]:
        return await self.interact(self.submission(view, user, text, **ids))

    async def event(
        self, event: dict[str, Any], event_id: str, retry: int | None = None
    ) -> tuple[int, str]:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM,
                "api_app_id": "A1",
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": 1700000000,
            }
        )
        headers = {}
        if retry is not None:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, "application/json", headers=headers)


@dataclass
class SlackRig:
    app: App
    fake: FakeSlack
    adapter: SlackAdapter
    publisher: SlackPublisher
    driver: SlackDriver


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    server.users = copy.deepcopy(USERS)  # a test may rename someone (their profile too)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def rig(app: App, fake: FakeSlack) -> AsyncIterator[SlackRig]:
    settings = slack_settings(fake)
    sleeps: list[float] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = make_client(settings, sleep=record_sleep)
    adapter = SlackAdapter(app, settings, client=client)
    server = SlackHttpServer(adapter.bolt, 0, host="127.0.0.1")
    port = await server.start()
    async with aiohttp.ClientSession() as session:
        driver = SlackDriver(
            f"http://127.0.0.1:{port}/slack/events", fake, session, sleeps, adapter.directory.idle
        )
        yield SlackRig(app, fake, adapter, SlackPublisher(client), driver)
    await server.stop()
    await adapter.directory.close()
