"""First use of the console, end to end: what a new user meets following the README.

Each test pipes a script into `studybot console` (or `studybot run` without tokens) as a
subprocess and reads what the terminal would show.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import tomllib
import zoneinfo
from pathlib import Path

from bot.settings import with_async_driver
from tests.conftest import FIXTURE_CONTENT, ROOT

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def studybot(
    tmp_path: Path,
    script: str,
    *args: str,
    env: dict[str, str] | None = None,
    command: str = "console",
    content: Path = FIXTURE_CONTENT,
) -> subprocess.CompletedProcess[str]:
    """`studybot console --db <tmp> --content <decks> ARGS` with `script` on stdin."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STUDYBOT_", "DISCORD_", "SLACK_")) and k != "COLUMNS"
    }
    full_env = {**base, **(env or {})}
    argv = [sys.executable, "-m", "adapters.cli", command]
    if command == "console":
        argv += ["--db", f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"]
        argv += ["--content", str(content)]
    return subprocess.run(
        [*argv, *args],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # no .env of the checkout, and ./data lands in the test's folder
        env=full_env,
        check=False,
    )


def chat(tmp_path: Path, script: str, *args: str, **kwargs: object) -> str:
    result = studybot(tmp_path, script, *args, **kwargs)  # type: ignore[arg-type]
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def errors(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("! ")]


def next_monday(hour: int) -> dt.datetime:
    today = dt.datetime.now(dt.UTC).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(hour), dt.UTC)


def true_deck(directory: Path, explanation: str = "It says so.") -> Path:
    """Easy true/false daily questions whose answer is always true."""
    directory.mkdir()
    items = "\n".join(
        f'[[questions]]\nid = "tf-{n}"\ntype = "true_false"\ndifficulty = "easy"\n'
        f'prompt = "Statement number {n} is true."\nanswer = true\n'
        f'explanation = "{explanation}"\n'
        for n in range(1, 8)
    )
    (directory / "truths.toml").write_text(
        '[deck]\ntopic = "truths"\ntitle = "Truths"\ndescription = "Always true."\n\n' + items
    )
    return directory


# -- 1. huge /time steps ---------------------------------------------------------------------


def test_huge_time_steps_get_the_one_line_error_and_the_loop_goes_on(tmp_path: Path) -> None:
    steps = ["+3000000d", "+100000000w", "+9999999999h", "+99999999999999d"]
    script = "".join(f"/time {s}\n" for s in steps) + "/time 9999-12-31T23:59-05:00\nhelp\n"
    result = studybot(tmp_path, script)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert errors(result.stdout) == ["! Move at most 366 days at a time."] * 5
    assert "StudyBot commands" in result.stdout  # the loop went on


# -- 17. logs go to a file, the console shows the chat ---------------------------------------


def _broken_decks(tmp_path: Path) -> Path:
    decks = tmp_path / "decks"
    decks.mkdir()
    for deck in FIXTURE_CONTENT.glob("*.toml"):
        (decks / deck.name).write_text(deck.read_text().replace("answer = 2", "answer = 7"))
    return decks


def test_console_logs_go_to_a_file_beside_the_database(tmp_path: Path) -> None:
    # A broken deck item logs a warning at start; INFO adds the start-up narration.
    result = studybot(
        tmp_path, "topics\n", env={"STUDYBOT_LOG_LEVEL": "INFO"}, content=_broken_decks(tmp_path)
    )
    assert result.returncode == 0
    assert result.stderr == ""
    log = tmp_path / "studybot.log"
    # Shown relative to the working directory (the test's folder here).
    assert result.stdout.count("Logs go to studybot.log.") == 1
    for noise in ("WARNING", "INFO", "skipped:", "loaded"):
        assert noise not in result.stdout
    text = log.read_text()
    assert "WARNING bot.bootstrap: skipped:" in text
    assert "INFO bot.bootstrap: loaded" in text


