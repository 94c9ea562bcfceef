"""What quizzes, reviews and interviews share: drawing questions, opening one, moving on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Container, Sequence

from bot import messages as m
from bot.records import QuizRecord
from bot.replies import Notice, Reply
from bot.usecases.cards import current_question, reshow_running, running_text
from bot.usecases.context import Actor, Context, UserError

# The summary a finished session ends with (quiz, review or interview).
Finish = Callable[[Context, QuizRecord], Awaitable[list[Reply]]]


async def running_session(ctx: Context, actor: Actor, kind: str, bare: bool) -> list[Reply] | None:
    """The user's running session shown again, or None when none runs. A `bare` start
    (`quiz` alone) asks for the running one; anything else asked for a new `kind`, which is
    not started, and the reply says so."""
    running = await ctx.stores.quizzes.active_quiz(actor.user.id)
    if running is None:
        return None
    asked = not bare or running.kind != kind
    return reshow_running(ctx, running, kind if asked else None)


def draw(
    ctx: Context, pool: Sequence[str], seen: Container[str], count: int
) -> tuple[list[str], list[Reply]]:
    """Up to `count` question ids of `pool` the user has not seen, then, once every one of
    them has been seen, seen ones again (with a note saying so)."""
    fresh = [q for q in pool if q not in seen]
    picked = ctx.rng.sample(fresh, min(count, len(fresh)))
    again = [q for q in pool if q not in picked]
    reused = ctx.rng.sample(again, min(count - len(picked), len(again)))
    notes: list[Reply] = [Notice(m.QUIZ_POOL_RESET)] if reused else []
    return picked + reused, notes


async def open_session(
    ctx: Context,
    actor: Actor,
    picked: list[str],
    now: dt.datetime,
    kind: str = "quiz",
    keep: bool = False,
) -> QuizRecord:
    """Start a session over `picked`, each question's options in an order of its own that
    stays put for its buttons (seeded by user, start and question)."""
    orders = [
        tuple(
            ctx.rng.shuffle(
                list(range(len(actor.bank.by_id[q].choices))),
                f"{actor.user.id}:{now.isoformat()}:{q}",
            )
        )
        for q in picked
    ]
    quiz = await ctx.stores.quizzes.start_quiz(
        actor.user.id, actor.channel.id, picked, orders, now, kind=kind, keep=keep
    )
    if quiz is None:  # a concurrent start won the race
        raise UserError(m.QUIZ_ALREADY.format(position=1, total=len(picked)))
    return quiz


async def after_answer(
    ctx: Context, quiz: QuizRecord, replies: list[Reply], finish: Finish
) -> list[Reply]:
    """`replies` to an answer, then the session's next question, or `finish`'s summary when
    that answer was the last."""
    fresh = await ctx.stores.quizzes.get_quiz(quiz.id)
    assert fresh is not None
    if fresh.active:
        shown = current_question(ctx, fresh)
        # Its deck was deleted meanwhile: say so; the next answer skips the question.
        return [*replies, *(shown or [Notice(running_text(m.QUIZ_NEXT_GONE, fresh))])]
    return [*replies, *await finish(ctx, fresh)]
