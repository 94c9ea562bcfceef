"""Render any reply as plain text: the console, platform fallbacks and logs."""

from __future__ import annotations

from functools import singledispatch

from bot import messages as m
from bot.commandref import Syntax, render_refs, text_line
from bot.questions import QuestionType
from bot.replies import (
    AnswerFeedback,
    FileView,
    Flashcard,
    HelpView,
    LeaderboardView,
    Notice,
    QuestionCard,
    QuizSummary,
    Reply,
    RoundReveal,
    StatsView,
    TableView,
    Tone,
    WeeklyTally,
    file_text,
)


def answer_hint(card: QuestionCard, syntax: Syntax = text_line) -> str:
    return render_refs(m.TEXT_HINTS[card.type.value], syntax)


@singledispatch
def render(reply: Reply, syntax: Syntax = text_line) -> str:
    """`reply` as text; commands it names are spelled by `syntax` (the console's by default)."""
    raise TypeError(f"no plain-text rendering for {type(reply).__name__}")


@render.register
def _(reply: Notice, syntax: Syntax = text_line) -> str:
    prefix = {Tone.ERROR: "! ", Tone.SUCCESS: "✓ ", Tone.INFO: ""}[reply.tone]
    return prefix + render_refs(reply.text, syntax)


@render.register
def _(reply: QuestionCard, syntax: Syntax = text_line) -> str:
    if reply.quiz_id is not None:
        head = m.QUIZ_HEAD.format(position=reply.position, total=reply.total)
    else:
        head = m.DAILY_HEAD
    lines = [f"{head} · {reply.topic} · {reply.difficulty.value}", reply.prompt]
    lines += [f"  {o.label}) {o.text}" for o in reply.options if reply.type is QuestionType.MCQ]
    if reply.type is QuestionType.TRUE_FALSE:
        lines.append("  True or false?")
    hint = render_refs(m.INTERVIEW_HINT, syntax) if reply.interview else answer_hint(reply, syntax)
    if reply.closes_at:
        hint += " " + m.CLOSES_AT.format(closes=reply.closes_at)
    lines.append(hint)
    return "\n".join(lines)


@render.register
def _(reply: AnswerFeedback, syntax: Syntax = text_line) -> str:
    if reply.correct:
        earned = m.POINTS_EARNED.format(points=reply.points) if reply.points else m.NO_POINTS
        verdict = f"✓ {m.CORRECT} {earned}"
    else:
        verdict = f"✗ {m.WRONG}. {m.THE_ANSWER}: {reply.answer}"
    lines = [verdict]
    if reply.note:
        lines.append(render_refs(reply.note, syntax))
    # The explanation is its own paragraph, apart from the verdict and from what follows.
    return "\n".join(lines) + "\n\n" + reply.explanation


@render.register
def _(reply: Flashcard, syntax: Syntax = text_line) -> str:
    lines = [f"{m.MODEL_ANSWER}:", reply.model_answer, f"{m.KEY_POINTS}:"]
    lines += [f"  - {p}" for p in reply.key_points]
    return "\n".join(lines)


@render.register
def _(reply: QuizSummary, syntax: Syntax = text_line) -> str:
    head = m.QUIZ_STOPPED if reply.stopped else m.QUIZ_DONE
    score = m.QUIZ_SCORE.format(correct=reply.correct, answered=reply.answered, points=reply.points)
    text = f"{head} {score}"
    if reply.rated:
        ratings = ", ".join(f"{k} {v}" for k, v in sorted(reply.rated.items()))
        text += " " + m.SELF_RATED.format(ratings=ratings)
    return text


@render.register
def _(reply: RoundReveal, syntax: Syntax = text_line) -> str:
    lines = [
        f"{m.REVEAL}: {reply.prompt}",
        f"{m.THE_ANSWER}: {reply.answer}",
        reply.explanation,
        reply.counts,
    ]
    for share in reply.shown_shares:
        pct = 100 * share.count / reply.answered
        mark = " ✓" if share.correct else ""
        label = f"{share.label}) " if share.label else ""
        lines.append(f"  {label}{share.text}: {share.count} ({pct:.0f}%){mark}")
    if reply.winners:
        lines.append(f"{m.REVEAL_RIGHT}: " + ", ".join(reply.winners))
    if reply.first_correct:
        lines.append(f"{m.REVEAL_FIRST}: {reply.first_correct}")
    return "\n".join(lines)


@render.register
def _(reply: LeaderboardView, syntax: Syntax = text_line) -> str:
    lines = [m.BOARD_TITLE.format(scope=reply.scope, period=reply.period_label)]
    for row in reply.rows:
        detail = f" ({row.detail})" if row.detail else ""
        lines.append(f"  {row.rank}. {row.name} {row.points} pts{detail}")
    return "\n".join(lines)


@render.register
def _(reply: StatsView, syntax: Syntax = text_line) -> str:
    accuracy = f"{100 * reply.correct / reply.answered:.0f}%" if reply.answered else "-"
    rank = f"#{reply.rank}" if reply.rank else m.UNRANKED
    lines = [
        m.STATS_TITLE.format(name=reply.name) + f": {reply.points} points ({rank})",
        f"  accuracy {accuracy} ({reply.correct}/{reply.answered})",
        f"  streak {reply.current_streak} (best {reply.best_streak})",
        f"  team {reply.team or '-'}",
    ]
    for t in reply.by_topic:
        lines.append(f"  {t.topic}: {t.correct}/{t.answered}")
    if reply.interview_answers:
        practice = m.STATS_INTERVIEW_VALUE.format(
            n=reply.interview_answers, share=reply.interview_share
        )
        lines.append(f"  {m.STATS_INTERVIEW.lower()}: {practice}")
    return "\n".join(lines)


@render.register
def _(reply: HelpView, syntax: Syntax = text_line) -> str:
    lines = [reply.title]
    for line in reply.lines:
        admin = f" {m.ADMIN_MARK}" if line.admin else ""
        lines.append(f"  {syntax(line.usage)} — {render_refs(line.summary, syntax)}{admin}")
    if reply.footer:
        lines.append(render_refs(reply.footer, syntax))
    return "\n".join(lines)


@render.register
def _(reply: TableView, syntax: Syntax = text_line) -> str:
    lines = [reply.title] + [f"  {k}: {v}" for k, v in reply.rows]
    if reply.footer:
        lines.append(render_refs(reply.footer, syntax))
    return "\n".join(lines)


@render.register
def _(reply: WeeklyTally, syntax: Syntax = text_line) -> str:
    lines = [m.TALLY_TITLE.format(label=reply.period_label), m.TALLY_TEAMS]
    lines += [
        "  "
        + m.TALLY_TEAM_ROW.format(
            rank=r.rank,
            name=r.name,
            points=r.points,
            per_active=r.per_active,
            active=r.active,
            members=r.members,
            change=m.tally_change(r.change, r.rank_change),
        )
        for r in reply.teams
    ] or ["  " + m.TALLY_NONE]
    lines.append(m.TALLY_PLAYERS)
    lines += [f"  {r.rank}. {r.name} {r.points} pts" for r in reply.top_users] or [
        "  " + m.TALLY_NONE
    ]
    return "\n".join(lines)


@render.register
def _(reply: FileView, syntax: Syntax = text_line) -> str:
    return render(file_text(reply), syntax)
