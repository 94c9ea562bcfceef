"""Neutral replies as Discord embeds (and answer views), always within Discord's limits."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import singledispatch
from typing import Any

import discord

from adapters.discord.components import card_view, rating_view, stats_view
from adapters.discord.syntax import slash
from bot import messages as m
from bot.commandref import render_refs
from bot.questions import QuestionType
from bot.replies import (
    AnswerFeedback,
    BoardRow,
    FileView,
    Flashcard,
    HelpView,
    Image,
    LeaderboardView,
    Notice,
    QuestionCard,
    QuizSummary,
    Reply,
    RoundReveal,
    StatsView,
    TableView,
    Tone,
    Visibility,
    WeeklyTally,
    file_text,
    image_of,
    without_image,
)

# Discord's embed limits (characters); a send over any of them fails with 400 Bad Request.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
# An attachment's description (its alt text) is at most 1024 characters.
ALT_TEXT_MAX = 1024
ELLIPSIS = "…"
# Discord rejects empty field names and values; a zero-width space renders as nothing.
BLANK = "\u200b"

# Nobody is ever pinged: display names stay names, and @everyone stays text.
NO_MENTIONS = discord.AllowedMentions.none()

COLOURS: dict[Tone, discord.Colour] = {
    Tone.INFO: discord.Colour.blurple(),
    Tone.SUCCESS: discord.Colour.green(),
    Tone.ERROR: discord.Colour.red(),
}
REVEAL_COLOUR = discord.Colour.gold()

_HINTS: dict[QuestionType, str] = {
    QuestionType.MCQ: m.DISCORD_HINT_PICK,
    QuestionType.TRUE_FALSE: m.DISCORD_HINT_PICK,
    QuestionType.SHORT: m.DISCORD_HINT_TYPE,
    QuestionType.NUMERIC: m.DISCORD_HINT_NUMBER,
    QuestionType.OPEN: m.DISCORD_HINT_OPEN,
}


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    cut = text[: limit - len(ELLIPSIS)].rstrip()
    if cut.endswith("\\") and not cut.endswith("\\\\"):
        cut = cut[:-1]  # a dangling escape would swallow the ellipsis
    return cut + ELLIPSIS


# Discord's inline code span (its markdown parser's rule): a run of backticks, content that
# does not end in a backtick, the same run again. Inside one nothing is formatted or escaped.
_CODE_SPAN = re.compile(r"(`+)[\s\S]*?[^`]\1(?!`)")
# Everything else Discord could read as markup: emphasis, bold, underline (* _), strike (~),
# spoilers (|), quotes (>), stray backticks, masked links ([), mentions, channels, emoji and
# timestamps (< @), and the backslash itself. A backslash before any of them shows the bare
# character, and Discord accepts it before any punctuation.
_MARKUP = re.compile(r"[\\*_~|>`<@\[]")
# Headings, bullets and numbered items ("1. ", "1) ") count only at the start of a line.
_LINE_MARKUP = re.compile(r"^([ \t]*\d*)(#{1,3} |[-+] |(?<=\d)[.)] )", re.MULTILINE)


def as_written(text: str) -> str:
    """Text from the question bank or a user (prompts, options, answers, explanations, model
    answers, names, what someone typed) as Discord should show it: exactly as written.

    Discord renders markdown in embeds, so `||x - y||` would hide as a spoiler, `1*3 + 2*1`
    turn italic and `__init__` underlined. Every markup character outside a code span is
    escaped; code spans (the bank writes code as `code`) are kept, and they show their
    content verbatim. Only for text Discord formats: button labels, modal labels, footers and
    thread names show text as it is and must not get these backslashes.
    """
    out: list[str] = []
    done = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_escape_markup(text[done : span.start()]))
        out.append(span.group())
        done = span.end()
    out.append(_escape_markup(text[done:]))
    return "".join(out)


def _escape_markup(text: str) -> str:
    text = _MARKUP.sub(lambda found: "\\" + found.group(), text)
    return _LINE_MARKUP.sub(lambda found: found[1] + "\\" + found[2], text)


def within(lines: Sequence[str], limit: int, sep: str = "\n") -> str:
    """Whole lines up to `limit` characters, then "… and N more" instead of a cut line."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        tail = len(sep) + len(m.MORE.format(n=rest)) if rest else 0
        cost = len(line) + (len(sep) if out else 0)
        if used + cost + tail > limit:
            more = m.MORE.format(n=len(lines) - i)
            if not out:
                return clip(line, limit)
            return clip(sep.join([*out, more]), limit)
        out.append(line)
        used += cost
    return sep.join(out)


