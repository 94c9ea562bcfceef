"""Slack payloads to core commands: action ids, modal metadata, origins and delivery ids."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.catalog import BY_NAME
from bot.commands import SubmitAnswer, UpdateConfig
from bot.identity import Origin, PlaceRef, Platform, PostAccess, UserRef
from bot.parsing import parse
from bot.replies import QuestionCard

# Every interactive element StudyBot posts carries one of these prefixes, so one regex
# listener per kind finds them and nothing else in the workspace collides with them.
ANSWER_PREFIX = "studybot:ans:"
OPEN_PREFIX = "studybot:open:"
ANSWER_VIEW = "studybot:answer"
# The Chart button under text stats; its value names whose stats (empty: the clicker's own).
CHART_ACTION = "studybot:chart"
ANSWER_BLOCK = "answer"
ANSWER_INPUT = "text"
ACTION_ID_MAX = 255  # Block Kit limit for action_id
METADATA_MAX = 3000  # Block Kit limit for a view's private_metadata

# Self-ratings of an open flashcard: action option -> the text the core's grammar accepts.
RATINGS: dict[str, str] = {"got": "got it", "partly": "partly", "missed": "missed"}

_TARGET = r"(?:r(?P<round>\d+)|q(?P<quiz>\d+):(?P<qid>[^:]*))"
_ANSWER = re.compile(
    "^" + re.escape(ANSWER_PREFIX) + _TARGET + r":(?P<opt>c\d+|true|false|got|partly|missed)$"
)
_OPEN = re.compile("^" + re.escape(OPEN_PREFIX) + _TARGET + r":(?P<type>[a-z_]+)$")
ANSWER_ACTIONS = re.compile("^" + re.escape(ANSWER_PREFIX))
OPEN_ACTIONS = re.compile("^" + re.escape(OPEN_PREFIX))


@dataclass(frozen=True)
class Target:
    """What an answer is for: a daily round, or one question of a quiz. Pinning it keeps a
    late click on an old card from landing on a newer question."""

    round_id: int | None = None
    quiz_id: int | None = None
    question_id: str | None = None

    def encode(self) -> str:
        if self.round_id is not None:
            return f"r{self.round_id}"
        return f"q{self.quiz_id}:{self.question_id or ''}"

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Target:
        if match["round"] is not None:
            return cls(round_id=int(match["round"]))
        return cls(quiz_id=int(match["quiz"]), question_id=match["qid"] or None)

    def answer(self, text: str, delivery_id: str | None, choice: int | None = None) -> SubmitAnswer:
        """The core command that answers this target, from a button or the modal."""
        return SubmitAnswer(
            text=text,
            round_id=self.round_id,
            quiz_id=self.quiz_id,
            question_id=self.question_id,
            delivery_id=delivery_id,
            choice=choice,
        )


def target_of(card: QuestionCard) -> Target | None:
    if card.round_id is not None:
        return Target(round_id=card.round_id)
    if card.quiz_id is not None:
        return Target(quiz_id=card.quiz_id, question_id=card.question_id)
    return None


def _fit(prefix: str, target: Target, suffix: str) -> str:
    action_id = f"{prefix}{target.encode()}:{suffix}"
    if len(action_id) > ACTION_ID_MAX and target.question_id:
        # Too long for Slack: the quiz id alone still pins the quiz, only the check that the
        # click belongs to the current question is lost.
        action_id = f"{prefix}{dataclasses.replace(target, question_id=None).encode()}:{suffix}"
    return action_id


def answer_action(target: Target, option: str) -> str:
    """`option`: `c<original index>` (MCQ), `true`/`false`, or a self-rating key."""
    return _fit(ANSWER_PREFIX, target, option)


def open_action(target: Target, question_type: str) -> str:
    return _fit(OPEN_PREFIX, target, question_type)


def answer_command(action_id: str, delivery_id: str | None) -> SubmitAnswer | None:
    match = _ANSWER.match(action_id)
    if match is None:
        return None
    target = Target.from_match(match)
    option = match["opt"]
    choice = int(option[1:]) if option.startswith("c") else None
    text = RATINGS.get(option, option) if choice is None else ""
    return target.answer(text, delivery_id, choice)


@dataclass(frozen=True)
class OpenRequest:
    target: Target
    question_type: str


def open_request(action_id: str) -> OpenRequest | None:
    match = _OPEN.match(action_id)
    if match is None:
        return None
    return OpenRequest(Target.from_match(match), match["type"])


@dataclass(frozen=True)
class ModalContext:
    """Carried in the modal's private_metadata: what is answered, where, and the response_url
    of the click that opened it (a reply there works even where the bot is not a member)."""

    target: Target
    question_type: str
    channel: str
    response_url: str | None = None

    def dump(self) -> str:
        data: dict[str, Any] = {
            "t": self.target.encode(),
            "k": self.question_type,
            "c": self.channel,
        }
        if self.response_url:
            data["u"] = self.response_url
        text = json.dumps(data, separators=(",", ":"))
        if len(text) > METADATA_MAX:
            data.pop("u", None)  # the reply falls back to chat.postEphemeral
            text = json.dumps(data, separators=(",", ":"))
        return text

    @classmethod
    def load(cls, text: str) -> ModalContext | None:
        try:
            data = json.loads(text)
            match = re.fullmatch(_TARGET, str(data["t"]))
            if match is None:
                return None
            return cls(Target.from_match(match), str(data["k"]), str(data["c"]), data.get("u"))
        except (ValueError, KeyError, TypeError):
            return None

    def command(self, text: str, delivery_id: str) -> SubmitAnswer:
        return self.target.answer(text, delivery_id)


def action_delivery_id(user_id: str, action: dict[str, Any]) -> str:
    # action_ts is unique per click: a redelivered click is recognised, a second click is a
    # new delivery that the core refuses on its own terms (already answered).
    return f"action:{user_id}:{action.get('action_ts', '')}:{action.get('action_id', '')}"[:200]


def view_delivery_id(body: dict[str, Any], view: dict[str, Any], text: str) -> str:
    """One submission of an answer form.

    A refusal shown in the form (response_action errors) leaves it open, with the same view id
    and hash, and the user may send it again, corrected or not (after a passing failure the
    same text is right). That must be a new delivery, or it would close with "Already
    handled.". Slack gives every submission its own trigger_id, so it names the submission: a
    redelivery of the same request is still recognised. Without a trigger_id the digest of
    the text at least lets a corrected answer through while a double submit stays a no-op.
    """
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        attempt = trigger
    else:
        attempt = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"view:{view.get('id', '')}:{view.get('hash', '')}:{attempt}"[:200]


# Slack's control sequences in a command's (escaped, `should_escape: true`) or a message's
# text: a typed `<` or `>` arrives as an entity, so every `<...>` is one of these.
_CONTROL = re.compile(r"<([^<>]*)>")


def _control(match: re.Match[str]) -> str:
    body, _, label = match[1].partition("|")
    if body.startswith("@"):
        # A mentioned person, `<@U123|handle>`: their id, which the core matches exactly (a
        # name may be shared or changed; the id is who was picked).
        return body[1:]
    if body.startswith("#"):
        return "#" + (label or body[1:])  # a channel, as the person saw it
    if body.startswith("!"):
        # `<!here>`, `<!subteam^S1|@group>`, `<!date^...|fallback>`: the words shown.
        command = body[1:].split("^", 1)[0]
        return label or ("@" + command)
    # A link Slack recognised: the text typed, else the address without its scheme tag.
    return label or body.removeprefix("mailto:")


def typed(text: str) -> str:
    """What a person typed, from a slash command's or a message's text. Mentions, channels
    and links arrive as control sequences (`<@U123|ada>`, `<#C1|general>`,
    `<http://x.io|x.io>`): a person becomes their id, the rest the words shown. Slack sends
    `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, so `p < 0.05` would be graded as
    `p &lt; 0.05`: only those three are decoded, after the sequences, and `&amp;` last, so
    `&amp;lt;` stays `&lt;`."""
    text = _CONTROL.sub(_control, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def event_delivery_id(event_id: str) -> str:
    return f"event:{event_id}"


def needs_admin(text: str) -> bool:
    """Whether `/study text` names a command or subcommand the catalog marks admin-only: only
    those need the user's admin flag (users.info). The core still decides and words refusals;
    a misspelt command is no admin command and gets the core's suggestion."""
    words = text.lower().split()
    entry = BY_NAME.get(words[0]) if words else None
    if entry is None:
        return False
    if entry.admin:
        return True
    sub = next((s for s in entry.subs if len(words) > 1 and s.name == words[1]), None)
    return sub is not None and sub.admin


def enables_channel(text: str) -> bool:
    """Whether `/study text` is `config channel`: the one command that needs to know whether
    the bot can post in the channel (conversations.info is asked only then)."""
    command = parse(text)
    return isinstance(command, UpdateConfig) and command.enable


def in_direct_message(body: dict[str, Any]) -> bool:
    """Whether a slash command was typed in a 1:1 direct message: Slack names the place
    `directmessage` in the command's `channel_name` (a DM has no name of its own)."""
    return body.get("channel_name") == "directmessage"


def access_of(info: dict[str, Any]) -> PostAccess:
    """The bot's access to a channel from conversations.info's `channel` object. A public
    channel takes posts without membership (chat:write.public); a private one (or a group
    DM) only from a member; the app's own DM with someone always."""
    if info.get("is_member") or info.get("is_im"):
        return PostAccess()
    if info.get("is_private") or info.get("is_group") or info.get("is_mpim"):
        return PostAccess(invite=True)
    return PostAccess()


def origin(
    team_id: str,
    channel_id: str,
    user_id: str,
    name: str,
    is_admin: bool,
    guessed_name: bool = False,
) -> Origin:
    return Origin(
        UserRef(Platform.SLACK, user_id),
        PlaceRef(Platform.SLACK, team_id, channel_id),
        name,
        is_admin,
        guessed_name=guessed_name,
    )


def payload_name(user: dict[str, Any]) -> str | None:
    """The acting user's Slack name as an interaction payload carries it."""
    for key in ("name", "username"):
        value = user.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def workspace_of(
    team_id: str | None, enterprise_id: str | None, is_enterprise_install: bool
) -> str:
    """The workspace a request belongs to: the installation's, i.e. the channel's, never the
    acting user's. Pass Bolt's context (team_id, enterprise_id, is_enterprise_install), which
    reads it the documented way: `view.app_installed_team_id` for a form opened from a Slack
    Connect channel, `team.id`, `authorizations[0]` for events, `team_id` for commands, and only
    then the user's team. In Slack Connect and Enterprise Grid channels a user's own team can
    differ from the channel's; scores, teams and rounds belong to the channel's side.

    An org-wide (Enterprise Grid) install serves every workspace of the organisation as one:
    its key is the enterprise id, the same for a command typed in one workspace and a click
    from another."""
    if is_enterprise_install and enterprise_id:
        return enterprise_id
    return team_id or enterprise_id or ""


def channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    found = body.get("channel_id") or channel.get("id") or container.get("channel_id")
    return str(found) if found else None
