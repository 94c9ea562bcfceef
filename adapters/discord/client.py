"""The Discord client: sharded, the `guilds` intent only, slash commands, lasting buttons."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord

from adapters.discord.components import DYNAMIC_ITEMS, submit_modal
from adapters.discord.response import refuse, report_failure, run_answer, run_command
from adapters.discord.slash import build_tree, sync_commands
from bot.bootstrap import App
from bot.commands import Command, SubmitAnswer

log = logging.getLogger(__name__)


def studybot_intents() -> discord.Intents:
    """Only `guilds`: StudyBot acts on interactions, which Discord delivers without any intent,
    and never reads messages, typing, reactions, members or voice states. `guilds` keeps the
    guild and channel cache (channel permissions for reveal threads, admin checks from the
    cached member) and the GUILD_CREATE events the cache is filled from."""
    return discord.Intents(guilds=True)


class StudyBotClient(discord.AutoShardedClient):
    """One process's shards; interactions go through the core, nothing is kept here."""

    def __init__(
        self,
        app: App,
        *,
        dev_guild_id: int | None = None,
        shard_count: int | None = None,
        shard_ids: Sequence[int] | None = None,
        sync: bool = True,
        force_sync: bool = False,
        **options: Any,
    ) -> None:
        sharding: dict[str, Any] = {"shard_count": shard_count}
        if shard_ids:
            sharding["shard_ids"] = list(shard_ids)
        super().__init__(
            intents=studybot_intents(),
            **sharding,
            # The default for every send; each send also passes it explicitly.
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.app = app
        self.dev_guild_id = dev_guild_id
        self.sync_on_start = sync
        self.force_sync = force_sync
        self.tree = build_tree(self, app)

    async def setup_hook(self) -> None:
        # Buttons are matched by their custom_id template, so messages posted before a
        # restart keep working without any per-message state.
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        # Only when the generated tree changed since the last sync (a digest kept in the
        # database), or when forced (`studybot discord sync`): every start of every process
        # re-sending the same global commands only spends Discord's rate limit.
        if self.sync_on_start or self.force_sync:
            await sync_commands(self.tree, self.dev_guild_id, self.app, force=self.force_sync)

    async def answer(self, interaction: discord.Interaction[Any], command: SubmitAnswer) -> None:
        await run_answer(self.app, interaction, command)

    async def refuse(self, interaction: discord.Interaction[Any], text: str) -> None:
        await refuse(interaction, text)

    async def command(self, interaction: discord.Interaction[Any], command: Command) -> None:
        await run_command(self.app, interaction, command)

    async def fail(
        self, interaction: discord.Interaction[Any], error: Exception, where: str
    ) -> None:
        await report_failure(interaction, error, where)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        # Answer modals are matched by custom_id, like the buttons, not by a kept Modal
        # object: see components.AnswerModal.
        if interaction.type is discord.InteractionType.modal_submit:
            await submit_modal(interaction)

    async def on_ready(self) -> None:
        log.info(
            "Discord ready as %s (shards %s of %s, %d guilds)",
            self.user,
            self.shard_ids,
            self.shard_count,
            len(self.guilds),
        )
