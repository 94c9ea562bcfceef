"""Posts the scheduler's replies to Slack channels with chat.postMessage; returns the ts."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from bot.identity import PlaceRef
from bot.replies import Reply

log = logging.getLogger(__name__)


class SlackPublisher:
    """The core's Publisher for Slack. PlaceRef.channel is the channel id; the message ts is
    the reference, so the reveal can be threaded under its question."""

    def __init__(self, client: AsyncWebClient) -> None:
        # The client carries the rate-limit retry handler (adapters.slack.client): a 429 waits
        # for Retry-After and is tried again; anything else propagates to the service's retry.
        self.client = client

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None = None
    ) -> str | None:
        first: str | None = None
        for message in render.messages([reply]):
            # The reveal answers the question in its thread and is broadcast to the channel
            # once, so it is seen without opening the thread.
            response = await self.client.chat_postMessage(
                channel=place.channel,
                text=message.text,
                blocks=message.blocks,
                thread_ts=thread_ref or None,
                reply_broadcast=True if thread_ref and first is None else None,
                unfurl_links=False,
                unfurl_media=False,
            )
            ts = response.get("ts")
            if first is None and isinstance(ts, str):
                first = ts
        log.debug("posted %s to %s (ts %s)", type(reply).__name__, place.channel, first)
        return first
