"""A reveal's tally as each platform shows it, for a round with answers and one without."""

from __future__ import annotations

import json

from adapters.slack.render import blocks_for
from bot.plaintext import render
from bot.replies import OptionShare, RoundReveal


def reveal(answered: int, right: int) -> RoundReveal:
    shares = (
        OptionShare("A", "Adam", right, True),
        OptionShare("B", "SGD", answered - right, False),
    )
    return RoundReveal(
        7,
        "q1",
        "Which optimiser?",
        "A. Adam",
        "Because.",
        answered,
        right,
        shares,
        ("Ann",) if right else (),
        "Ann" if right else None,
    )


def test_a_round_with_answers_shows_its_tally_and_shares() -> None:
    text = render(reveal(4, 3))
    assert "Round 7: 4 answered, 3 correct." in text
    assert "A) Adam: 3 (75%) ✓" in text and "B) SGD: 1 (25%)" in text
    slack = json.dumps([b.to_dict() for b in blocks_for(reveal(4, 3))])
    assert "Round 7: 4 answered, 3 correct." in slack and "SGD: 1 (25%)" in slack


def test_a_round_nobody_answered_says_so_without_a_table_of_zeros() -> None:
    text = render(reveal(0, 0))
    assert "Round 7: nobody answered this one." in text
    assert "(0%)" not in text and "Adam:" not in text
    slack = json.dumps([b.to_dict() for b in blocks_for(reveal(0, 0))])
    assert "nobody answered this one." in slack and "(0%)" not in slack
