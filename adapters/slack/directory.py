"""Who a Slack user is (name, admin flag): users.info, cached, warmed in the background."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# Long enough that a burst of clicks costs one users.info call, short enough that a promoted
# or demoted admin, or a new display name, is noticed within minutes.
DEFAULT_TTL = 600.0
# Bounds the cache in a huge workspace; expired entries are dropped when it fills up.
MAX_ENTRIES = 10_000
# A user whose lookup failed (not a rate limit) is not asked again for this long, so a user
# Slack does not know (or a flaky network) costs one call per minute, not one per click.
FAILED_BACKOFF = 60.0
# When a 429 carries no usable Retry-After.
DEFAULT_RETRY_AFTER = 30.0

# Told (workspace key, user id, name, other names) when the warm-up learns a better name than
# the one a request carried, or the other names (handle, real name) it has not told yet, so
# the core stores them.
NameSink = Callable[[str, str, str, tuple[str, ...]], Awaitable[None]]


@dataclass(frozen=True)
class Person:
    """`name` is what Slack shows for the user: profile display name, else real name, else
    the handle (`name`, which interaction payloads carry as `user.name` / `user_name`).
    `guessed`: users.info did not answer and nothing was cached, so `name` is only the
    payload's handle (or the id), which the core stores for a new user only."""

    name: str
    is_admin: bool
    guessed: bool = False
    # The other names Slack knows the person by (real name, handle), for `stats NAME`.
    aliases: tuple[str, ...] = ()


