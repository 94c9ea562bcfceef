"""Admins fix a question after the fact: void, rekey, retire; and the audit trail."""

from __future__ import annotations

import re

from bot import commands as c
from bot import messages as m
from bot.identity import Origin
from bot.questions import (
    LETTERS,
    Question,
    QuestionType,
    Verdict,
    check_answer,
    check_true_false,
    mcq_index,
    parse_number,
)
from bot.records import RescoreOutcome, RescoreRequest, RoundRecord
from bot.replies import Notice, Reply, TableView
from bot.usecases.cards import answer_label
from bot.usecases.context import Actor, Context, UserError, ok, require_admin
from bot.usecases.daily import round_question

AUDIT_PAGE = 10


_SLOT = re.compile(r"\{(before|after)\}")


def note_template(message: str, **fields: object) -> tuple[str, ...]:
    """A private note's text with every field but the player's points filled in: literal
    text and the slot names `before` / `after` in turn (RescoreRequest.note). Each literal
    piece is formatted on its own, so a field's value (an admin's key may hold braces) is
    never read as a slot."""
    parts = _SLOT.split(message)
    return tuple(p if k % 2 else p.format(**fields) for k, p in enumerate(parts))


def render_note(note: tuple[str, ...], before: int, after: int) -> str:
    """The text a note template gives for one player (what the storage writes)."""
    points = {"before": str(before), "after": str(after)}
    return "".join(points[p] if k % 2 else p for k, p in enumerate(note))


async def _closed_round(ctx: Context, actor: Actor, round_id: int) -> RoundRecord:
    rnd = await ctx.stores.rounds.get_round(round_id)
    if rnd is None or rnd.workspace != actor.workspace:
        raise UserError(m.QUESTION_UNKNOWN_ROUND.format(round=round_id))
    if rnd.closed_at is None:
        raise UserError(m.QUESTION_ROUND_OPEN.format(round=round_id))
    return rnd


def _refused(outcome: RescoreOutcome, round_id: int, voided: str) -> None:
    if outcome.status == "unknown":
        raise UserError(m.QUESTION_UNKNOWN_ROUND.format(round=round_id))
    if outcome.status == "open":
        raise UserError(m.QUESTION_ROUND_OPEN.format(round=round_id))
    if outcome.status == "busy":
        raise UserError(m.QUESTION_ROUND_BUSY)
    if outcome.status == "voided":
        raise UserError(voided.format(round=round_id))


async def void_round(ctx: Context, cmd: c.VoidRound, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "void a round")
    rnd = await _closed_round(ctx, actor, cmd.round_id)

    note = note_template(m.NOTE_VOID, round=rnd.id, qid=rnd.question_id, day=rnd.local_date)

    outcome = await ctx.stores.audit.rescore(
        RescoreRequest(
            rnd.id,
            actor.workspace,
            "void",
            actor.origin.user.user_id,
            actor.user.display_name,
            "voided",
            ctx.clock.now(),
            note,
        )
    )
    _refused(outcome, rnd.id, m.QUESTION_ALREADY_VOID)
    return [
        ok(
            m.QUESTION_VOID_DONE.format(
                round=rnd.id,
                users=outcome.users,
                before=outcome.points_before,
                after=outcome.points_after,
                audit=outcome.audit_id,
            )
        )
    ]


def corrected_key(
    question: Question, answer: str, order: tuple[int, ...], round_id: int
) -> Question:
    """The round's question with `answer` as its key, read the way answers to it are read
    (MCQ letters as shown in the round); a clear refusal when it does not fit the type."""
    bad = m.QUESTION_BAD_KEY.get(question.type.value, m.QUESTION_BAD_KEY["short"])
    if question.type is QuestionType.MCQ:
        index = mcq_index(question, answer, order)
        if index is None:
            raise UserError(bad.format(round=round_id, last=LETTERS[len(question.choices) - 1]))
        return question.model_copy(update={"answer": index})
    if question.type is QuestionType.TRUE_FALSE:
        check = check_true_false(question, answer)
        if check.verdict is Verdict.INVALID:
            raise UserError(bad.format(round=round_id))
        return question.model_copy(update={"answer": check.normalized == "true"})
    if question.type is QuestionType.NUMERIC:
        value = parse_number(answer)
        if value is None:
            raise UserError(bad.format(round=round_id))
        return question.model_copy(update={"answer": value})
    # Short answers: the first is the key, any further `|` alternatives are accepted too; the
    # old alternatives go with the old key.
    keys = [k.strip() for k in answer.split("|") if k.strip()]
    if not keys:
        raise UserError(bad.format(round=round_id))
    return question.model_copy(update={"answer": keys[0], "accept": tuple(keys[1:])})


