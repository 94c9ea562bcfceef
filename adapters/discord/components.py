"""Answer buttons and the answer modal: persistent components whose custom_id names their target."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self, runtime_checkable

import discord

from bot import messages as m
from bot.commands import Command, ShowStats, SubmitAnswer
from bot.questions import QuestionType
from bot.replies import Flashcard, QuestionCard

log = logging.getLogger(__name__)

# Discord caps: 80 characters per button label, 5 buttons in a row, 5 rows in a message.
LABEL_MAX = 80
ROW_WIDTH = 5
ROWS_MAX = 5
# Modal text inputs allow up to 4000 characters; answers are a word, a number or a paragraph.
SHORT_ANSWER_MAX = 200
# An open (interview) answer may use all that Discord allows in a text input.
OPEN_ANSWER_MAX = 4000
ANSWER_INPUT = "answer"
# Round and quiz ids are the database's INTEGER keys: a larger number in a custom_id can only
# be garbled, and the database would fail on it rather than find nothing.
ID_MAX = 2**31 - 1

# `sb:d:<round>` targets a daily round; `sb:q:<quiz>:<question>` one question of a solo quiz.
# Question ids are at most 40 characters of [a-z0-9-] (DESIGN.md §4), so every id below stays
# far under Discord's 100-character custom_id limit.
PREFIX = "sb:"
_QUIZ = r"q:(?P<quiz>\d{1,19}):(?P<question>[a-z0-9-]{1,40})"
_TARGET = rf"sb:(?:d:(?P<round>\d{{1,19}})|{_QUIZ})"
MODAL_TEMPLATE = re.compile(_TARGET + r":modal")

# Self-ratings of a flashcard: the key in the custom_id and the words the core understands.
RATINGS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "got": ("got it", m.RATE_LABELS["got"], discord.ButtonStyle.success),
    "partly": ("partly", m.RATE_LABELS["partly"], discord.ButtonStyle.secondary),
    "missed": ("missed", m.RATE_LABELS["missed"], discord.ButtonStyle.danger),
}


@runtime_checkable
class AnswerHost(Protocol):
    """What a component needs from the client: run an answer through the core and reply."""

    async def answer(self, interaction: discord.Interaction[Any], command: SubmitAnswer) -> None:
        """Acknowledge privately, submit the answer, and send the core's replies."""
        ...

    async def refuse(self, interaction: discord.Interaction[Any], text: str) -> None:
        """Answer at once with a short private refusal; nothing reaches the core."""
        ...

    async def command(self, interaction: discord.Interaction[Any], command: Command) -> None:
        """Acknowledge privately, run a command through the core, and send its replies."""
        ...

    async def fail(
        self, interaction: discord.Interaction[Any], error: Exception, where: str
    ) -> None:
        """Log a handler failure with context and tell the user privately."""
        ...


def host_of(interaction: discord.Interaction[Any]) -> AnswerHost:
    client = interaction.client
    if not isinstance(client, AnswerHost):
        raise TypeError(f"{type(client).__name__} cannot answer StudyBot components")
    return client