def parse_admin_ids(text: str) -> frozenset[str]:
    """SLACK_ADMIN_USERS: comma-separated user ids (spaces allowed)."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def name_of(user: dict[str, Any], fallback: str) -> str:
    # Slack's own order: a display name when the person set one, else the full name; the
    # handle only when neither is there.
    profile = user.get("profile") or {}
    for name in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return fallback


def aliases_of(user: dict[str, Any], shown: str) -> tuple[str, ...]:
    """The names besides `shown` that people may type for the user: the real name and the
    handle (what an unescaped `@mention` sends), each once."""
    profile = user.get("profile") or {}
    found: list[str] = []
    for name in (profile.get("real_name"), user.get("real_name"), user.get("name")):
        if isinstance(name, str) and name.strip() and name.strip() not in (shown, *found):
            found.append(name.strip())
    return tuple(found)


def retry_after(exc: SlackApiError) -> float:
    """The seconds a 429 asks to wait (Retry-After), or a default when it names none."""
    headers = getattr(exc.response, "headers", None) or {}
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(float(value), 1.0) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


class UserDirectory:
    """Names and admin rights from users.info, looked up once per TTL per user.

    Workspace admins and owners, and the ids listed in SLACK_ADMIN_USERS, are admins. Admin
    commands and the App Home wait for `person` (which may wait out a rate limit). Every other
    request, answers above all, takes `display_name` from memory: a user not known yet (or
    known too long ago) is queued for `warm_up`, a background lookup through a client that
    never waits out a 429; it tells `on_name` when the name it learns is not the one the
    request carried, so the core's boards and reveals show it from then on."""

    def __init__(
        self,
        client: AsyncWebClient,
        extra_admins: Iterable[str] = (),
        ttl: float = DEFAULT_TTL,
        now: Callable[[], float] = time.monotonic,
        on_name: NameSink | None = None,
    ) -> None:
        self.client = client
        # The warm-up's own client: a rate limit ends the warm-up instead of sleeping in it.
        self.background = AsyncWebClient(
            token=client.token, base_url=client.base_url, timeout=client.timeout, retry_handlers=[]
        )
        self.extra_admins = frozenset(extra_admins)
        self.ttl = ttl
        self.now = now
        self.on_name = on_name
        self._cache: dict[str, tuple[float, Person]] = {}
        # user id -> {workspace key: the name the request carried}, waiting for the warm-up.
        self._wanted: dict[str, dict[str, str]] = {}
        self._not_before: dict[str, float] = {}  # per user, after a failed lookup
        # (workspace key, user id) -> the name and other names last told to `on_name`.
        self._told: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
        self._quiet_until = 0.0  # all lookups, after a 429
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def listed(self, user_id: str) -> bool:
        return user_id in self.extra_admins

    def known(self, user_id: str) -> Person | None:
        """The cached person, if fresh; never a Web API call."""
        hit = self._cache.get(user_id)
        if hit is not None and hit[0] > self.now():
            return hit[1]
        return None

    def display_name(self, user_id: str, workspace: str, handle: str | None) -> tuple[str, bool]:
        """The best name known now, without waiting: the cached one (even when expired, it is
        still a better name than the handle), else the payload's handle, else the id; and
        whether it is only that stand-in (guessed), which must not replace a stored name. A
        user not fresh in the cache is queued for the next `warm_up`."""
        hit = self._cache.get(user_id)
        name = hit[1].name if hit is not None else (handle or user_id)
        if hit is None or hit[0] <= self.now():
            self._wanted.setdefault(user_id, {})[workspace] = name
        return name, hit is None

    def recheck(self, user_id: str, workspace: str, sent: str) -> None:
        """Queue `user_id` again after a request that carried the stand-in `sent`: the next
        `warm_up` stores the name known (or looks it up) if it differs, even when the look-up
        that an earlier request queued has already run."""
        self._wanted.setdefault(user_id, {})[workspace] = sent

    def warm_up(self) -> None:
        """Look the queued users up in the background (one at a time: users.info is
        rate-limited per app). Called once a request is processed, so a name learned here is
        stored after whatever that request stored."""
        # Never after close: a request that finishes while the app shuts down would start a
        # look-up whose write meets a closing database and outlives the event loop.
        if self._closed:
            return
        if self._wanted and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._drain(), name="slack-user-warm-up")

    async def idle(self) -> None:
        """Wait until the warm-up has nothing left to do (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _drain(self) -> None:
        while self._wanted:
            user_id = next(iter(self._wanted))
            sent = self._wanted.pop(user_id)
            fresh = self.known(user_id)
            now = self.now()
            waiting = now < self._quiet_until or now < self._not_before.get(user_id, 0.0)
            if fresh is None and waiting:
                continue  # asked again by the user's next request once the wait is over
            # Fresh already when an admin command looked the user up while this waited.
            person = fresh or await self._look_up(user_id, sent)
            if person is None:
                continue
            for workspace, name in sent.items():
                told = self._told.get((workspace, user_id))
                news = person.name != name or told != (person.name, person.aliases)
                if news and self.on_name is not None:
                    try:
                        await self.on_name(workspace, user_id, person.name, person.aliases)
                        self._told[(workspace, user_id)] = (person.name, person.aliases)
                    except Exception:  # a name is worth a log line, never the warm-up
                        log.exception("could not store the Slack name of %s", user_id)

    async def _look_up(self, user_id: str, sent: dict[str, str]) -> Person | None:
        try:
            response = await self.background.users_info(user=user_id)
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                wait = retry_after(exc)
                self._quiet_until = self.now() + wait
                log.info("users.info is rate-limited; names wait %.0f s", wait)
                self._wanted.clear()  # each comes back with its user's next request
            else:
                self._not_before[user_id] = self.now() + FAILED_BACKOFF
                log.info("users.info for %s: %s", user_id, exc.response.get("error"))
            return None
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._not_before[user_id] = self.now() + FAILED_BACKOFF
            log.warning("users.info for %s failed (%s); keeping the name known", user_id, exc)
            return None
        self._not_before.pop(user_id, None)
        return self._remember(user_id, response.get("user") or {}, next(iter(sent.values())))

    def _remember(self, user_id: str, user: dict[str, Any], fallback: str) -> Person:
        now = self.now()
        name = name_of(user, fallback)
        person = Person(
            name,
            user_id in self.extra_admins
            or bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
            aliases=aliases_of(user, name),
        )
        if len(self._cache) >= MAX_ENTRIES:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            self._not_before = {k: v for k, v in self._not_before.items() if v > now}
            self._told.clear()  # at worst a name is told again
        self._cache[user_id] = (now + self.ttl, person)
        return person

    async def person(self, user_id: str, fallback_name: str | None = None) -> Person:
        """The person with their admin flag, from the cache or users.info (which may wait out
        a rate limit): only for admin commands and the App Home, never for an answer."""
        hit = self.known(user_id)
        if hit is not None:
            return hit
        stale = self._cache.get(user_id)
        fallback = stale[1].name if stale else (fallback_name or user_id)
        try:
            response = await self.client.users_info(user=user_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            # Not cached: the next command tries again.
            log.warning("users.info for %s failed (%s); using the name known", user_id, exc)
            return Person(fallback, user_id in self.extra_admins, guessed=stale is None)
        return self._remember(user_id, response.get("user") or {}, fallback)
