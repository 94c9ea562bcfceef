"""Route each command to its use case and turn refusals into private notices."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot import commands as c
from bot import messages as m
from bot.identity import Origin
from bot.parsing import Parsed, ParseError, parse
from bot.replies import Notice, Reply, Tone
from bot.service import Service, UserError

log = logging.getLogger(__name__)

Handler = Callable[[Any, Origin], Awaitable[list[Reply]]]


class Dispatcher:
    """The one entry point of the core for every adapter."""

    def __init__(self, service: Service) -> None:
        self.service = service
        s = service
        self.handlers: dict[type, Handler] = {
            c.ShowHelp: s.show_help,
            c.ShowTopics: s.show_topics,
            c.StartQuiz: s.start_quiz,
            c.StopQuiz: s.stop_quiz,
            c.ShowDaily: s.show_daily,
            c.SubmitAnswer: s.submit_answer,
            c.ShowLeaderboard: s.show_leaderboard,
            c.ShowStats: s.show_stats,
            c.CreateTeam: s.create_team,
            c.DeleteTeam: s.delete_team,
            c.JoinTeam: s.join_team,
            c.LeaveTeam: s.leave_team,
            c.ListTeams: s.list_teams,
            c.ShowConfig: s.show_config,
            c.UpdateConfig: s.update_config,
            c.ForgetMe: s.forget_me,
        }

    async def dispatch(self, command: c.Command, origin: Origin) -> list[Reply]:
        handler = self.handlers[type(command)]
        try:
            return await handler(command, origin)
        except UserError as exc:
            return [Notice(str(exc), Tone.ERROR)]
        except Exception:
            # Never a silent failure: the user hears about it, the log has the context.
            log.exception("command %r from %s in %s failed", command, origin.user, origin.place)
            return [Notice(m.INTERNAL_ERROR, Tone.ERROR)]

    async def handle_text(self, line: str, origin: Origin) -> list[Reply]:
        parsed: Parsed = parse(line)
        if isinstance(parsed, ParseError):
            return [Notice(parsed.message, Tone.ERROR)]
        return await self.dispatch(parsed, origin)
