"""The contract between the host and a platform package: serve, and publish for the scheduler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.identity import Platform
from bot.ports import LateReplier, Publisher

Adapter = Callable[[], Awaitable[None]]


@dataclass
class Runtime:
    """A platform connection: `serve` runs until cancelled and closes its connections on the
    way out; `publisher` posts the scheduler's replies to that platform's channels; `late`
    delivers the replies of interactions replayed from the inbox after a restart."""

    platform: Platform
    serve: Adapter
    publisher: Publisher
    late: LateReplier | None = None