def test_make_run_without_tokens_shows_only_the_chat(tmp_path: Path) -> None:
    """`make run` is `studybot run`; with no token it opens the console on the settings' DB."""
    env = {
        "STUDYBOT_DATABASE_URL": "sqlite+aiosqlite:///./data/studybot.db",
        "STUDYBOT_CONTENT_DIR": str(_broken_decks(tmp_path)),
    }
    lines = [
        f"/time {next_monday(4):%Y-%m-%dT%H:%M}",
        "config channel",
        "/time +1w",  # stops at Monday's post; the log narrates the publish at INFO
        "/time next",
    ]
    result = studybot(tmp_path, "\n".join(lines) + "\n", env=env, command="run")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert not re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", result.stdout, re.MULTILINE)
    assert "Logs go to data/studybot.log." in result.stdout
    assert "Daily question" in result.stdout and "Reveal:" in result.stdout
    text = (tmp_path / "data" / "studybot.log").read_text()
    assert re.search(r"published \S*post\S* to", text) and "skipped:" in text


# -- 18, 19. the README's console section, followed as printed -------------------------------


def _console_section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Using the console")
    return readme[start : readme.index("\n## ", start + 1)]


def test_readme_runs_the_console_from_the_virtual_environment() -> None:
    section = _console_section()
    uses = re.findall(r"(\S*)studybot console", section)
    assert uses and all(prefix.endswith(".venv/bin/") for prefix in uses), uses
    # ...and that is where `make run` installs it.
    assert "$(BIN)/studybot run" in (ROOT / "Makefile").read_text()


def readme_example() -> list[str]:
    section = _console_section()
    block = section[section.index("A first daily round") :].split("```")[1]
    return [line.removeprefix("you> ") for line in block.splitlines() if line.startswith("you> ")]


def readme_example_replies() -> list[re.Pattern[str]]:
    """The example's printed replies as patterns: dates, zones, topics and answer hints vary
    with the day and the question, the rest must appear word for word."""
    section = _console_section()
    block = section[section.index("A first daily round") :].split("```")[1]
    pieces = {
        "QQWHENQQ": r"\w{3} \d{4}-\d\d-\d\d \d\d:\d\d [A-Z]+",
        "QQCLOCKQQ": r"\d\d:\d\d [A-Z]+",
        "QQANYQQ": r".+",
    }
    patterns = []
    for line in block.splitlines():
        if not line or line.startswith("you> ") or line.endswith("..."):
            continue
        line = re.sub(r"\w{3} \d{4}-\d\d-\d\d \d\d:\d\d (CET|UTC)", "QQWHENQQ", line)
        line = re.sub(r"\d\d:\d\d (CET|UTC)", "QQCLOCKQQ", line)
        line = line.replace("statistics-probability · medium", "QQANYQQ")
        line = line.replace("`answer LETTER`", "`answer QQANYQQ`")
        pattern = re.escape(line)
        for token, piece in pieces.items():
            pattern = pattern.replace(token, piece)
        patterns.append(re.compile(f"^{pattern}$", re.MULTILINE))
    return patterns


def _follow_readme(tmp_path: Path, preamble: list[str]) -> str:
    # The example's `answer B` suits its MCQ; this deck's questions are true/false.
    lines = [("answer true" if ln.startswith("answer ") else ln) for ln in readme_example()]
    return chat(tmp_path, "\n".join(preamble + lines) + "\n", content=true_deck(tmp_path / "deck"))


def _assert_a_whole_round(out: str) -> None:
    answer = out.index("you> answer true")
    assert "Daily question · truths · easy" in out[:answer]
    assert "Your answer is locked in." in out[answer:]
    reveal = out[answer:]
    assert "Reveal: Statement number" in reveal and "1 answered, 1 correct." in reveal
    assert errors(out) == []


def test_readme_example_as_printed_at_the_real_time(tmp_path: Path) -> None:
    assert readme_example() == [
        "config timezone Europe/Berlin",
        "config channel",
        "/time next",
        "answer B",
        "/time next",
    ]
    _assert_a_whole_round(_follow_readme(tmp_path, []))


