"""Late replies on Discord: interactions replayed from the inbox after a restart."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import discord

from adapters.discord.render import render_all
from adapters.routes import load_route
from bot.replies import Reply

log = logging.getLogger(__name__)

LOGIN_WAIT_S = 30.0


class DiscordLateReplies:
    """Replies to an interaction whose process died before answering: as follow-ups through
    the interaction's webhook while its token is valid (15 minutes), else by DM. A public
    command whose replies are all private goes by DM too: its first follow-up would fill the
    public "thinking" slot, showing private words to the channel."""

    def __init__(self, client: discord.Client, login_wait: float = LOGIN_WAIT_S) -> None:
        self.client = client
        self.login_wait = login_wait

    async def deliver_late(
        self, route: str | None, user_ref: str, replies: Sequence[Reply]
    ) -> None:
        rendered = render_all(replies)
        if not rendered:
            return
        where = load_route(route, user_ref)
        await self._logged_in()
        public = bool(where.get("public"))
        if public:
            rendered = sorted(rendered, key=lambda r: r.ephemeral)  # public replies first
        token, app_id = where.get("token"), str(where.get("app", ""))
        if isinstance(token, str) and app_id.isdigit() and not (public and rendered[0].ephemeral):
            followup = discord.Webhook.from_state(
                data={"id": int(app_id), "type": 3, "token": token},
                state=self.client._connection,
            )
            for item in rendered:
                await followup.send(**item.send_kwargs(), ephemeral=item.ephemeral, wait=True)
            return
        dm = await self.client.create_dm(discord.Object(int(user_ref)))
        for item in rendered:
            await dm.send(**item.send_kwargs())

    async def _logged_in(self) -> None:
        # Replay starts with the process; the client logs in beside it.
        waited = 0.0
        while self.client.user is None and waited < self.login_wait:
            await asyncio.sleep(0.5)
            waited += 0.5
