"""Posts scheduled replies to Discord channels: reveals reply under the question, fan-out paced."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any, Final

import discord

from adapters.discord.buckets import sweep_at_most_every
from adapters.discord.pacing import (
    CATCH_UP,
    DEFAULT_RATE,
    GLOBAL_RATE,
    WINDOW,
    RateLimiter,
    paced,
    pacing_trace,
)
from adapters.discord.render import EMBED_TOTAL_MAX, FOOTER_MAX, Rendered, clip, render
from bot import messages as m
from bot.identity import PlaceRef
from bot.ports import REQUEST_TIMEOUT, PublishRefused
from bot.replies import Reply, RoundReveal

log = logging.getLogger(__name__)

# The limiter's names, long imported from here.
__all__ = ["CATCH_UP", "DEFAULT_RATE", "GLOBAL_RATE", "WINDOW", "DiscordPublisher", "RateLimiter"]

THREAD_NAME_MAX = 100
# A scheduler tick may come before the client has logged in; wait this long, then fail the
# attempt (the core retries) rather than hold the tick forever.
LOGIN_WAIT = 30.0
LOGIN_POLL = 0.25
# One day: the discussion stays open until the next question comes.
THREAD_ARCHIVE_MINUTES: Final = 1440


# Refusals no retry can cure, by (HTTP status, Discord error code), as the core names them.
PERMANENT: Final = {
    (403, 50001): "no_access",  # Missing Access: the bot cannot see the channel
    (403, 50013): "no_permission",  # Missing Permissions: e.g. Send Messages or Embed Links
    (404, 10003): "unknown_channel",  # the channel was deleted
}
# Discord accepts a nonce of at most 25 characters.
NONCE_LENGTH = 25
# The work reference in a scheduled post's footer: enough hex digits that two pieces of work
# in one channel's recent history never share one.
MARK_LENGTH = 12
# How far back a retry looks for its message: scheduled posts are few, and other people's
# messages in between are what pushes ours back.
HISTORY_LIMIT = 100


def upload_refused(exc: discord.HTTPException) -> bool:
    """A refusal that may be the attachment's alone: too large (413, or 400 with 40005),
    a bad form (400), or Missing Permissions (403: Attach Files). A 4xx creates no message,
    so sending the text alone after it cannot double the post."""
    return exc.status in (400, 403, 413)


def nonce(key: str) -> str:
    """The deterministic nonce of a piece of work: the same key always sends the same one."""
    return hashlib.blake2b(key.encode(), digest_size=10).hexdigest()[:NONCE_LENGTH]


def work_mark(key: str) -> str:
    """The footer reference of a piece of work: Discord keeps a nonce for a few minutes
    only and never shows it in the history, so the message itself must say which work it is."""
    return m.DISCORD_WORK_MARK_ALONE.format(mark=nonce(key)[:MARK_LENGTH])


def marked(embed: discord.Embed, key: str) -> discord.Embed:
    """`embed` with the work's reference at the end of its footer, clipping what comes
    before it (the footer, then the description) so the whole stays within Discord's limits."""
    mark = work_mark(key)
    footer = embed.footer.text or ""
    over = len(embed) + len(mark) + 3 - EMBED_TOTAL_MAX  # " · " and the mark are added
    if over > 0 and embed.description:
        embed.description = clip(embed.description, max(1, len(embed.description) - over))
    room = FOOTER_MAX - len(mark) - 3
    text = m.DISCORD_WORK_MARK.format(footer=clip(footer, room), mark=mark) if footer else mark
    return embed.set_footer(text=text)


def carries(message: discord.Message, key: str) -> bool:
    """Whether `message` is the published message of the work named `key`."""
    mark = work_mark(key)
    return any((e.footer.text or "").endswith(mark) for e in message.embeds)


class NotLoggedIn(RuntimeError):
    """The Discord client has no session yet; the core retries the publish later."""


