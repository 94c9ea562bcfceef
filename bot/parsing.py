"""The text grammar of the console and Slack's `/study`: a line in, a command or a message out."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from bot import commands as c
from bot import messages as m
from bot.catalog import BY_NAME, CHART, LEVELS, NAMES, PERIODS, QUIZ_MAX, SCOPES
from bot.grammar import Parsed as Parsed
from bot.grammar import ParseError as ParseError
from bot.grammar import closest, unknown_sub
from bot.grammar import usage as usage
from bot.parsing_admin import parse_audit, parse_deck, parse_question, parse_report
from bot.questions import Difficulty
from bot.review import MAX_INTERVAL_RANGE, RETENTION_RANGE
from bot.schedule import ScheduleError, parse_day, parse_days, parse_hhmm, resolve_timezone

TEAM_NAME_MAX = 32
TEAM_SUBS = ("create", "delete", "join", "leave", "list")
TEAM_NAME_MARKS = " .'-"
STOP = "stop"
# Words a board is often asked for by, read as the board's own (`leaderboard weekly teams`).
BOARD_ALIASES = {
    "alltime": "all",
    "all-time": "all",
    "ever": "all",
    "overall": "all",
    "weekly": "week",
    "monthly": "month",
    "user": "users",
    "players": "users",
    "team": "teams",
    "charts": "chart",
}
BOARD_WORDS = (*SCOPES, *PERIODS, CHART)


def closest_command(word: str) -> str | None:
    """The command a mistyped word plausibly means, or None (see grammar.closest)."""
    return closest(word, NAMES)


def parse(line: str) -> Parsed:
    text = line.strip()
    if text.startswith("/"):
        text = text[1:]
    if not text:
        return c.ShowHelp()
    head, _, rest = text.partition(" ")
    name = head.lower()
    rest = rest.strip()
    if name == STOP:
        # Not a catalog command of its own (no slash command): the word a user types to end
        # what runs, whichever of `quiz stop`, `review stop` or `interview stop` it needs.
        return ParseError(m.STOP_NO_ARGUMENTS) if rest else c.StopSession()
    if name not in BY_NAME:
        return ParseError(m.unknown_command(head, closest_command(name)))
    return _PARSERS[name](rest)


def _no_args(name: str, command: c.Command) -> Callable[[str], Parsed]:
    def parse_it(rest: str) -> Parsed:
        if rest:
            return ParseError(m.NO_ARGUMENTS.format(name=name) + " " + usage(name))
        return command

    return parse_it


def _help(rest: str) -> Parsed:
    if not rest:
        return c.ShowHelp()
    name = rest.split()[0].lower().lstrip("/")
    if name not in BY_NAME:
        return ParseError(m.unknown_command(name, closest_command(name)))
    return c.ShowHelp(name)


def _quiz(rest: str) -> Parsed:
    words = rest.split()
    if [w.lower() for w in words] == ["stop"]:
        return c.StopQuiz()
    topic: str | None = None
    difficulty: Difficulty | None = None
    count: int | None = None
    for word in words:
        low = word.lower()
        if low in LEVELS:
            if difficulty is not None:
                return ParseError(m.GIVEN_TWICE.format(what="difficulty") + " " + usage("quiz"))
            difficulty = Difficulty(low)
        elif re.fullmatch(r"[+-]?\d+", low):
            if count is not None:
                return ParseError(m.GIVEN_TWICE.format(what="count") + " " + usage("quiz"))
            count = int(low)
            if not 1 <= count <= QUIZ_MAX:
                return ParseError(m.QUIZ_COUNT.format(max=QUIZ_MAX))
        elif low == "stop":
            return ParseError(m.QUIZ_STOP_ALONE)
        else:
            # A topic may take several words (`deep learning`); the resolver tells one name in
            # several words from two topics named at once.
            topic = low if topic is None else f"{topic} {low}"
    return c.StartQuiz(
        topic=None if topic == "all" else topic,
        difficulty=difficulty,
        count=count if count is not None else 5,
    )


def _answer(rest: str) -> Parsed:
    if not rest:
        return ParseError(m.ANSWER_EMPTY + " " + usage("answer"))
    return c.SubmitAnswer(text=rest)


def _leaderboard(rest: str) -> Parsed:
    scope: str | None = None
    period: str | None = None
    chart = False
    words = rest.lower().split()
    for word in words:
        given = BOARD_ALIASES.get(word, word)
        if given == CHART:
            if chart:
                return ParseError(_board_twice(CHART, CHART, CHART, ""))
            chart = True
        elif given in SCOPES:
            if scope is not None:
                return ParseError(_board_twice("kind of board", scope, given, m.BOARD_TWO_SCOPES))
            scope = given
        elif given in PERIODS:
            if period is not None:
                twice = m.BOARD_TWO_PERIODS.format(first=period, second=given)
                return ParseError(_board_twice("period", period, given, twice))
            period = given
        else:
            near = closest(word, BOARD_WORDS)
            # The whole line as meant: `leaderboard teams mnth` -> `leaderboard teams month`.
            hint = ""
            if near:
                meant = " ".join(near if w == word else w for w in words)
                hint = m.BOARD_NEAR.format(word=meant)
            return ParseError(
                m.BAD_BOARD_WORD.format(word=m.clip(word)) + hint + " " + usage("leaderboard")
            )
    return c.ShowLeaderboard(scope or "users", period or "week", chart)


def _board_twice(what: str, first: str, second: str, both: str) -> str:
    said = m.GIVEN_TWICE.format(what=what) if first == second else both
    return said + " " + usage("leaderboard")


def _stats(rest: str) -> Parsed:
    # `stats chart [user]`: the first word `chart` asks for the drawing (someone named
    # "chart" is `stats @chart`).
    first, _, after = rest.strip().partition(" ")
    if first.lower() == CHART:
        return c.ShowStats(after.lstrip("@").strip() or None, chart=True)
    return c.ShowStats(rest.lstrip("@").strip() or None)


def check_team_name(name: str) -> str | None:
    """The team name as given (trimmed), or None when it breaks the naming rule: 1 to 32
    characters of letters, digits, spaces, dots, apostrophes and hyphens, starting with a
    letter or digit.
    The rule is checked on the NFKC form, the one names are compared in (`name_key`)."""
    cleaned = " ".join(name.split())
    form = unicodedata.normalize("NFKC", cleaned)
    if not cleaned or max(len(cleaned), len(form)) > TEAM_NAME_MAX or not form[0].isalnum():
        return None
    for ch in form:
        # Combining marks belong to the letter before them (Devanagari vowel signs, say).
        if not (ch.isalnum() or ch in TEAM_NAME_MARKS or unicodedata.category(ch)[0] == "M"):
            return None
    return cleaned


def _team(rest: str) -> Parsed:
    sub, _, arg = rest.partition(" ")
    sub = sub.lower()
    arg = arg.strip()
    if sub in ("create", "delete", "join"):
        if not arg:
            return ParseError(m.TEAM_NAME_MISSING.format(sub=sub))
        name = check_team_name(arg)
        if name is None:
            return ParseError(m.TEAM_NAME_RULE.format(max=TEAM_NAME_MAX))
        if sub == "create":
            return c.CreateTeam(name)
        return c.DeleteTeam(name) if sub == "delete" else c.JoinTeam(name)
    if sub in ("leave", "list"):
        if arg:
            return ParseError(m.NO_ARGUMENTS.format(name=f"team {sub}") + " " + usage("team"))
        return c.LeaveTeam() if sub == "leave" else c.ListTeams()
    if not sub:
        return ParseError(m.SUB_MISSING.format(name="team") + " " + usage("team"))
    return unknown_sub("team", sub, TEAM_SUBS)


def parse_config(sub: str, arg: str) -> Parsed:
    """Parse one `config` change; shared by the text grammar and typed slash options."""
    sub = sub.lower()
    arg = arg.strip()
    try:
        if sub in _CONFIG_FIXED:
            if arg:
                return ParseError(m.NO_ARGUMENTS.format(name=f"config {sub}"))
            return _CONFIG_FIXED[sub]
        if not arg and sub in _CONFIG_SUBS:
            return ParseError(m.CONFIG_VALUE_MISSING.format(sub=sub) + " " + usage("config"))
        if sub in ("retention", "interval"):
            return _review_policy(sub, arg)
        if sub in ("time", "close"):
            # `config time 09:30 Europe/Paris` sets the zone too, as `remind` reads it.
            words = _glued(arg.split())
            at = parse_hhmm(words[0] if len(words) == 2 else arg)
            zone = resolve_timezone(words[1]) if len(words) == 2 else None
            if sub == "time":
                return c.UpdateConfig(post_time=at, timezone=zone)
            return c.UpdateConfig(close_time=at, timezone=zone)
        if sub in ("timezone", "tz", "zone"):
            return c.UpdateConfig(timezone=resolve_timezone(arg))
        if sub == "days":
            return c.UpdateConfig(days=parse_days(arg))
        if sub == "topics":
            if arg.lower() == "all":
                return c.UpdateConfig(topics=())
            topics = tuple(t.strip().lower() for t in arg.split(",") if t.strip())
            return c.UpdateConfig(topics=topics)
        if sub == "difficulty":
            level = arg.lower()
            if level == "mixed":
                return c.UpdateConfig(mixed_difficulty=True)
            if level not in LEVELS:
                return ParseError(m.CONFIG_LEVEL.format(level=m.clip(arg)))
            return c.UpdateConfig(difficulty=Difficulty(level))
        if sub == "weekly":
            parts = _glued(arg.split())
            if len(parts) != 2:
                return ParseError(m.CONFIG_WEEKLY)
            return c.UpdateConfig(weekly_day=parse_day(parts[0]), weekly_time=parse_hhmm(parts[1]))
    except ScheduleError as exc:
        return ParseError(str(exc))
    if not sub:
        return ParseError(m.SUB_MISSING.format(name="config") + " " + usage("config"))
    return unknown_sub("config", sub, (*_CONFIG_FIXED, *_CONFIG_SUBS))


# The `config` subcommands that take no value, and the command each is.
_CONFIG_FIXED: dict[str, Parsed] = {
    "show": c.ShowConfig(),
    "channel": c.UpdateConfig(enable=True),
    "pause": c.UpdateConfig(paused=True),
    "resume": c.UpdateConfig(paused=False),
}
_CONFIG_SUBS = (
    "time",
    "close",
    "timezone",
    "tz",
    "zone",
    "days",
    "topics",
    "difficulty",
    "weekly",
    "retention",
    "interval",
)


def _review_policy(sub: str, arg: str) -> Parsed:
    """`config retention 0.85` (or 85%) and `config interval 365` (days), range-checked."""
    if sub == "retention":
        low, high = RETENTION_RANGE
        text = arg.rstrip("%").strip()
        try:
            value = float(text) / (100 if arg.endswith("%") else 1)
        except ValueError:
            value = -1.0
        if not low <= value <= high:
            return ParseError(m.CONFIG_RETENTION.format(value=m.clip(arg), low=low, high=high))
        return c.SetReviewPolicy(retention=value)
    low_days, high_days = MAX_INTERVAL_RANGE
    days = arg.lower().removesuffix("days").removesuffix("d").strip()
    if not days.isdigit() or not low_days <= int(days) <= high_days:
        return ParseError(m.CONFIG_INTERVAL.format(value=m.clip(arg), low=low_days, high=high_days))
    return c.SetReviewPolicy(maximum_interval=int(days))


def _config(rest: str) -> Parsed:
    sub, _, arg = rest.partition(" ")
    return parse_config(sub or "show", arg) if rest else c.ShowConfig()


def _forgetme(rest: str) -> Parsed:
    if not rest:
        return c.ForgetMe(confirm=False)
    if rest.lower() == "confirm":
        return c.ForgetMe(confirm=True)
    return ParseError(m.FORGET_CONFIRM_WORD)


INTERVIEW_MAX = 10


def _interview(rest: str) -> Parsed:
    words = [w.lower() for w in rest.split()]
    if words == ["stop"]:
        return c.StopInterview()
    if words == ["history"]:
        return c.ShowInterviewHistory()
    topic: str | None = None
    count: int | None = None
    keep = False
    for word in words:
        if re.fullmatch(r"[+-]?\d+", word):
            if count is not None:
                return ParseError(m.GIVEN_TWICE.format(what="count") + " " + usage("interview"))
            count = int(word)
            if not 1 <= count <= INTERVIEW_MAX:
                return ParseError(m.INTERVIEW_COUNT.format(max=INTERVIEW_MAX))
        elif word == "keep":
            keep = True
        elif word in ("stop", "history"):
            return ParseError(m.SUB_ALONE.format(sub=f"interview {word}"))
        else:
            topic = word if topic is None else f"{topic} {word}"
    return c.StartInterview(
        topic=None if topic == "all" else topic, count=count if count is not None else 3, keep=keep
    )


def _review(rest: str) -> Parsed:
    words = [w.lower() for w in rest.split()]
    if words == ["stop"]:
        return c.StopReview()
    topic: str | None = None
    count: int | None = None
    for word in words:
        if re.fullmatch(r"[+-]?\d+", word):
            if count is not None:
                return ParseError(m.GIVEN_TWICE.format(what="count") + " " + usage("review"))
            count = int(word)
            if not 1 <= count <= QUIZ_MAX:
                return ParseError(m.REVIEW_COUNT.format(max=QUIZ_MAX))
        elif word == "stop":
            return ParseError(m.SUB_ALONE.format(sub="review stop"))
        else:
            topic = word if topic is None else f"{topic} {word}"
    return c.StartReview(topic=None if topic == "all" else topic, count=count or 10)


def _glued(words: list[str]) -> list[str]:
    """`7:30 pm` typed as two words made one, so the am/pm is never read as a time zone."""
    out: list[str] = []
    for word in words:
        if out and word.lower().replace(".", "") in ("am", "pm") and out[-1][-1:].isdigit():
            out[-1] += word
        else:
            out.append(word)
    return out


def _remind(rest: str) -> Parsed:
    words = _glued(rest.split())
    if not words:
        return c.SetReminder()
    if [w.lower() for w in words] == ["off"]:
        return c.SetReminder(off=True)
    if len(words) > 2:
        return ParseError(m.REMIND_USAGE)
    try:
        zone = resolve_timezone(words[1]) if len(words) == 2 else None
        return c.SetReminder(time=parse_hhmm(words[0]), zone=zone)
    except ScheduleError as exc:
        return ParseError(f"{exc} {m.REMIND_USAGE}")


_PARSERS: dict[str, Callable[[str], Parsed]] = {
    "deck": parse_deck,
    "help": _help,
    "topics": _no_args("topics", c.ShowTopics()),
    "quiz": _quiz,
    "daily": _no_args("daily", c.ShowDaily()),
    "answer": _answer,
    "leaderboard": _leaderboard,
    "stats": _stats,
    "team": _team,
    "config": _config,
    "forgetme": _forgetme,
    "report": parse_report,
    "interview": _interview,
    "question": parse_question,
    "audit": parse_audit,
    "review": _review,
    "remind": _remind,
}
