"""Answer buttons and the answer modal: persistent components whose custom_id names their target."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import discord

from bot import messages as m
from bot.commands import SubmitAnswer
from bot.questions import QuestionType
from bot.replies import Flashcard, QuestionCard

log = logging.getLogger(__name__)

# Discord caps: 80 characters per button label, 5 buttons in a row, 5 rows in a message.
LABEL_MAX = 80
ROW_WIDTH = 5
ROWS_MAX = 5
# Modal text inputs allow up to 4000 characters; answers are a word, a number or a paragraph.
SHORT_ANSWER_MAX = 200
OPEN_ANSWER_MAX = 1500

# `sb:d:<round>` targets a daily round; `sb:q:<quiz>:<question>` one question of a solo quiz.
# Question ids are at most 40 characters of [a-z0-9-] (DESIGN.md §4), so every id below stays
# far under Discord's 100-character custom_id limit.
_TARGET = r"sb:(?:d:(?P<round>\d{1,19})|q:(?P<quiz>\d{1,19}):(?P<question>[a-z0-9-]{1,40}))"

# Self-ratings of a flashcard: the key in the custom_id and the words the core understands.
RATINGS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "got": ("got it", m.DISCORD_RATE_GOT, discord.ButtonStyle.success),
    "partly": ("partly", m.DISCORD_RATE_PARTLY, discord.ButtonStyle.secondary),
    "missed": ("missed", m.DISCORD_RATE_MISSED, discord.ButtonStyle.danger),
}


@runtime_checkable
class AnswerHost(Protocol):
    """What a component needs from the client: run an answer through the core and reply."""

    async def answer(self, interaction: discord.Interaction[Any], command: SubmitAnswer) -> None:
        """Acknowledge privately, submit the answer, and send the core's replies."""
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
        if match["round"] is not None:
            return cls(round_id=int(match["round"]))
        return cls(quiz_id=int(match["quiz"]), question_id=match["question"])

    @property
    def prefix(self) -> str:
        if self.round_id is not None:
            return f"sb:d:{self.round_id}"
        return f"sb:q:{self.quiz_id}:{self.question_id}"

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


async def _guarded_answer(
    interaction: discord.Interaction[Any], command: SubmitAnswer, where: str
) -> None:
    # discord.py only logs a failing dynamic item callback; the user must hear about it too.
    host = host_of(interaction)
    try:
        await host.answer(interaction, command)
    except Exception as exc:
        await host.fail(interaction, exc, where)


class ChoiceButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=_TARGET + r":(?:c(?P<choice>\d{1,2})|(?P<truth>[tf]))",
):
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
        self.target = target
        self.choice = choice
        self.truth = truth
        suffix = f"c{choice}" if choice is not None else ("t" if truth else "f")
        super().__init__(
            discord.ui.Button(
                label=clip_label(label),
                style=discord.ButtonStyle.primary,
                custom_id=f"{target.prefix}:{suffix}",
            ),
            row=row,
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChoiceButton:
        label = getattr(item, "label", None) or "?"
        target = Target.from_match(match)
        if match["choice"] is not None:
            return cls(target, choice=int(match["choice"]), label=label)
        return cls(target, truth=match["truth"] == "t", label=label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if self.choice is not None:
            command = self.target.submit(str(self.choice), interaction, choice=self.choice)
        else:
            # True/false buttons send the words the core's answer checker reads.
            command = self.target.submit("true" if self.truth else "false", interaction)
        await _guarded_answer(interaction, command, f"button {self.custom_id}")


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=_TARGET + r":(?P<kind>[ao])"
):
    """Opens a modal to type an answer: `a` for a short or numeric answer, `o` for an open one."""

    def __init__(self, target: Target, *, open_item: bool = False, row: int | None = None) -> None:
        self.target = target
        self.open_item = open_item
        super().__init__(
            discord.ui.Button(
                label=m.DISCORD_ANSWER_BUTTON,
                style=discord.ButtonStyle.primary,
                custom_id=f"{target.prefix}:{'o' if open_item else 'a'}",
            ),
            row=row,
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AnswerButton:
        return cls(Target.from_match(match), open_item=match["kind"] == "o")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # A modal must be the first response, so it goes out before any core work.
        try:
            await interaction.response.send_modal(AnswerModal(self.target, self.open_item))
        except Exception as exc:
            await host_of(interaction).fail(interaction, exc, f"button {self.custom_id}")


class RatingButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"sb:q:(?P<quiz>\d{1,19}):(?P<question>[a-z0-9-]{1,40}):r(?P<rating>got|partly|missed)",
):
    """A flashcard self-rating (got it / partly / missed); no points, only a tally."""

    def __init__(self, target: Target, rating: str, *, row: int | None = None) -> None:
        self.target = target
        self.rating = rating
        _, label, style = RATINGS[rating]
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"{target.prefix}:r{rating}"),
            row=row,
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RatingButton:
        target = Target(quiz_id=int(match["quiz"]), question_id=match["question"])
        return cls(target, match["rating"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        words, _, _ = RATINGS[self.rating]
        command = self.target.submit(words, interaction)
        await _guarded_answer(interaction, command, f"button {self.custom_id}")


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ChoiceButton,
    AnswerButton,
    RatingButton,
)


class AnswerModal(discord.ui.Modal):
    """A typed answer for the question its custom_id names."""

    def __init__(self, target: Target, open_item: bool = False) -> None:
        super().__init__(
            title=m.DISCORD_MODAL_TITLE, timeout=15 * 60, custom_id=f"{target.prefix}:modal"
        )
        self.target = target
        self.text: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            label=m.DISCORD_MODAL_OPEN_LABEL if open_item else m.DISCORD_MODAL_LABEL,
            custom_id="answer",
            style=discord.TextStyle.paragraph if open_item else discord.TextStyle.short,
            max_length=OPEN_ANSWER_MAX if open_item else SHORT_ANSWER_MAX,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        command = self.target.submit(self.text.value, interaction)
        await host_of(interaction).answer(interaction, command)

    # discord.ui.Modal narrows BaseView.on_error to (interaction, error); so does this.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await host_of(interaction).fail(interaction, error, f"modal {self.custom_id}")


class AnswerView(discord.ui.View):
    """A view of persistent answer buttons; every item is dynamic, so nothing is kept per
    message and the buttons outlive restarts."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
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
        view.add_item(ChoiceButton(target, truth=True, label=m.DISCORD_TRUE_BUTTON))
        view.add_item(ChoiceButton(target, truth=False, label=m.DISCORD_FALSE_BUTTON))
    else:
        view.add_item(AnswerButton(target, open_item=card.type is QuestionType.OPEN))
    return view


def rating_view(card: Flashcard) -> AnswerView:
    target = Target(quiz_id=card.quiz_id, question_id=card.question_id)
    view = AnswerView()
    for rating in RATINGS:
        view.add_item(RatingButton(target, rating))
    return view
