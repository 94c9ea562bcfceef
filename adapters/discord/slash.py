"""Slash commands generated from the core catalog: typed options, choices, topic autocomplete."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from adapters.discord.render import clip
from adapters.discord.response import report_failure, run_command
from adapters.discord.syntax import slash
from adapters.discord.translate import origin_of, read_attachment, translate
from bot import messages as m
from bot.bootstrap import App
from bot.catalog import CATALOG, Arg, Entry, Sub
from bot.commandref import render_refs
from bot.usecases.registration import record_synced_digest, synced_digest

log = logging.getLogger(__name__)

# Discord caps command and option descriptions at 100 characters and a choice list at 25.
DESCRIPTION_MAX = 100
CHOICES_MAX = 25
# What Discord asks of a member before it even shows an admin command.
ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)
# Scores and teams live in a server, so no command is offered in DMs or group DMs.
GUILD_ONLY = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)

# discord.py reads the real signature at run time; statically it is any coroutine function.
Callback = Any
Autocomplete = Callable[[discord.Interaction[Any], str], Awaitable[list[app_commands.Choice[str]]]]


class StudyBotTree(app_commands.CommandTree[Any]):
    """The command tree; a failure anywhere in it reaches the user and the log."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        await report_failure(interaction, error, f"/{command}")


def _annotation(arg: Arg) -> Any:
    if arg.kind == "file":
        return discord.Attachment
    if arg.kind == "int":
        if arg.min_value is not None or arg.max_value is not None:
            return app_commands.Range[int, arg.min_value, arg.max_value]
        return int
    return str


def _parameter(arg: Arg) -> inspect.Parameter:
    # Keyword-only, so optional and required options may come in catalog order.
    return inspect.Parameter(
        arg.name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=_annotation(arg),
        default=inspect.Parameter.empty if arg.required else None,
    )


def topic_autocomplete(app: App, extra: tuple[tuple[str, str], ...]) -> Autocomplete:
    """Topics from the question bank (by slug or title) and the grammar's words (`all`, `stop`)."""

    async def complete(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        word = current.strip().lower()
        origin = origin_of(interaction)
        # The server's own topics: built-in ones it kept and its decks, never another's.
        topics = (
            await app.dispatcher.topic_titles(origin.place)
            if origin is not None
            else [(t, app.bank.decks[t].title) for t in app.bank.topics]
        )
        options = [*extra, *topics]
        found = [
            app_commands.Choice(name=clip(title, DESCRIPTION_MAX), value=value)
            for value, title in options
            if word in value or word in title.lower()
        ]
        return found[:CHOICES_MAX]

    return complete


def _callback(app: App, entry: Entry, sub: Sub | None, args: tuple[Arg, ...]) -> Callback:
    """A callback whose signature is the catalog's argument list, for discord.py to read."""

    async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
        files = [v for v in values.values() if isinstance(v, discord.Attachment)]
        plain = {k: v for k, v in values.items() if not isinstance(v, discord.Attachment)}
        parsed = translate(entry.name, sub.name if sub else None, args, plain)
        attached = files[0] if files else None
        prepare = functools.partial(read_attachment, attached) if attached is not None else None
        await run_command(app, interaction, parsed, public=entry.public, prepare=prepare)

    first = inspect.Parameter(
        "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
    )
    callback.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [first, *(_parameter(a) for a in args)]
    )
    # The attributes discord.py's decorators (describe, choices, autocomplete) would set.
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        a.name: clip(a.help, DESCRIPTION_MAX) for a in args
    }
    choices = {
        a.name: [app_commands.Choice(name=v, value=v) for v in a.choices[:CHOICES_MAX]]
        for a in args
        if a.kind == "choice" and a.choices
    }
    if choices:
        callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    extra: tuple[tuple[str, str], ...] = (("all", m.DISCORD_TOPIC_ALL),)
    if entry.name in ("quiz", "interview", "review"):
        extra += (("stop", m.DISCORD_TOPIC_STOP),)
    if entry.name == "interview":
        extra += (("history", m.DISCORD_TOPIC_HISTORY),)
    completers = {a.name: topic_autocomplete(app, extra) for a in args if a.kind == "topic"}
    if completers:
        callback.__discord_app_commands_param_autocomplete__ = completers  # type: ignore[attr-defined]
    # A readable name in logs; equal name and qualname also tell discord.py it is no method.
    callback.__name__ = callback.__qualname__ = f"slash_{entry.name}_{sub.name if sub else ''}"
    return callback


def build_command(
    app: App, entry: Entry
) -> app_commands.Command[Any, ..., None] | app_commands.Group:
    """One catalog entry as a top-level slash command, or a group of subcommands."""
    # Descriptions show text as it is, so a command named in one goes without `code` marks.
    description = clip(render_refs(entry.summary, slash, code=""), DESCRIPTION_MAX)
    permissions = ADMIN_PERMISSIONS if entry.admin else None
    if entry.subs:
        if entry.args:
            raise ValueError(f"{entry.name}: Discord commands cannot have options and subcommands")
        group = app_commands.Group(
            name=entry.name, description=description, default_permissions=permissions
        )
        for sub in entry.subs:
            group.add_command(
                app_commands.Command(
                    name=sub.name,
                    description=clip(sub.help, DESCRIPTION_MAX),
                    callback=_callback(app, entry, sub, sub.args),
                )
            )
        return group
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=entry.name, description=description, callback=_callback(app, entry, None, entry.args)
    )
    command.default_permissions = permissions
    return command


def build_tree(client: discord.Client, app: App) -> StudyBotTree:
    tree = StudyBotTree(client, allowed_contexts=GUILD_ONLY)
    for entry in CATALOG:
        tree.add_command(build_command(app, entry))
    return tree


def tree_payload(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None
) -> list[dict[str, Any]]:
    """The commands as `tree.sync(guild=guild)` sends them (discord.py's `to_dict`), in a
    fixed order: Discord keys commands by type and name, not by position."""
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    return sorted(payload, key=lambda c: (int(c.get("type") or 1), str(c["name"])))


def tree_digest(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> str:
    """A stable hash of the payload a sync would send: equal exactly when nothing changed."""
    text = json.dumps(
        tree_payload(tree, guild), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_key(application_id: int | None, dev_guild_id: int | None) -> str:
    """Where the digest of a sync is kept: per application (another bot token on the same
    database is another application) and per target (global or the development guild)."""
    target = f"guild:{dev_guild_id}" if dev_guild_id is not None else "global"
    return f"discord.commands:{application_id}:{target}"


async def sync_commands(
    tree: app_commands.CommandTree[Any],
    dev_guild_id: int | None,
    app: App,
    *,
    force: bool = False,
) -> bool:
    """Sync the commands when they differ from the last sync recorded in the database (or
    when forced); True when they were sent. A development guild gets them at once; a global
    sync can take a while to show. The digest is recorded only after Discord took them."""
    guild = discord.Object(id=dev_guild_id) if dev_guild_id is not None else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    where = f"development guild {dev_guild_id}" if dev_guild_id is not None else "globally"
    key = digest_key(tree.client.application_id, dev_guild_id)
    digest = tree_digest(tree, guild)
    if not force and await synced_digest(app.ctx, key) == digest:
        log.info("slash commands unchanged since the last sync (%s); not synced", where)
        return False
    synced = await tree.sync(guild=guild)
    await record_synced_digest(app.ctx, key, digest)
    log.info("synced %d slash commands %s", len(synced), where)
    return True
