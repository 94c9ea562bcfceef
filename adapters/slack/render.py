"""Neutral replies as Slack Block Kit, within Slack's limits, with escaped plain-text fallbacks."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import singledispatch

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from adapters.slack.translate import (
    ANSWER_BLOCK,
    ANSWER_INPUT,
    ANSWER_VIEW,
    CHART_ACTION,
    RATINGS,
    ModalContext,
    Target,
    answer_action,
    open_action,
    target_of,
)
from bot import messages as m
from bot.commandref import render_refs
from bot.plaintext import render as plain
from bot.questions import QuestionType
from bot.replies import (
    AnswerFeedback,
    BoardRow,
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
    Visibility,
    WeeklyTally,
    file_text,
)

# Slack's Block Kit limits (docs.slack.dev/reference/block-kit). Exceeding any of them makes
# Slack reject the whole message, so every text is clipped and every list is split.
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # modals and App Home
SECTION_TEXT = 3000
FIELD_TEXT = 2000
SECTION_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_TEXT = 3000
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTIONS_ELEMENTS = 25
VIEW_TITLE = 24  # also the modal's submit and close labels
INPUT_LABEL = 2000
INPUT_MAX = 1000  # longest answer accepted in the modal
# An open (interview) answer: Slack caps a plain-text input at 3000 characters.
OPEN_INPUT_MAX = 3000
ERROR_TEXT = 300  # a modal field error; Slack shows it under the input
# The top-level `text` is what notifications and screen readers use; Slack accepts far more,
# but a preview is all it is for.
FALLBACK_TEXT = 3000

ELLIPSIS = "…"
_ENTITY_MAX = len("&amp;")


def escape(text: str) -> str:
    """Make user and content text inert in mrkdwn: no <@U..> pings, <!here> or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Slack's inline code: backticks around text on one line. mrkdwn has no backslash escape;
# inside code nothing is formatted, but &, < and > are still entities.
_CODE_SPAN = re.compile(r"`[^`\n]+`")
# *bold*, _italic_, ~strike~ (and a stray backtick) count only where the marker touches a
# word boundary: opening after a space or punctuation and before a non-space, closing the
# other way round. A zero-width space on both sides of a marker breaks both conditions,
# whether Slack takes that character for a space or for a letter, and shows nothing.
_MARKERS = re.compile(r"[*_~`]")
ZWSP = "\u200b"
# A quote is a `>` (sent as &gt;) at the start of a line.
_QUOTE = re.compile(r"^([ \t]*)(?=&gt;)", re.MULTILINE)


def as_written(text: str) -> str:
    """Text from the question bank or a user, for a mrkdwn field, shown exactly as written:
    no markup outside code spans (the bank writes code as `code`), no links or mentions.

    Only for mrkdwn: plain_text fields (headers, buttons, modal labels) show text verbatim.
    """
    out: list[str] = []
    done = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_inert(text[done : span.start()]))
        out.append(escape(span.group()))
        done = span.end()
    out.append(_inert(text[done:]))
    return "".join(out)


def _inert(text: str) -> str:
    text = _MARKERS.sub(lambda found: ZWSP + found.group() + ZWSP, escape(text))
    return _QUOTE.sub(lambda found: found[1] + ZWSP, text)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters; a cut is marked with an ellipsis and never splits an
    escaped entity (which would show as a stray `&am`)."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    amp = cut.rfind("&")
    if amp != -1 and len(cut) - amp < _ENTITY_MAX and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


@dataclass(frozen=True)
class Message:
    """One Slack message: blocks (at most MESSAGE_BLOCKS) and the fallback text."""

    text: str
    blocks: list[Block]
    public: bool


def study(line: str) -> str:
    """A command of the core's text grammar as Slack users type it: after `/study`."""
    return f"/study {line}"


def refs(text: str) -> str:
    """Core text with its command references spelled for Slack (`/study quiz stop`)."""
    return render_refs(text, study)


# -- building blocks ----------------------------------------------------------------------


def mrkdwn(text: str) -> MarkdownTextObject:
    """mrkdwn with verbatim on, so Slack does not turn a display name like `@channel`,
    `#general` or `evil.example` into a mention or a link. Text from the bank or a user goes
    in through as_written(), which also defuses *bold*, _italic_, ~strike~ and quotes; our own
    markup is *bold* and `code`."""
    return MarkdownTextObject(text=text, verbatim=True)


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=clip(text, HEADER_TEXT) or " ", emoji=True))