@dataclass
class EmbedBuilder:
    """Collects an embed's parts and fits them to Discord's limits when built.

    Priority when the 6000-character total is short: title, description, fields in order,
    footer; each part is clipped with an ellipsis rather than rejected.
    """

    title: str
    description: str = ""
    colour: discord.Colour = field(default_factory=discord.Colour.blurple)
    fields: list[tuple[str, str, bool]] = field(default_factory=list)
    footer: str = ""

    def add(self, field_name: str, value: str, inline: bool = False) -> EmbedBuilder:
        self.fields.append((field_name, value, inline))
        return self

    def build(self) -> discord.Embed:
        budget = EMBED_TOTAL_MAX
        title = clip(self.title, min(TITLE_MAX, budget))
        budget -= len(title)
        description = clip(self.description, min(DESCRIPTION_MAX, budget))
        budget -= len(description)
        embed = discord.Embed(
            title=title or None, description=description or None, colour=self.colour
        )
        fields = self.fields
        if len(fields) > FIELDS_MAX:
            dropped = len(fields) - FIELDS_MAX + 1
            fields = [*fields[: FIELDS_MAX - 1], (BLANK, m.MORE.format(n=dropped), False)]
        for field_name, value, inline in fields:
            key = clip(field_name or BLANK, FIELD_NAME_MAX)
            if budget < len(key) + 2:
                break
            text = clip(value or BLANK, min(FIELD_VALUE_MAX, budget - len(key)))
            embed.add_field(name=key, value=text, inline=inline)
            budget -= len(key) + len(text)
        if self.footer and budget > 0:
            embed.set_footer(text=clip(self.footer, min(FOOTER_MAX, budget)))
        return embed


@dataclass(frozen=True)
class Rendered:
    """One Discord message: an embed, maybe a view of answer buttons, its visibility, and
    maybe a file uploaded with it: a chart shown inside the embed, or a document attached
    below it (`inside` False) whose text, `fallback`, replaces the embed when it is refused."""

    embed: discord.Embed
    view: discord.ui.View | None = None
    ephemeral: bool = True
    image: Image | None = None
    inside: bool = True
    fallback: discord.Embed | None = None

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `send`, `followup.send` and `response.send_message`; a new
        `discord.File` each time, since a sent file's stream is spent."""
        embed = self.embed
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if self.view is not None:
            kwargs["view"] = self.view
        if self.image is not None:
            if self.inside:
                embed = embed.copy()
                # attachment:// shows the uploaded file inside the embed instead of below it.
                embed.set_image(url=f"attachment://{self.image.filename}")
            kwargs["file"] = discord.File(
                io.BytesIO(self.image.data),
                filename=self.image.filename,
                description=clip(self.image.alt_text, ALT_TEXT_MAX),
            )
        kwargs["embed"] = embed
        return kwargs

    def text_only(self) -> Rendered:
        """The same message without its file: the fallback when the upload fails."""
        return replace(self, image=None, embed=self.fallback or self.embed, fallback=None)


def render(reply: Reply) -> Rendered:
    """Any neutral reply as one Discord message."""
    builder, view = _build(reply)
    private = reply.visibility is Visibility.PRIVATE
    image = image_of(reply)
    if isinstance(reply, FileView) and image is not None:
        text, _ = _build(without_image(reply))
        return Rendered(builder.build(), view, private, image, False, text.build())
    return Rendered(builder.build(), view, private, image)


def render_all(replies: Iterable[Reply]) -> list[Rendered]:
    return [render(r) for r in replies]


@singledispatch
def _build(reply: Reply) -> tuple[EmbedBuilder, discord.ui.View | None]:
    raise TypeError(f"no Discord rendering for {type(reply).__name__}")


