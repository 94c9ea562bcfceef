"""Solo quizzes: start, stop, answer a question, self-rate a flashcard, sum up."""

from __future__ import annotations

from bot import commands as c
from bot import messages as m
from bot.identity import Origin
from bot.questions import QuestionType, Verdict, check_answer
from bot.records import CardReview, PointAward, QuizRecord
from bot.replies import AnswerFeedback, Flashcard, Notice, QuizSummary, Reply
from bot.review import SELF_RATING, rating_for_answer
from bot.scoring import quiz_base_points, quiz_points
from bot.usecases.cards import (
    answer_label,
    chosen,
    invalid,
    session_card,
)
from bot.usecases.context import Actor, Context, UserError, ok
from bot.usecases.interview import interview_summary
from bot.usecases.session import after_answer, draw, open_session, running_session


async def start_quiz(ctx: Context, cmd: c.StartQuiz, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    shown = await running_session(ctx, actor, "quiz", bare=cmd == c.StartQuiz())
    if shown is not None:
        return shown
    topic = ctx.resolve_topic(cmd.topic, actor.bank) if cmd.topic else None
    pool = actor.bank.select([topic] if topic else None, cmd.difficulty)
    if not pool:
        what = " ".join(filter(None, [topic, cmd.difficulty.value if cmd.difficulty else None]))
        raise UserError(m.NO_QUESTIONS.format(what=what or "that selection"))
    seen = await ctx.stores.quizzes.seen_quiz_questions(actor.user.id)
    picked, notes = draw(ctx, [q.id for q in pool], seen, cmd.count)
    if len(picked) < cmd.count:
        notes.append(Notice(m.QUIZ_SHORT.format(n=len(picked), asked=cmd.count)))
    quiz = await open_session(ctx, actor, picked, ctx.clock.now())
    return [*notes, session_card(ctx, quiz)]


async def stop_quiz(ctx: Context, cmd: c.StopQuiz, origin: Origin) -> list[Reply]:
    return await _stop_running(ctx, origin, m.QUIZ_NONE)


async def stop_session(ctx: Context, cmd: c.StopSession, origin: Origin) -> list[Reply]:
    return await _stop_running(ctx, origin, m.NOTHING_TO_STOP)


async def _stop_running(ctx: Context, origin: Origin, none: str) -> list[Reply]:
    """Ends the user's running session of any kind with that kind's summary; `none` when
    nothing runs."""
    actor = await ctx.actor(origin)
    quiz = await ctx.stores.quizzes.active_quiz(actor.user.id)
    if quiz is None:
        raise UserError(none)
    await ctx.stores.quizzes.stop_quiz(quiz.id, ctx.clock.now())
    if quiz.kind == "interview":
        return [await interview_summary(ctx, quiz, stopped=True)]
    if quiz.kind == "review":
        return await review_summary(ctx, quiz, stopped=True)
    return [await summary(ctx, quiz, stopped=True)]


async def summary(ctx: Context, quiz: QuizRecord, stopped: bool = False) -> QuizSummary:
    tally = await ctx.stores.quizzes.quiz_tally(quiz.id)
    # Ratings in the words users type them (`got it`), as every renderer prints the keys.
    rated = {m.RATING_WORDS.get(k, k): n for k, n in tally.rated.items()}
    return QuizSummary(
        tally.answered,
        tally.correct,
        len(quiz.question_ids),
        tally.points,
        stopped=stopped,
        rated=rated,
    )


async def answer_quiz(
    ctx: Context, actor: Actor, quiz: QuizRecord, text: str, choice: int | None = None
) -> list[Reply]:
    """Grade the answer to the quiz's current question (or take a flashcard's self-rating)."""
    quizzes = ctx.stores.quizzes
    qid = quiz.current
    assert qid is not None
    question = ctx.question(qid)
    now = ctx.clock.now()
    if question is None:  # the deck changed under a running quiz: skip the question
        await quizzes.record_quiz_answer(
            quiz, actor.workspace, qid, "unknown", False, text, False, None, None, now
        )
        return await _after_answer(ctx, quiz, [])
    order = quiz.orders[quiz.position] if quiz.position < len(quiz.orders) else ()
    text = chosen(question, order, text, choice)
    if question.type is QuestionType.OPEN:
        if not quiz.awaiting_rating:
            await quizzes.set_awaiting_rating(quiz.id, quiz.position)
            return [
                Flashcard(question.id, quiz.id, question.model_answer, question.key_points),
                Notice(m.OPEN_RATE),
            ]
        check = check_answer(question, text, vocabulary=ctx.bank.vocabulary)
        if check.verdict is Verdict.INVALID:
            raise UserError(m.OPEN_BAD_RATING)
        card = _card(ctx, actor, quiz, question.id, question.topic, SELF_RATING[check.normalized])
        if not await quizzes.record_quiz_answer(
            quiz,
            actor.workspace,
            qid,
            question.topic,
            False,
            text,
            check.correct,
            check.normalized,
            None,
            now,
            card,
        ):
            raise UserError(m.QUIZ_STALE)
        rating = m.RATING_WORDS.get(check.normalized, check.normalized)
        return await _after_answer(ctx, quiz, [Notice(m.OPEN_NOTED.format(rating=rating))])
    check = check_answer(question, text, order, vocabulary=ctx.bank.vocabulary)
    if check.verdict is Verdict.INVALID:
        raise invalid(question, check)
    day = ctx.today(actor)
    points, note = 0, ""
    practice = quiz.kind == "review"  # a review earns no board points
    if check.correct and not practice:
        before = await quizzes.correct_before(actor.user.id, qid)
        earned = await quizzes.quiz_points_on(actor.user.id, day)
        points = quiz_points(
            question.difficulty, correct_before=before, earned_today=earned, cap=ctx.quiz_cap
        )
        full = quiz_base_points(question.difficulty)
        if before:
            note = m.QUIZ_REPEAT
        elif points == 0:
            note = m.QUIZ_CAPPED.format(cap=ctx.quiz_cap)
        elif points < full:
            note = m.QUIZ_CAP_TRIMMED.format(cap=ctx.quiz_cap, points=points, full=full)
    award = None if practice else PointAward(actor.user.id, points, check.correct, "quiz", day, now)
    card = _card(ctx, actor, quiz, question.id, question.topic, rating_for_answer(check.correct))
    if not await quizzes.record_quiz_answer(
        quiz,
        actor.workspace,
        qid,
        question.topic,
        True,
        text,
        check.correct,
        None,
        award,
        now,
        card,
    ):
        raise UserError(m.QUIZ_STALE)
    feedback = AnswerFeedback(
        question.id,
        check.correct,
        m.clip(text, m.ANSWER_ECHO_MAX),
        answer_label(question, order),
        question.explanation,
        points,
        note,
    )
    return await _after_answer(ctx, quiz, [feedback])


async def repeated_answer(ctx: Context, actor: Actor, cmd: c.SubmitAnswer) -> list[Reply] | None:
    """The reply to a click on a quiz question whose answer is stored already: the same
    delivery run again (replayed after a crash between the write and the reply, or retried
    after a lost reply). It gets the feedback it got the first time, then where the quiz
    stands; None when the stored answer is not this one (a genuinely stale click)."""
    quizzes = ctx.stores.quizzes
    qid = cmd.question_id
    quiz = await quizzes.get_quiz(cmd.quiz_id) if cmd.quiz_id is not None else None
    if quiz is None or qid is None or quiz.user_id != actor.user.id or quiz.kind == "interview":
        return None
    if qid not in quiz.question_ids:
        return None
    stored = await quizzes.quiz_answer(quiz.id, qid)
    question = ctx.question(qid)
    if stored is None or stored.user_id != actor.user.id or question is None:
        return None
    position = quiz.question_ids.index(qid)
    order = quiz.orders[position] if position < len(quiz.orders) else ()
    try:
        text = chosen(question, order, cmd.text, cmd.choice)
    except UserError:
        return None
    if question.type is QuestionType.OPEN:
        rating = check_answer(question, text, vocabulary=ctx.bank.vocabulary).normalized
        if stored.rating is None or stored.rating != rating:
            return None
        noted = Notice(m.OPEN_NOTED.format(rating=m.RATING_WORDS.get(rating, rating)))
        return await _after_answer(ctx, quiz, [noted])
    if stored.given != text[:300]:
        return None
    note = ""
    full = quiz_base_points(question.difficulty)
    if stored.correct and quiz.kind != "review" and stored.points < full:
        # The points stored tell trimmed from none; none is a repeat or the cap, and the cap
        # is the one still visible in today's total.
        if stored.points:
            note = m.QUIZ_CAP_TRIMMED.format(cap=ctx.quiz_cap, points=stored.points, full=full)
        elif await quizzes.quiz_points_on(actor.user.id, ctx.today(actor)) >= ctx.quiz_cap:
            note = m.QUIZ_CAPPED.format(cap=ctx.quiz_cap)
        else:
            note = m.QUIZ_REPEAT
    feedback = AnswerFeedback(
        question.id,
        stored.correct,
        m.clip(text, m.ANSWER_ECHO_MAX),
        answer_label(question, order),
        question.explanation,
        stored.points,
        note,
    )
    return await _after_answer(ctx, quiz, [feedback])


def _card(
    ctx: Context, actor: Actor, quiz: QuizRecord, qid: str, topic: str, rating: str
) -> CardReview:
    """The review card update an answer makes; a `review` answer also keeps the study streak."""
    day = ctx.today(actor) if quiz.kind == "review" else None
    return CardReview(actor.user.id, qid, topic, rating, ctx.clock.now(), day)


async def _after_answer(ctx: Context, quiz: QuizRecord, replies: list[Reply]) -> list[Reply]:
    return await after_answer(ctx, quiz, replies, _finish)


async def _finish(ctx: Context, quiz: QuizRecord) -> list[Reply]:
    if quiz.kind == "review":
        return await review_summary(ctx, quiz)
    return [await summary(ctx, quiz)]


async def review_summary(ctx: Context, quiz: QuizRecord, stopped: bool = False) -> list[Reply]:
    """A review's end: how many were right, no points, and the study streak it kept."""
    tally = await ctx.stores.quizzes.quiz_tally(quiz.id)
    got = tally.correct + tally.rated.get("got", 0)
    answered = tally.answered + sum(tally.rated.values())
    text = m.REVIEW_STOPPED if stopped else m.REVIEW_DONE
    replies: list[Reply] = [ok(text.format(correct=got, answered=answered))]
    learner = await ctx.stores.cards.learner(quiz.user_id)
    if learner is not None and learner.streak:
        replies.append(
            Notice(m.REVIEW_STREAK.format(streak=learner.streak, best=learner.best_streak))
        )
    return replies
