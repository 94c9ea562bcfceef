"""Who a Slack user is: display name and admin flag from users.info, cached per user."""

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
    display_name: str
    is_admin: bool


def parse_admin_ids(text: str) -> frozenset[str]:
    """SLACK_ADMIN_USERS: comma-separated user ids (spaces allowed)."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def display_name_of(user: dict[str, Any], fallback: str) -> str:
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


class UserDirectory:
    """Looks people up once per TTL; workspace admins and owners, and the ids listed in
    SLACK_ADMIN_USERS, are admins. A failed lookup falls back to the payload's user name."""

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

    async def person(self, user_id: str, fallback_name: str | None = None) -> Person:
        now = self.now()
        hit = self._cache.get(user_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        fallback = fallback_name or user_id
        try:
            response = await self.client.users_info(user=user_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            # Not cached: the next command tries again.
            log.warning("users.info for %s failed (%s); using the payload's name", user_id, exc)
            return Person(fallback, user_id in self.extra_admins)
        user = response.get("user") or {}
        person = Person(
            display_name_of(user, fallback),
            user_id in self.extra_admins
            or bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        )
        if len(self._cache) >= MAX_ENTRIES:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        self._cache[user_id] = (now + self.ttl, person)
        return person
