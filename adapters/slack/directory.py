"""Whether a Slack user is an admin (users.info, cached per user), for admin commands only."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# Long enough that a burst of clicks costs one users.info call, short enough that a promoted
# or demoted admin is noticed within minutes.
DEFAULT_TTL = 600.0
# Bounds the cache in a huge workspace; expired entries are dropped when it fills up.
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Person:
    """`name` is the user's Slack name (users.info `name`), the same one interaction payloads
    carry as `user.name` / `user_name`, so a user is called the same wherever it came from."""

    name: str
    is_admin: bool


def parse_admin_ids(text: str) -> frozenset[str]:
    """SLACK_ADMIN_USERS: comma-separated user ids (spaces allowed)."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def name_of(user: dict[str, Any], fallback: str) -> str:
    # The payloads' name first, so the core stores one name per person whatever the source.
    profile = user.get("profile") or {}
    for name in (
        user.get("name"),
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
    ):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return fallback


class UserDirectory:
    """Admin rights (and names) from users.info, looked up once per TTL per user.

    Workspace admins and owners, and the ids listed in SLACK_ADMIN_USERS, are admins; a failed
    lookup falls back to the payload's user name. users.info is rate-limited (a 429 makes the
    client wait for Retry-After), so nothing on the answer path asks it: `known` answers from
    memory only, for every request that is not an admin command."""

    def __init__(
        self,
        client: AsyncWebClient,
        extra_admins: Iterable[str] = (),
        ttl: float = DEFAULT_TTL,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.extra_admins = frozenset(extra_admins)
        self.ttl = ttl
        self.now = now
        self._cache: dict[str, tuple[float, Person]] = {}

    def listed(self, user_id: str) -> bool:
        return user_id in self.extra_admins

    def known(self, user_id: str) -> Person | None:
        """The cached person, if fresh; never a Web API call."""
        hit = self._cache.get(user_id)
        if hit is not None and hit[0] > self.now():
            return hit[1]
        return None

    async def person(self, user_id: str, fallback_name: str | None = None) -> Person:
        """The person with their admin flag, from the cache or users.info (which may wait out
        a rate limit): only for admin commands and the App Home, never for an answer."""
        now = self.now()
        hit = self.known(user_id)
        if hit is not None:
            return hit
        fallback = fallback_name or user_id
        try:
            response = await self.client.users_info(user=user_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            # Not cached: the next command tries again.
            log.warning("users.info for %s failed (%s); using the payload's name", user_id, exc)
            return Person(fallback, user_id in self.extra_admins)
        user = response.get("user") or {}
        person = Person(
            name_of(user, fallback),
            user_id in self.extra_admins
            or bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        )
        if len(self._cache) >= MAX_ENTRIES:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        self._cache[user_id] = (now + self.ttl, person)
        return person
