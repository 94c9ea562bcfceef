"""A small local Discord for wire-level tests: the REST routes and gateway discord.py uses."""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

API = "/api/v10"
HEARTBEAT_MS = 41_250  # as Discord sends; the first heartbeat comes at once anyway
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_HELLO, OP_HEARTBEAT_ACK = 0, 1, 2, 10, 11
TIMESTAMP = "2026-11-16T09:00:00+00:00"
# View Channel, Send Messages, Embed Links, Read Message History, Create Public Threads.
POST_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 35)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body as JSON only for exactly `application/json` (no charset).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def take_slot(window: collections.deque[float], limit: float) -> float:
    """A sliding one-second window of requests, as Discord's global limit counts them: 0 when
    one more fits (and it is counted), else the seconds until it would. The bench's fake
    (bench/fanout.py) counts with it too."""
    now = time.monotonic()
    while window and now - window[0] >= 1.0:
        window.popleft()
    if len(window) >= limit:
        return 1.0 - (now - window[0])
    window.append(now)
    return 0.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    # Uploaded files of a multipart request (discord.py sends a message with attachments
    # as multipart/form-data: the JSON in `payload_json`, each file in `files[n]`).
    files: tuple[Upload, ...] = ()


@dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Fault:
    """One scripted misbehaviour of a request, as real Discord and networks show them.

    `status` is the answer (0: the connection is cut without one), with `body` and `headers`
    (e.g. a 429's `Via`, which discord.py needs to treat it as a rate limit rather than a
    ban); `created` handles the request first (the message exists, then the answer is lost
    or wrong); `hold` keeps the answer back until the event is set (a hang).
    """

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    created: bool = False
    hold: asyncio.Event | None = None


def refusal(status: int, code: int, message: str) -> Fault:
    """A permanent refusal: 403 with 50001 (Missing Access) or 50013 (Missing Permissions),
    404 with 10003 (Unknown Channel)."""
    return Fault(status, {"message": message, "code": code})


def global_limited(retry_after: float) -> Fault:
    """A 429 of the bot's global limit, as Discord's edge sends it."""
    headers = {
        "Retry-After": f"{retry_after:.3f}",
        "X-RateLimit-Global": "true",
        "X-RateLimit-Scope": "global",
        "Via": "1.1 google",
    }
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": True}
    return Fault(429, body, headers)


def rate_limited(retry_after: float, via: bool = True) -> Fault:
    """A 429 as Discord's edge sends it (`Via` set); without `Via`, discord.py takes it for a
    Cloudflare ban and raises at once."""
    headers = {"Retry-After": str(retry_after), "X-RateLimit-Scope": "user"}
    if via:
        headers["Via"] = "1.1 google"
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
    return Fault(429, body, headers)