def test_readme_example_before_the_post_time(tmp_path: Path) -> None:
    start = next_monday(4)  # 05:00 in Berlin: `/time next` brings the 09:00 question
    out = _follow_readme(tmp_path, [f"/time {start:%Y-%m-%dT%H:%M}"])
    _assert_a_whole_round(out)
    post = dt.datetime.combine(start.date(), dt.time(9), BERLIN)
    assert f"── {post:%a %Y-%m-%d %H:%M %Z} · #general ──" in out
    # On this path every reply the README prints appears as printed.
    patterns = readme_example_replies()
    assert len(patterns) >= 8
    for pattern in patterns:
        assert pattern.search(out), pattern.pattern


def test_readme_example_when_config_channel_posts_at_once(tmp_path: Path) -> None:
    start = next_monday(10)  # 11:00 in Berlin: `config channel` posts today's question
    out = _follow_readme(tmp_path, [f"/time {start:%Y-%m-%dT%H:%M}"])
    _assert_a_whole_round(out)
    held = out[out.index("you> /time next") :]
    assert held.splitlines()[1].startswith(
        "You have not answered the daily question in #general yet (closes at 17:00 "
    )


def test_a_jump_stops_after_a_post_and_says_how_to_go_on(tmp_path: Path) -> None:
    start = next_monday(4)
    target = start + dt.timedelta(days=1)
    post = dt.datetime.combine(start.date(), dt.time(8), dt.UTC)  # 09:00 Berlin
    lines = [
        f"/time {start:%Y-%m-%dT%H:%M}",
        "config channel",
        "config timezone Europe/Berlin",
        "/time +1d",
        "answer true",
        f"/time {target:%Y-%m-%dT%H:%MZ}",
        "/time next",
    ]
    out = chat(tmp_path, "\n".join(lines) + "\n", content=true_deck(tmp_path / "deck"))
    first = out[out.index("you> /time +1d") : out.index("you> answer true")]
    assert first.count("Daily question · truths") == 1 and "Reveal:" not in first
    local = post.astimezone(BERLIN)
    assert (
        f"Stopped at {local:%a %Y-%m-%d %H:%M %Z} (08:00 UTC) so you can answer the daily "
        f"question; 1 scheduled message(s) posted. `/time {target:%Y-%m-%dT%H:%MZ}` goes on to "
        f"{target.astimezone(BERLIN):%a %Y-%m-%d %H:%M %Z}."
    ) in first
    going_on = out[out.index(f"you> /time {target:%Y-%m-%dT%H:%MZ}") : out.index("you> /time next")]
    # Monday's reveal on the way; Tuesday's 09:00 post is after the target, so not yet.
    assert "Reveal: Statement number" in going_on and "1 answered, 1 correct." in going_on
    assert "Daily question · truths" not in going_on  # Tuesday 09:00 is after the target
    last = out[out.index("you> /time next") :]
    assert "Daily question · truths" in last
    tuesday = (post + dt.timedelta(days=1)).astimezone(BERLIN)
    assert f"It is {tuesday:%a %Y-%m-%d %H:%M %Z} (08:00 UTC) now; 1 scheduled" in last
    assert errors(out) == []


def test_time_next_with_nothing_scheduled_says_how_to_schedule(tmp_path: Path) -> None:
    out = chat(tmp_path, "/time next\n")
    assert "Nothing is scheduled within 366 days. An admin starts the daily question here " in out


# -- 21. bad settings and database URLs: one line, exit 2 -------------------------------------


def _one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_bad_setting_is_named_in_one_line(tmp_path: Path) -> None:
    line = _one_line_refusal(studybot(tmp_path, "", env={"STUDYBOT_QUIZ_DAILY_CAP": "abc"}))
    assert line.startswith("studybot: setting STUDYBOT_QUIZ_DAILY_CAP='abc' (environment or .env)")
    assert line.endswith("expected a whole number, 0 or more (points per person per day).")
    line = _one_line_refusal(studybot(tmp_path, "", env={"STUDYBOT_LOG_LEVEL": "loud"}))
    assert "STUDYBOT_LOG_LEVEL='loud'" in line and "expected DEBUG, INFO, WARNING" in line
    bad_url = {"STUDYBOT_DATABASE_URL": "postgresql+psycopg2://me:hunter2@db/x"}
    line = _one_line_refusal(studybot(tmp_path, "", env=bad_url, command="run"))
    assert "STUDYBOT_DATABASE_URL='postgresql+psycopg2://me:***@db/x'" in line
    assert "postgresql needs the asyncpg driver" in line and "hunter2" not in line


