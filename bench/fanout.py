"""Fan-out: the scheduler's ticks post, then reveal (a reply and a thread), in N Discord channels
through the real DiscordPublisher and discord.py, against a local fake REST API with Discord's
global limit and a simulated round-trip time."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import itertools
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.http
from aiohttp import web

from bot.bootstrap import ManualClock, SeededRng, build_app
from bot.identity import Platform
from bot.schedule import week_key
from bot.settings import Settings
from bot.storage.tables import channels, claims
from tests.discord.fake_discord import take_slot

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
MONDAY_9 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)  # the default post time, a weekday
MONDAY_17 = MONDAY_9.replace(hour=17)  # the default close time: the reveals
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
    `limit` requests in any sliding one-second window: stricter than Discord's own count.
    Every answer leaves `rtt` seconds after its request arrived (the network's round trip,
    all of it on the way back: admission counts from the arrival)."""

    def __init__(self, limit: float, rtt: float = 0.0) -> None:
        self.limit = limit
        self.rtt = rtt
        self.in_flight = 0
        self.max_in_flight = 0
        self.threads = 0
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
        app.router.add_route("*", "/bench/stats", self._bench)
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

    def stats(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "threads": self.threads,
            "max_in_flight": self.max_in_flight,
            "posted": dict(self.posted),
        }

    async def _bench(self, request: web.Request) -> web.StreamResponse:
        """The bench's own calls, outside the limit: read the counts, start a phase."""
        if request.method == "POST":
            self.max_in_flight = 0
        return _json(self.stats())

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    def _admit(self) -> float:
        """0 when the request fits the window, else how long until it would."""
        return take_slot(self._window, self.limit)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            answer = await self._answer(request)
            if self.rtt:
                await asyncio.sleep(self.rtt)
            return answer
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        wait = self._admit()
        if wait > 0:
            self.rejected += 1
            return _json(
                {"message": "You are being rate limited.", "retry_after": wait, "global": True},
                429,
                # Discord's 429s come through its proxy (Via); discord.py takes a 429 without
                # one for a Cloudflare ban and gives up instead of waiting and retrying.
                {"X-RateLimit-Global": "true", "Retry-After": f"{wait:.3f}", "Via": "1.1 google"},
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
        if request.method == "POST" and len(parts) == 5 and parts[4] == "threads":
            body = await request.json()
            self.threads += 1
            return _json(self._thread(parts[1], parts[3], body))
        if request.method == "GET" and len(parts) == 3 and parts[::2] == ["channels", "messages"]:
            return _json([])  # a retry's look for its message: none there, post again
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

    def _thread(self, channel_id: str, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": message_id,
            "type": 11,
            "guild_id": "1000",
            "parent_id": channel_id,
            "owner_id": "4242",
            "name": body.get("name", ""),
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": TIMESTAMP,
                "locked": False,
            },
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


class FakeProcess:
    """FakeDiscordRest in a process of its own (`python -m bench.fanout LIMIT RTT`), as a
    remote server is: its clock of arrivals and its limit never wait for the bot's GIL. (In a
    thread of the bot's process, a bot busy on the CPU delayed the fake's reads and made
    requests sent a slot apart arrive together, and the fake refused them.)"""

    def __init__(self, limit: float, rtt: float) -> None:
        self.limit = limit
        self.rtt = rtt
        self.port = 0

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fanout",
            str(self.limit),
            str(self.rtt),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,  # its end of the pipe closes with us: it stops
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), 60)
        if not line.startswith(b"port "):
            raise RuntimeError(f"the fake Discord did not start: {line!r}")
        self.port = int(line.split()[1])
        self._session = aiohttp.ClientSession()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    async def stats(self, *, new_phase: bool = False) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/bench/stats"
        async with self._session.request("POST" if new_phase else "GET", url) as response:
            found: dict[str, Any] = await response.json()
        return found

    async def stop(self) -> None:
        await self._session.close()
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), 10)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()


async def serve(limit: float, rtt: float) -> None:
    """The fake's process: print the port, then serve until the bench closes our stdin (or
    dies, which closes it too)."""
    fake = FakeDiscordRest(limit, rtt)
    await fake.start()
    print(f"port {fake.port}", flush=True)
    await asyncio.to_thread(sys.stdin.buffer.read)
    await fake.stop()


