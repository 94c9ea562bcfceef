"""Console end to end: a bare `stop` ends whatever runs, as that session's own stop does."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console
from tests.test_console_review import DECK, ITEM


def exchanges(out: str) -> list[tuple[str, str]]:
    """The transcript as (line typed, reply) pairs, in order."""
    pairs = []
    for chunk in out.split("\nyou> ")[1:]:
        typed, _, reply = chunk.partition("\n")
        pairs.append((typed, reply.strip()))
    return pairs


def replies_to(out: str, typed: str) -> list[str]:
    return [reply for line, reply in exchanges(out) if line == typed]


NOTHING = "! Nothing to stop: you have no quiz, review or interview running."


def test_stop_ends_a_quiz_or_an_interview_as_their_own_stop_does(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "stop",
            "stop now",
            "quiz sample-stats 1 easy",
            "stop",
            "stop",
            "quiz sample-stats 1 easy",
            "quiz stop",
            "interview",
            "stop",
            "interview",
            "interview stop",
            "stop",
            "/quit",
        ]
    )
    out = run_console(tmp_path, script)
    stops = replies_to(out, "stop")
    own = replies_to(out, "quiz stop") + replies_to(out, "interview stop")
    assert replies_to(out, "stop now") == [
        "! 'stop' takes no arguments: send it alone to end your quiz, review or interview."
    ]
    # Nothing, a quiz, nothing, an interview (where a line that names no command is the
    # answer: `stop` is not graded as one), nothing.
    assert stops == [NOTHING, own[0], NOTHING, own[1], NOTHING]
    assert own[0] == "Quiz stopped. 0/0 correct, 0 points."
    assert own[1].startswith("✓ Interview stopped:")


def test_stop_ends_a_quiz_half_done_and_a_review_as_their_own_stop_does(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "recall.toml").write_text(DECK + "".join(ITEM.format(n=n) for n in (1, 2, 3)))
    miss = "answer nothing"
    quizzes = ["quiz recall 3", miss, "stop", "quiz recall 3", miss, "quiz stop"]
    reviews = ["review", "review stop", "review", "stop", "stop"]
    script = "\n".join([*quizzes, "/time +1d", *reviews, "/quit"])
    out = run_console(tmp_path, script, content=decks)
    stops = replies_to(out, "stop")
    quiz, review = replies_to(out, "quiz stop") + replies_to(out, "review stop")
    assert stops == [quiz, review, NOTHING]
    assert quiz == "Quiz stopped. 0/1 correct, 0 points."
    assert review.startswith("✓ Review stopped: 0 of 0 right.")
