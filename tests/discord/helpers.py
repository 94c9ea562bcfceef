"""Reading what the bot sent in SimCord: messages of an interaction, embed text, buttons."""

from __future__ import annotations

import datetime as dt
from typing import Any

import discord
from simcord import Env, InteractionResult, ResponseMessage
from simcord.components import walk_components

from adapters.discord.publisher import DiscordPublisher
from adapters.discord.syntax import slash
from bot.bootstrap import App, ManualClock
from bot.commandref import render_refs
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.questions import Question, QuestionType
from bot.replies import Tone
from bot.usecases.scheduling import WorkResult
from tests.discord.conftest import World

Message = ResponseMessage | discord.Message
# An interaction callback of type 5 (deferred message, "thinking") with the ephemeral flag.
EPHEMERAL_DEFER = {"type": 5, "data": {"flags": 64}}
PUBLIC_DEFER = {"type": 5}


def deferrals(env: Env) -> list[dict[str, Any]]:
    """The interaction callbacks the bot sent, oldest first."""
    return [dict(r.json or {}) for r in env.http_requests if r.path.endswith("/callback")]


def sent(result: InteractionResult) -> list[ResponseMessage]:
    """Every message an interaction produced, in order (the response, then follow-ups)."""
    first = [result.response] if result.response is not None else []
    return [*first, *result.followups]


def embed_text(embed: discord.Embed) -> str:
    parts = [embed.title or "", embed.description or ""]
    for field in embed.fields:
        parts += [field.name or "", field.value or ""]
    parts.append(embed.footer.text or "")
    return "\n".join(p for p in parts if p)


def text_of(message: Message) -> str:
    return "\n".join([message.content, *(embed_text(e) for e in message.embeds)]).strip()


def on_discord(text: str) -> str:
    """Core text as Discord shows it: its command references as slash commands."""
    return render_refs(text, slash)


def texts(result: InteractionResult) -> list[str]:
    return [text_of(message) for message in sent(result)]


def all_text(result: InteractionResult) -> str:
    return "\n".join(texts(result))


def buttons(message: Message) -> list[dict[str, Any]]:
    roots: list[dict[str, Any]]
    if isinstance(message, ResponseMessage):
        roots = message.components
    else:
        roots = [dict(component.to_dict()) for component in message.components]
    return [c for c in walk_components(roots) if c.get("type") == 2]


def labels(message: Message) -> list[str]:
    return [str(b.get("label")) for b in buttons(message)]


def with_buttons(result: InteractionResult) -> ResponseMessage:
    """The one message of an interaction that carries buttons (a question or a flashcard)."""
    found = [message for message in sent(result) if buttons(message)]
    assert len(found) == 1, texts(result)
    return found[0]


def question_of(app: App, message: Message) -> Question:
    """The bank question a card message shows (found by its prompt)."""
    [embed] = message.embeds
    body = embed.description or ""
    found = [q for q in app.bank.by_id.values() if body.startswith(q.prompt)]
    assert len(found) == 1, body
    return found[0]


def answer_button(app: App, message: Message, right: bool = True) -> str:
    """The custom_id of a right (or a wrong) answer button on an MCQ or true/false card."""
    question = question_of(app, message)
    ids = [str(b["custom_id"]) for b in buttons(message)]
    if question.type is QuestionType.MCQ:
        suffix = f":c{question.answer}"
    else:
        suffix = ":t" if question.answer else ":f"
    return next(i for i in ids if i.endswith(suffix) == right)


def right_text(app: App, message: Message) -> str:
    """What a user who knows the answer types for this card."""
    question = question_of(app, message)
    if question.type is QuestionType.MCQ:
        assert isinstance(question.answer, int)
        right = question.choices[question.answer]
        [embed] = message.embeds
        for line in (embed.description or "").splitlines():
            if line.startswith("**") and line.endswith(right):
                return line[2]
        raise AssertionError(f"no option line for {right!r}")
    if question.type is QuestionType.TRUE_FALSE:
        return "true" if question.answer else "false"
    return str(question.answer)


POST_AT = dt.time(9, 0)
REVEAL_AT = dt.time(17, 0)


async def tick(
    app: App, clock: ManualClock, at: dt.time, client: discord.Client
) -> list[WorkResult]:
    """The scheduler's run at `at` today, publishing through the Discord publisher."""
    clock.set(dt.datetime.combine(clock.now().date(), at, dt.UTC))
    publisher = DiscordPublisher(client)
    return await app.work.run_due(clock.now(), {Platform.DISCORD: publisher})


async def enable_unchecked(world: World, app: App, topic: str) -> None:
    """`config channel` as if the bot's permissions had been fine then: a channel that lost
    some later (SimCord cannot change a channel's overwrites once it exists)."""
    who = Origin(
        UserRef(Platform.DISCORD, str(world.admin.id)),
        PlaceRef(Platform.DISCORD, str(world.guild.id), str(world.channel.id)),
        "Ada",
        is_admin=True,
        can_post=None,
    )
    for line in ("config channel", f"config topics {topic}", "config difficulty easy"):
        replies = await app.dispatcher.handle_text(line, who)
        assert all(getattr(r, "tone", None) is not Tone.ERROR for r in replies), replies


async def post_daily(
    world: World,
    app: App,
    clock: ManualClock,
    client: discord.Client,
    topic: str = "sample-stats",
    *,
    checked: bool = True,
) -> discord.Message:
    """Enable the channel for the easy questions of `topic` (the fixture bank has one each:
    an MCQ in sample-stats, a short answer in sample-ml) and let the scheduler post it.
    `checked=False` enables it past the permission check (see `enable_unchecked`)."""
    steps = (
        ("config channel", {}),
        ("config topics", {"topics": topic}),
        ("config difficulty", {"level": "easy"}),
    )
    if not checked:
        await enable_unchecked(world, app, topic)
        steps = ()
    for sub, options in steps:
        result = await world.admin.slash(world.channel, sub, **options)
        assert result.ephemeral
    [result] = await tick(app, clock, POST_AT, client)
    await world.env.settle()
    card = world.channel.last_message
    # The publisher returns the posted message's id: the reveal replies to it.
    assert card is not None and (result.status, result.message_ref) == ("published", str(card.id))
    return card
