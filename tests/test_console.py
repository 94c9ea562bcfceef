"""Console end to end: scripts piped into `studybot console` as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURE_CONTENT, ROOT


def run_console(tmp_path: Path, script: str, *args: str, content: Path = FIXTURE_CONTENT) -> str:
    env = {**os.environ, "STUDYBOT_LOG_LEVEL": "WARNING"}
    env.pop("STUDYBOT_DATABASE_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "adapters.cli",
            "console",
            "--db",
            f"sqlite+aiosqlite:///{tmp_path / 'console.db'}",
            "--content",
            str(content),
            *args,
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


SCRIPT = """\
team create Owls
/as Bob
team join Owls
/as Cy
team join owls
quiz sample-ml 3 medium
answer 5
/as Bob
quiz sample-stats 1 easy
answer median
quiz sample-ml 1 easy
answer droput
leaderboard
leaderboard teams month
stats
/quit
this line is never read
"""


def test_scripted_session(tmp_path: Path) -> None:
    out = run_console(tmp_path, SCRIPT)
    assert "Team Owls is created." in out
    assert out.count("You joined Owls.") == 2
    assert "Question 1/1 · sample-ml · medium" in out
    assert "✓ Correct! +10 points" in out  # 5 models in 5-fold CV, half of 20
    assert "Quiz complete! 1/1 correct, 10 points." in out
    assert "Question 1/1 · sample-stats · easy" in out
    assert "✓ Correct! +5 points" in out  # "droput": a typo is forgiven
    # Bob and Cy tie on points; Bob has more correct answers, so he ranks first.
    assert "1. Bob 10 pts (2 correct)" in out and "2. Cy 10 pts (1 correct)" in out
    assert "Only 1 question(s) match, so this quiz has 1 instead of 3." in out
    assert "Leaderboard · teams" in out and "Owls" in out
    assert "Stats for Bob" in out
    assert "this line is never read" not in out
    assert out.rstrip().endswith("Bye.")


def test_bad_inputs_each_get_one_line_and_the_loop_continues(tmp_path: Path) -> None:
    script = (
        "\n".join(
            [
                "quizz",
                "quiz nosuchtopic",
                "quiz 99",
                "answer",
                "answer B",
                "leaderboard forever",
                "/as",
                "/as Eve",
                "team create Eve's",
                "config time 25:00",
                "config timezone Mars/Base",
                "config time 10:00",
                "team join Ghosts",
                "forgetme now",
                "help",
            ]
        )
        + "\n"
    )
    out = run_console(tmp_path, script)
    errors = [line for line in out.splitlines() if line.startswith("! ")]
    assert errors == [
        "! Unknown command 'quizz'. Did you mean `quiz`? Send `help` for the list.",
        "! Unknown topic 'nosuchtopic'. Send `topics` for the list.",
        "! A quiz has 1 to 20 questions.",
        "! Say what your answer is. Usage: answer TEXT",
        "! You have no quiz running and this channel has no open daily question.",
        "! 'forever' is not a leaderboard option; use users or teams, and week, month or all. "
        "Usage: leaderboard [users|teams] [week|month|all]",
        "! Usage: /as NAME [admin]",
        "! Only an admin can create teams.",
        "! '25:00' is not a valid time of day; hours go 00-23 and minutes 00-59.",
        "! Unknown time zone 'Mars/Base'. Use an IANA name such as Europe/Berlin.",
        "! Only an admin can change the channel settings.",
        "! There is no team called Ghosts. Send `team list` to see them.",
        "! To delete your data, send exactly `forgetme confirm`.",
    ]
    assert "StudyBot commands" in out  # the loop went on to the last line


def test_broken_deck_item_is_skipped_with_a_warning(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    for deck in FIXTURE_CONTENT.glob("*.toml"):
        (decks / deck.name).write_text(deck.read_text().replace("answer = 2", "answer = 7"))
    out = run_console(tmp_path, "topics\n", content=decks)
    assert "sample-ml: Sample ML: 2 questions" in out


def test_empty_bank_fails_clearly(tmp_path: Path) -> None:
    env = {**os.environ}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "adapters.cli",
            "console",
            "--db",
            f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
            "--content",
            str(tmp_path),
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert "no usable questions" in result.stderr
