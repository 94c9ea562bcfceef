"""Mock interviews: open questions answered in the user's own words, graded by key points."""

from __future__ import annotations

from bot import commands as c
from bot import messages as m
from bot.identity import Origin
from bot.interview import ANSWER_MAX, InterviewGrade
from bot.questions import QuestionType
from bot.records import CardReview, InterviewAnswerRecord, QuizRecord
from bot.replies import Notice, Reply, TableView
from bot.review import rating_for_interview
from bot.usecases.cards import session_card
from bot.usecases.context import Actor, Context, UserError, ok
from bot.usecases.session import after_answer, draw, open_session, running_session

PREVIEW = 80


async def start_interview(ctx: Context, cmd: c.StartInterview, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    shown = await running_session(ctx, actor, "interview", bare=cmd == c.StartInterview())
    if shown is not None:
        return shown
    topic = ctx.resolve_topic(cmd.topic, actor.bank) if cmd.topic else None
    pool = [
        q
        for q in actor.bank.select([topic] if topic else None, None)
        if q.type is QuestionType.OPEN and q.key_points
    ]
    if not pool:
        raise UserError(m.INTERVIEW_NONE.format(what=topic or "the bank"))
    seen = await ctx.stores.interviews.seen_interview_questions(actor.user.id)
    picked, notes = draw(ctx, [q.id for q in pool], seen, cmd.count)
    # Open questions have no options: their orders are empty.
    quiz = await open_session(ctx, actor, picked, ctx.clock.now(), kind="interview", keep=cmd.keep)
    keep = m.INTERVIEW_KEEP if cmd.keep else m.INTERVIEW_NOT_KEPT
    intro = Notice(f"{m.INTERVIEW_INTRO.format(n=len(picked))} {keep}")
    return [*notes, intro, session_card(ctx, quiz)]


async def answer_interview(ctx: Context, actor: Actor, quiz: QuizRecord, text: str) -> list[Reply]:
    """Grade the answer to the session's current question against its key points."""
    qid = quiz.current
    assert qid is not None
    question = ctx.question(qid)
    answer = text.strip()
    if question is None:  # the deck changed under a running session: skip the question
        skipped = InterviewAnswerRecord(qid, "unknown", 0, 0, "", "builtin", None, ctx.clock.now())
        await ctx.stores.interviews.record_interview_answer(quiz, skipped, ctx.clock.now())
        return await _after_answer(ctx, quiz, [])
    if not answer:
        raise UserError(m.INTERVIEW_EMPTY)
    if len(answer) > ANSWER_MAX:
        raise UserError(m.INTERVIEW_TOO_LONG.format(limit=ANSWER_MAX, n=len(answer)))
    assert ctx.grader is not None  # the bootstrap always provides one
    grade = await ctx.grader.grade(question, answer)
    now = ctx.clock.now()
    record = InterviewAnswerRecord(
        question.id,
        question.topic,
        grade.covered,
        grade.total,
        "".join("1" if p.covered else "0" for p in grade.points),
        grade.grader,
        answer,
        now,
    )
    card = CardReview(
        actor.user.id, question.id, question.topic, rating_for_interview(grade.rating), now
    )
    if not await ctx.stores.interviews.record_interview_answer(
        quiz, record, now, actor.workspace, card
    ):
        raise UserError(m.QUIZ_STALE)
    return await _after_answer(ctx, quiz, feedback(grade, question.model_answer))


def feedback(grade: InterviewGrade, model_answer: str) -> list[Reply]:
    """The key points made and missed, each with one line why, then the model answer."""
    rows = tuple((("✓ " if p.covered else "✗ ") + p.text, p.why) for p in grade.points)
    title = m.INTERVIEW_SCORE.format(covered=grade.covered, total=grade.total)
    return [
        TableView(title, rows, grade.note),
        Notice(m.INTERVIEW_MODEL_ANSWER.format(answer=model_answer)),
    ]


async def _after_answer(ctx: Context, quiz: QuizRecord, replies: list[Reply]) -> list[Reply]:
    return await after_answer(ctx, quiz, replies, _finish)


async def _finish(ctx: Context, quiz: QuizRecord) -> list[Reply]:
    return [await interview_summary(ctx, quiz)]


async def interview_summary(ctx: Context, quiz: QuizRecord, stopped: bool = False) -> Notice:
    done = [
        a
        for a in await ctx.stores.interviews.interview_history(quiz.user_id, len(quiz.question_ids))
        if a.question_id in quiz.question_ids
    ]
    covered, total = sum(a.covered for a in done), sum(a.total for a in done)
    text = m.INTERVIEW_STOPPED if stopped else m.INTERVIEW_DONE
    return ok(text.format(covered=covered, total=total, n=len(done)))


async def stop_interview(ctx: Context, cmd: c.StopInterview, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    quiz = await ctx.stores.quizzes.active_quiz(actor.user.id)
    if quiz is None or quiz.kind != "interview":
        raise UserError(m.INTERVIEW_NOT_RUNNING if quiz is None else m.INTERVIEW_IS_QUIZ)
    await ctx.stores.quizzes.stop_quiz(quiz.id, ctx.clock.now())
    return [await interview_summary(ctx, quiz, stopped=True)]


async def show_history(ctx: Context, cmd: c.ShowInterviewHistory, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    found = await ctx.stores.interviews.interview_history(actor.user.id)
    if not found:
        return [Notice(m.INTERVIEW_HISTORY_EMPTY)]
    rows = tuple(
        (
            f"{a.answered_at:%Y-%m-%d} {a.question_id}",
            f"{a.covered}/{a.total} key points ({a.grader})"
            + (f": {_clip(a.answer)}" if a.answer else ""),
        )
        for a in found
    )
    return [TableView(m.INTERVIEW_HISTORY_TITLE.format(n=len(rows)), rows)]


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1].rstrip() + "…"


async def waiting(ctx: Context, origin: Origin) -> tuple[str, str] | None:
    """What waits for the user's answer: "interview", "choice" (a quiz or review question
    with options), "true_false", "rating" (a flashcard's self-rating) or "other" (a question
    without options), with the session's kind (quiz, review, interview); None when nothing
    waits."""
    actor = await ctx.actor(origin)
    quiz = await ctx.stores.quizzes.active_quiz(actor.user.id)
    if quiz is None:
        return None
    if quiz.kind == "interview":
        return "interview", quiz.kind
    if quiz.awaiting_rating:
        return "rating", quiz.kind
    question = actor.bank.by_id.get(quiz.current) if quiz.current else None
    if question is not None and question.type is QuestionType.TRUE_FALSE:
        return "true_false", quiz.kind
    options = question is not None and question.type is QuestionType.MCQ
    return ("choice" if options else "other"), quiz.kind
