"""Posts scheduled replies to Slack, marked with their work key so a retry can look first."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.charts import upload_chart
from bot.identity import PlaceRef
from bot.ports import REQUEST_TIMEOUT, PublishRefused
from bot.replies import Reply, image_of

log = logging.getLogger(__name__)

EVENT_TYPE = "studybot_work"
# How far back a retry looks for its message: scheduled posts are few, and a retry comes
# within minutes of the attempt it checks.
HISTORY_LIMIT = 100
# Slack errors no retry can cure, as the core names them; the fix is logged and DMed.
PERMANENT = {
    "not_in_channel": "not_in_channel",
    "channel_not_found": "channel_not_found",
    "is_archived": "archived",
}


def posting_client(client: AsyncWebClient, timeout: float = REQUEST_TIMEOUT) -> AsyncWebClient:
    """The same client without slack_sdk's connection-error retry: a post whose connection
    dropped may have arrived, and only the core's history check may decide to send it again.
    The 429 handler stays (a rate-limited post was refused, so repeating it is safe). Each
    request gets `timeout` seconds rather than slack_sdk's 30, so a hang ends in the minute."""
    handlers = [
        h for h in client.retry_handlers if not isinstance(h, AsyncConnectionErrorRetryHandler)
    ]
    return AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=timeout,  # type: ignore[arg-type]  # aiohttp takes a float total
        retry_handlers=handlers,
    )


class SlackPublisher:
    """The core's Publisher for Slack. PlaceRef.channel is the channel id; the message ts is
    the reference, so the reveal can be threaded under its question."""

    def __init__(self, client: AsyncWebClient, request_timeout: float = REQUEST_TIMEOUT) -> None:
        # The client carries the rate-limit retry handler (adapters.slack.client): a 429 waits
        # for Retry-After and is tried again; anything else propagates to the core.
        self.client = posting_client(client, request_timeout)

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        first: str | None = None
        for part, message in enumerate(render.messages([reply])):
            # The reveal answers the question in its thread and is broadcast to the channel
            # once, so it is seen without opening the thread.
            try:
                response = await self.client.chat_postMessage(
                    channel=place.channel,
                    text=message.text,
                    blocks=message.blocks,
                    thread_ts=thread_ref or None,
                    reply_broadcast=True if thread_ref and first is None else None,
                    unfurl_links=False,
                    unfurl_media=False,
                    metadata={
                        "event_type": EVENT_TYPE,
                        "event_payload": {"key": key, "part": part},
                    },
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error", "")) if exc.response is not None else ""
                if error in PERMANENT:
                    raise PublishRefused(PERMANENT[error], f"Slack: {error}") from exc
                raise
            ts = response.get("ts")
            if first is None and isinstance(ts, str):
                first = ts
        log.debug("posted %s to %s (ts %s)", type(reply).__name__, place.channel, first)
        image = image_of(reply)
        if image is not None and first is not None:
            # After the text, never before: the text carries the work key the core looks
            # for, and a failed upload (no files:write yet) leaves it complete on its own.
            await upload_chart(self.client, image, place.channel, thread_ref)
        return first

    async def find(self, place: PlaceRef, key: str) -> str | None:
        try:
            response = await self.client.conversations_history(
                channel=place.channel, limit=HISTORY_LIMIT, include_all_metadata=True
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if error == "not_in_channel":
                # A public channel the bot posts to without being a member (chat:write.public)
                # hides its history: an unverifiable post is never sent a second time blindly.
                raise PublishRefused("cannot_check", "Slack: not_in_channel on history") from exc
            if error in PERMANENT:
                raise PublishRefused(PERMANENT[error], f"Slack: {error}") from exc
            raise
        messages: list[dict[str, Any]] = response.get("messages") or []
        for message in messages:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            mine = meta.get("event_type") == EVENT_TYPE and payload.get("key") == key
            if mine and not payload.get("part"):
                return str(message["ts"])
        return None

    async def notify_admin(self, place: PlaceRef, user_ref: str, reply: Reply) -> None:
        # A user id as the channel is the bot's own DM with that person (chat:write).
        for message in render.messages([reply]):
            await self.client.chat_postMessage(
                channel=user_ref, text=message.text, blocks=message.blocks
            )
