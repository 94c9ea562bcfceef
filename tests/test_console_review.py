"""Console end to end: three misses, a day later, and `review` serves them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.test_console import run_console

DECK = """\
[deck]
topic = "recall"
title = "Recall"
"""
ITEM = """
[[questions]]
id = "rc-{n}"
type = "short"
difficulty = "easy"
prompt = "Which word is number {n}?"
answer = "word{n}"
explanation = "Number {n} is word{n}."
"""


def test_three_misses_come_back_the_next_day(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "recall.toml").write_text(DECK + "".join(ITEM.format(n=n) for n in (1, 2, 3)))
    script = "\n".join(
        [
            "quiz recall 3",
            "answer nothing",
            "answer nothing",
            "answer nothing",
            "review",
            "/time +1d",
            "review",
            "answer nothing",
            "answer nothing",
            "answer nothing",
            "stats",
            "/quit",
        ]
    )
    out = run_console(tmp_path, script, content=decks)
    before, _, after = out.partition("/time +1d")
    assert before.count("✗") == 3  # three misses, each with its explanation
    assert "Nothing to review right now. Your next card is due tomorrow." in before
    assert "Review: 3 of your 3 due card(s), most overdue first." in after
    served = [f"Which word is number {n}?" for n in (1, 2, 3)]
    assert all(prompt in after for prompt in served)
    assert after.count("✗") == 3 and "Number 1 is word1." in after
    assert "Review done: 0 of 3 right." in after
    assert "Study streak: 1 day(s) (best 1)." in after
    assert "0 points" in after  # a review earns no board points


def test_a_reminder_is_a_line_in_the_console_on_days_with_cards_due(tmp_path: Path) -> None:
    # The console clock starts at the real time and only moves forward: next week's Monday,
    # not a fixed date (a fixed one failed once the calendar reached it).
    today = dt.datetime.now(dt.UTC).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    script = "\n".join(
        [
            f"/time {monday.isoformat()}T08:00",
            "quiz sample-ml 1 medium",
            "answer 99",  # wrong: due Tuesday 08:00
            "remind 09:00",
            "/time +1d",  # Monday 09:00 passes with nothing due: no line
            "/time +1d",  # Tuesday 09:00: one line
            "/time +1d",  # Wednesday 09:00: still due, one more
            "remind off",
            "/time +3d",
            "/quit",
        ]
    )
    out = run_console(tmp_path, script)
    line = "(to you) 1 review card(s) due today. `review` takes a few minutes"
    steps = out.split("you> /time +")
    assert [line in step for step in steps[1:]] == [False, True, True, False]
