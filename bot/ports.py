"""What the core needs from outside: clock, randomness, grading, publishing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from bot.identity import PlaceRef
from bot.interview import InterviewGrade
from bot.questions import Question
from bot.replies import Reply


class StorageFull(RuntimeError):
    """The database refused a write for lack of space (disk full, or its size limit); nothing
    was written, and the same request succeeds once space is freed."""


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware."""
        ...


class Rng(Protocol):
    def shuffle(self, items: list[int], seed: str) -> list[int]:
        """A permutation of `items` that depends only on `seed` (stable per round or quiz)."""
        ...

    def sample(self, population: Sequence[str], k: int) -> list[str]: ...


class Grader(Protocol):
    """Grades an interview answer against the question's key points."""

    async def grade(self, question: Question, answer: str) -> InterviewGrade: ...


class PublishRefused(Exception):
    """The platform refused the post for good (no access, no permission, channel gone):
    retrying cannot help until someone fixes the channel. `problem` names the case:
    not_in_channel | channel_not_found | archived | no_access | no_permission | unknown_channel,
    or cannot_check (a failed post cannot be looked for, so it may not be sent again)."""

    def __init__(self, problem: str, detail: str = "") -> None:
        super().__init__(f"{problem}: {detail}" if detail else problem)
        self.problem = problem
        self.detail = detail


# Publishers bound each platform request to this many seconds (SDK defaults are longer:
# slack_sdk waits 30 s), so one hanging channel gives up well inside the scheduler's minute.
# The wait for a rate-limit slot is not part of it: a large fan-out queues there by design.
REQUEST_TIMEOUT = 15.0


class Publisher(Protocol):
    """Posts scheduler replies to a channel of one platform, each piece of work at most once.

    `key` names the piece of work: the publisher attaches it to the message (Discord nonce,
    Slack message metadata) so that `find` can tell, after an ambiguous failure, whether the
    platform already has the message. `publish` raises PublishRefused for a permanent refusal;
    any other exception may mean the message arrived or not.
    """

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None: ...

    async def find(self, place: PlaceRef, key: str) -> str | None:
        """The reference of the message published under `key`, if the platform shows it."""
        ...

    async def notify_admin(self, place: PlaceRef, user_ref: str, reply: Reply) -> None:
        """Tell one person in private: the admin who enabled the channel about a problem, or a
        learner that review cards are due (a DM on Discord and Slack, a line in the console)."""
        ...


class LateReplier(Protocol):
    """Delivers the replies of an interaction processed late (its process died between the
    ack and the reply, and a restart or another process replayed it from the inbox)."""

    async def deliver_late(
        self, route: str | None, user_ref: str, replies: Sequence[Reply]
    ) -> None:
        """`route` is what the adapter stored with the interaction (a Slack response_url, a
        Discord interaction token), still valid; None once it has expired: reply in private
        (a DM) instead."""
        ...