def test_an_unparsable_db_option_is_refused_in_one_line(tmp_path: Path) -> None:
    line = _one_line_refusal(studybot(tmp_path, "", "--db", "not a url"))
    assert line == (
        "studybot: --db 'not a url': not a database URL; expected sqlite+aiosqlite:///PATH or "
        "postgresql+asyncpg://USER:PASSWORD@HOST[:PORT]/DATABASE."
    )
    line = _one_line_refusal(studybot(tmp_path, "", "--db", "mysql://x/y"))
    assert "'mysql' is not a supported database" in line


def test_an_unreachable_postgresql_is_refused_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a local port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+asyncpg://me:hunter2@127.0.0.1:{port}/studybot"
    line = _one_line_refusal(studybot(tmp_path, "", "--db", url))
    assert line == (
        f"studybot: cannot use the database --db='postgresql+asyncpg://me:***@127.0.0.1:{port}/"
        "studybot': connection refused; expected a PostgreSQL server accepting connections at "
        "that host and port."
    )
    env = {"STUDYBOT_DATABASE_URL": url}
    line = _one_line_refusal(studybot(tmp_path, "", "upgrade", env=env, command="db"))
    assert line.startswith("studybot: cannot use the database STUDYBOT_DATABASE_URL=")
    # Platform mode opens the database before it connects anywhere, so this stays offline.
    env["DISCORD_TOKEN"] = "not-a-real-token"
    line = _one_line_refusal(studybot(tmp_path, "", env=env, command="run"))
    assert line.startswith("studybot: cannot use the database STUDYBOT_DATABASE_URL=")
    assert "connection refused" in line and "hunter2" not in line


# -- 22. the licence in the SPDX form ---------------------------------------------------------


def test_license_is_an_spdx_string_with_a_backend_that_reads_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    requires = project["build-system"]["requires"]
    # setuptools reads `license = "MIT"` (PEP 639) from 77 on; older ones reject it.
    assert any(re.fullmatch(r"setuptools>=(\d+).*", r) for r in requires)
    version = next(int(m[1]) for r in requires if (m := re.fullmatch(r"setuptools>=(\d+).*", r)))
    assert version >= 77


# -- 23. ../shared: deselected with a reason, never skipped -----------------------------------


def test_without_shared_the_originality_test_is_deselected_with_a_reason(tmp_path: Path) -> None:
    target = "tests/test_content.py::test_bank_shares_no_phrase_with_the_seeds"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["STUDYBOT_SHARED_DIR"] = str(tmp_path / "nowhere")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target]
    run = subprocess.run(
        argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False
    )
    assert "1 deselected" in run.stdout and "skipped" not in run.stdout
    assert "content test(s) NOT RUN" in run.stdout and "originality.py" in run.stdout
    # CI always has ../shared: there a missing one fails instead.
    ci = subprocess.run(
        argv, capture_output=True, text=True, cwd=ROOT, env={**env, "CI": "1"}, timeout=120
    )
    assert ci.returncode == 1 and "1 failed" in ci.stdout


# -- 25. feedback, explanation and the next question apart; long lines wrapped ----------------

LONG = (
    "Every statement in this deck is true by construction, which is why the answer is true; "
    "the point of this sentence is only to be much longer than the width of a narrow terminal."
)


def test_feedback_explanation_and_next_question_are_separate_paragraphs(tmp_path: Path) -> None:
    deck = true_deck(tmp_path / "deck", explanation=LONG)
    out = chat(tmp_path, "quiz truths 2\nanswer true\n", content=deck)
    block = out[out.index("you> answer true") :]
    assert f"✓ Correct! +5 points\n\n{LONG}\n\nQuestion 2/2 · truths · easy" in block