class DiscordPublisher:
    """The scheduler's Publisher for Discord: a place's channel is the Discord channel id."""

    def __init__(
        self,
        client: discord.Client,
        rate: float = DEFAULT_RATE,
        login_wait: float = LOGIN_WAIT,
        limiter: RateLimiter | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.client = client
        # Bounds each send once its rate slot has come (discord.py's own 5xx retries and
        # rate-limit waits included); the core checks and retries with the same nonce.
        self.request_timeout = request_timeout
        # One limiter per process: share it between publishers of the same bot token.
        self.limiter = limiter or RateLimiter(rate)
        self.login_wait = login_wait
        # discord.py's own retries (after a 429 or a 5xx) and its 429s reach the limiter
        # through these hooks, which its HTTP session takes when it is created at login:
        # build the publisher before the client logs in (the runtime does).
        self.trace = pacing_trace(self.limiter)
        http = getattr(client, "http", None)
        if http is not None and getattr(http, "http_trace", False) is None:
            http.http_trace = self.trace
        if http is not None:
            # A new channel's bucket must not cost a scan of every bucket (buckets.py).
            sweep_at_most_every(http)

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        await self._logged_in()
        channel_id = int(place.channel)
        channel = self._channel(place, channel_id)
        rendered = render(reply)
        marked(rendered.embed, key)  # a fresh embed: marking it in place touches nothing else
        try:
            try:
                message = await self._send(channel, channel_id, rendered, thread_ref, nonce(key))
            except discord.HTTPException as exc:
                if rendered.image is None or not upload_refused(exc):
                    raise
                # The chart was refused (too large, no Attach Files permission): a 4xx made
                # no message, so the text goes out alone under the same nonce.
                log.warning(
                    "file refused in Discord channel %s (%s code %s); posting the text only",
                    channel_id,
                    exc.status,
                    exc.code,
                )
                rendered = rendered.text_only()
                message = await self._send(channel, channel_id, rendered, thread_ref, nonce(key))
        except discord.HTTPException as exc:
            problem = PERMANENT.get((exc.status, exc.code))
            if problem is not None:
                raise PublishRefused(problem, f"Discord {exc.status} code {exc.code}") from exc
            raise
        if thread_ref is not None and isinstance(reply, RoundReveal):
            # The reveal is out: nothing below may raise, or the core would post it again.
            await self._open_thread(channel, channel_id, int(thread_ref), reply)
        return str(message.id)

    async def find(self, place: PlaceRef, key: str) -> str | None:
        """The bot's own message of this work among the channel's recent messages. A repeated
        send's nonce covers a retry within Discord's few minutes of nonce memory; this covers
        one after a long outage, when the nonce is forgotten and would post a second copy."""
        await self._logged_in()
        channel_id = int(place.channel)
        channel = self._channel(place, channel_id)
        me = self.client.user.id if self.client.user is not None else None
        await self.limiter.acquire(str(channel_id))
        try:
            with paced(self.limiter, str(channel_id)):
                async with asyncio.timeout(self.request_timeout):
                    async for message in channel.history(limit=HISTORY_LIMIT):
                        if message.author.id == me and carries(message, key):
                            return str(message.id)
        except discord.HTTPException as exc:
            problem = PERMANENT.get((exc.status, exc.code))
            if exc.status == 403:
                # Missing Access on the history is Read Message History missing: an
                # unverifiable post is never sent a second time blindly.
                problem = "no_history"
            if problem is not None:
                raise PublishRefused(problem, f"Discord {exc.status} code {exc.code}") from exc
            raise
        return None

    async def notify_admin(self, place: PlaceRef, user_ref: str, reply: Reply) -> None:
        await self._logged_in()
        async with asyncio.timeout(self.request_timeout):
            dm = await self.client.create_dm(discord.Object(int(user_ref)))
        await self.limiter.acquire()
        with paced(self.limiter, None):
            async with asyncio.timeout(self.request_timeout):
                await dm.send(**render(reply).send_kwargs())

    async def _logged_in(self) -> None:
        waited = 0.0
        while self.client.user is None:
            if waited >= self.login_wait:
                raise NotLoggedIn("the Discord client is not logged in yet")
            await asyncio.sleep(LOGIN_POLL)
            waited += LOGIN_POLL

    def _channel(self, place: PlaceRef, channel_id: int) -> discord.abc.Messageable:
        cached = self.client.get_channel(channel_id)
        if isinstance(cached, discord.abc.Messageable):
            return cached
        # Not in the cache (no gateway yet, or another shard's guild): REST needs only the id.
        guild_id = int(place.workspace) if place.workspace.isdigit() else None
        return self.client.get_partial_messageable(channel_id, guild_id=guild_id)

    async def _send(
        self,
        channel: discord.abc.Messageable,
        channel_id: int,
        rendered: Rendered,
        thread_ref: str | None,
        once: str,
    ) -> discord.Message:
        kwargs: dict[str, Any] = rendered.send_kwargs()
        # discord.py sends the nonce with enforce_nonce: a repeat of this send (discord.py's
        # own retry after a 5xx, or the core's after a dropped connection) gets the message
        # Discord already created instead of a second one.
        kwargs["nonce"] = once
        if thread_ref is not None:
            # A deleted question must not stop the reveal: post it as a plain message then.
            kwargs["reference"] = discord.MessageReference(
                message_id=int(thread_ref),
                channel_id=channel_id,
                fail_if_not_exists=False,
            )
            kwargs["mention_author"] = False
        route = str(channel_id)
        await self.limiter.acquire(route)
        try:
            with paced(self.limiter, route):
                async with asyncio.timeout(self.request_timeout):
                    return await channel.send(**kwargs)
        except discord.Forbidden as exc:
            if "reference" not in kwargs:
                raise
            # Replying needs Read Message History; without it the reveal still goes out.
            log.warning(
                "cannot reply to message %s in channel %s (%s); posting the reveal unthreaded",
                thread_ref,
                channel_id,
                exc.text or exc.status,
            )
            del kwargs["reference"], kwargs["mention_author"]
            await self.limiter.acquire(route)
            with paced(self.limiter, route):
                async with asyncio.timeout(self.request_timeout):
                    return await channel.send(**kwargs)

    async def _open_thread(
        self,
        channel: discord.abc.Messageable,
        channel_id: int,
        question_id: int,
        reveal: RoundReveal,
    ) -> None:
        """Open a discussion thread on the question message, when the bot may."""
        if isinstance(channel, discord.TextChannel):
            me = channel.guild.me
            if me is not None and not channel.permissions_for(me).create_public_threads:
                log.info(
                    "no Create Public Threads permission in channel %s; "
                    "reveal posted without a thread",
                    channel_id,
                )
                return
        # A thread name is one line of at most 100 characters.
        prompt = " ".join(reveal.prompt.split())
        name = clip(m.DISCORD_THREAD_NAME.format(prompt=prompt), THREAD_NAME_MAX)
        await self.limiter.acquire(str(channel_id))
        try:
            with paced(self.limiter, str(channel_id)):
                if isinstance(channel, discord.TextChannel):
                    await channel.get_partial_message(question_id).create_thread(
                        name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
                    )
                else:
                    # Not cached here (another process's shard holds the guild): there is
                    # no permission to check locally, so ask Discord and let a refusal speak.
                    await self.client.http.start_thread_with_message(
                        channel_id,
                        question_id,
                        name=name,
                        auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                    )
        except discord.Forbidden as exc:
            log.info(
                "not allowed to open a thread in channel %s (%s); reveal posted without one",
                channel_id,
                exc.text or exc.status,
            )
        except discord.NotFound:
            log.warning(
                "question message %s in channel %s is gone; reveal posted without a thread",
                question_id,
                channel_id,
            )
        except discord.HTTPException as exc:
            # e.g. a thread already exists on that message; the reveal itself is out.
            log.warning(
                "could not open a thread on message %s in channel %s: %s",
                question_id,
                channel_id,
                exc,
            )
        except Exception:
            # A dropped connection or a timeout is no HTTPException; raising it would make
            # the core publish the reveal a second time.
            log.warning(
                "could not open a thread on message %s in channel %s; reveal posted without one",
                question_id,
                channel_id,
                exc_info=True,
            )
