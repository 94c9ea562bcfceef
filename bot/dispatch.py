"""Route each command to its use case and turn refusals into private notices."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot import commands as c
from bot import messages as m
from bot.catalog import NAMES
from bot.identity import Origin, PlaceRef, Platform
from bot.inbox import OneWrite
from bot.intake import Intake, Interaction, Ticket
from bot.parsing import Parsed, ParseError, parse
from bot.ports import LateReplier, StorageFull
from bot.replies import Notice, Reply, Tone
from bot.usecases import (
    answers,
    boards,
    channel_config,
    daily,
    decks,
    help,
    interview,
    privacy,
    quiz,
    reminders,
    reports,
    rescore,
    review,
    teams,
)
from bot.usecases.context import Context, UserError
from bot.wire import Request

log = logging.getLogger(__name__)

# "B", "b)", " C. ": an option letter typed alone.
BARE_LETTER = re.compile(r"\s*[A-Ha-h][).]?\s*")

Handler = Callable[[Context, Any, Origin], Awaitable[list[Reply]]]
Planner = Callable[[Context, Any, Origin], Awaitable[OneWrite[Any, Any] | None]]

# Command type -> handler; each handler lives in the use-case module its catalog entry names.
HANDLERS: dict[type, Handler] = {
    c.ShowHelp: help.show_help,
    c.ShowTopics: help.show_topics,
    c.StartQuiz: quiz.start_quiz,
    c.StopQuiz: quiz.stop_quiz,
    c.StopSession: quiz.stop_session,
    c.ShowDaily: daily.show_daily,
    c.SubmitAnswer: answers.submit_answer,
    c.ShowLeaderboard: boards.show_leaderboard,
    c.ShowStats: boards.show_stats,
    c.CreateTeam: teams.create_team,
    c.DeleteTeam: teams.delete_team,
    c.JoinTeam: teams.join_team,
    c.LeaveTeam: teams.leave_team,
    c.ListTeams: teams.list_teams,
    c.ShowConfig: channel_config.show_config,
    c.UpdateConfig: channel_config.update_config,
    c.SetReviewPolicy: channel_config.set_review_policy,
    c.ForgetMe: privacy.forget_me,
    c.ReportQuestion: reports.report_question,
    c.ListReports: reports.list_reports,
    c.VoidRound: rescore.void_round,
    c.RekeyRound: rescore.rekey_round,
    c.RetireQuestion: rescore.retire_question,
    c.ListAudit: rescore.list_audit,
    c.StartInterview: interview.start_interview,
    c.ShowInterviewHistory: interview.show_history,
    c.StopInterview: interview.stop_interview,
    c.ImportDeck: decks.import_deck,
    c.ListDecks: decks.list_decks,
    c.DeckAction: decks.deck_action,
    c.StartReview: review.start_review,
    c.StopReview: review.stop_review,
    c.SetReminder: reminders.set_reminder,
}

# Commands whose whole effect may be one write: the inbox writes it with the interaction's row
# in one transaction (bot.intake); when the planner declines, the handler runs as usual.
PLANNERS: dict[type, Planner] = {
    c.SubmitAnswer: answers.plan_answer,
}


class Dispatcher:
    """The one entry point of the core for every adapter."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.handlers = dict(HANDLERS)  # per dispatcher, so a test may swap one
        self.planners = dict(PLANNERS)
        self.intake = Intake(ctx, self.run, self.pin, self.plan)

    async def dispatch(self, command: c.Command, origin: Origin) -> list[Reply]:
        replies, _ = await self.attempt(command, origin)
        return replies

    async def attempt(self, command: c.Command, origin: Origin) -> tuple[list[Reply], bool]:
        """The replies, and whether the command failed on our side (so its inbox row is left
        open to a retry rather than recorded as handled)."""
        handler = self.handlers[type(command)]
        try:
            return await handler(self.ctx, command, origin), False
        except UserError as exc:
            return [Notice(str(exc), Tone.ERROR)], False
        except StorageFull:
            # Nothing was written and a retry succeeds once space is freed; the database has
            # logged the outage once, so a click does not add a traceback of its own.
            log.debug("command %r refused: the database is full", command)
            return [Notice(m.INTERNAL_ERROR, Tone.ERROR)], True
        except Exception:
            # Never a silent failure: the user hears about it, the log has the context.
            log.exception("command %r from %s in %s failed", command, origin.user, origin.place)
            return [Notice(m.INTERNAL_ERROR, Tone.ERROR)], True

    async def handle_text(self, line: str, origin: Origin) -> list[Reply]:
        replies, _ = await self.attempt_text(line, origin)
        return replies

    async def attempt_text(self, line: str, origin: Origin) -> tuple[list[Reply], bool]:
        command = await self._command_of(line, origin)
        if isinstance(command, ParseError):
            return [Notice(command.message, Tone.ERROR)], False
        return await self.attempt(command, origin)

    async def _command_of(self, line: str, origin: Origin) -> c.Command | ParseError:
        parsed: Parsed = parse(line)
        if not isinstance(parsed, ParseError):
            return parsed
        # While an interview question waits, a line that names no command is the answer;
        # while a quiz or review question with options waits, a bare letter is (a mistyped
        # command or a stray letter is never graded as a short answer).
        head = line.strip().lstrip("/").split(maxsplit=1)[:1]
        if head and head[0].lower() not in NAMES:
            found = await interview.waiting(self.ctx, origin)
            if found is None:
                return parsed
            kind, session = found
            if kind == "interview":
                return c.SubmitAnswer(text=line.strip())
            if kind == "choice" and BARE_LETTER.fullmatch(line):
                return c.SubmitAnswer(text=line.strip().rstrip(")."))
            # Not graded (it may be a mistyped command), but say how to answer what waits.
            return ParseError(m.not_an_answer(head[0], session, kind))
        return parsed

    async def pin(self, request: Request, origin: Origin) -> Request:
        """The request as the inbox should keep it. A typed line is parsed once, here, and
        kept as its command (processing runs that, not the line again); a line that does not
        parse stays text, refused with the parser's message when it runs. A typed quiz
        answer names no question, so it is pinned to the one waiting when it arrived: run
        again after a crash (the quiz has moved on by then), it gets its own feedback, never
        grades the next question with the same words."""
        if not isinstance(request, str):
            return request
        command = await self._command_of(request, origin)
        if isinstance(command, ParseError):
            return request
        if isinstance(command, c.SubmitAnswer):
            return await answers.pinned(self.ctx, command, origin)
        return command

    async def plan(self, request: Request, origin: Origin) -> OneWrite[Any, Any] | None:
        """The request as one write, if its command's planner finds it is one (reads only,
        nothing written); its replies as the handler would give them, refusals included."""
        planner = self.planners.get(type(request))
        if planner is None:
            return None
        found = await planner(self.ctx, request, origin)
        if found is None:
            return None
        render = found.render

        def replies(outcome: Any) -> list[Reply] | None:
            try:
                return render(outcome)
            except UserError as exc:
                return [Notice(str(exc), Tone.ERROR)]

        return OneWrite(found.item, replies)

    async def run(self, request: Request, origin: Origin) -> tuple[list[Reply], bool]:
        """A request as the inbox keeps it: a line of text, a command, or several."""
        if isinstance(request, str):
            return await self.attempt_text(request, origin)
        replies: list[Reply] = []
        failed = False
        for command in request if isinstance(request, tuple) else (request,):
            more, broke = await self.attempt(command, origin)
            replies += more
            failed = failed or broke
        return replies, failed

    # -- the inbox: every platform interaction goes through it ---------------------------------

    async def receive(self, interaction: Interaction) -> Ticket:
        """Write the interaction to the inbox (one short transaction) before it is
        acknowledged; a repeat is recognised here and never runs again."""
        return await self.intake.admit(interaction)

    async def process(self, ticket: Ticket, interaction: Interaction) -> list[Reply]:
        """Run an admitted interaction and record its outcome; for a repeat, what to show."""
        return await self.intake.process(ticket, interaction)

    async def settle(self, ticket: Ticket, replies: list[Reply]) -> None:
        """Record an admitted interaction as answered without running it (the adapter
        refused it after the ack, e.g. an upload it could not read)."""
        await self.intake.settle(ticket, replies)

    async def replay(self, repliers: Mapping[Platform, LateReplier]) -> int:
        """Process interactions left unfinished by a process that died, replying late."""
        return await self.intake.replay(repliers)

    async def cards_due(self, origin: Origin) -> int:
        """How many review cards the user has due today (the Slack App Home shows it)."""
        return await review.due_now(self.ctx, origin)

    async def channel_timezone(self, place: PlaceRef) -> str:
        """The channel's time zone (UTC for a channel never seen), for adapters that show
        times on the channel's wall clock."""
        return await channel_config.timezone_of(self.ctx, place)

    async def topic_titles(self, place: PlaceRef) -> list[tuple[str, str]]:
        """The topics of the place's workspace with their titles, for autocomplete."""
        return await help.topic_titles(self.ctx, place.workspace_key)

    async def resume_instant(self) -> dt.datetime | None:
        """The latest instant the database has seen, for a simulated clock to resume from."""
        return await channel_config.resume_instant(self.ctx)
