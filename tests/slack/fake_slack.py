"""A local fake of the Slack Web API, response_url endpoints and the Socket Mode websocket."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from adapters.slack.manifest import COMMAND

BOT_USER = "UBOT"
TEAM = "T1"
MANIFEST = Path(__file__).resolve().parents[2] / "adapters" / "slack" / "manifest.yml"
# What a person may type that Slack turns into a control sequence when escaping is on.
_TYPED_REFERENCE = re.compile(r"(?<![\w@#])([@#])([\w.\-]+)|\bhttps?://[^\s<>]+")


def manifest_escapes() -> bool:
    """`should_escape` of /study in the app's manifest: what the fake does by default."""
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    [command] = [c for c in data["features"]["slash_commands"] if c["command"] == COMMAND]
    return bool(command["should_escape"])


DROP = 0  # Failure.status: no answer at all


@dataclass
class Call:
    """One request the fake received: a Web API method, or `response_url` for a respond()."""

    method: str
    args: dict[str, Any]
    auth: str = ""
    key: str = ""  # which response_url


@dataclass
class Failure:
    """An error answer; status DROP closes the connection unanswered (a network failure).

    `accepted` handles the call first (the message is posted, then the answer is lost or an
    error); `hold` keeps the answer back until the event is set (a hang past the timeout)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=lambda: {"ok": False, "error": "ratelimited"})
    accepted: bool = False
    hold: asyncio.Event | None = None


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


class FakeSlack:
    """Serves /api/<method>, /response/<key> and /ws on 127.0.0.1 and records every call.

    `users` answers users.info (the handle as `name`, display and real name in `profile`);
    `failures[method]` queues error responses (e.g. a 429) served
    before the normal answer; `rate_limited[method]` answers every call with 429 and that many
    seconds of Retry-After, as Slack does for a method over its tier's limit; `socket_frames`
    are sent after `hello` to each websocket client, whose messages land in `socket_received`.

    `joined` (None: every channel) lists the channels the bot is a member of, as on real Slack:
    chat.postEphemeral elsewhere is refused, chat.postMessage reaches a public channel anyway
    (chat:write.public) but not one in `private`; a user id as the channel is the bot's DM.
    conversations.info answers `is_member` from it, and `channel_not_found` for a private
    channel the bot is not in. Direct messages have ids starting with D: the bot's own with a
    user is `D<user id>` (what conversations.open answers); any other D id is a DM between
    other people, which the bot cannot see (conversations.info: `channel_not_found`).
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, list[Failure]] = {}
        self.rate_limited: dict[str, int] = {}
        self.socket_frames: list[dict[str, Any]] = []
        self.socket_received: list[dict[str, Any]] = []
        self.expired: set[str] = set()  # response_url keys that answer 404 expired_url
        self.unreachable: set[str] = set()  # response_url keys whose connection drops
        self.joined: set[str] | None = None
        self.private: set[str] = set()
        # /study's `should_escape`, as the manifest sets it; `command_text` follows it.
        self.should_escape = manifest_escapes()
        self.channel_names: dict[str, str] = {"C1": "general"}
        # Files shared with the bot, by id: (name, bytes); files.info points at /files/<id>.
        self.files: dict[str, tuple[str, bytes]] = {}
        self._changed = asyncio.Condition()
        self._ts = 0
        # Messages that exist, per channel, oldest first, with their metadata (if any).
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self._server: TestServer | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        # files_upload_v2: files.getUploadURLExternal reserves an id and an upload URL, the
        # bytes are POSTed there, files.completeUploadExternal shares them in a channel.
        self.uploads: dict[str, dict[str, Any]] = {}
        self.shared: list[dict[str, Any]] = []  # files shared, with channel and thread

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/ws", self._websocket)
        app.router.add_get("/files/{file_id}", self._file)
        app.on_shutdown.append(self._close_sockets)
        self._server = TestServer(app)  # 127.0.0.1, a free port
        await self._server.start_server()

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.close()

    async def _close_sockets(self, _: web.Application) -> None:
        for ws in list(self._sockets):
            await ws.close()

    def command_text(self, typed: str) -> str:
        """A slash command's `text` as Slack sends what a person typed: `&`, `<` and `>` as
        entities always; with `should_escape`, a person picked with `@handle` as
        `<@U123|handle>`, a channel picked with `#name` as `<#C123|name>` and a link as
        `<url>`; without it, all of that as typed."""
        text = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if not self.should_escape:
            return text
        handles = {str(u.get("name")): uid for uid, u in self.users.items()}
        channels = {name: cid for cid, name in self.channel_names.items()}

        def escape(match: re.Match[str]) -> str:
            sign, word = match[1], match[2]
            if sign == "@" and word in handles:
                return f"<@{handles[word]}|{word}>"
            if sign == "#" and word in channels:
                return f"<#{channels[word]}|{word}>"
            return match[0] if sign else f"<{match[0]}>"

        return _TYPED_REFERENCE.sub(escape, text)

    def url(self, path: str, scheme: str = "http") -> str:
        assert self._server is not None, "start() first"
        return str(self._server.make_url(path).with_scheme(scheme))

    @property
    def api_url(self) -> str:
        return self.url("/api/")

    def response_url(self, key: str) -> str:
        return self.url(f"/response/{key}")

    # -- queries -------------------------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Block until `predicate()` holds; the handlers notify on every recorded call."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_calls(self, method: str, count: int = 1) -> list[Call]:
        await self.wait_for(lambda: len(self.of(method)) >= count)
        return self.of(method)

    async def wait_calls_to(self, channel: str, count: int = 1) -> list[Call]:
        """The chat.postMessage calls to one channel (a user id: the bot's DM with them)."""

        def to_channel() -> list[Call]:
            return [c for c in self.of("chat.postMessage") if c.args.get("channel") == channel]

        await self.wait_for(lambda: len(to_channel()) >= count)
        return to_channel()

    async def wait_for_key(self, url_or_key: str, count: int = 1) -> list[Call]:
        """The posts to one response_url, once there are `count` of them."""
        key = url_or_key.rsplit("/", 1)[-1]
        await self.wait_for(lambda: len([c for c in self.calls if c.key == key]) >= count)
        return [c for c in self.calls if c.key == key]

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # -- handlers ------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        await self._record(Call(method, args, request.headers.get("Authorization", "")))
        if method in self.rate_limited:
            retry_after = {"Retry-After": str(self.rate_limited[method])}
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers=retry_after
            )
        queued = self.failures.get(method)
        if queued:
            failure = queued.pop(0)
            if failure.accepted:
                self._answer(method, args)
            if failure.hold is not None:
                await failure.hold.wait()
            if failure.status == DROP:
                return _drop(request)
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        return web.json_response(self._answer(method, args))

    def _refusal(self, method: str, channel: str) -> str | None:
        """Why the bot may not post in `channel`, if it may not."""
        if self.joined is None or channel in self.joined or channel.startswith("U"):
            return None
        if channel in self.private:
            return "channel_not_found"  # a private channel is invisible to a non-member
        return "not_in_channel" if method == "chat.postEphemeral" else None

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method.startswith("chat.post"):
            refusal = self._refusal(method, str(args.get("channel")))
            if refusal is not None:
                return {"ok": False, "error": refusal}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": TEAM}
        if method == "chat.postMessage":
            self._ts += 1
            ts = f"1700000000.{self._ts:06d}"
            message: dict[str, Any] = {"type": "message", "ts": ts, "text": args.get("text")}
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            if isinstance(args.get("metadata"), dict):
                message["metadata"] = args["metadata"]
            # A thread reply shows in the channel's history only when broadcast.
            if not args.get("thread_ts") or args.get("reply_broadcast"):
                self.messages.setdefault(str(args.get("channel")), []).append(message)
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}
        if method == "conversations.history":
            channel = str(args.get("channel"))
            if self._refusal("chat.postEphemeral", channel) is not None:
                return {"ok": False, "error": "not_in_channel"}
            found = list(reversed(self.messages.get(channel, [])))[: int(args.get("limit", 100))]
            if not _truthy(args.get("include_all_metadata")):
                found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
            return {"ok": True, "messages": found, "has_more": False}
        if method == "conversations.info":
            # As real Slack: a private channel is invisible to a non-member, a public one
            # says whether the bot is in it.
            channel = str(args.get("channel"))
            if channel.startswith("D"):
                if channel[1:] in self.users:  # the bot's own DM with that user
                    return {"ok": True, "channel": {"id": channel, "is_im": True}}
                return {"ok": False, "error": "channel_not_found"}
            member = self.joined is None or channel in self.joined
            if channel in self.private and not member:
                return {"ok": False, "error": "channel_not_found"}
            private = channel in self.private
            info = {"id": channel, "is_channel": not private, "is_group": private}
            return {"ok": True, "channel": info | {"is_private": private, "is_member": member}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": "1700000000.999999"}
        if method in ("views.open", "views.publish"):
            return {"ok": True, "view": {"id": "V-fake", "hash": "h-fake"}}
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            # As Slack's: every user has a profile, its names empty when never set.
            profile = {"display_name": "", "real_name": "", **(user.get("profile") or {})}
            return {"ok": True, "user": {**user, "profile": profile}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + 1:04d}"
            self.uploads[file_id] = {
                "filename": args.get("filename"),
                "length": int(args.get("length", 0)),
                "alt_txt": args.get("alt_txt"),
                "data": None,
            }
            return {"ok": True, "file_id": file_id, "upload_url": self.url(f"/upload/{file_id}")}
        if method == "files.completeUploadExternal":
            done = []
            for item in json.loads(str(args.get("files", "[]"))):
                upload = self.uploads.get(str(item.get("id")))
                if upload is None or upload["data"] is None:
                    return {"ok": False, "error": "file_not_found"}
                if upload["length"] != len(upload["data"]):
                    return {"ok": False, "error": "file_size_mismatch"}
                shared = upload | {
                    "id": item["id"],
                    "title": item.get("title"),
                    "channel": args.get("channel_id"),
                    "thread_ts": args.get("thread_ts"),
                }
                self.shared.append(shared)
                done.append({"id": item["id"], "title": item.get("title")})
            return {"ok": True, "files": done}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users"))}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url("/ws", scheme="ws")}
        if method == "files.info":
            file_id = str(args.get("file"))
            if file_id not in self.files:
                return {"ok": False, "error": "file_not_found"}
            name, data = self.files[file_id]
            url = self.url(f"/files/{file_id}")
            info = {"id": file_id, "name": name, "size": len(data), "url_private_download": url}
            return {"ok": True, "file": info}
        return {"ok": False, "error": "unknown_method"}

    async def _file(self, request: web.Request) -> web.Response:
        """A file's private URL: served only with the bot token, as Slack does."""
        file_id = request.match_info["file_id"]
        auth = request.headers.get("Authorization", "")
        await self._record(Call("file_download", {"file": file_id}, auth))
        if not auth.startswith("Bearer xoxb-") or file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id][1])

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL of files_upload_v2's second step: the file's bytes in the body."""
        file_id = request.match_info["file_id"]
        data = await request.read()
        await self._record(Call("upload", {"file_id": file_id, "size": len(data)}))
        if file_id not in self.uploads:
            return web.Response(status=404, text="unknown upload")
        self.uploads[file_id]["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _response_url(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        await self._record(Call("response_url", await request.json(), key=key))
        if key in self.unreachable:
            return _drop(request)
        if key in self.expired:
            return web.Response(status=404, text="expired_url")
        return web.Response(text="ok")

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await ws.send_json({"type": "hello", "num_connections": 1})
            for frame in self.socket_frames:
                await ws.send_json(frame)
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    async with self._changed:
                        self.socket_received.append(json.loads(message.data))
                        self._changed.notify_all()
        finally:
            self._sockets.discard(ws)
        return ws


def _drop(request: web.Request) -> web.Response:
    """Close the connection without answering: the client sees a network failure."""
    assert request.transport is not None
    request.transport.close()
    return web.Response()