def clip_label(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class Target:
    """The round or quiz question a component answers; pinned so a late click never lands on
    a newer question."""

    round_id: int | None = None
    quiz_id: int | None = None
    question_id: str | None = None

    @classmethod
    def of_card(cls, card: QuestionCard) -> Target:
        if card.quiz_id is not None:
            return cls(quiz_id=card.quiz_id, question_id=card.question_id)
        return cls(round_id=card.round_id)

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Target:
        groups = match.groupdict()
        if groups.get("round") is not None:
            return cls(round_id=int(groups["round"]))
        return cls(quiz_id=int(match["quiz"]), question_id=match["question"])

    @property
    def prefix(self) -> str:
        if self.round_id is not None:
            return f"sb:d:{self.round_id}"
        return f"sb:q:{self.quiz_id}:{self.question_id}"

    @property
    def in_range(self) -> bool:
        return all(0 < i <= ID_MAX for i in (self.round_id, self.quiz_id) if i is not None)

    def submit(
        self, text: str, interaction: discord.Interaction[Any], choice: int | None = None
    ) -> SubmitAnswer:
        # The interaction id makes a duplicated delivery of the same click a no-op in the core.
        return SubmitAnswer(
            text=text,
            round_id=self.round_id,
            quiz_id=self.quiz_id,
            question_id=self.question_id,
            delivery_id=str(interaction.id),
            choice=choice,
        )


Respond = Callable[[AnswerHost], Awaitable[None]]


async def _guarded(
    interaction: discord.Interaction[Any], respond: Respond | None, where: str
) -> None:
    """Respond, or refuse an id that names no question (None); never fail silently.

    discord.py only logs a failing component callback, so the user would see "This
    interaction failed": every failure is caught here and told to the user and the log.
    """
    host = host_of(interaction)
    try:
        if respond is None:
            await host.refuse(interaction, m.BUTTON_STALE)
        else:
            await respond(host)
    except Exception as exc:
        await host.fail(interaction, exc, where)


class TargetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=_TARGET + r":(?P<action>\w+)"
):
    """A button whose custom_id names its target. Not registered itself: each subclass is one
    kind of button, with its own template."""

    def __init__(
        self,
        target: Target,
        action: str,
        *,
        label: str,
        style: discord.ButtonStyle = discord.ButtonStyle.primary,
        row: int | None = None,
    ) -> None:
        self.target = target
        custom_id = f"{target.prefix}:{action}"
        super().__init__(
            discord.ui.Button(label=clip_label(label), style=style, custom_id=custom_id), row=row
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        # Nothing here may raise: discord.py would log it and leave the click unanswered.
        # The template matched in full; ids out of range are refused in `callback`.
        return cls.from_match(Target.from_match(match), match, getattr(item, "label", None) or "?")

    @classmethod
    def from_match(cls, target: Target, match: re.Match[str], label: str) -> Self:
        raise NotImplementedError

    def command(self, interaction: discord.Interaction[Any]) -> SubmitAnswer:
        raise NotImplementedError

    async def respond(self, host: AnswerHost, interaction: discord.Interaction[Any]) -> None:
        await host.answer(interaction, self.command(interaction))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def respond(host: AnswerHost) -> None:
            await self.respond(host, interaction)

        valid = self.target.in_range
        await _guarded(interaction, respond if valid else None, f"button {self.custom_id}")


class ChoiceButton(TargetButton, template=_TARGET + r":(?:c(?P<choice>\d{1,2})|(?P<truth>[tf]))"):
    """An MCQ option (by its original index) or a true/false answer."""

    def __init__(
        self,
        target: Target,
        *,
        choice: int | None = None,
        truth: bool | None = None,
        label: str = "?",
        row: int | None = None,
    ) -> None:
        self.choice = choice
        self.truth = truth
        action = f"c{choice}" if choice is not None else ("t" if truth else "f")
        super().__init__(target, action, label=label, row=row)

    @classmethod
    def from_match(cls, target: Target, match: re.Match[str], label: str) -> Self:
        if match["choice"] is not None:
            return cls(target, choice=int(match["choice"]), label=label)
        return cls(target, truth=match["truth"] == "t", label=label)

    def command(self, interaction: discord.Interaction[Any]) -> SubmitAnswer:
        if self.choice is not None:
            return self.target.submit(str(self.choice), interaction, choice=self.choice)
        # True/false buttons send the words the core's answer checker reads.
        return self.target.submit("true" if self.truth else "false", interaction)


class AnswerButton(TargetButton, template=_TARGET + r":(?P<kind>[ao])"):
    """Opens a modal to type an answer: `a` for a short or numeric answer, `o` for an open one."""

    def __init__(self, target: Target, *, open_item: bool = False, row: int | None = None) -> None:
        self.open_item = open_item
        action = "o" if open_item else "a"
        super().__init__(target, action, label=m.ANSWER_BUTTON, row=row)

    @classmethod
    def from_match(cls, target: Target, match: re.Match[str], label: str) -> Self:
        return cls(target, open_item=match["kind"] == "o")

    async def respond(self, host: AnswerHost, interaction: discord.Interaction[Any]) -> None:
        # A modal must be the first response, so it goes out before any core work.
        await interaction.response.send_modal(AnswerModal(self.target, self.open_item))


class RatingButton(TargetButton, template=rf"sb:{_QUIZ}:r(?P<rating>got|partly|missed)"):
    """A flashcard self-rating (got it / partly / missed); no points, only a tally."""

    def __init__(self, target: Target, rating: str, *, row: int | None = None) -> None:
        self.rating = rating
        _, label, style = RATINGS[rating]
        super().__init__(target, f"r{rating}", label=label, style=style, row=row)

    @classmethod
    def from_match(cls, target: Target, match: re.Match[str], label: str) -> Self:
        return cls(target, match["rating"])

    def command(self, interaction: discord.Interaction[Any]) -> SubmitAnswer:
        words, _, _ = RATINGS[self.rating]
        return self.target.submit(words, interaction)


ANSWER_ITEMS: tuple[type[TargetButton], ...] = (ChoiceButton, AnswerButton, RatingButton)


class ChartButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?s)sb:chart(?::(?P<name>.+))?"
):
    """Under text stats: the same person's progress chart (`stats chart [user]`), privately.
    The custom_id carries the name (none: the clicker's own stats), so it outlives restarts."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        custom_id = CHART_ID + (f":{name}" if name else "")
        super().__init__(
            discord.ui.Button(
                label=m.CHART_BUTTON, style=discord.ButtonStyle.secondary, custom_id=custom_id
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(match.group("name"))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def respond(host: AnswerHost) -> None:
            await host.command(interaction, ShowStats(self.name, chart=True))

        await _guarded(interaction, respond, f"button {self.custom_id}")


CHART_ID = "sb:chart"
# A custom_id is at most 100 characters: a longer name gets no Chart button.
CHART_NAME_MAX = 100 - len(CHART_ID) - 1


def stats_view(name: str | None) -> AnswerView | None:
    """The Chart button under text stats, when the name fits its custom_id."""
    if name is not None and len(name) > CHART_NAME_MAX:
        return None
    view = AnswerView()
    view.add_item(ChartButton(name))
    return view


# Every kind of StudyBot button; exactly one of them takes any id StudyBot sends.
BUTTON_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (*ANSWER_ITEMS, ChartButton)


class StaleButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?s)sb:.*"):
    """Any other StudyBot button: an id of an older version, or a garbled one.

    discord.py hands a click to every template that matches it, so this one steps aside when
    one of the answer buttons takes the id; otherwise the click would go unanswered and the
    user would see "This interaction failed".
    """

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(discord.ui.Button(label="?", custom_id=match.string))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if any(
            kind.__discord_ui_compiled_template__.fullmatch(self.custom_id) for kind in BUTTON_ITEMS
        ):
            return  # that button answers it
        await _guarded(interaction, None, f"button {self.custom_id}")


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (*BUTTON_ITEMS, StaleButton)


class AnswerModal(discord.ui.Modal):
    """A typed answer for the question its custom_id names.

    Sent already stopped, so discord.py keeps no copy: it would key open modals by custom_id
    alone, and members answering the same daily question share that id, so one's copy would
    replace another's and a submission would go unanswered (as would one after a restart).
    Submissions are matched by custom_id instead, like the buttons: see `submit_modal`.
    """

    def __init__(self, target: Target, open_item: bool = False) -> None:
        super().__init__(title=m.MODAL_TITLE, custom_id=f"{target.prefix}:modal")
        self.text: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            label=m.DISCORD_MODAL_OPEN_LABEL if open_item else m.THE_ANSWER,
            custom_id=ANSWER_INPUT,
            style=discord.TextStyle.paragraph if open_item else discord.TextStyle.short,
            max_length=OPEN_ANSWER_MAX if open_item else SHORT_ANSWER_MAX,
        )
        self.add_item(self.text)
        self.stop()


def submitted_value(components: Sequence[Mapping[str, Any]], custom_id: str) -> str | None:
    """The value of one text input in a modal submission (in an action row or a label)."""
    for component in components:
        if component.get("custom_id") == custom_id and "value" in component:
            return str(component["value"])
        inner = component.get("components") or []
        if "component" in component:
            inner = [component["component"]]
        found = submitted_value(inner, custom_id)
        if found is not None:
            return found
    return None


async def submit_modal(interaction: discord.Interaction[Any]) -> None:
    """A submitted answer modal: its custom_id names the question, its text input the answer.

    Modals of other bots never reach us; an `sb:` id that names no question is refused.
    """
    data: Mapping[str, Any] = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))
    if not custom_id.startswith(PREFIX):
        return
    match = MODAL_TEMPLATE.fullmatch(custom_id)
    text = submitted_value(data.get("components") or [], ANSWER_INPUT)
    target = Target.from_match(match) if match is not None else None
    respond: Respond | None = None
    if target is not None and target.in_range and text is not None:
        command = target.submit(text, interaction)

        async def answer(host: AnswerHost) -> None:
            await host.answer(interaction, command)

        respond = answer
    await _guarded(interaction, respond, f"modal {custom_id}")


class AnswerView(discord.ui.View):
    """A view of persistent answer buttons; every item is dynamic, so nothing is kept per
    message and the buttons outlive restarts."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        # Dynamic items never reach here (discord.py only logs their errors, hence _guarded);
        # kept for any plain item a view may carry.
        await host_of(interaction).fail(interaction, error, f"view item {item!r}")


def card_view(card: QuestionCard) -> AnswerView:
    """Buttons for a question card: options, true/false, or Answer (opens a modal)."""
    target = Target.of_card(card)
    view = AnswerView()
    if card.type is QuestionType.MCQ:
        for position, option in enumerate(card.options[: ROW_WIDTH * ROWS_MAX]):
            view.add_item(
                ChoiceButton(
                    target,
                    choice=option.index,
                    label=f"{option.label}. {option.text}",
                    row=position // ROW_WIDTH,
                )
            )
    elif card.type is QuestionType.TRUE_FALSE:
        view.add_item(ChoiceButton(target, truth=True, label=m.TRUE_LABEL))
        view.add_item(ChoiceButton(target, truth=False, label=m.FALSE_LABEL))
    else:
        view.add_item(AnswerButton(target, open_item=card.type is QuestionType.OPEN))
    return view


def rating_view(card: Flashcard) -> AnswerView:
    target = Target(quiz_id=card.quiz_id, question_id=card.question_id)
    view = AnswerView()
    for rating in RATINGS:
        view.add_item(RatingButton(target, rating))
    return view
