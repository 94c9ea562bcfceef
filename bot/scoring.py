"""Pure scoring rules: daily points, streak bonus and the quiz cap."""

from __future__ import annotations

from bot.questions import Difficulty

DAILY_POINTS = {Difficulty.EASY: 10, Difficulty.MEDIUM: 20, Difficulty.HARD: 30}
STREAK_STEP = 2
STREAK_CAP = 10
QUIZ_DAILY_CAP = 100


def daily_points(difficulty: Difficulty) -> int:
    return DAILY_POINTS[difficulty]


def streak_bonus(streak: int) -> int:
    """+2 for each consecutive correct round beyond the first, at most +10."""
    return min(STREAK_STEP * max(streak - 1, 0), STREAK_CAP)


def quiz_base_points(difficulty: Difficulty) -> int:
    """What a first correct quiz answer earns before the daily cap: half the daily points."""
    return DAILY_POINTS[difficulty] // 2


def quiz_points(
    difficulty: Difficulty, *, correct_before: bool, earned_today: int, cap: int = QUIZ_DAILY_CAP
) -> int:
    """Half the daily points, nothing for a repeat, and never past the day's cap."""
    if correct_before:
        return 0
    return max(0, min(quiz_base_points(difficulty), cap - earned_today))
