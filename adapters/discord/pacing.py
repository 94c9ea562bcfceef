"""Pacing of Discord REST calls: one limiter, paused by a 429, discord.py's own retries included."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

# Discord's global limit is 50 requests per second per bot; pacing a little under it leaves
# room for transit jitter, so a burst over thousands of channels never meets a 429.
GLOBAL_RATE = 50.0
DEFAULT_RATE = 48.0
# The span the platform counts its limit over: no WINDOW ever holds more than `rate` calls.
WINDOW = 1.0
# Calls go at least this share of a slot apart. A full slot lost every delay for good: one
# caller woken late pushed every later call back too, and over 500 channels the fan-out
# took 1.18x the floor instead of 1.09x (PostgreSQL, quiet machine). Four fifths let a late
# start be made up (at 1.25x the rate for a moment) while the WINDOW count still holds, and
# never clump: a second ever holds at most `rate` calls, no instant more than one.
CATCH_UP = 0.8
# A Retry-After longer than this is not a pacing hiccup (a ban, a broken header): the pause is
# capped there, and discord.py's own handling (its wait, or its error) decides the rest.
MAX_PAUSE = 60.0
# The channel a REST path is about: Discord's per-route limits are per channel for messages.
_CHANNEL = re.compile(r"/channels/(\d+)")


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart, across every caller sharing it.

    Each caller reserves the next free slot before it sleeps, so concurrent callers queue
    in order and no second holds more than `rate` calls, however the calls are grouped.
    A caller holds its slot only until its call starts, never for the round trip: calls
    overlap freely, so the rate, not the network's latency, sets the pace of a fan-out.
    Calls actually let through are counted too: callers woken late (a busy event loop)
    never go out together with the ones on time and crowd a second past `rate`.

    A 429 pauses it (`pause`): a global one every caller, a per-route one the callers of
    that route (a channel), for the platform's Retry-After; queued callers then wait instead
    of each meeting the refusal, and after a global pause calls go a full slot apart for a
    WINDOW (the platform's count is still full of the calls from before the pause).
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._waiting = 0
        self._granted = float("-inf")
        # The instants of the last calls let through, at most `burst` within any WINDOW.
        self.burst = max(1, int(rate * WINDOW))
        self._sent: collections.deque[float] = collections.deque()
        self.spacing = self.interval * CATCH_UP
        self._paused_until = float("-inf")
        self._route_paused: dict[str, float] = {}
        self.refusals = 0  # 429s seen, for the operator's and the tests' eyes

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    def pause(self, seconds: float, route: str | None = None) -> None:
        """A 429 came back: no call (of `route` only, if given) starts for `seconds`."""
        self.refusals += 1
        until = self._now() + min(max(seconds, 0.0), MAX_PAUSE)
        if route is None:
            if until > self._paused_until:
                log.warning("Discord global rate limit hit; pausing posts for %.2f s", seconds)
            self._paused_until = max(self._paused_until, until)
            return
        now = self._now()
        # Forget routes whose pause is over: a fan-out touches thousands of channels.
        for key in [k for k, t in self._route_paused.items() if t <= now]:
            del self._route_paused[key]
        self._route_paused[route] = max(self._route_paused.get(route, until), until)

    async def acquire(self, route: str | None = None, *, retry: bool = False) -> None:
        """Wait for this call's turn. `retry`: a repeat that has already waited out its
        Retry-After (discord.py's own, after a 429): it takes the first slot the rules
        allow instead of queueing behind every slot reserved meanwhile."""
        if route is not None:
            while (until := self._route_paused.get(route, float("-inf"))) > self._now():
                await self._sleep(until - self._now())
        now = self._now()
        if retry:
            slot = max(now, self._paused_until)
        else:
            slot = max(now, self._next, self._paused_until)
            self._next = slot + self.interval
        if slot > now:
            self._waiting += 1
            try:
                await self._sleep(slot - now)
            except asyncio.CancelledError:
                # A tick cut at its deadline cancels every waiter at once: hand their slots
                # back, or the next tick's posts would queue behind slots nobody uses.
                self._waiting -= 1
                if self._waiting == 0:
                    self._next = max(self._granted + self.interval, self._now())
                raise
            self._waiting -= 1
        if not retry:
            self._granted = slot
        await self._admit(max(self._now(), slot))

    async def _admit(self, at: float) -> None:
        """Wait until this call is CATCH_UP/rate after the last one let through and `burst` calls
        went out in the WINDOW before it, then count it.

        Both rules hold for callers woken late, however many at once: after a stalled loop
        they go out one slot apart rather than together. A clump let through whole (48
        calls in 70 ms, then nothing) came back every second after, since each call waited
        for the one a WINDOW before it, and transit jitter of a few milliseconds then put
        a clump and the end of the one before inside one second at the platform."""
        sent = self._sent
        while True:
            # (A hair of slack: slots exactly 1/rate apart must not trip over rounding.)
            while sent and at - sent[0] >= WINDOW - 1e-9:
                sent.popleft()
            ready = max(at, self._paused_until)
            # Right after a global pause the platform's window still holds the calls from
            # before it, and they leave it at `rate`: catching up faster meets a 429 again.
            spacing = self.interval if at < self._paused_until + WINDOW else self.spacing
            if sent and at < sent[-1] + spacing - 1e-9:
                ready = max(ready, sent[-1] + spacing)
            if len(sent) >= self.burst:
                ready = max(ready, sent[0] + WINDOW)  # the oldest call leaves the window
            if ready <= at:
                break
            # Nothing is taken out before the wait: every caller waiting meanwhile checks
            # both rules again when it wakes, so none is let in beside another.
            await self._sleep(ready - self._now())
            at = max(self._now(), ready)
        sent.append(at)


@dataclass
class _Call:
    """A publisher's call in progress: its first request went out on a slot of its own."""

    limiter: RateLimiter
    route: str | None
    started: bool = False


_CALL: ContextVar[_Call | None] = ContextVar("studybot_paced_call", default=None)


@contextlib.contextmanager
def paced(limiter: RateLimiter, route: str | None) -> Iterator[None]:
    """Mark the REST requests made inside (in this task) as one paced call: the first goes
    on the slot the caller acquired; any repeat discord.py makes by itself (after a 429 or
    a 5xx) waits for a slot of its own, through `pacing_trace`."""
    token = _CALL.set(_Call(limiter, route))
    try:
        yield
    finally:
        _CALL.reset(token)


def route_of(path: str) -> str | None:
    """The limiter's route key of a REST path: its channel, if it names one."""
    found = _CHANNEL.search(path)
    return found.group(1) if found else None


def retry_after(headers: Mapping[str, str]) -> float:
    """Seconds a 429 asks to wait, from its headers (X-RateLimit-Reset-After has
    milliseconds, Retry-After may be whole seconds); 1 s when neither parses."""
    for name in ("X-RateLimit-Reset-After", "Retry-After"):
        try:
            return float(headers[name])
        except (KeyError, ValueError):
            continue
    return 1.0


def is_global(headers: Mapping[str, str]) -> bool:
    """Whether a 429 is the bot's global limit (every route), not one route's."""
    return (
        headers.get("X-RateLimit-Global", "").lower() == "true"
        or headers.get("X-RateLimit-Scope", "").lower() == "global"
    )


def pacing_trace(limiter: RateLimiter) -> aiohttp.TraceConfig:
    """The aiohttp hooks that keep discord.py's own retries inside the limiter.

    discord.py repeats a request itself after a 429 (once it has slept the Retry-After) and
    after a 5xx, without asking us: after a global 429, every refused request went out again
    at the same instant, and with them the calls granted during the pause (held by
    discord.py's global lock), so the platform refused them in turn. Here every 429, from
    any request of the client, pauses the limiter, and a repeat within a paced call waits for
    a slot like any call. Requests outside a paced call (interaction replies, which Discord
    does not count against the global limit; the login) are never held."""

    async def started(
        session: aiohttp.ClientSession, ctx: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        call = _CALL.get()
        if call is None or call.limiter is not limiter:
            return
        if not call.started:
            call.started = True
            return
        await limiter.acquire(call.route, retry=True)

    async def ended(
        session: aiohttp.ClientSession, ctx: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        headers = params.response.headers
        if params.response.status != 429:
            return
        route = None if is_global(headers) else route_of(params.url.path)
        if route is None and not is_global(headers):
            route = params.url.path  # a per-route limit of some other route: that path only
        limiter.pause(retry_after(headers), route)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    trace.on_request_end.append(ended)
    return trace
