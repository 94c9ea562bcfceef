"""A grader that takes as long as the test says: it waits on an event instead of sleeping."""

from __future__ import annotations

import asyncio

from bot.interview import BuiltinGrader, InterviewGrade
from bot.questions import Question


class SlowGrader:
    """Grades like the built-in grader, but only once `release` is set (a model that takes
    longer than the platform's 3 seconds, without the test waiting that long)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.finished = False
        self.inner = BuiltinGrader()

    async def grade(self, question: Question, answer: str) -> InterviewGrade:
        self.started.set()
        await self.release.wait()
        self.finished = True
        return await self.inner.grade(question, answer)
