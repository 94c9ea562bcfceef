"""Console end to end: three misses, a day later, and `review` serves them."""

from __future__ import annotations

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
