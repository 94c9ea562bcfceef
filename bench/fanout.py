"""Daily-question fan-out: the scheduler's tick posts to N Discord channels through the real
DiscordPublisher and discord.py, against a local fake REST API with Discord's global limit."""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import json
import logging
import time
from pathlib import Path
from typing import Any

import discord
import discord.http
from aiohttp import web

from bot.bootstrap import ManualClock, SeededRng, build_app
from bot.identity import Platform
from bot.schedule import week_key
from bot.settings import Settings
from bot.storage.tables import channels, claims

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
MONDAY_9 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)  # the default post time, a weekday
GUILDS = 100
FIRST_CHANNEL = 900_000_000_000_000_000
TIMESTAMP = "2026-11-16T09:00:00.000000+00:00"


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body as JSON only for exactly `application/json` (no charset).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class FakeDiscordRest:
    """The REST calls a daily post makes, refusing with 429 (global) whatever goes beyond
    `limit` requests in any sliding one-second window: stricter than Discord's own count."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.accepted = 0
        self.rejected = 0
        self.posted: collections.Counter[str] = collections.Counter()
        self._window: collections.deque[float] = collections.deque()
        self._ids = itertools.count(1_000_000_000_000_000_000)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    def _admit(self) -> float:
        """0 when the request fits the window, else how long until it would."""
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.limit:
            return 1.0 - (now - self._window[0])
        self._window.append(now)
        return 0.0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        wait = self._admit()
        if wait > 0:
            self.rejected += 1
            return _json(
                {"message": "You are being rate limited.", "retry_after": wait, "global": True},
                429,
                {"X-RateLimit-Global": "true", "Retry-After": f"{wait:.3f}"},
            )
        self.accepted += 1
        tail = request.match_info["tail"]
        if request.method == "GET" and tail == "users/@me":
            return _json(self._user())
        if request.method == "GET" and tail == "oauth2/applications/@me":
            return _json(
                {
                    "id": "4243",
                    "name": "StudyBot",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": self._user(),
                    "verify_key": "00",
                    "flags": 0,
                }
            )
        parts = tail.split("/")
        if request.method == "POST" and len(parts) == 3 and parts[::2] == ["channels", "messages"]:
            body = await request.json()
            self.posted[parts[1]] += 1
            return _json(self._message(parts[1], body))
        log.warning("fake Discord: no route for %s /%s", request.method, tail)
        return _json({"message": "Unknown route", "code": 0}, 404)

    def _user(self) -> dict[str, Any]:
        return {
            "id": "4242",
            "username": "studybot",
            "global_name": "StudyBot",
            "discriminator": "0",
            "avatar": None,
            "bot": True,
        }

    def _message(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": channel_id,
            "author": self._user(),
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }


async def fanout(db_url: str, count: int = 10_000, limit: float = 50.0) -> dict[str, Any]:
    """One scheduler tick at the post time of `count` enabled channels; the publisher paces
    itself at its default rate scaled by limit/50 (48/s for Discord's 50/s)."""
    from adapters.discord.publisher import DEFAULT_RATE, GLOBAL_RATE, DiscordPublisher

    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("bot.usecases.scheduling").setLevel(logging.WARNING)  # one INFO line per post
    fake = FakeDiscordRest(limit)
    await fake.start()
    saved_base = discord.http.Route.BASE
    discord.http.Route.BASE = fake.base  # type: ignore[misc]
    client = discord.Client(intents=discord.Intents.none())
    app = await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=ROOT / "content",
        clock=ManualClock(MONDAY_9),
        rng=SeededRng(1),
    )
    try:
        await client.login("bench-token")
        rate = DEFAULT_RATE * limit / GLOBAL_RATE
        publisher = DiscordPublisher(client, rate=rate)
        await _enable_channels(app.db, count)
        start = time.perf_counter()
        # One tick that runs to the end: the bench measures pacing over the whole fan-out.
        # In service a tick stops at its budget and the next ticks resume the rest.
        app.work.tick_budget = float("inf")
        results = await app.work.run_due(MONDAY_9, {Platform.DISCORD: publisher})
        elapsed = time.perf_counter() - start
    finally:
        await client.close()
        await app.close()
        discord.http.Route.BASE = saved_base  # type: ignore[misc]
        await fake.stop()
    published = sum(1 for r in results if r.status == "published" and r.kind.value == "post")
    floor = count / limit
    return {
        "channels": count,
        "limit_per_s": limit,
        "publisher_rate_per_s": round(rate, 2),
        "seconds": round(elapsed, 2),
        "floor_s": round(floor, 2),
        "ratio_to_floor": round(elapsed / floor, 3),
        "published": published,
        "channels_posted_once": sum(1 for n in fake.posted.values() if n == 1),
        "http_429": fake.rejected,
        "requests": fake.accepted,
    }


async def _enable_channels(db: Any, count: int) -> None:
    """`count` Discord channels with the default schedule, enabled as `config channel` does
    it: last week's tally, due before they were enabled, is recorded as forgone."""
    stamp = MONDAY_9 - dt.timedelta(days=1)
    last_week = week_key((MONDAY_9 - dt.timedelta(days=7)).date())
    rows = [
        {
            "platform": "discord",
            "workspace": f"discord:{1000 + i % GUILDS}",
            "external_id": str(FIRST_CHANNEL + i),
            "enabled": True,
            "updated_at": stamp,
            "next_due_at": stamp,  # as enabling does: looked at on the next tick
        }
        for i in range(count)
    ]
    async with db.write() as conn:
        await conn.execute(channels.insert(), rows)
        ids = (await conn.execute(channels.select().with_only_columns(channels.c.id))).scalars()
        await conn.execute(
            claims.insert(),
            [
                {
                    "channel_id": cid,
                    "kind": "tally",
                    "period": last_week,
                    "status": "skipped",
                    "claimed_at": stamp,
                    "updated_at": stamp,
                }
                for cid in ids
            ],
        )