def sections(lines: Iterable[str], limit: int = SECTION_TEXT) -> list[Block]:
    """Pack mrkdwn lines into as few section blocks as fit (each at most `limit` characters)."""
    blocks: list[Block] = []
    chunk = ""
    for raw in lines:
        line = clip(raw, limit)
        if not line:
            continue
        if chunk and len(chunk) + 1 + len(line) > limit:
            blocks.append(SectionBlock(text=mrkdwn(chunk)))
            chunk = line
        else:
            chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(SectionBlock(text=mrkdwn(chunk)))
    return blocks


def context(*texts: str) -> list[Block]:
    elements = [mrkdwn(clip(t, CONTEXT_TEXT)) for t in texts if t]
    if not elements:
        return []
    return [ContextBlock(elements=elements[:CONTEXT_ELEMENTS])]


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=clip(text, BUTTON_TEXT) or "?", emoji=True),
        action_id=action_id,
        value=clip(value, BUTTON_VALUE) or None,
        style=style,
    )


def actions(buttons: Sequence[ButtonElement]) -> list[Block]:
    return [
        ActionsBlock(elements=list(buttons[i : i + ACTIONS_ELEMENTS]))
        for i in range(0, len(buttons), ACTIONS_ELEMENTS)
    ]


def names(people: Sequence[str], room: int) -> str:
    """Display names as written, joined by commas, ending in "… and N more" once `room` runs out."""
    shown: list[str] = []
    used = 0
    for i, name in enumerate(people):
        piece = as_written(name)
        add = len(piece) + (2 if shown else 0)
        rest = len(people) - i - 1
        # Keep room for the "and N more" that a later name might need.
        reserve = len(m.MORE.format(n=rest)) + 1 if rest else 0
        if used + add + reserve > room:
            return (", ".join(shown) + " " + m.MORE.format(n=len(people) - i)).strip()
        shown.append(piece)
        used += add
    return ", ".join(shown)


