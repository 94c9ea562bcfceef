"""The text grammar: every command and its malformed variants."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import commands as c
from bot.commandref import render_refs
from bot.parsing import ParseError, parse
from bot.questions import Difficulty


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", c.ShowHelp()),
        ("/help quiz", c.ShowHelp("quiz")),
        ("topics", c.ShowTopics()),
        ("/quiz statistics 3", c.StartQuiz("statistics", None, 3)),
        ("quiz hard", c.StartQuiz(None, Difficulty.HARD, 5)),
        ("quiz 10 easy nlp", c.StartQuiz("nlp", Difficulty.EASY, 10)),
        ("quiz all", c.StartQuiz(None, None, 5)),
        ("quiz stop", c.StopQuiz()),
        ("stop", c.StopSession()),
        ("/STOP", c.StopSession()),
        ("answer B", c.SubmitAnswer("B")),
        ("answer random sample consensus", c.SubmitAnswer("random sample consensus")),
        ("leaderboard", c.ShowLeaderboard("users", "week")),
        ("/leaderboard teams month", c.ShowLeaderboard("teams", "month")),
        ("leaderboard all teams", c.ShowLeaderboard("teams", "all")),
        ("stats", c.ShowStats(None)),
        ("stats @Ada Lovelace", c.ShowStats("Ada Lovelace")),
        ("team create Deep Owls", c.CreateTeam("Deep Owls")),
        ("team join  deep   owls", c.JoinTeam("deep owls")),
        ("team leave", c.LeaveTeam()),
        ("team list", c.ListTeams()),
        ("config", c.ShowConfig()),
        ("config time 9:30", c.UpdateConfig(post_time=dt.time(9, 30))),
        ("config timezone asia/kolkata", c.UpdateConfig(timezone="Asia/Kolkata")),
        ("config days weekdays", c.UpdateConfig(days=frozenset(range(5)))),
        ("config topics nlp, deep-learning", c.UpdateConfig(topics=("nlp", "deep-learning"))),
        ("config topics all", c.UpdateConfig(topics=())),
        ("config difficulty mixed", c.UpdateConfig(mixed_difficulty=True)),
        ("config weekly fri 17:00", c.UpdateConfig(weekly_day=4, weekly_time=dt.time(17))),
        ("config pause", c.UpdateConfig(paused=True)),
        ("config time 7 pm", c.UpdateConfig(post_time=dt.time(19))),
        ("config weekly fri 5 pm", c.UpdateConfig(weekly_day=4, weekly_time=dt.time(17))),
        ("remind 7:30 pm", c.SetReminder(time=dt.time(19, 30))),
        ("remind 7am Europe/Berlin", c.SetReminder(time=dt.time(7), zone="Europe/Berlin")),
        ("remind 8 a.m. asia/kolkata", c.SetReminder(time=dt.time(8), zone="Asia/Kolkata")),
        ("forgetme", c.ForgetMe(False)),
        ("forgetme confirm", c.ForgetMe(True)),
    ],
)
def test_parses(line: str, expected: object) -> None:
    assert parse(line) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("quizz", "Unknown command 'quizz'. Did you mean `quiz`?"),
        ("xyzzy", "Unknown command 'xyzzy'. Send `help`"),
        ("quiz 0", "A quiz has 1 to 20 questions."),
        ("quiz 21", "A quiz has 1 to 20 questions."),
        ("quiz 3 4", "The count was given twice."),
        ("quiz easy hard", "The difficulty was given twice."),
        ("quiz nlp stop", "To end your quiz, send `quiz stop` on its own."),
        ("answer", "Say what your answer is."),
        ("leaderboard users forever", "'forever' is not a leaderboard option"),
        ("team", "`team` needs a subcommand."),
        ("team rename X", "`team rename` is not a subcommand."),
        ("team create", "Name the team: `team create NAME`."),
        ("team create " + "x" * 40, "Team names are 1 to 32 characters"),
        ("team create <script>", "Team names are 1 to 32 characters"),
        ("team leave now", "`team leave` takes no arguments."),
        ("topics extra", "`topics` takes no arguments."),
        ("config time", "`config time` needs a value."),
        ("config time 7", "'7' is not a time"),
        ("config time 13pm", "with am/pm, hours go 1-12"),
        ("config timezone Moon/Base", "Unknown time zone 'Moon/Base'"),
        ("config days someday", "'someday' is not a day"),
        ("config difficulty brutal", "'brutal' is not a difficulty"),
        ("config weekly fri", "Give the weekly tally as DAY HH:MM"),
        ("config frobnicate", "`config frobnicate` is not a subcommand."),
        ("forgetme now", "To delete your data, send exactly `forgetme confirm`."),
        ("help nosuch", "Unknown command 'nosuch'."),
    ],
)
def test_malformed_lines_get_specific_messages(line: str, message: str) -> None:
    result = parse(line)
    assert isinstance(result, ParseError)
    assert message in render_refs(result.message)


@pytest.mark.parametrize(
    ("line", "meant"),
    [
        ("config post-time 9am", "config time"),
        ("config timzone UTC", "config timezone"),
        ("team craete Red", "team create"),
        ("team lst", "team list"),
        ("deck imprt ours ours.csv", "deck import"),
        ("question voud 3", "question void"),
        ("leaderboard mnth", "leaderboard month"),
        ("leaderboard teams wek", "leaderboard teams week"),
        ("leaderboard mnth teams chart", "leaderboard month teams chart"),
    ],
)
def test_a_mistyped_subcommand_or_board_word_names_the_one_meant(line: str, meant: str) -> None:
    result = parse(line)
    assert isinstance(result, ParseError)
    assert f"Did you mean `{meant}`?" in render_refs(result.message)
    # The usage still follows, and nothing ran.
    assert "Usage: `" in render_refs(result.message)


@pytest.mark.parametrize("line", ["config frobnicate", "team rename X", "leaderboard forever"])
def test_no_suggestion_for_a_word_nothing_resembles(line: str) -> None:
    result = parse(line)
    assert isinstance(result, ParseError) and "Did you mean" not in result.message


@pytest.mark.parametrize(
    ("line", "board"),
    [
        ("leaderboard weekly", c.ShowLeaderboard("users", "week", False)),
        ("leaderboard monthly teams", c.ShowLeaderboard("teams", "month", False)),
        ("leaderboard team all-time", c.ShowLeaderboard("teams", "all", False)),
        ("leaderboard overall players charts", c.ShowLeaderboard("users", "all", True)),
    ],
)
def test_the_everyday_words_for_a_board_are_read_as_its_own(
    line: str, board: c.ShowLeaderboard
) -> None:
    assert parse(line) == board


def test_config_zone_is_the_time_zone() -> None:
    assert parse("config zone Europe/Berlin") == parse("config timezone Europe/Berlin")
