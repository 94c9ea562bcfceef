"""Answers: route `answer` and answer clicks to the running quiz or the channel's round."""

from __future__ import annotations

import dataclasses

from bot import commands as c
from bot import messages as m
from bot.faults import fault_point
from bot.identity import Origin
from bot.inbox import OneWrite
from bot.records import DailyAnswer, DailyAnswerOutcome, RoundRecord
from bot.replies import Reply
from bot.usecases.context import Actor, Context, UserError
from bot.usecases.daily import (
    answer_daily,
    answer_daily_batched,
    plan_daily_answer,
    stored_before_close,
)
from bot.usecases.interview import answer_interview
from bot.usecases.quiz import answer_quiz, repeated_answer


async def pinned(ctx: Context, cmd: c.SubmitAnswer, origin: Origin) -> c.SubmitAnswer:
    """A typed answer tied to the quiz question waiting for it now (`cmd` itself when it
    names its question already or no quiz is running: a daily answer names its round when
    it is run)."""
    if cmd.round_id is not None or cmd.quiz_id is not None:
        return cmd
    actor = await ctx.actor(origin)
    quiz = await ctx.stores.quizzes.active_quiz(actor.user.id)
    if quiz is None or quiz.current is None:
        return cmd
    return dataclasses.replace(cmd, quiz_id=quiz.id, question_id=quiz.current)


async def plan_answer(
    ctx: Context, cmd: c.SubmitAnswer, origin: Origin
) -> OneWrite[DailyAnswer, DailyAnswerOutcome] | None:
    """A click on a daily card (it names its round) as one write, taken by the inbox with
    its row; None for every other answer, which runs through `submit_answer`."""
    if cmd.round_id is None or not cmd.ids_in_range:
        return None
    return await plan_daily_answer(ctx, cmd, cmd.round_id, origin)


async def submit_answer(ctx: Context, cmd: c.SubmitAnswer, origin: Origin) -> list[Reply]:
    if not cmd.ids_in_range:  # a forged or corrupted button: it cannot name a question
        raise UserError(m.BUTTON_STALE)
    if cmd.round_id is not None:
        fast = await answer_daily_batched(ctx, cmd, cmd.round_id, origin)
        if fast is not None:
            fault_point("answer.written")
            return fast
    # No claim of its own: the inbox admitted this delivery once, before the ack, and a
    # failure from here on leaves its row retryable.
    fault_point("answer.claimed")
    actor = await ctx.actor(origin)
    if cmd.round_id is not None:
        rnd = await ctx.stores.rounds.get_round(cmd.round_id)
        if rnd is None or rnd.workspace != actor.workspace:
            raise UserError(m.NO_DAILY)
        return await _answer_round(ctx, actor, rnd, cmd.text, cmd.choice)
    quiz = await ctx.stores.quizzes.active_quiz(actor.user.id)
    if cmd.quiz_id is not None and (
        quiz is None
        or quiz.id != cmd.quiz_id
        or (cmd.question_id is not None and quiz.current != cmd.question_id)
    ):
        # Stale, or this very answer processed before (a replay, a retried delivery): the
        # latter gets the feedback it would have got, not a refusal.
        repeated = await repeated_answer(ctx, actor, cmd)
        if repeated is None:
            raise UserError(m.QUIZ_STALE)
        return repeated
    if quiz is not None and quiz.kind == "interview":
        return await answer_interview(ctx, actor, quiz, cmd.text)
    if quiz is not None:
        replies = await answer_quiz(ctx, actor, quiz, cmd.text, cmd.choice)
        fault_point("answer.written")
        return replies
    rnd = await ctx.stores.rounds.open_round(actor.channel.id)
    if rnd is None:
        # A typed answer names no round: one stored in today's round before it closed and
        # run again after (a replay) is confirmed, not refused.
        today = await ctx.stores.rounds.round_on(actor.channel.id, ctx.today(actor))
        late = await stored_before_close(ctx, actor, today, cmd.text, None) if today else None
        if late is None:
            raise UserError(m.NOTHING_TO_ANSWER)
        return late
    return await _answer_round(ctx, actor, rnd, cmd.text, cmd.choice)


async def _answer_round(
    ctx: Context, actor: Actor, rnd: RoundRecord, text: str, choice: int | None
) -> list[Reply]:
    # Someone who answered, then used `forgetme`, has no answer row any more; the round
    # remembers them anonymously, and stays locked for them (the store checks it again).
    if await ctx.stores.answers.forgotten(rnd.id, actor.workspace, actor.origin.user.user_id):
        raise UserError(m.DAILY_FORGOTTEN)
    replies = await answer_daily(ctx, actor, rnd, text, choice)
    fault_point("answer.written")
    return replies