async def fanout(
    db_url: str, count: int = 10_000, limit: float = 50.0, rtt: float = 0.2, run: int = 0
) -> dict[str, Any]:
    """The post tick of `count` enabled channels, then the reveal tick (a reply and a thread
    each), against a fake answering after `rtt` seconds; the publisher paces itself at its
    default rate scaled by limit/50 (48/s for Discord's 50/s). The floor is what the limit
    allows: count/limit seconds for the posts, 2*count/limit for the reveals."""
    from adapters.discord.publisher import DEFAULT_RATE, GLOBAL_RATE, DiscordPublisher

    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("bot.usecases.scheduling").setLevel(logging.WARNING)  # one line per post
    logging.getLogger("bot.usecases.delivery").setLevel(logging.WARNING)
    fake = FakeProcess(limit, rtt)
    await fake.start()
    saved_base = discord.http.Route.BASE
    discord.http.Route.BASE = fake.base  # type: ignore[misc]
    client = discord.Client(intents=discord.Intents.none())
    clock = ManualClock(MONDAY_9)
    app = await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=ROOT / "content",
        clock=clock,
        rng=SeededRng(1),
    )
    phases: dict[str, dict[str, Any]] = {}
    try:
        rate = DEFAULT_RATE * limit / GLOBAL_RATE
        # Before the login: the publisher hooks its 429 handling into the client's session.
        publisher = DiscordPublisher(client, rate=rate)
        await client.login("bench-token")
        await _enable_channels(app.db, count, FIRST_CHANNEL + run * count)
        # One tick that runs to the end: the bench measures pacing over the whole fan-out.
        # In service a tick stops at its budget and the next ticks resume the rest.
        app.work.tick_budget = float("inf")
        for phase, at, kind, per_channel in (
            ("posts", MONDAY_9, "post", 1),
            ("reveals", MONDAY_17, "close", 2),
        ):
            clock.set(at)
            before = (await fake.stats(new_phase=True))["accepted"]
            start = time.perf_counter()
            cpu = time.process_time()  # this process only: the fake runs in its own
            results = await app.work.run_due(at, {Platform.DISCORD: publisher})
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
            served = await fake.stats()
            floor = count * per_channel / limit
            phases[phase] = {
                "seconds": round(elapsed, 2),
                "floor_s": round(floor, 2),
                "ratio_to_floor": round(elapsed / floor, 3),
                # The bot's CPU per channel (every thread of this process): what a loaded
                # machine does not inflate, unlike the wall-clock ratio.
                "cpu_ms_per_channel": round(cpu * 1000 / count, 2),
                "published": sum(
                    1 for r in results if r.status == "published" and r.kind.value == kind
                ),
                "requests": served["accepted"] - before,
                "max_in_flight": served["max_in_flight"],
            }
        served = await fake.stats()
    finally:
        await client.close()
        await app.close()
        discord.http.Route.BASE = saved_base  # type: ignore[misc]
        await fake.stop()
    return {
        "channels": count,
        "limit_per_s": limit,
        "rtt_ms": round(rtt * 1000),
        "publisher_rate_per_s": round(rate, 2),
        **phases,
        "ratio_to_floor": max(p["ratio_to_floor"] for p in phases.values()),
        # A post and its reveal: two messages in every channel, none twice.
        "channels_posted_once": sum(1 for n in served["posted"].values() if n == 2),
        "threads": served["threads"],
        "http_429": served["rejected"],
    }


async def fanout_rtts(
    db_url: str, count: int, limit: float, rtts: tuple[float, ...] = (0.05, 0.1, 0.2)
) -> dict[str, Any]:
    """The fan-out at each round-trip time, on fresh databases named after `db_url`."""
    out: dict[str, Any] = {}
    for run, rtt in enumerate(rtts):
        # One database: each run has channels of its own, and earlier ones are not due again.
        out[f"rtt_{round(rtt * 1000)}ms"] = await fanout(db_url, count, limit, rtt, run)
    worst = max(r["ratio_to_floor"] for r in out.values())
    return {**out, "ratio_to_floor": worst, "http_429": sum(r["http_429"] for r in out.values())}


async def _enable_channels(db: Any, count: int, first: int = FIRST_CHANNEL) -> None:
    """`count` Discord channels with the default schedule, enabled as `config channel` does
    it: last week's tally, due before they were enabled, is recorded as forgone."""
    stamp = MONDAY_9 - dt.timedelta(days=1)
    last_week = week_key((MONDAY_9 - dt.timedelta(days=7)).date())
    rows = [
        {
            "platform": "discord",
            "workspace": f"discord:{1000 + i % GUILDS}",
            "external_id": str(first + i),
            "enabled": True,
            "updated_at": stamp,
            "next_due_at": stamp,  # as enabling does: looked at on the next tick
        }
        for i in range(count)
    ]
    async with db.write() as conn:
        # The ids as inserted: an IN list of 50,000 keys is past asyncpg's bind limit.
        ids = (await conn.execute(channels.insert().returning(channels.c.id), rows)).scalars()
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


if __name__ == "__main__":
    asyncio.run(serve(float(sys.argv[1]), float(sys.argv[2])))
