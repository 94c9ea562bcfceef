"""Reports: a user flags a question as wrong; admins and deck maintainers read the queue."""

from __future__ import annotations

from bot import commands as c
from bot import messages as m
from bot.content import QuestionBank
from bot.identity import Origin
from bot.records import SeenQuestion
from bot.replies import Notice, Reply, TableView
from bot.usecases.context import Actor, Context, UserError, ok, require_admin
from bot.usecases.teams import similar

PROMPT_PREVIEW = 60
LIST_LIMIT = 20


async def report_question(ctx: Context, cmd: c.ReportQuestion, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    reason = cmd.reason.strip()
    seen: SeenQuestion | None
    # A first word that is a question id names the question; the rest is the reason.
    first, _, rest = reason.partition(" ")
    if cmd.question_id is not None or ctx.question(first.lower()) is not None:
        qid = cmd.question_id or first.lower()
        if ctx.question(qid) is None:
            raise UserError(m.REPORT_UNKNOWN_ID.format(qid=qid))
        reason = reason if cmd.question_id else rest.strip()
        seen = SeenQuestion(qid, "named", None, None)
    elif _id_shaped(first.lower(), actor.bank):
        # `report nlp-bpe-merge wrong` with a typo in the id: reporting the last question
        # answered instead would file it against the wrong one.
        raise UserError(m.report_unknown_id(first, similar(first, list(actor.bank.by_id), limit=3)))
    else:
        seen = await _last_seen(ctx, actor)
    if seen is None:
        raise UserError(m.REPORT_NOTHING)
    new = await ctx.stores.reports.add_report(
        actor.workspace, actor.user.id, seen, reason, ctx.clock.now()
    )
    question = ctx.question(seen.question_id)
    prompt = _clip(question.prompt if question else seen.question_id)
    text = m.REPORT_DONE if new else m.REPORT_UPDATED
    return [ok(text.format(qid=seen.question_id, prompt=prompt))]


def _id_shaped(word: str, bank: QuestionBank) -> bool:
    """Shaped like this bank's ids: one of their prefixes, a hyphen, more (`nlp-...`). Other
    first words (`multi-class is wrong`) stay part of the reason."""
    head, dash, tail = word.partition("-")
    return bool(dash and tail) and head in {qid.partition("-")[0] for qid in bank.by_id}


async def _last_seen(ctx: Context, actor: Actor) -> SeenQuestion | None:
    """The question last answered; with none, the one in front of the user right now."""
    answered = await ctx.stores.reports.last_answered(actor.user.id)
    if answered is not None:
        return answered
    quiz = await ctx.stores.quizzes.active_quiz(actor.user.id)
    if quiz is not None and quiz.current is not None:
        return SeenQuestion(quiz.current, "shown", None, None)
    rnd = await ctx.stores.rounds.open_round(actor.channel.id)
    if rnd is not None:
        return SeenQuestion(rnd.question_id, "shown", None, None)
    return None


async def list_reports(ctx: Context, cmd: c.ListReports, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "read question reports")
    found = await ctx.stores.reports.list_reports(actor.workspace, LIST_LIMIT)
    if not found:
        return [Notice(m.REPORT_LIST_EMPTY)]
    # The rounds that asked each question: the numbers `question void | rekey` take.
    ids = [r.question_id for r in found]
    asked = await ctx.stores.audit.rounds_asking(actor.workspace, ids)
    # What admins did about the question already (`question rekey | void | retire`).
    handled = await ctx.stores.audit.actions_on(actor.workspace, ids)
    rows = tuple(
        (
            r.question_id,
            m.REPORT_ROW.format(
                when=f"{r.created_at:%Y-%m-%d}",
                user=r.user_name,
                given=_clip(r.given) if r.given else "-",
                reason=_clip(r.reason) if r.reason else "-",
                rounds=_rounds(asked.get(r.question_id, []))
                + _handled(handled.get(r.question_id, [])),
            ),
        )
        for r in found
    )
    return [TableView(m.REPORT_LIST_TITLE.format(n=len(rows)), rows)]


def _rounds(ids: list[int], shown: int = 5) -> str:
    if not ids:
        return ""
    more = "…" if len(ids) > shown else ""
    return m.REPORT_ROUNDS.format(rounds=", ".join(map(str, ids[:shown])) + more)


def _handled(actions: list[tuple[str, int]]) -> str:
    if not actions:
        return ""
    return m.REPORT_HANDLED.format(actions=", ".join(f"{a} #{n}" for a, n in actions))


def _clip(text: str, limit: int = PROMPT_PREVIEW) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
