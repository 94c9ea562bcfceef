"""Teams: admins create and delete them; anyone joins one, leaves it or lists them."""

from __future__ import annotations

from bot import commands as c
from bot import messages as m
from bot.grammar import SUGGEST_CUTOFF
from bot.identity import Origin, name_key
from bot.replies import Notice, Reply, TableView
from bot.usecases.context import Actor, Context, UserError, ok, require_admin


async def create_team(ctx: Context, cmd: c.CreateTeam, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "create teams")
    team = await ctx.stores.teams.create_team(actor.workspace, cmd.name, ctx.clock.now())
    if team is None:
        # Names are compared normalised, so the one that exists may be spelt differently.
        existing = await ctx.stores.teams.find_team(actor.workspace, cmd.name)
        raise UserError(m.TEAM_TAKEN.format(name=existing.name if existing else cmd.name))
    return [ok(m.TEAM_CREATED.format(name=cmd.name))]


async def _team_named(ctx: Context, actor: Actor, name: str) -> tuple[int, str]:
    team = await ctx.stores.teams.find_team(actor.workspace, name)
    if team is None:
        names = [t.name for t in await ctx.stores.teams.list_teams(actor.workspace)]
        raise UserError(m.TEAM_UNKNOWN.format(name=name, hint=m.did_you_mean(similar(name, names))))
    return team.id, team.name


def similar(word: str, names: list[str], limit: int = 2) -> list[str]:
    """Names a mistyped one plausibly means, compared case-insensitively by edit similarity:
    `reed` and `Reed` both suggest Red, `Blue` suggests nothing."""
    from rapidfuzz import fuzz, process  # loads on the first unknown team, not at start

    keys = {name_key(n): n for n in names}
    found = process.extract(
        name_key(word), list(keys), scorer=fuzz.ratio, limit=limit, score_cutoff=SUGGEST_CUTOFF
    )
    return [keys[k] for k, _, _ in found]


async def delete_team(ctx: Context, cmd: c.DeleteTeam, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "delete teams")
    team_id, name = await _team_named(ctx, actor, cmd.name)
    await ctx.stores.teams.delete_team(team_id)
    return [ok(m.TEAM_DELETED.format(name=name))]


async def join_team(ctx: Context, cmd: c.JoinTeam, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    team_id, name = await _team_named(ctx, actor, cmd.name)
    current = await ctx.stores.teams.team_of(actor.user.id)
    if current is not None and current.id == team_id:
        raise UserError(m.TEAM_ALREADY.format(name=name))
    await ctx.stores.teams.join_team(actor.user.id, team_id, ctx.clock.now())
    if current is not None:
        return [ok(m.TEAM_SWITCHED.format(old=current.name, name=name))]
    return [ok(m.TEAM_JOINED.format(name=name))]


async def leave_team(ctx: Context, cmd: c.LeaveTeam, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    current = await ctx.stores.teams.team_of(actor.user.id)
    if current is None:
        raise UserError(m.TEAM_NONE)
    await ctx.stores.teams.leave_team(actor.user.id)
    return [ok(m.TEAM_LEFT.format(name=current.name))]


async def list_teams(ctx: Context, cmd: c.ListTeams, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    found = await ctx.stores.teams.list_teams(actor.workspace)
    if not found:
        return [Notice(m.TEAMS_EMPTY)]
    rows = tuple((t.name, ", ".join(t.members) if t.members else "(no members yet)") for t in found)
    return [TableView("Teams", rows)]
