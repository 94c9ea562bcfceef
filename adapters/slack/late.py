"""Late replies on Slack: interactions replayed from the inbox after a restart."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_bolt.async_app import AsyncRespond

from adapters.routes import load_route
from adapters.slack import render
from adapters.slack.app import SlackAdapter
from bot.replies import Reply

log = logging.getLogger(__name__)


class SlackLateReplies:
    """Replies to an interaction whose process died before answering. Through its
    response_url while Slack honours it (30 minutes), falling back like any reply (the
    channel, then a DM); once it has expired, by DM. An App Home visit republishes the tab."""

    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    async def deliver_late(
        self, route: str | None, user_ref: str, replies: Sequence[Reply]
    ) -> None:
        where = load_route(route, user_ref)
        home = where.get("home")
        if isinstance(home, str):
            view = render.home_view(replies)
            await self.adapter.client.views_publish(user_id=home, view=view)
            return
        url = where.get("url")
        if not route or not isinstance(url, str) or not url:
            for message in render.messages(replies):
                await self.adapter.client.chat_postMessage(
                    channel=user_ref, text=message.text, blocks=message.blocks
                )
            return
        channel = where.get("channel")
        await self.adapter.deliver(
            replies,
            respond=AsyncRespond(response_url=url),
            channel=channel if isinstance(channel, str) and channel else None,
            user=user_ref,
            interactive=bool(where.get("i")),
        )
