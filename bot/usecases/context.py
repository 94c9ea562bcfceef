"""What every use case shares: the stores, the bank, the clock, and who is asking."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import socket
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot import messages as m
from bot.charts.service import Charts
from bot.content import QuestionBank
from bot.errors import UserError as UserError  # where use cases have always imported it
from bot.identity import Origin, PlaceRef, Platform
from bot.inbox import LEASE
from bot.interview import BuiltinGrader
from bot.ports import Clock, Grader, Rng
from bot.questions import Question
from bot.records import ChannelRecord, UserRecord
from bot.replies import Notice, Tone
from bot.schedule import local_date
from bot.scoring import QUIZ_DAILY_CAP
from bot.store_ports import Stores
from bot.workspace_bank import WorkspaceBanks

# A near spelling of a topic or a part of one (`statistcs`, `lerning`), by edit similarity.
TOPIC_CUTOFF = 75
# Channels whose timezone a process remembers for Context.actor_and (a few bytes each).
ZONES_KEPT = 4096

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """The user behind a command and the channel it came from, as stored."""

    origin: Origin
    user: UserRecord
    channel: ChannelRecord
    bank: QuestionBank  # what this workspace sees: built-in topics it kept and its own decks

    @property
    def workspace(self) -> str:
        return self.origin.place.workspace_key

    @property
    def timezone(self) -> str:
        return self.channel.schedule.timezone


@dataclass
class Context:
    """The ports and settings the use cases run against; built once by the bootstrap."""

    stores: Stores
    bank: QuestionBank
    clock: Clock
    rng: Rng
    quiz_cap: int = QUIZ_DAILY_CAP
    owner: str = ""
    grader: Grader | None = None  # interview answers; the built-in grader unless configured
    banks: WorkspaceBanks | None = None
    # How long an inbox row is its process's before a replay takes it (STUDYBOT_INBOX_LEASE).
    inbox_lease: dt.timedelta = LEASE
    _tag_topics: dict[int, tuple[QuestionBank, dict[str, str]]] = field(
        default_factory=dict, init=False, repr=False
    )
    # The timezone each channel had at its last command: a guess, checked against the look-up.
    _zones: dict[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False)
    # Draws charts off the event loop and keeps the last ones (matplotlib loads on first use).
    charts: Charts = field(default_factory=Charts)

    def __post_init__(self) -> None:
        if self.grader is None:
            self.grader = BuiltinGrader(self.bank.vocabulary)
        # Names the claimant in the claims table, to tell processes apart when debugging.
        if self.banks is None and self.stores is not None:
            self.banks = WorkspaceBanks(self.bank, self.stores.decks)
        self.owner = self.owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    async def actor(self, origin: Origin) -> Actor:
        """The asker as stored: one read finds the user, the channel and the bank version;
        a first command (or a new display name) writes the user or channel first."""
        return (await self._actor(origin))[0]

    async def actor_and(
        self, origin: Origin, read: Callable[[str], Awaitable[T]]
    ) -> tuple[Actor, T | None]:
        """The asker and `read(timezone)` run beside the look-up, for the timezone the
        asker's channel had at its last command: on PostgreSQL two statements in flight
        at once, one round trip of waiting instead of two. The read is None when it may
        differ from one run after the look-up (the caller then reads): the channel is new
        to this process or its timezone changed, or the look-up wrote the user or channel
        (a first command, a new display name)."""
        place = origin.place
        zone = self._zones.get((place.workspace_key, place.channel))
        if zone is None:
            return await self.actor(origin), None
        found, result = await asyncio.gather(
            self._actor(origin), read(zone), return_exceptions=True
        )
        if isinstance(found, BaseException):
            raise found  # the read beside has finished too: nothing is left running
        actor, wrote = found
        if isinstance(result, asyncio.CancelledError):
            raise result
        # A read beside that failed is the caller's to run again, after the look-up.
        if isinstance(result, BaseException) or wrote or actor.timezone != zone:
            return actor, None
        return actor, result

    async def _actor(self, origin: Origin) -> tuple[Actor, bool]:
        now = self.clock.now()
        place = origin.place
        workspace = place.workspace_key
        seen = await self.stores.users.sighting(workspace, origin.user.user_id, place.channel)
        user = seen.user
        renamed = user is not None and user.display_name != origin.display_name
        wrote = False
        if user is None or (renamed and not origin.guessed_name):
            wrote = True
            user = await self.stores.users.ensure_user(
                workspace, origin.user.user_id, origin.display_name, now, origin.guessed_name
            )
        channel = seen.channel
        if channel is None:
            wrote = True
            channel = await self.stores.channels.ensure_channel(
                place.platform.value, workspace, place.channel, now
            )
        if len(self._zones) >= ZONES_KEPT:
            self._zones.clear()
        self._zones[(workspace, place.channel)] = channel.schedule.timezone
        bank = await self.bank_for(workspace, seen.bank_version)
        return Actor(origin, user, channel, bank), wrote

    async def bank_for(self, workspace: str, version: int | None = None) -> QuestionBank:
        """The bank this workspace sees: built-in topics it has not disabled and its decks
        (`version`: the bank version just read, if the caller has it)."""
        if self.banks is None:  # a context without stores (pure tests): the built-in bank
            return self.bank
        return await self.banks.bank(workspace, version)

    def question(self, question_id: str) -> Question | None:
        """A question by id, built-in or of a workspace deck this process has loaded."""
        if self.banks is None:
            return self.bank.by_id.get(question_id)
        return self.banks.question(question_id)

    def today(self, actor: Actor) -> dt.date:
        return local_date(self.clock.now(), actor.timezone)

    def resolve_topic(self, word: str, bank: QuestionBank | None = None) -> str:
        """Map a topic word or phrase to a deck: exact slug, a unique slug part, prefix or deck
        alias, or the deck's title typed out (`deep learning`, `Transformers and LLMs`); else
        a refusal that names the decks it matches or plausibly means. The one resolver for
        `quiz`, `review`, `interview` and `config topics`."""
        bank = bank or self.bank
        low = " ".join(word.lower().split())
        key = low.replace(" ", "-")
        found = self._topic_matches(key, bank)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UserError(m.ambiguous_topic(word, found))
        words = low.split()
        if len(words) > 1:
            # Two topics named at once (`quiz nlp cv`) rather than one name in several words.
            named = [(w, t) for w in words if len(t := self._topic_matches(w, bank)) == 1]
            if len({t[0] for _, t in named}) > 1:
                raise UserError(
                    m.ONE_TOPIC.format(first=m.clip(named[0][0]), second=m.clip(named[1][0]))
                )
            # A deck one of the words names comes first, then what each word plausibly means.
            guesses = [t[0] for _, t in named] + [
                g for w in words for g in self.topic_guesses(w, bank)
            ]
            raise UserError(m.unknown_topic(word, list(dict.fromkeys(guesses))[:3]))
        raise UserError(m.unknown_topic(word, self.topic_guesses(low, bank)))

    @staticmethod
    def _topic_matches(key: str, bank: QuestionBank) -> list[str]:
        """Decks `key` (lower case, words joined by hyphens) names: itself, else every deck it is
        a slug part, a slug prefix, an alias, or a prefix of the title of."""
        if key in bank.topics:
            return [key]
        return [
            t
            for t in bank.topics
            if key in t.split("-")
            or t.startswith(key)
            or key in bank.decks[t].aliases
            or _title_key(bank.decks[t].title).startswith(key)
        ]

    def topic_guesses(self, low: str, bank: QuestionBank | None = None) -> list[str]:
        """Decks a word plausibly means: a near spelling of a slug or a slug part
        (`statistcs`), a word of a deck's title, or a question tag mostly found in one deck
        (`pca` -> unsupervised-dim-reduction). Loose partial matches suggest nothing."""
        if len(low) > 64:
            return []
        from rapidfuzz import fuzz  # loads on the first unknown deck name, not at start

        bank = bank or self.bank
        found: dict[str, float] = {}
        for topic in bank.topics:
            parts = [topic, *topic.split("-")]
            score = max(fuzz.ratio(low, p) for p in parts)
            if score >= TOPIC_CUTOFF:
                found[topic] = score
            elif len(low) >= 3 and any(p.startswith(low) for p in parts):
                found[topic] = TOPIC_CUTOFF  # `algo` for the two algorithms decks
            title = bank.decks[topic].title.lower()
            if low in re.findall(r"[a-z0-9]+", title):
                found[topic] = max(found.get(topic, 0.0), 100.0)
        tagged = self._tags(bank).get(_tag_key(low))
        if tagged is not None:
            found[tagged] = max(found.get(tagged, 0.0), 100.0)
        return sorted(found, key=lambda t: (-found[t], t))[:3]

    def _tags(self, bank: QuestionBank) -> dict[str, str]:
        """Each question tag mapped to the deck holding most of its questions, when that
        deck holds at least half of them (a tag spread thin points nowhere); per bank."""
        cached = self._tag_topics.get(id(bank))
        if cached is not None and cached[0] is bank:
            return cached[1]
        uses: dict[str, Counter[str]] = {}
        for q in bank.by_id.values():
            if q.topic not in bank.decks:
                continue  # a disabled topic or deck
            for tag in q.tags:
                uses.setdefault(_tag_key(tag), Counter())[q.topic] += 1
        tags: dict[str, str] = {}
        for tag, per_topic in uses.items():
            topic, n = min(per_topic.items(), key=lambda kv: (-kv[1], kv[0]))
            if 2 * n >= sum(per_topic.values()):
                tags[tag] = topic
        if len(self._tag_topics) > 256:
            self._tag_topics.clear()  # banks of workspaces that changed since
        self._tag_topics[id(bank)] = (bank, tags)
        return tags


def _title_key(title: str) -> str:
    """A deck title as a topic key: `Transformers and LLMs` -> `transformers-and-llms`."""
    return "-".join(re.findall(r"[a-z0-9]+", title.lower()))


def _tag_key(word: str) -> str:
    """Tags compared by letters and digits only: `kmeans` finds `k-means`."""
    return re.sub(r"[^a-z0-9]", "", word.lower())


def require_admin(actor: Actor, what: str) -> None:
    if not actor.origin.is_admin:
        raise UserError(m.NOT_ADMIN.format(what=what))


def ok(text: str) -> Notice:
    return Notice(text, Tone.SUCCESS)


def place_of(channel: ChannelRecord) -> PlaceRef:
    platform = Platform(channel.platform)
    # Channels store the workspace key ("slack:T123"); the place wants the bare workspace id.
    workspace = channel.workspace.removeprefix(f"{platform.value}:")
    return PlaceRef(platform, workspace, channel.external_id)