@_build.register
def _(reply: Notice) -> tuple[EmbedBuilder, discord.ui.View | None]:
    # Core sentences quote what a user typed ('foo_bar') and name commands as references,
    # which become slash commands in `code` that as_written() keeps as they are.
    text = as_written(render_refs(reply.text, slash))
    return EmbedBuilder("", text, COLOURS[reply.tone]), None


@_build.register
def _(reply: QuestionCard) -> tuple[EmbedBuilder, discord.ui.View | None]:
    if reply.quiz_id is not None:
        head = m.QUIZ_HEAD.format(position=reply.position, total=reply.total)
    else:
        head = m.DAILY_HEAD
    title = f"{head} · {reply.topic} · {reply.difficulty.value}"
    body = as_written(reply.prompt)
    if reply.type is QuestionType.MCQ:
        body += "\n\n" + "\n".join(
            f"**{as_written(o.label)}.** {as_written(o.text)}" for o in reply.options
        )
    hint = m.INTERVIEW_CARD_HINT if reply.interview else _HINTS[reply.type]
    if reply.closes_at:
        hint += " " + m.CLOSES_AT.format(closes=reply.closes_at)
    return EmbedBuilder(title, body, footer=hint), card_view(reply)


@_build.register
def _(reply: AnswerFeedback) -> tuple[EmbedBuilder, discord.ui.View | None]:
    if reply.correct:
        earned = m.POINTS_EARNED.format(points=reply.points) if reply.points else m.NO_POINTS
        title = f"✓ {m.CORRECT} {earned}"
    else:
        title = f"✗ {m.WRONG}"
    builder = EmbedBuilder(
        title,
        as_written(reply.explanation),
        COLOURS[Tone.SUCCESS if reply.correct else Tone.ERROR],
    )
    builder.add(m.YOUR_ANSWER, as_written(reply.given), inline=True)
    builder.add(m.THE_ANSWER, as_written(reply.answer), inline=True)
    builder.footer = render_refs(reply.note, slash)
    return builder, None


@_build.register
def _(reply: Flashcard) -> tuple[EmbedBuilder, discord.ui.View | None]:
    builder = EmbedBuilder(m.MODEL_ANSWER, as_written(reply.model_answer))
    if reply.key_points:
        points = [f"• {as_written(p)}" for p in reply.key_points]
        builder.add(m.KEY_POINTS, within(points, FIELD_VALUE_MAX))
    builder.footer = m.DISCORD_RATE_PROMPT
    return builder, rating_view(reply)


@_build.register
def _(reply: QuizSummary) -> tuple[EmbedBuilder, discord.ui.View | None]:
    title = m.QUIZ_STOPPED if reply.stopped else m.QUIZ_DONE
    text = m.QUIZ_SCORE.format(correct=reply.correct, answered=reply.answered, points=reply.points)
    if reply.rated:
        ratings = ", ".join(f"{as_written(k)} {v}" for k, v in sorted(reply.rated.items()))
        text += " " + m.SELF_RATED.format(ratings=ratings)
    return EmbedBuilder(title, text, COLOURS[Tone.SUCCESS]), None


def _names(names: Sequence[str]) -> str:
    return within([as_written(n) for n in names], FIELD_VALUE_MAX, sep=", ") if names else BLANK


@_build.register
def _(reply: RoundReveal) -> tuple[EmbedBuilder, discord.ui.View | None]:
    body = (
        f"{as_written(reply.prompt)}\n\n**{m.THE_ANSWER}:** {as_written(reply.answer)}"
        f"\n\n{as_written(reply.explanation)}"
    )
    builder = EmbedBuilder(m.DISCORD_REVEAL_TITLE, body, REVEAL_COLOUR)
    shares = []
    for share in reply.shown_shares:
        pct = 100 * share.count / reply.answered
        mark = " ✓" if share.correct else ""
        label = f"{as_written(share.label)}) " if share.label else ""
        shares.append(f"{label}{as_written(share.text)}: {share.count} ({pct:.0f}%){mark}")
    if shares:
        builder.add(m.DISCORD_REVEAL_SHARES, within(shares, FIELD_VALUE_MAX))
    builder.add(m.REVEAL_RIGHT, _names(reply.winners) if reply.winners else m.DISCORD_NOBODY)
    if reply.first_correct:
        builder.add(m.REVEAL_FIRST, as_written(reply.first_correct), inline=True)
    builder.footer = reply.counts
    return builder, None


