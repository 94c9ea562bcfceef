"""The review store port: cards, the study streak, reminders and review settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from bot.records import CardRecord, CardReview, LearnerRecord, ReminderRecord
from bot.review import ReviewPolicy


class CardStore(Protocol):
    """Review cards (FSRS), the study streak, reminders and a workspace's review settings.
    Answers update cards inside the stores that record them (quizzes, interviews, the
    round's close); this store reads them and keeps the rest."""

    async def review(self, workspace: str, reviews: Sequence[CardReview]) -> None: ...

    async def due_cards(
        self, user_id: int, before: dt.datetime, limit: int = 200
    ) -> list[CardRecord]:
        """The user's cards due before `before`, most overdue first."""
        ...

    async def next_due(self, user_id: int, after: dt.datetime) -> CardRecord | None: ...

    async def review_answers(
        self, user_id: int, since: dt.datetime
    ) -> list[tuple[dt.datetime, bool]]:
        """Answers in `review` sessions since `since`: when, and whether recalled."""
        ...

    async def user_cards(self, user_id: int) -> list[CardRecord]: ...

    async def get_card(self, user_id: int, question_id: str) -> CardRecord | None: ...

    async def learner(self, user_id: int) -> LearnerRecord | None: ...

    async def policy(self, workspace: str) -> ReviewPolicy: ...

    async def set_policy(
        self,
        workspace: str,
        now: dt.datetime,
        retention: float | None = None,
        maximum_interval: int | None = None,
    ) -> None: ...

    async def set_reminder(
        self,
        user_id: int,
        remind_time: str | None,
        zone: str | None,
        channel_id: int | None,
        next_at: dt.datetime | None,
    ) -> bool:
        """Set (or with None, clear) the user's daily reminder; False when clearing found none."""
        ...

    async def due_reminders(
        self, now: dt.datetime, platforms: Sequence[str], limit: int = 500
    ) -> list[ReminderRecord]:
        """Reminders on `platforms` whose stored next instant is at or before `now` (indexed)."""
        ...

    async def take_reminder(
        self, user_id: int, expected: dt.datetime, next_at: dt.datetime
    ) -> bool:
        """Compare-and-set the reminder's next instant: True for the one caller that moved it."""
        ...

    async def next_reminder_at(self, after: dt.datetime) -> dt.datetime | None: ...
