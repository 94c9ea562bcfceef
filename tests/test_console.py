"""Console end to end: scripts piped into `studybot console` as a subprocess."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURE_CONTENT, ROOT


def console_process(
    tmp_path: Path, script: str, *args: str, content: Path = FIXTURE_CONTENT
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STUDYBOT_LOG_LEVEL": "WARNING"}
    env.pop("STUDYBOT_DATABASE_URL", None)
    env.pop("COLUMNS", None)  # piped output is then never wrapped, so lines compare exactly
    command = [
        sys.executable,
        "-m",
        "adapters.cli",
        "console",
        "--db",
        f"sqlite+aiosqlite:///{tmp_path / 'console.db'}",
        "--content",
        str(content),
        *args,
    ]
    return subprocess.run(
        command,
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
        check=False,
    )


def run_console(tmp_path: Path, script: str, *args: str, content: Path = FIXTURE_CONTENT) -> str:
    result = console_process(tmp_path, script, *args, content=content)
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
        "! Say what your answer is. Usage: `answer TEXT`",
        "! You have no quiz running and this channel has no open daily question.",
        "! 'forever' is not a leaderboard option; use users or teams, week, month or all, and "
        "chart. Usage: `leaderboard [users|teams] [week|month|all] [chart]`",
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
    empty = tmp_path / "empty"
    empty.mkdir()
    result = console_process(tmp_path, "", content=empty)
    assert result.returncode == 1
    assert "no usable questions" in result.stderr


def true_deck(directory: Path) -> Path:
    """A deck where every daily question is an easy true/false whose answer is true."""
    directory.mkdir()
    items = "\n".join(
        f"""[[questions]]
id = "tf-{n}"
type = "true_false"
difficulty = "easy"
prompt = "Statement number {n} is true."
answer = true
explanation = "It says so."
"""
        for n in range(1, 8)
    )
    (directory / "truths.toml").write_text(
        '[deck]\ntopic = "truths"\ntitle = "Truths"\ndescription = "Always true."\n\n' + items
    )
    return directory


def test_a_simulated_week_posts_reveals_and_tallies(tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    monday = today + dt.timedelta(days=7 - today.weekday())  # next week's Monday
    day = [(monday + dt.timedelta(days=i)).isoformat() for i in range(5)]
    # Who answers what each day (every question's answer is true; easy = 10 points,
    # +2 per consecutive correct round beyond the first).
    plan = [
        {"Ada": "true", "Bob": "true", "Cy": "true", "Dee": "false"},
        {"Ada": "true", "Bob": "false", "Cy": "true"},
        {"Ada": "true", "Cy": "false", "Dee": "true"},
        {"Ada": "true", "Bob": "true", "Cy": "true", "Dee": "true"},
        {"Ada": "true", "Cy": "true"},
    ]
    lines = [
        f"/time {day[0]}T04:00",
        "config channel",
        "config timezone Europe/Berlin",
        "team create Owls",
        "team create Hawks",
        "team join Owls",
        "/as Bob",
        "team join Owls",
        "/as Cy",
        "team join Hawks",
        "/as Dee",
        "team join Hawks",
    ]
    for date, answers in zip(day, plan, strict=True):
        lines.append(f"/time {date}T11:00")  # after 09:00 and before 17:00 in Berlin
        for name, answer in answers.items():
            lines += [f"/as {name}", f"answer {answer}"]
    lines += [f"/time {day[4]}T18:00", "/time +1x", "/time 2000-01-01"]
    out = run_console(
        tmp_path, "\n".join(lines) + "\n", "--as", "Ada", content=true_deck(tmp_path / "d")
    )
    assert out.count("Daily question · truths · easy") == 5
    assert out.count("Reveal: Statement number") == 5
    assert out.count("Weekly tally · ") == 1
    assert out.count("Your answer is locked in.") == 16
    # Ada 10+12+14+16+18, Bob 10+10, Cy 10+12+10+12, Dee 10+12.
    tally = out[out.index("Weekly tally · ") :]
    assert f"Weekly tally · week of {day[0]}" in tally
    now = "2 active, 2 on the team now; first tally"
    assert f"1. Owls 90 pts (45.0 per active member, {now})" in tally
    assert f"2. Hawks 66 pts (33.0 per active member, {now})" in tally
    assert "1. Ada 70 pts\n  2. Cy 44 pts\n  3. Dee 22 pts" in tally
    assert "Right: Ada, Cy" in out  # Friday's reveal
    errors = [line for line in out.splitlines() if line.startswith("! ")]
    assert errors[0].startswith("! '+1x' is not a time step or date.")
    assert errors[1].startswith("! The console clock only moves forward")
    assert len(errors) == 2


def test_charts_are_saved_beside_the_database_and_their_path_printed(tmp_path: Path) -> None:
    script = "quiz sample-ml 1 medium\nanswer 5\nstats chart\nleaderboard chart\nstats\n"
    out = run_console(tmp_path, script)
    saved = [
        line.removeprefix("Chart saved: ") for line in out.splitlines() if "Chart saved" in line
    ]
    assert len(saved) == 2  # `stats` alone draws nothing
    charts = sorted((tmp_path / "charts").iterdir())
    assert sorted(Path(p).resolve() for p in saved) == [c.resolve() for c in charts]
    assert [c.name.split("-")[0] for c in charts] == ["leaderboard", "progress"]
    assert all(c.read_bytes().startswith(b"\x89PNG") for c in charts)
    # The text is all there too: the chart is an addition.
    assert "Stats for you: 10 points (#1)" in out and "1. you 10 pts" in out


def test_deck_export_is_saved_beside_the_database_and_its_path_printed(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "type,difficulty,prompt,choices,answer,accept,tolerance,explanation\n"
        "true_false,easy,Our feature store is Feast.,,true,,,It is.\n"
    )
    script = f"deck import ours {source}\ndeck export ours\n"
    out = run_console(tmp_path, script)
    assert "✓ Deck 'ours' exported in the native TOML format: 1 questions (1 true_false)" in out
    [saved] = [
        line.removeprefix("File saved: ") for line in out.splitlines() if "File saved" in line
    ]
    file = tmp_path / "exports" / "ours.toml"
    assert Path(saved).resolve() == file.resolve()
    assert file.read_text().startswith('[deck]\ntopic = "ours"')
    assert "Our feature store is Feast." not in out  # the content is in the file, not printed
    # Where the file cannot be written, the content is printed instead.
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "exports").write_text("not a folder")
    out = run_console(blocked, script)
    assert "File saved" not in out
    assert '[deck]\ntopic = "ours"' in out and "Our feature store is Feast." in out


def test_an_admin_stays_one_when_switched_back(tmp_path: Path) -> None:
    # `/as you` after trying things as someone else gave the console's admin no rights
    # ("Only an admin can create teams").
    script = "/as Bea\nteam create Owls\n/as you\nteam create Owls\n/as Cy admin\n/as Bea\n/as cy\n"
    out = run_console(tmp_path, script, "--as", "you")
    lines = [line for line in out.splitlines() if line and not line.startswith(("you>", "Bea>"))]
    assert "You are now Bea." in lines
    assert "! Only an admin can create teams." in lines
    assert "You are now you (admin)." in lines
    assert any(line.startswith("✓ Team Owls is created") for line in lines)
    assert "You are now cy (admin)." in lines