@dataclass
class FakeDiscord:
    """One application, one bot, one guild with one text channel; every request recorded.

    Start it, point discord.py at `api_base` (REST) — the gateway URL comes from
    `GET /gateway/bot` like in production — and stop it in teardown.
    """

    app_id: int = 900_000_000_000_000_001
    bot_id: int = 900_000_000_000_000_001
    guild_id: int = 900_000_000_000_000_100
    channel_id: int = 900_000_000_000_000_200
    requests: list[Request] = field(default_factory=list)
    gateway_frames: list[dict[str, Any]] = field(default_factory=list)
    # Answers to override, keyed by (method, path prefix): (status, JSON body).
    faults: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    # Requests to cut off without an answer, as a network failure would: (method, path prefix).
    drops: set[tuple[str, str]] = field(default_factory=set)
    # Misbehaviours served in order, one per matching request: (method, path prefix).
    script: dict[tuple[str, str], list[Fault]] = field(default_factory=dict)
    # Every message created in a channel, and the ones created under a nonce with
    # enforce_nonce: Discord answers a repeat with the message it already made.
    created: list[dict[str, Any]] = field(default_factory=list)
    nonces: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    dm_channels: dict[str, str] = field(default_factory=dict)  # dm channel id -> user id
    # The bot's permissions per channel, sent as an interaction's `app_permissions` (as
    # Discord computes them, overwrites included); a channel not listed grants what posts need.
    bot_permissions: dict[int, int] = field(default_factory=dict)
    # Discord's global limit: REST requests past `limit` in any sliding second are refused
    # with a global 429 (None: no limit). `refused` counts them; every answer waits `delay`
    # (the network's round trip).
    limit: float | None = None
    delay: float = 0.0
    refused: int = 0

    def __post_init__(self) -> None:
        self._window: collections.deque[float] = collections.deque()
        self._ids = itertools.count(900_000_000_000_001_000)
        self._seq = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Condition()
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server) and server.sockets
        self.port = int(server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def connected(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    # -- waiting -------------------------------------------------------------------------

    async def _record(self, item: Request | dict[str, Any]) -> None:
        async with self._changed:
            if isinstance(item, Request):
                self.requests.append(item)
            else:
                self.gateway_frames.append(item)
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any]) -> Any:
        """Until `predicate()` is truthy (the caller bounds the wait with asyncio.timeout)."""
        async with self._changed:
            while not (found := predicate()):
                await self._changed.wait()
            return found

    async def request(self, method: str, path_part: str, after: int = 0) -> Request:
        def find() -> Request | None:
            for request in self.requests[after:]:
                if request.method == method and path_part in request.path:
                    return request
            return None

        found: Request = await self.wait_for(find)
        return found

    async def frame(self, op: int) -> dict[str, Any]:
        found: dict[str, Any] = await self.wait_for(
            lambda: next((f for f in self.gateway_frames if f.get("op") == op), None)
        )
        return found

    # -- gateway -------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        # Plain JSON text frames: discord.py decompresses only binary frames.
        await ws.send_json({"op": OP_HELLO, "d": {"heartbeat_interval": HEARTBEAT_MS}})
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            await self._record(frame)
            if frame["op"] == OP_HEARTBEAT:
                await ws.send_json({"op": OP_HEARTBEAT_ACK})
            elif frame["op"] == OP_IDENTIFY:
                shard = frame["d"].get("shard", [0, 1])
                await self._send(ws, "READY", self.ready(shard))
                await self._send(ws, "GUILD_CREATE", self.guild())
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await ws.send_json({"op": OP_DISPATCH, "t": event, "s": next(self._seq), "d": data})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to every connected client."""
        for ws in self._sockets:
            if not ws.closed:
                await self._send(ws, event, data)

    # -- payloads ------------------------------------------------------------------------

    def snowflake(self) -> int:
        return next(self._ids)

    def user(self, user_id: int, name: str, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "global_name": name.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
        }

    @property
    def bot_user(self) -> dict[str, Any]:
        return self.user(self.bot_id, "studybot", bot=True)

    def member(self, user: dict[str, Any], permissions: int = 0) -> dict[str, Any]:
        return {
            "user": user,
            "roles": [],
            "nick": None,
            "joined_at": TIMESTAMP,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(permissions),
        }

    def ready(self, shard: list[int]) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "shard": shard,
            "application": {"id": str(self.app_id), "flags": 0},
        }

    def channel(self) -> dict[str, Any]:
        return {
            "id": str(self.channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }

    def guild(self) -> dict[str, Any]:
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            "permissions": str((1 << 11) | (1 << 10) | (1 << 14) | (1 << 16) | (1 << 35)),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        return {
            "id": str(self.guild_id),
            "name": "Study Group",
            "icon": None,
            "owner_id": "900000000000000999",
            "roles": [everyone],
            "emojis": [],
            "stickers": [],
            "features": [],
            "member_count": 2,
            "members": [self.member(self.bot_user)],
            "channels": [self.channel()],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "large": False,
            "unavailable": False,
            "premium_tier": 0,
            "preferred_locale": "en-US",
        }

    def message(
        self, channel_id: int, body: dict[str, Any], *, flags: int = 0, message_id: int = 0
    ) -> dict[str, Any]:
        return {
            "id": str(message_id or self.snowflake()),
            "channel_id": str(channel_id),
            "author": self.bot_user,
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
            "type": 19 if body.get("message_reference") else 0,
            "flags": int(body.get("flags") or flags),
        }

    def interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user_id: int = 900_000_000_000_000_500,
        in_guild: bool = True,
        guild_id: int | None = None,
        permissions: int = 1 << 11,
        interaction_id: int | None = None,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload: a slash command (2) or a component click (3)."""
        ident = interaction_id or self.snowflake()
        user = self.user(user_id, "alice")
        payload: dict[str, Any] = {
            "id": str(ident),
            "application_id": str(self.app_id),
            "type": kind,
            "data": data,
            "token": f"token-{ident}",
            "version": 1,
            "locale": "en-US",
            "app_permissions": str(self.bot_permissions.get(self.channel_id, POST_PERMISSIONS)),
            "attachment_size_limit": 10 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {},
        }
        if in_guild:
            payload |= {
                "guild_id": str(guild_id or self.guild_id),
                "guild_locale": "en-US",
                "channel_id": str(self.channel_id),
                "channel": self.channel(),
                "member": self.member(user, permissions=permissions),
                "context": 0,
            }
        else:
            dm = {"id": str(self.snowflake()), "type": 1, "recipients": [user]}
            payload |= {"user": user, "channel_id": dm["id"], "channel": dm, "context": 1}
            payload["app_permissions"] = "0"  # no server, no permissions
        if message is not None:
            payload["message"] = message
        return payload

    # -- REST ----------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        files: list[Upload] = []
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)
                data = await part.read()
                if part.name == "payload_json":
                    body = json.loads(data)
                else:
                    kind = part.headers.get("Content-Type", "")
                    files.append(Upload(part.name or "", part.filename or "", kind, bytes(data)))
        elif request.can_read_body:
            text = await request.text()
            body = json.loads(text) if text else None
        record = Request(
            request.method, path, dict(request.query), body, dict(request.headers), tuple(files)
        )
        await self._record(record)
        if self.delay:
            await asyncio.sleep(self.delay)
        wait = self._over_limit()
        if wait > 0:
            self.refused += 1
            fault = global_limited(wait)
            return _json(fault.body, status=fault.status, headers=fault.headers)
        for (method, prefix), queue in self.script.items():
            if queue and request.method == method and path.startswith(prefix):
                return await self._misbehave(request, record, queue.pop(0))
        if any(request.method == m and path.startswith(p) for m, p in self.drops):
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=499)  # never reaches the client
        for (method, prefix), (status, error) in self.faults.items():
            if request.method == method and path.startswith(prefix):
                return _json(error, status=status)
        return self._answer(record)

    async def _misbehave(self, request: web.Request, r: Request, fault: Fault) -> web.Response:
        if fault.created:
            self._answer(r)
        if fault.hold is not None:
            await fault.hold.wait()
        if fault.status == 0:
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=499)  # never reaches the client
        return _json(fault.body, status=fault.status, headers=fault.headers)

    def spend(self, requests: int) -> None:
        """Count `requests` as just made by the same bot elsewhere (another process sharing
        the token): the global limit has that much less room for the next second."""
        now = time.monotonic()
        self._window.extend([now] * requests)

    def _over_limit(self) -> float:
        """0 when this request fits the global limit (and is counted), else the seconds
        until it would."""
        if self.limit is None:
            return 0.0
        return take_slot(self._window, self.limit)

    def messages_in(self, channel_id: int) -> list[dict[str, Any]]:
        """The messages that exist in a channel, however many requests asked for them."""
        return [msg for msg in self.created if msg["channel_id"] == str(channel_id)]

    def attachments(self, body: dict[str, Any], files: tuple[Upload, ...]) -> list[dict[str, Any]]:
        """The attachments Discord lists on a message made with uploaded files: each file with
        the description (alt text) its `attachments` entry in payload_json gave it."""
        meta = {str(a.get("id")): a for a in body.get("attachments") or []}
        out = []
        for upload in files:
            index = upload.field.removeprefix("files[").removesuffix("]")
            url = f"https://cdn.example/attachments/{self.snowflake()}/{upload.filename}"
            out.append(
                {
                    "id": str(self.snowflake()),
                    "filename": upload.filename,
                    "size": len(upload.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": upload.content_type,
                    "description": meta.get(index, {}).get("description"),
                }
            )
        return out

    def forget_nonces(self) -> None:
        """Let Discord's few minutes of nonce memory pass: a repeated nonce creates anew."""
        self.nonces.clear()

    def _history(self, channel: str, query: dict[str, str]) -> web.Response:
        # Newest first, as Discord lists a channel's messages; no nonce (Discord keeps it
        # only in the answer to the create and in the gateway event).
        limit = int(query.get("limit", "50"))
        found = [dict(msg) for msg in reversed(self.messages_in(int(channel)))][:limit]
        for msg in found:
            msg.pop("nonce", None)
        return _json(found)

    def _create(
        self, channel: str, body: dict[str, Any], files: tuple[Upload, ...] = ()
    ) -> web.Response:
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            existing = self.nonces.get((channel, str(nonce)))
            if existing is not None:
                return _json(existing)
        message = self.message(int(channel), body)
        message["attachments"] = self.attachments(body, files)
        if nonce is not None:
            message["nonce"] = str(nonce)
            self.nonces[(channel, str(nonce))] = message
        self.created.append(message)
        return _json(message)

    def _answer(self, r: Request) -> web.StreamResponse:
        parts = r.path.strip("/").split("/")
        body = r.body if isinstance(r.body, dict) else {}
        if r.method == "GET" and r.path == "/users/@me":
            return _json(self.bot_user)
        if r.method == "GET" and r.path == "/oauth2/applications/@me":
            return _json(
                {
                    "id": str(self.app_id),
                    "name": "StudyBot",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": self.user(900_000_000_000_000_999, "owner"),
                    "verify_key": "00",
                    "flags": 0,
                }
            )
        if r.method == "GET" and r.path == "/gateway/bot":
            limits = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limits})
        if r.method == "PUT" and parts[-1] == "commands":
            commands = [
                dict(c, id=str(self.snowflake()), application_id=str(self.app_id), version="1")
                for c in (r.body or [])
            ]
            return _json(commands)
        if r.method == "POST" and parts[0] == "interactions":
            flags = int((body.get("data") or {}).get("flags") or 0)
            interaction = {
                "id": parts[1],
                "type": 2,
                "response_message_loading": body.get("type") == 5,
                "response_message_ephemeral": bool(flags & 64),
            }
            return _json({"interaction": interaction})
        if parts[0] == "webhooks" and r.method in ("POST", "PATCH"):
            made = self.message(self.channel_id, body)
            made["attachments"] = self.attachments(body, r.files)
            return _json(made)
        if parts[0] == "webhooks" and r.method == "DELETE":
            return web.Response(status=204)
        if r.method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            return self._create(parts[1], body, r.files)
        if r.method == "GET" and parts[0] == "channels" and parts[-1] == "messages":
            return self._history(parts[1], r.query)
        if r.method == "POST" and r.path == "/users/@me/channels":
            dm = str(self.snowflake())
            self.dm_channels[dm] = str(body["recipient_id"])
            recipient = self.user(int(body["recipient_id"]), "admin")
            return _json({"id": dm, "type": 1, "recipients": [recipient]})
        if r.method == "POST" and parts[0] == "channels" and parts[-1] == "threads":
            thread = {
                "id": parts[3],
                "type": 11,
                "guild_id": str(self.guild_id),
                "parent_id": parts[1],
                "name": body.get("name", ""),
                "owner_id": str(self.bot_id),
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": body.get("auto_archive_duration", 1440),
                    "archive_timestamp": TIMESTAMP,
                    "locked": False,
                },
            }
            return _json(thread, status=201)
        return _json({"message": f"unknown route {r.method} {r.path}", "code": 0}, status=404)