def test_long_lines_wrap_at_columns_and_piped_output_does_not_wrap(tmp_path: Path) -> None:
    deck = true_deck(tmp_path / "deck", explanation=LONG)
    out = chat(tmp_path, "quiz truths 1\nanswer true\n", env={"COLUMNS": "60"}, content=deck)
    assert max(len(line) for line in out.splitlines()) <= 60
    block = out[out.index("✓ Correct!") :]
    paragraph = block.split("\n\n")[1]
    assert "\n" in paragraph and " ".join(paragraph.split("\n")) == LONG
    (tmp_path / "console.db").unlink()
    plain = chat(tmp_path, "quiz truths 1\nanswer true\n", content=deck)
    assert f"\n{LONG}\n" in plain


# -- 26. section headers on the channel's clock -----------------------------------------------


def test_headers_and_cards_share_the_channels_time_zone(tmp_path: Path) -> None:
    start = next_monday(4)
    lines = [
        f"/time {start:%Y-%m-%dT%H:%M}",
        "config channel",
        "config timezone America/New_York",
        "/time next",
        "/time next",
    ]
    out = chat(tmp_path, "\n".join(lines) + "\n", content=true_deck(tmp_path / "deck"))
    zone = zoneinfo.ZoneInfo("America/New_York")
    post = dt.datetime.combine(start.date(), dt.time(9), zone)
    close = dt.datetime.combine(start.date(), dt.time(17), zone)
    assert f"── {post:%a %Y-%m-%d %H:%M %Z} · #general ──" in out
    assert f"Closes at 17:00 {post:%Z}." in out
    assert f"── {close:%a %Y-%m-%d %H:%M %Z} · #general ──" in out
    assert " UTC · #general ──" not in out


# -- 20. the simulated clock resumes where the database left it ---------------------------------


def test_a_restarted_console_resumes_the_simulated_clock(tmp_path: Path) -> None:
    first = studybot(tmp_path, "config channel\n/time +2w\n/time +2w\n/time +2w\n/time\n/quit\n")
    assert first.returncode == 0, first.stderr
    reached = re.findall(r"It is (\w{3} \d{4}-\d\d-\d\d \d\d:\d\d)", first.stdout)[-1]
    log = tmp_path / "data" / "studybot.log"
    before = log.read_text() if log.exists() else ""
    second = studybot(tmp_path, "/time\n/quit\n")
    assert second.returncode == 0, second.stderr
    # The welcome's simulated time is where the first run got to (or later), not today.
    [welcome] = re.findall(r"Simulated time: (\w{3} \d{4}-\d\d-\d\d \d\d:\d\d)", second.stdout)
    as_instant = dt.datetime.strptime(welcome[4:], "%Y-%m-%d %H:%M")
    assert as_instant >= dt.datetime.strptime(reached[4:], "%Y-%m-%d %H:%M")
    # And no weeks of "skipped" work replayed from before the channel existed.
    after = log.read_text() if log.exists() else ""
    assert "skipped" not in after[len(before) :]


def test_a_url_without_a_driver_gets_the_async_one(tmp_path: Path) -> None:
    # What guides and hosts hand out (`sqlite:///x.db`, `postgres://...`) names no driver;
    # there is one StudyBot can use for each, so the URL works as given.
    assert with_async_driver("sqlite:///data/x.db") == "sqlite+aiosqlite:///data/x.db"
    assert (
        with_async_driver("postgres://me:hunter2@db:5433/x")
        == "postgresql+asyncpg://me:hunter2@db:5433/x"
    )
    assert with_async_driver("postgresql://db/x") == "postgresql+asyncpg://db/x"
    # An explicit driver is kept, so the refusal names the one that was asked for.
    assert with_async_driver("postgresql+psycopg2://db/x") == "postgresql+psycopg2://db/x"
    assert with_async_driver("mysql://db/x") == "mysql://db/x"
    plain = f"sqlite:///{tmp_path / 'plain.db'}"
    out = chat(tmp_path, "team create Alpha\n", "--db", plain)
    assert "Team Alpha is created" in out
    assert (tmp_path / "plain.db").exists()
