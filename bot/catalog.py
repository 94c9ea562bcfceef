"""The command catalog: the one source of names, arguments and help for every surface."""

from __future__ import annotations

from dataclasses import dataclass, field

LEVELS = ("easy", "medium", "hard")
SCOPES = ("users", "teams")
PERIODS = ("week", "month", "all")
CHART = "chart"  # `leaderboard chart`, `stats chart`: the reply comes with a drawing
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
QUIZ_MAX = 20


@dataclass(frozen=True)
class Arg:
    """One argument; `choices` become slash-command choices, `kind` picks the option type."""

    name: str
    help: str
    kind: str = "text"  # text | int | topic | choice | file (an upload, where the platform has one)
    required: bool = False
    choices: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True)
class Sub:
    name: str
    help: str
    args: tuple[Arg, ...] = ()
    admin: bool = False


@dataclass(frozen=True)
class Entry:
    name: str
    summary: str
    usage: str
    args: tuple[Arg, ...] = ()
    subs: tuple[Sub, ...] = ()
    admin: bool = False  # every sub is admin-only
    public: bool = False  # the reply is shown to the whole channel
    examples: tuple[str, ...] = field(default=())
    # The module under bot/usecases/ that holds this command's handlers: one hop from here.
    usecase: str = ""
    # The subcommand a line without one means (`report the key is B` is `report question`),
    # for platforms whose commands always name it.
    default_sub: str = ""