async def rekey_round(ctx: Context, cmd: c.RekeyRound, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "rekey a round")
    rnd = await _closed_round(ctx, actor, cmd.round_id)
    question = round_question(ctx, rnd)
    if question is None:
        raise UserError(m.QUESTION_GONE.format(round=rnd.id))
    if not question.auto_gradable:
        raise UserError(m.QUESTION_NOT_GRADABLE.format(round=rnd.id))
    corrected = corrected_key(question, cmd.answer, rnd.order, rnd.id)
    label = answer_label(corrected, rnd.order)
    if corrected == question:
        raise UserError(m.QUESTION_SAME_KEY.format(answer=label, round=rnd.id))
    # The same grading as when the answers were given: the round's option order and the
    # bank's vocabulary; an answer that no longer reads as one of the type counts as wrong.
    # A grade depends only on the text given (the key, order and vocabulary are fixed here),
    # and ten thousand answers to one question repeat a handful of texts: each is graded once.
    graded: dict[str, bool] = {}
    verdict: dict[int, bool] = {}
    flipped = 0
    for user_id, given, was in await ctx.stores.audit.regrade_inputs(rnd.id):
        right = graded.get(given)
        if right is None:
            check = check_answer(corrected, given, rnd.order, vocabulary=ctx.bank.vocabulary)
            right = graded[given] = check.correct
        verdict[user_id] = right
        flipped += right != was

    note = note_template(
        m.NOTE_REKEY, round=rnd.id, qid=rnd.question_id, day=rnd.local_date, answer=label
    )

    old = answer_label(question, rnd.order)
    outcome = await ctx.stores.audit.rescore(
        RescoreRequest(
            rnd.id,
            actor.workspace,
            "rekey",
            actor.origin.user.user_id,
            actor.user.display_name,
            f"key {old} → {label}; {flipped} answers graded differently"[:500],
            ctx.clock.now(),
            note,
            verdict,
            corrected.model_dump_json(),
        )
    )
    _refused(outcome, rnd.id, m.QUESTION_VOIDED_REKEY)
    return [
        ok(
            m.QUESTION_REKEY_DONE.format(
                round=rnd.id,
                answer=label,
                flipped=flipped,
                users=outcome.users,
                before=outcome.points_before,
                after=outcome.points_after,
                audit=outcome.audit_id,
            )
        )
    ]


async def retire_question(ctx: Context, cmd: c.RetireQuestion, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "retire a question")
    if cmd.question_id not in actor.bank.by_id:
        raise UserError(m.QUESTION_UNKNOWN_ID.format(qid=cmd.question_id))
    new = await ctx.stores.audit.retire(
        actor.workspace,
        cmd.question_id,
        actor.origin.user.user_id,
        actor.user.display_name,
        ctx.clock.now(),
    )
    if not new:
        return [Notice(m.QUESTION_RETIRED_ALREADY.format(qid=cmd.question_id))]
    return [ok(m.QUESTION_RETIRED.format(qid=cmd.question_id))]


async def list_audit(ctx: Context, cmd: c.ListAudit, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "read the audit trail")
    found = await ctx.stores.audit.list_audit(
        actor.workspace, (cmd.page - 1) * AUDIT_PAGE, AUDIT_PAGE
    )
    if not found:
        if cmd.page > 1:
            raise UserError(m.AUDIT_PAGE_EMPTY.format(page=cmd.page))
        return [Notice(m.AUDIT_EMPTY)]
    rows = tuple(
        (
            f"#{a.id}",
            m.AUDIT_RETIRE_ROW.format(
                when=f"{a.created_at:%Y-%m-%d %H:%M}", who=a.actor_name, qid=a.question_id
            )
            if a.action == "retire"
            else m.AUDIT_ROW.format(
                when=f"{a.created_at:%Y-%m-%d %H:%M}",
                who=a.actor_name,
                action=a.action,
                target=f"round {a.round_id} ({a.question_id})",
                detail=a.detail,
                users=a.users,
                before=a.points_before,
                after=a.points_after,
            ),
        )
        for a in found
    )
    return [TableView(m.AUDIT_TITLE.format(page=cmd.page), rows)]
