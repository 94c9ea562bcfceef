"""discord.py's rate-limit buckets swept for idle ones at most once a minute, not per channel."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

# discord.py forgets a bucket idle for 300 s; sweeping once a minute keeps at most a minute's
# new buckets (about 3,000 at the global limit) beyond those, a few hundred kilobytes.
SWEEP_EVERY = 60.0
_SWEEP = "_try_clear_expired_ratelimits"


def sweep_at_most_every(
    http: Any, every: float = SWEEP_EVERY, clock: Callable[[], float] = time.monotonic
) -> bool:
    """Make `http` (a discord.py HTTPClient) sweep its buckets at most once per `every` s.

    discord.py 2.7 keeps one bucket per route and channel and, once it holds 256, scans every
    bucket for idle ones each time it makes a new one: a fan-out to N channels makes N (posts)
    or 2N (reveals: a reply and a thread) new buckets, each scanning up to N. At 10,000
    channels that scan was most of a reveal's CPU (docs/scaling.md, session 12), enough to
    bunch the paced calls into 429s. Returns False, changing nothing, when this discord.py
    has no such sweep (tests/discord/test_buckets.py then fails, as a newer version should be
    looked at) or when `http` is already wrapped."""
    sweep = getattr(http, _SWEEP, None)
    if sweep is None or getattr(sweep, "at_most_every", None) is not None:
        return False
    last = -math.inf

    def throttled() -> None:
        nonlocal last
        now = clock()
        if now - last >= every:
            last = now
            sweep()

    throttled.at_most_every = every  # type: ignore[attr-defined]
    setattr(http, _SWEEP, throttled)
    return True