CATALOG: tuple[Entry, ...] = (
    Entry(
        "help",
        "Show the commands, or the details of one.",
        "help [command]",
        args=(Arg("command", "a command name"),),
        usecase="help",
    ),
    Entry("topics", "List the topics with their question counts.", "topics", usecase="help"),
    Entry(
        "quiz",
        "Start a private quiz; ⟦quiz stop⟧ ends it.",
        "quiz [topic] [easy|medium|hard] [count 1-20] | quiz stop",
        args=(
            Arg("topic", "a topic, or all", kind="topic"),
            Arg("difficulty", "easy, medium or hard", kind="choice", choices=LEVELS),
            Arg("count", "number of questions", kind="int", min_value=1, max_value=QUIZ_MAX),
        ),
        examples=("quiz statistics-probability 3", "quiz hard 10", "quiz stop"),
        usecase="quiz",
    ),
    Entry(
        "daily",
        "Show this channel's open daily question, or your answer to it.",
        "daily",
        usecase="daily",
    ),
    Entry(
        "answer",
        "Answer your quiz question, else the channel's daily question.",
        "answer TEXT",
        args=(Arg("text", "a letter, true/false, a word or a number", required=True),),
        examples=("answer B", "answer true", "answer 0.05", "answer got it"),
        usecase="answers",
    ),
    Entry(
        "leaderboard",
        "Show the leaderboard of users or teams.",
        "leaderboard [users|teams] [week|month|all] [chart]",
        args=(
            Arg("scope", "users or teams", kind="choice", choices=SCOPES),
            Arg("period", "week, month or all", kind="choice", choices=PERIODS),
            Arg("view", "chart: the top 10 as an image too", kind="choice", choices=(CHART,)),
        ),
        public=True,
        examples=("leaderboard teams month", "leaderboard chart"),
        usecase="boards",
    ),
    Entry(
        "stats",
        "Show points, rank, accuracy and streaks.",
        "stats [user] | stats chart [user]",
        args=(
            Arg("view", "chart: progress by week as an image too", kind="choice", choices=(CHART,)),
            Arg("user", "someone else's display name"),
        ),
        examples=("stats", "stats chart", "stats chart Ada"),
        usecase="boards",
    ),
    Entry(
        "team",
        "Create, join and list teams (one team per person).",
        "team create NAME | delete NAME | join NAME | leave | list",
        subs=(
            Sub(
                "create",
                "create a team",
                (Arg("name", "team name", required=True),),
                admin=True,
            ),
            Sub(
                "delete",
                "delete a team",
                (Arg("name", "team name", required=True),),
                admin=True,
            ),
            Sub(
                "join",
                "join a team, leaving your current one",
                (Arg("name", "team name", required=True),),
            ),
            Sub("leave", "leave your team"),
            Sub("list", "list the teams and their members"),
        ),
        usecase="teams",
    ),
    Entry(
        "config",
        "Set this channel's daily question and weekly tally.",
        "config show | channel | time HH:MM [Area/City] | timezone Area/City "
        "| days weekdays|daily|mon,wed,... | close HH:MM [Area/City] | topics all|t1,t2 "
        "| difficulty easy|medium|hard|mixed | weekly DAY HH:MM | pause | resume",
        admin=True,
        subs=(
            Sub("show", "show this channel's settings", admin=True),
            Sub("channel", "post the daily question in this channel", admin=True),
            Sub(
                "time",
                "post time",
                (
                    Arg("time", "HH:MM (24-hour) or 7pm", required=True),
                    Arg("zone", "Area/City, sets the channel's time zone too"),
                ),
                admin=True,
            ),
            Sub(
                "timezone",
                "time zone",
                (Arg("zone", "Area/City, e.g. Europe/Berlin", required=True),),
                admin=True,
            ),
            Sub(
                "days",
                "posting days",
                (Arg("days", "weekdays, daily or mon,wed,fri", required=True),),
                admin=True,
            ),
            Sub(
                "close",
                "close and reveal time",
                (
                    Arg("time", "HH:MM (24-hour) or 7pm", required=True),
                    Arg("zone", "Area/City, sets the channel's time zone too"),
                ),
                admin=True,
            ),
            Sub(
                "topics",
                "topics to draw from",
                (Arg("topics", "all or topic1,topic2", required=True),),
                admin=True,
            ),
            Sub(
                "difficulty",
                "difficulty of daily questions",
                (
                    Arg(
                        "level",
                        "easy, medium, hard or mixed",
                        kind="choice",
                        required=True,
                        choices=(*LEVELS, "mixed"),
                    ),
                ),
                admin=True,
            ),
            Sub(
                "weekly",
                "weekly team tally",
                (
                    Arg("day", "mon..sun", kind="choice", required=True, choices=DAY_NAMES),
                    Arg("time", "HH:MM (24-hour) or 7pm", required=True),
                ),
                admin=True,
            ),
            Sub(
                "retention",
                "review cards: the recall odds to schedule for (workspace-wide)",
                (Arg("value", "0.70 to 0.97, or 70% to 97%; default 0.9", required=True),),
                admin=True,
            ),
            Sub(
                "interval",
                "review cards: the longest gap between reviews (workspace-wide)",
                (
                    Arg(
                        "days",
                        "days, 7 to 36500; default 365",
                        kind="int",
                        required=True,
                        min_value=7,
                        max_value=36500,
                    ),
                ),
                admin=True,
            ),
            Sub("pause", "pause the daily question", admin=True),
            Sub("resume", "resume the daily question", admin=True),
        ),
        examples=("config time 09:30", "config timezone Europe/Berlin", "config days mon,wed,fri"),
        usecase="channel_config",
    ),
    Entry(
        "deck",
        "Your workspace's own question decks; built-in topics on or off.",
        "deck import NAME FILE | list | show NAME | export NAME | enable NAME | disable NAME "
        "| delete NAME",
        admin=True,
        subs=(
            Sub(
                "import",
                "import a deck: TOML, CSV, trivia YAML or Open Trivia DB JSON (1 MB)",
                (
                    Arg("name", "the deck's name, its topic here", required=True),
                    Arg("file", "the deck file", kind="file"),
                ),
                admin=True,
            ),
            Sub("list", "this workspace's decks and the built-in topics", admin=True),
            Sub("show", "a deck's questions", (Arg("name", "deck name", required=True),), True),
            Sub(
                "export",
                "a deck in the native TOML format",
                (Arg("name", "deck name", required=True),),
                admin=True,
            ),
            Sub(
                "enable",
                "put a deck or a built-in topic in rotation",
                (Arg("name", "deck or topic", required=True),),
                admin=True,
            ),
            Sub(
                "disable",
                "take a deck or a built-in topic out of rotation",
                (Arg("name", "deck or topic", required=True),),
                admin=True,
            ),
            Sub("delete", "delete a deck", (Arg("name", "deck name", required=True),), admin=True),
        ),
        examples=("deck import our-stack questions.csv", "deck disable nlp", "deck list"),
        usecase="decks",
    ),
    Entry(
        "interview",
        "A mock interview: open questions answered in your own words, graded by key points.",
        "interview [topic] [count 1-10] [keep] | interview stop | interview history",
        args=(
            Arg("topic", "a topic, or all", kind="topic"),
            Arg("count", "number of questions", kind="int", min_value=1, max_value=10),
            Arg(
                "keep", "keep your answers' words in your history", kind="choice", choices=("keep",)
            ),
        ),
        examples=("interview transformers-llm 2", "interview history", "interview stop"),
        usecase="interview",
    ),
    Entry(
        "review",
        "Review your due cards (every question you answered comes back before you forget it).",
        "review [topic] [count 1-20] | review stop",
        args=(
            Arg("topic", "a topic, or all", kind="topic"),
            Arg("count", "number of cards", kind="int", min_value=1, max_value=QUIZ_MAX),
        ),
        examples=("review", "review statistics-probability 5", "review stop"),
        usecase="review",
    ),
    Entry(
        "remind",
        "A private reminder once a day when review cards are due; ⟦remind off⟧ stops it.",
        "remind HH:MM [time zone] | remind off | remind",
        args=(
            Arg("time", "HH:MM (24-hour) or 7pm, or off"),
            Arg("zone", "an IANA time zone such as Europe/Berlin (default: the channel's)"),
        ),
        examples=("remind 08:30", "remind 19:00 America/New_York", "remind off"),
        usecase="reminders",
    ),
    Entry(
        "report",
        "Report a wrong or unclear question; admins list the reports.",
        "report [QUESTION-ID] [reason] | report list",
        subs=(
            Sub(
                "question",
                "report the question you last answered (or start with its id)",
                (Arg("reason", "what is wrong, optionally starting with the question id"),),
            ),
            Sub("list", "the newest reports in this workspace", admin=True),
        ),
        examples=("report the key should be B", "report list"),
        usecase="reports",
        default_sub="question",
    ),
    Entry(
        "question",
        "Fix a question after the fact: void or rekey a round, retire a question.",
        "question void ROUND | rekey ROUND ANSWER | retire QUESTION-ID",
        subs=(
            Sub(
                "void",
                "the round counts for nobody; points, streaks and boards are recomputed",
                (Arg("round", "the round number (in the reveal and report list)", "int", True),),
                admin=True,
            ),
            Sub(
                "rekey",
                "grade the round's answers again against the corrected key",
                (
                    Arg("round", "the round number (in the reveal and report list)", "int", True),
                    Arg(
                        "answer",
                        "the correct answer: a letter as shown, true/false, a number or text",
                        required=True,
                    ),
                ),
                admin=True,
            ),
            Sub(
                "retire",
                "take a question out of this workspace's daily rounds and quizzes",
                (Arg("id", "the question id", required=True),),
                admin=True,
            ),
        ),
        admin=True,
        examples=("question rekey 12 B", "question void 12", "question retire ml-basics-007"),
        usecase="rescore",
    ),
    Entry(
        "audit",
        "Admin actions on questions, latest first, with the points they moved.",
        "audit list [page]",
        subs=(
            Sub(
                "list",
                "the audit trail, 10 per page",
                (Arg("page", "page number", kind="int", min_value=1),),
                admin=True,
            ),
        ),
        admin=True,
        examples=("audit list", "audit list 2"),
        usecase="rescore",
        default_sub="list",
    ),
    Entry(
        "forgetme",
        "Delete your answers, stats and memberships in this workspace.",
        "forgetme confirm",
        args=(Arg("confirm", "type confirm to proceed", kind="choice", choices=("confirm",)),),
        usecase="privacy",
    ),
)

BY_NAME: dict[str, Entry] = {entry.name: entry for entry in CATALOG}
NAMES: tuple[str, ...] = tuple(BY_NAME)