def fit(blocks: list[Block], limit: int) -> list[Block]:
    """At most `limit` blocks; what is cut is counted in a last context line."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    return [*kept, *context(m.MORE.format(n=len(blocks) - len(kept)))]


# -- one reply -> blocks -------------------------------------------------------------------


@singledispatch
def blocks_for(reply: Reply) -> list[Block]:
    raise TypeError(f"no Block Kit rendering for {type(reply).__name__}")


@blocks_for.register
def _(reply: Notice) -> list[Block]:
    prefix = {Tone.ERROR: ":warning: ", Tone.SUCCESS: ":white_check_mark: ", Tone.INFO: ""}
    return sections([prefix[reply.tone] + as_written(refs(reply.text))])


@blocks_for.register
def _(card: QuestionCard) -> list[Block]:
    if card.quiz_id is not None:
        head = m.QUIZ_HEAD.format(position=card.position, total=card.total)
    else:
        head = m.DAILY_HEAD
    meta = [as_written(card.topic), card.difficulty.value]
    if card.closes_at:
        meta.append(m.SLACK_CLOSES.format(closes=as_written(card.closes_at)))
    blocks: list[Block] = [header(head), *context(" · ".join(meta))]
    blocks += sections([as_written(card.prompt)])
    if card.type is QuestionType.MCQ and any(
        len(f"{o.label}. {o.text}") > BUTTON_TEXT for o in card.options
    ):
        # Some option does not fit on its button: list them all in full above the buttons.
        blocks += sections(f"*{as_written(o.label)}.* {as_written(o.text)}" for o in card.options)
    target = target_of(card)
    if target is not None:
        blocks += actions(_answer_buttons(card, target))
    if card.interview:
        blocks += context(m.INTERVIEW_CARD_HINT)
    blocks += context(m.SLACK_CARD_HINT)
    return blocks


def _answer_buttons(card: QuestionCard, target: Target) -> list[ButtonElement]:
    if card.type is QuestionType.MCQ:
        # The button carries the option's original index; the shown letter is only a label.
        return [
            button(f"{o.label}. {o.text}", answer_action(target, f"c{o.index}"), str(o.index))
            for o in card.options
        ]
    if card.type is QuestionType.TRUE_FALSE:
        return [
            button(m.TRUE_LABEL, answer_action(target, "true"), "true"),
            button(m.FALSE_LABEL, answer_action(target, "false"), "false"),
        ]
    # Typed answers go through a modal; the button carries the prompt so the modal can show it.
    return [
        button(
            m.ANSWER_BUTTON,
            open_action(target, card.type.value),
            card.prompt,
            style="primary",
        )
    ]


@blocks_for.register
def _(reply: AnswerFeedback) -> list[Block]:
    if reply.correct:
        earned = m.POINTS_EARNED.format(points=reply.points) if reply.points else m.NO_POINTS
        verdict = f":white_check_mark: *{m.CORRECT}* {earned}"
    else:
        verdict = f":x: *{m.WRONG}.* {m.THE_ANSWER}: {as_written(reply.answer)}"
    return [
        *sections([verdict, as_written(reply.explanation)]),
        *context(as_written(refs(reply.note))),
    ]


@blocks_for.register
def _(reply: Flashcard) -> list[Block]:
    target = Target(quiz_id=reply.quiz_id, question_id=reply.question_id)
    rating = [button(m.RATE_LABELS[key], answer_action(target, key), key) for key in RATINGS]
    return [
        header(m.MODEL_ANSWER),
        *sections([as_written(reply.model_answer)]),
        *sections([f"*{m.KEY_POINTS}*", *(f"• {as_written(p)}" for p in reply.key_points)]),
        *actions(rating),
    ]


@blocks_for.register
def _(reply: QuizSummary) -> list[Block]:
    head = m.QUIZ_STOPPED if reply.stopped else m.QUIZ_DONE
    score = m.QUIZ_SCORE.format(correct=reply.correct, answered=reply.answered, points=reply.points)
    lines = [f"*{head}* {score}"]
    if reply.rated:
        ratings = ", ".join(f"{as_written(k)} {v}" for k, v in sorted(reply.rated.items()))
        lines.append(m.SELF_RATED.format(ratings=ratings))
    return sections(lines)


@blocks_for.register
def _(reply: RoundReveal) -> list[Block]:
    blocks: list[Block] = [header(m.REVEAL), *sections([as_written(reply.prompt)])]
    blocks += sections(
        [
            f"*{m.THE_ANSWER}:* {as_written(reply.answer)}",
            as_written(reply.explanation),
        ]
    )
    blocks += context(reply.counts)
    share_lines = []
    for share in reply.shown_shares:
        pct = 100 * share.count / reply.answered
        label = f"*{as_written(share.label)})* " if share.label else ""
        mark = " :white_check_mark:" if share.correct else ""
        share_lines.append(f"{label}{as_written(share.text)}: {share.count} ({pct:.0f}%){mark}")
    blocks += sections(share_lines)
    if reply.winners:
        prefix = f"*{m.REVEAL_RIGHT}:* "
        blocks += sections([prefix + names(reply.winners, SECTION_TEXT - len(prefix))])
    if reply.first_correct:
        blocks += context(f"*{m.REVEAL_FIRST}:* {as_written(reply.first_correct)}")
    return blocks


def _row(row: BoardRow) -> str:
    detail = f" ({as_written(row.detail)})" if row.detail else ""
    return f"{row.rank}. {as_written(row.name)} · {row.points} pts{detail}"


@blocks_for.register
def _(reply: LeaderboardView) -> list[Block]:
    title = m.BOARD_TITLE.format(scope=reply.scope, period=reply.period_label)
    # No row is marked: the board is public, and the asker's standing goes privately.
    lines = [_row(r) for r in reply.rows]
    return [header(title), *sections(lines)]


@blocks_for.register
def _(reply: StatsView) -> list[Block]:
    accuracy = f"{100 * reply.correct / reply.answered:.0f}%" if reply.answered else "-"
    rank = f"#{reply.rank}" if reply.rank else m.UNRANKED
    fields = [
        f"*{m.STATS_POINTS}*\n{reply.points} ({rank})",
        f"*{m.STATS_ACCURACY}*\n{accuracy} ({reply.correct}/{reply.answered})",
        f"*{m.STATS_STREAK}*\n"
        + m.STATS_STREAK_VALUE.format(current=reply.current_streak, best=reply.best_streak),
        f"*{m.STATS_TEAM}*\n{as_written(reply.team or '-')}",
    ]
    if reply.interview_answers:
        practice = m.STATS_INTERVIEW_VALUE.format(
            n=reply.interview_answers, share=reply.interview_share
        )
        fields.append(f"*{m.STATS_INTERVIEW}*\n{practice}")
    blocks: list[Block] = [
        header(m.STATS_TITLE.format(name=reply.name)),
        SectionBlock(fields=[mrkdwn(clip(f, FIELD_TEXT)) for f in fields[:SECTION_FIELDS]]),
    ]
    blocks += sections(f"{as_written(t.topic)}: {t.correct}/{t.answered}" for t in reply.by_topic)
    if reply.image is None and len(reply.subject or "") <= BUTTON_VALUE:
        # Text stats offer their chart (uploaded after the click, see app.deliver).
        blocks += actions([button(m.CHART_BUTTON, CHART_ACTION, reply.subject or "")])
    return blocks


@blocks_for.register
def _(reply: HelpView) -> list[Block]:
    lines = [
        f"`{escape(study(line.usage))}` {escape(refs(line.summary))}"
        + (f" {m.ADMIN_MARK}" if line.admin else "")
        for line in reply.lines
    ]
    return [
        header(reply.title),
        *sections(lines),
        *context(as_written(refs(reply.footer)), m.SLACK_HELP_FOOTER),
    ]


@blocks_for.register
def _(reply: TableView) -> list[Block]:
    lines = [f"*{as_written(k)}*: {as_written(v)}" for k, v in reply.rows]
    return [header(reply.title), *sections(lines), *context(as_written(refs(reply.footer)))]


@blocks_for.register
def _(reply: WeeklyTally) -> list[Block]:
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
    ] or [m.TALLY_NONE]
    players = [f"{r.rank}. {as_written(r.name)} · {r.points} pts" for r in reply.top_users] or [
        m.TALLY_NONE
    ]
    return [
        header(m.TALLY_TITLE.format(label=reply.period_label)),
        *sections([f"*{m.TALLY_TEAMS}*", *teams]),
        *sections([f"*{m.TALLY_PLAYERS}*", *players]),
    ]


# -- messages and views --------------------------------------------------------------------


def fallback(replies: Sequence[Reply]) -> str:
    return clip(escape("\n\n".join(plain(r, study) for r in replies)), FALLBACK_TEXT) or " "


def messages(replies: Sequence[Reply]) -> list[Message]:
    """Consecutive replies of the same visibility share a message; a message never holds
    more than MESSAGE_BLOCKS blocks, so a long reply continues in the next one."""
    out: list[Message] = []
    for public, group in itertools.groupby(
        replies, key=lambda r: r.visibility is Visibility.PUBLIC
    ):
        batch = list(group)
        text = fallback(batch)
        blocks = [b for r in batch for b in blocks_for(r)]
        for start in range(0, max(len(blocks), 1), MESSAGE_BLOCKS):
            out.append(Message(text, blocks[start : start + MESSAGE_BLOCKS], public))
    return out


def elsewhere_note(channel: str) -> Message:
    """Heads a reply sent by DM because it could not be posted where the user asked."""
    # `<#C…>` names the channel (a link, never a notification); the id comes from Slack.
    text = m.SLACK_REPLY_ELSEWHERE.format(channel=f"<#{channel}>")
    return Message(text, context(text), public=False)


# The App Home's Review button: starts `review` for whoever clicks it.
REVIEW_ACTION = "study_review"


def home_view(replies: Sequence[Reply], due: int = 0) -> View:
    blocks: list[Block] = [header(m.SLACK_HOME_TITLE), *context(m.SLACK_HOME_INTRO)]
    if due:
        blocks += [
            *sections([m.SLACK_HOME_DUE.format(n=due)]),
            *actions([button(m.SLACK_REVIEW_BUTTON, REVIEW_ACTION, style="primary")]),
        ]
    else:
        blocks += sections([m.SLACK_HOME_NONE_DUE])
    for reply in replies:
        blocks += [DividerBlock(), *blocks_for(reply)]
    return View(type="home", blocks=fit(blocks, VIEW_BLOCKS))


def answer_modal(modal: ModalContext, prompt: str) -> View:
    hint = m.SLACK_MODAL_HINT.get(modal.question_type)
    input_block = InputBlock(
        block_id=ANSWER_BLOCK,
        label=PlainTextObject(text=clip(m.YOUR_ANSWER, INPUT_LABEL)),
        element=PlainTextInputElement(
            action_id=ANSWER_INPUT,
            multiline=modal.question_type == QuestionType.OPEN.value,
            max_length=OPEN_INPUT_MAX
            if modal.question_type == QuestionType.OPEN.value
            else INPUT_MAX,
            focus_on_load=True,
        ),
        hint=PlainTextObject(text=clip(hint, INPUT_LABEL)) if hint else None,
    )
    blocks = [*sections([as_written(prompt)])][: VIEW_BLOCKS - 1]
    return View(
        type="modal",
        callback_id=ANSWER_VIEW,
        title=PlainTextObject(text=clip(m.MODAL_TITLE, VIEW_TITLE)),
        submit=PlainTextObject(text=clip(m.SLACK_MODAL_SUBMIT, VIEW_TITLE)),
        close=PlainTextObject(text=clip(m.SLACK_MODAL_CLOSE, VIEW_TITLE)),
        private_metadata=modal.dump(),
        blocks=[*blocks, input_block],
    )


def field_error(text: str) -> str:
    """A refusal shown under the modal's input (plain text there, so no escaping)."""
    return clip(refs(text), ERROR_TEXT)


@blocks_for.register
def _(reply: FileView) -> list[Block]:
    return blocks_for(file_text(reply))