def _board_line(row: BoardRow) -> str:
    detail = f" ({as_written(row.detail)})" if row.detail else ""
    return f"{row.rank}. {as_written(row.name)} · {row.points} pts{detail}"


@_build.register
def _(reply: LeaderboardView) -> tuple[EmbedBuilder, discord.ui.View | None]:
    title = m.BOARD_TITLE.format(scope=reply.scope, period=reply.period_label)
    lines = [_board_line(r) for r in reply.rows]
    # No row is marked: the board is public, and the asker's standing goes privately.
    return EmbedBuilder(title, within(lines, DESCRIPTION_MAX)), None


@_build.register
def _(reply: StatsView) -> tuple[EmbedBuilder, discord.ui.View | None]:
    accuracy = f"{100 * reply.correct / reply.answered:.0f}%" if reply.answered else "-"
    rank = f"#{reply.rank}" if reply.rank else m.UNRANKED
    builder = EmbedBuilder(m.STATS_TITLE.format(name=as_written(reply.name)))
    builder.add(m.STATS_POINTS, f"{reply.points} ({rank})", inline=True)
    builder.add(m.STATS_ACCURACY, f"{accuracy} ({reply.correct}/{reply.answered})", inline=True)
    builder.add(
        m.STATS_STREAK,
        m.STATS_STREAK_VALUE.format(current=reply.current_streak, best=reply.best_streak),
        inline=True,
    )
    builder.add(m.STATS_TEAM, as_written(reply.team) if reply.team else "-", inline=True)
    if reply.by_topic:
        topics = [f"{as_written(t.topic)}: {t.correct}/{t.answered}" for t in reply.by_topic]
        builder.add(m.DISCORD_STATS_TOPICS, within(topics, FIELD_VALUE_MAX))
    if reply.interview_answers:
        practice = m.STATS_INTERVIEW_VALUE.format(
            n=reply.interview_answers, share=reply.interview_share
        )
        builder.add(m.STATS_INTERVIEW, practice)
    # Text stats offer their chart; stats that came with it need no button.
    return builder, stats_view(reply.subject) if reply.image is None else None


@_build.register
def _(reply: HelpView) -> tuple[EmbedBuilder, discord.ui.View | None]:
    lines = [
        f"`{slash(line.usage)}` — {render_refs(line.summary, slash)}"
        + (f" {m.ADMIN_MARK}" if line.admin else "")
        for line in reply.lines
    ]
    footer = render_refs(reply.footer, slash)
    return EmbedBuilder(reply.title, within(lines, DESCRIPTION_MAX), footer=footer), None


@_build.register
def _(reply: TableView) -> tuple[EmbedBuilder, discord.ui.View | None]:
    # Rows hold team names and members as typed, so every cell is escaped.
    lines = [f"**{as_written(key)}**: {as_written(value)}" for key, value in reply.rows]
    footer = render_refs(reply.footer, slash)
    return EmbedBuilder(reply.title, within(lines, DESCRIPTION_MAX), footer=footer), None


@_build.register
def _(reply: WeeklyTally) -> tuple[EmbedBuilder, discord.ui.View | None]:
    builder = EmbedBuilder(m.TALLY_TITLE.format(label=reply.period_label), colour=REVEAL_COLOUR)
    teams = [
        m.TALLY_TEAM_ROW.format(
            rank=r.rank,
            name=as_written(r.name),
            points=r.points,
            per_active=r.per_active,
            active=r.active,
            members=r.members,
            change=m.tally_change(r.change, r.rank_change),
        )
        for r in reply.teams
    ]
    players = [f"{r.rank}. {as_written(r.name)} · {r.points} pts" for r in reply.top_users]
    builder.add(m.TALLY_TEAMS.rstrip(":"), within(teams, FIELD_VALUE_MAX) or m.TALLY_NONE)
    builder.add(m.TALLY_PLAYERS.rstrip(":"), within(players, FIELD_VALUE_MAX) or m.TALLY_NONE)
    return builder, None


@_build.register
def _(reply: FileView) -> tuple[EmbedBuilder, discord.ui.View | None]:
    return _build(file_text(reply))
