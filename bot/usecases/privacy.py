"""Privacy: `forgetme` deletes a user's answers, stats and memberships in a workspace."""

from __future__ import annotations

from bot import commands as c
from bot import messages as m
from bot.identity import Origin
from bot.replies import Notice, Reply
from bot.usecases.context import Context, ok


async def forget_me(ctx: Context, cmd: c.ForgetMe, origin: Origin) -> list[Reply]:
    if not cmd.confirm:
        return [Notice(m.FORGET_ASK)]
    actor = await ctx.actor(origin)
    await ctx.stores.privacy.forget_user(actor.user.id)
    return [ok(m.FORGET_DONE)]
