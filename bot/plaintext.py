"""Render any reply as plain text: the console, platform fallbacks and logs."""

from __future__ import annotations

from functools import singledispatch

from bot import messages as m
from bot.questions import QuestionType
from bot.replies import (
    AnswerFeedback,
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
)

_HINT = {
    QuestionType.MCQ: "Answer with `answer LETTER`.",
    QuestionType.TRUE_FALSE: "Answer with `answer true` or `answer false`.",
    QuestionType.SHORT: "Answer with `answer WORDS` (a short term).",
    QuestionType.NUMERIC: "Answer with `answer NUMBER` (0.05, 5%, 1/20 all work).",
    QuestionType.OPEN: "Think it over, then send `answer ...` to see the model answer.",
}


def answer_hint(card: QuestionCard) -> str:
    return _HINT[card.type]


@singledispatch
def render(reply: Reply) -> str:
    raise TypeError(f"no plain-text rendering for {type(reply).__name__}")


@render.register
def _(reply: Notice) -> str:
    prefix = {Tone.ERROR: "! ", Tone.SUCCESS: "✓ ", Tone.INFO: ""}[reply.tone]
    return prefix + reply.text


@render.register
def _(reply: QuestionCard) -> str:
    if reply.quiz_id is not None:
        head = f"Question {reply.position}/{reply.total}"
    else:
        head = "Daily question"
    lines = [f"{head} · {reply.topic} · {reply.difficulty.value}", reply.prompt]
    lines += [f"  {o.label}) {o.text}" for o in reply.options if reply.type is QuestionType.MCQ]
    if reply.type is QuestionType.TRUE_FALSE:
        lines.append("  True or false?")
    hint = m.INTERVIEW_HINT if reply.interview else answer_hint(reply)
    if reply.closes_at:
        hint += f" Closes at {reply.closes_at}."
    lines.append(hint)
    return "\n".join(lines)


@render.register
def _(reply: AnswerFeedback) -> str:
    verdict = (
        f"✓ Correct! +{reply.points} points"
        if reply.correct
        else f"✗ Not quite. Answer: {reply.answer}"
    )
    if reply.correct and reply.points == 0:
        verdict = "✓ Correct! (no points)"
    lines = [verdict]
    if reply.note:
        lines.append(reply.note)
    # The explanation is its own paragraph, apart from the verdict and from what follows.
    return "\n".join(lines) + "\n\n" + reply.explanation


@render.register
def _(reply: Flashcard) -> str:
    lines = ["Model answer:", reply.model_answer, "Key points:"]
    lines += [f"  - {p}" for p in reply.key_points]
    return "\n".join(lines)


@render.register
def _(reply: QuizSummary) -> str:
    head = "Quiz stopped." if reply.stopped else "Quiz complete!"
    text = f"{head} {reply.correct}/{reply.answered} correct, {reply.points} points."
    if reply.rated:
        text += (
            " Self-rated: " + ", ".join(f"{k} {v}" for k, v in sorted(reply.rated.items())) + "."
        )
    return text


@render.register
def _(reply: RoundReveal) -> str:
    lines = [
        "Reveal: " + reply.prompt,
        f"Answer: {reply.answer}",
        reply.explanation,
        f"{reply.answered} answered, {reply.correct_count} correct.",
    ]
    for share in reply.shares:
        pct = 100 * share.count / reply.answered if reply.answered else 0
        mark = " ✓" if share.correct else ""
        label = f"{share.label}) " if share.label else ""
        lines.append(f"  {label}{share.text}: {share.count} ({pct:.0f}%){mark}")
    if reply.winners:
        lines.append("Right: " + ", ".join(reply.winners))
    if reply.first_correct:
        lines.append(f"First correct: {reply.first_correct}")
    return "\n".join(lines)


@render.register
def _(reply: LeaderboardView) -> str:
    lines = [f"Leaderboard · {reply.scope} · {reply.period_label}"]
    for row in reply.rows:
        mark = " ←" if row.highlight else ""
        detail = f" ({row.detail})" if row.detail else ""
        lines.append(f"  {row.rank}. {row.name} {row.points} pts{detail}{mark}")
    if reply.viewer:
        lines.append(f"  ... {reply.viewer.rank}. {reply.viewer.name} {reply.viewer.points} pts ←")
    return "\n".join(lines)


@render.register
def _(reply: StatsView) -> str:
    accuracy = f"{100 * reply.correct / reply.answered:.0f}%" if reply.answered else "-"
    rank = f"#{reply.rank}" if reply.rank else "unranked"
    lines = [
        f"Stats for {reply.name}: {reply.points} points ({rank})",
        f"  accuracy {accuracy} ({reply.correct}/{reply.answered})",
        f"  streak {reply.current_streak} (best {reply.best_streak})",
        f"  team {reply.team or '-'}",
    ]
    for t in reply.by_topic:
        lines.append(f"  {t.topic}: {t.correct}/{t.answered}")
    return "\n".join(lines)


@render.register
def _(reply: HelpView) -> str:
    lines = [reply.title]
    for line in reply.lines:
        admin = " (admin)" if line.admin else ""
        lines.append(f"  {line.usage} — {line.summary}{admin}")
    if reply.footer:
        lines.append(reply.footer)
    return "\n".join(lines)


@render.register
def _(reply: TableView) -> str:
    lines = [reply.title] + [f"  {k}: {v}" for k, v in reply.rows]
    if reply.footer:
        lines.append(reply.footer)
    return "\n".join(lines)


@render.register
def _(reply: WeeklyTally) -> str:
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
