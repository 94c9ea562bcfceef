"""Every user-facing sentence of the core, in one place so it can be translated."""

# Commands are named as command references, ⟦quiz stop⟧, in the console's grammar: each
# adapter spells them its own way (bot/commandref.py), so no platform sees another's syntax.

from __future__ import annotations

# Parsing
USAGE = "Usage: ⟦{usage}⟧"
NO_ARGUMENTS = "⟦{name}⟧ takes no arguments."
GIVEN_TWICE = "The {what} was given twice."
QUIZ_COUNT = "A quiz has 1 to {max} questions."
QUIZ_STOP_ALONE = "To end your quiz, send ⟦quiz stop⟧ on its own."
ONE_TOPIC = "Pick one topic, not both '{first}' and '{second}' (or `all`)."
ANSWER_EMPTY = "Say what your answer is."
BAD_BOARD_WORD = "'{word}' is not a leaderboard option; use users or teams, and week, month or all."
TEAM_NAME_MISSING = "Name the team: ⟦team {sub} NAME⟧."
TEAM_NAME_RULE = (
    "Team names are 1 to {max} characters: letters, digits, spaces, '.', ''' and '-', "
    "starting with a letter or digit."
)
SUB_MISSING = "⟦{name}⟧ needs a subcommand."
SUB_UNKNOWN = "⟦{name} {sub}⟧ is not a subcommand."
CONFIG_VALUE_MISSING = "⟦config {sub}⟧ needs a value."
CONFIG_LEVEL = "'{level}' is not a difficulty; use easy, medium, hard or mixed."
CONFIG_WEEKLY = "Give the weekly tally as DAY HH:MM, for example ⟦config weekly fri 17:00⟧."
FORGET_CONFIRM_WORD = "To delete your data, send exactly ⟦forgetme confirm⟧."


def unknown_command(word: str, closest: str | None) -> str:
    hint = f" Did you mean ⟦{closest}⟧?" if closest else ""
    return f"Unknown command '{word}'.{hint} Send ⟦help⟧ for the list."


# Topics and quizzes
def unknown_topic(word: str, suggestions: list[str]) -> str:
    hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
    return f"Unknown topic '{word}'.{hint} Send ⟦topics⟧ for the list."


def ambiguous_topic(word: str, matches: list[str]) -> str:
    return f"'{word}' matches several topics: {', '.join(matches)}. Pick one."


NO_QUESTIONS = "No questions match {what}. Try another topic or difficulty."
QUIZ_ALREADY = (
    "You already have a quiz running (question {position} of {total}). "
    "Answer it, or send ⟦quiz stop⟧ first."
)
QUIZ_NONE = "You have no quiz running. Start one with ⟦quiz [topic] [difficulty] [count]⟧."
BUTTON_STALE = "That button does not match this question any more; ask for it again."
QUIZ_STALE = "That button belongs to a quiz question you have already answered or left."
QUIZ_CAPPED = "Daily quiz cap of {cap} points reached; keep practising, points resume tomorrow."
QUIZ_REPEAT = "You answered this one correctly before, so it earns no points again."
QUIZ_SHORT = "Only {n} question(s) match, so this quiz has {n} instead of {asked}."
QUIZ_POOL_RESET = "You have seen every question in this selection, so they start over."
OPEN_RATE = "Rate yourself: ⟦answer got it⟧, ⟦answer partly⟧ or ⟦answer missed⟧."
# How to answer a card where there are no buttons (the console, and texts that stand in for
# a card), by question type.
TEXT_HINTS = {
    "mcq": "Answer with ⟦answer LETTER⟧.",
    "true_false": "Answer with ⟦answer true⟧ or ⟦answer false⟧.",
    "short": "Answer with ⟦answer WORDS⟧ (a short term).",
    "numeric": "Answer with ⟦answer NUMBER⟧ (0.05, 5%, 1/20 all work).",
    "open": "Think it over, then send ⟦answer ...⟧ to see the model answer.",
}
OPEN_BAD_RATING = "For this question, rate yourself: `got it`, `partly` or `missed`."

# Answer shapes the checker could not read
INVALID_ANSWER = {
    "mcq": "Answer with a letter ({letters}) or the option's text.",
    "true_false": "Answer with true or false (yes/no and t/f work too).",
    "numeric": "Answer with a number, such as 0.05, 5%, 5e-2 or 1/20.",
    "empty": "Your answer is empty.",
    "open": OPEN_BAD_RATING,
}

# Daily rounds
NO_DAILY = "There is no open daily question in this channel right now."
DAILY_LOCKED = "Your answer is locked in. The answer and results come at the reveal ({closes})."
DAILY_ALREADY = "You already answered today's question ({given}); your first answer stands."
DAILY_STATUS_ANSWERED = "You answered: {given}. The reveal comes at {closes}."
DAILY_CLOSED = "That daily question has closed; its answer was revealed in the channel."
NOTHING_TO_ANSWER = "You have no quiz running and this channel has no open daily question."
DUPLICATE_DELIVERY = "Already handled."

# Teams
NOT_ADMIN = "Only an admin can {what}."
TEAM_CREATED = "Team {name} is created. Join it with ⟦team join {name}⟧."
TEAM_TAKEN = "A team called {name} already exists here."
TEAM_UNKNOWN = "There is no team called {name}.{hint} Send ⟦team list⟧ to see them."
TEAM_DELETED = (
    "Team {name} is deleted; its members are free to join another. Past points stay on the boards."
)
TEAM_JOINED = "You joined {name}."
TEAM_SWITCHED = "You left {old} and joined {name}. Points you earned for {old} stay with {old}."
TEAM_ALREADY = "You are already in {name}."
TEAM_LEFT = "You left {name}."
TEAM_NONE = "You are not in a team."
TEAMS_EMPTY = "No teams yet. An admin can create one with ⟦team create NAME⟧."

# Config
CONFIG_NOT_ENABLED = (
    "This channel has no daily question yet. An admin can enable it with ⟦config channel⟧."
)
CONFIG_ENABLED = "Daily questions will be posted in this channel. Current settings below."
CONFIG_UPDATED = "Updated: {what}."
CONFIG_PAUSED = "The daily question is paused here. ⟦config resume⟧ restarts it."
CONFIG_RESUMED = "The daily question is running again."
UNKNOWN_TOPICS = "Unknown topic(s): {topics}. Send ⟦topics⟧ for the list."

# Scheduled posts
TALLY_TITLE = "Weekly tally · {label}"
TALLY_TEAMS = "Teams:"
TALLY_PLAYERS = "Top players:"
TALLY_NONE = "(none)"
TALLY_TEAM_ROW = (
    "{rank}. {name} {points} pts ({per_active:.1f} per active member, "
    "{active} active of {members}; {change})"
)


def tally_change(points: int | None, places: int | None) -> str:
    """How a team moved since the channel's previous tally, in words."""
    if points is None:
        return "first tally"
    text = f"{points:+d} pts vs last tally"
    if places:
        text += f", {'up' if places > 0 else 'down'} {abs(places)}"
    return text


# Console clock (`/time`)
TIME_USAGE = (
    "Usage: /time next|+30m|+2h|+1d|ISO-8601, for example `/time next`, `/time +1d` or "
    "`/time 2026-11-20T17:00` (no offset means UTC)."
)
TIME_BAD = "'{text}' is not a time step or date. " + TIME_USAGE
TIME_BACKWARDS = "The console clock only moves forward; it is {now} now."
TIME_TOO_FAR = "Move at most {days} days at a time."
TIME_NOW = "It is {now} now."
TIME_MOVED = "It is {now} now; {count} scheduled message(s) posted on the way."
TIME_STOPPED = (
    "Stopped at {now} so you can answer the daily question; {count} scheduled message(s) "
    "posted. `/time {rest}` goes on to {target}."
)
TIME_NEXT_DONE = "It is {now} now; {count} scheduled message(s) posted."
TIME_NOTHING_DUE = (
    "Nothing is scheduled within {days} days. An admin starts the daily question here with "
    "⟦config channel⟧."
)
TIME_HELD = (
    "You have not answered the daily question in #{channel} yet (closes at {closes}); "
    "⟦daily⟧ shows it again. Answer it first, or send `{again}` again to let it close."
)
CONSOLE_HELP = (
    "Console only: `/as NAME [admin]` switches user, `/time next` jumps to the next scheduled "
    "post, `/time +30m|+2h|+1d|ISO-8601` moves the simulated clock (stopping after a daily "
    "question is posted), `/quit` leaves."
)
CONSOLE_LOG_FILE = "Logs go to {path}."
CONSOLE_LOG_STDERR = "Logs go to standard error (warnings only): {path} cannot be written."
TIME_POSTED = "── {when} · #{channel} ──"


# Stats and boards
STATS_UNKNOWN_USER = "Nobody called '{name}' has played here yet."
BOARD_EMPTY = (
    "No points yet for {label}. Answer the daily question or run a quiz to get on the board."
)

# Forget me
FORGET_ASK = (
    "This deletes your answers, stats, points and team membership in this workspace, "
    "and cannot be undone. Send ⟦forgetme confirm⟧ to go ahead."
)
FORGET_DONE = "Done: your answers, stats and memberships in this workspace are deleted."
FORGET_BUSY_QUIZ = "Done. Your running quiz was ended too."

# Labels and verdicts every adapter shows. They hold the words only; each renderer adds its
# own markup (Slack's *bold*, Discord's and the console's ✓), so no platform repeats them.
DAILY_HEAD = "Daily question"
QUIZ_HEAD = "Question {position}/{total}"
CLOSES_AT = "Closes at {closes}."
ANSWER_BUTTON = "Answer"
TRUE_LABEL = "True"
FALSE_LABEL = "False"
RATE_LABELS = {"got": "Got it", "partly": "Partly", "missed": "Missed"}
MODAL_TITLE = "Your answer"
YOUR_ANSWER = "Your answer"
THE_ANSWER = "Answer"
CORRECT = "Correct!"
POINTS_EARNED = "+{points} points"
NO_POINTS = "(no points)"
WRONG = "Not quite"
MODEL_ANSWER = "Model answer"
KEY_POINTS = "Key points"
QUIZ_DONE = "Quiz complete!"
QUIZ_STOPPED = "Quiz stopped."
QUIZ_SCORE = "{correct}/{answered} correct, {points} points."
SELF_RATED = "Self-rated: {ratings}."
REVEAL = "Reveal"
REVEAL_COUNTS = "{answered} answered, {correct} correct."
REVEAL_RIGHT = "Right"
REVEAL_FIRST = "First correct"
MORE = "… and {n} more"
BOARD_TITLE = "Leaderboard · {scope} · {period}"
STATS_TITLE = "Stats for {name}"
STATS_POINTS = "Points"
STATS_ACCURACY = "Accuracy"
STATS_STREAK = "Streak"
STATS_STREAK_VALUE = "{current} (best {best})"
STATS_TEAM = "Team"
UNRANKED = "unranked"
ADMIN_MARK = "(admin)"

# Discord
DISCORD_GUILD_ONLY = (
    "StudyBot works in servers, where your team's scores live: use its commands in a server "
    "channel."
)
DISCORD_HINT_PICK = "Pick your answer below."
DISCORD_HINT_TYPE = "Press Answer to type it."
DISCORD_HINT_NUMBER = "Press Answer to type a number (0.05, 5%, 1/20 all work)."
DISCORD_HINT_OPEN = "Think it over, then press Answer to see the model answer."
DISCORD_MODAL_OPEN_LABEL = "Your answer (only you see it)"
DISCORD_RATE_PROMPT = "How did you do? Rate yourself below."
DISCORD_REVEAL_TITLE = "Reveal · daily question"
DISCORD_REVEAL_SHARES = "Answers"
DISCORD_NOBODY = "nobody yet"
DISCORD_THREAD_NAME = "Discuss: {prompt}"
DISCORD_BOARD_YOU = "You"
DISCORD_STATS_TOPICS = "By topic"
DISCORD_TOPIC_ALL = "all topics"
DISCORD_TOPIC_STOP = "stop: end my running quiz"

# Generic
INTERNAL_ERROR = "Something went wrong on our side; nothing was recorded. Please try again."
HELP_TITLE = "StudyBot commands"
TOPICS_TITLE = "Topics"
TOPICS_ROW = "{title}: {questions} questions ({auto} auto-graded)"
TOPICS_FOOTER = "{n} questions in all. Start with ⟦quiz TOPIC⟧."
HELP_FOOTER = "Send ⟦help COMMAND⟧ for details. Commands marked (admin) need admin rights."

# Slack
SLACK_CLOSES = "closes {closes}"
SLACK_CARD_HINT = "Or type `/study answer ...`."
SLACK_YOU = "← you"
SLACK_HELP_FOOTER = "On Slack, type each command after `/study`, e.g. `/study quiz statistics 3`."
SLACK_MODAL_SUBMIT = "Submit"
SLACK_MODAL_CLOSE = "Cancel"
SLACK_MODAL_HINT = {
    "short": "A short term; small typos are fine.",
    "numeric": "A number: 0.05, 5%, 5e-2 and 1/20 all work.",
    "open": "Jot down your answer; the model answer comes next and you rate yourself.",
}
SLACK_HOME_TITLE = "StudyBot"
SLACK_HOME_INTRO = (
    "Daily questions, private quizzes and team leaderboards. Type `/study help` in any channel."
)
SLACK_SETUP_BOT_TOKEN = "SLACK_BOT_TOKEN must be a bot token (it starts with xoxb-)."
SLACK_SETUP_APP_TOKEN = (
    "Socket Mode needs SLACK_APP_TOKEN, an app-level token with connections:write "
    "(it starts with xapp-); or run `studybot run --slack-http PORT` with SLACK_SIGNING_SECRET."
)
SLACK_SETUP_SIGNING_SECRET = (
    "HTTP mode (--slack-http) needs SLACK_SIGNING_SECRET (Basic Information > App Credentials), "
    "so that requests can be verified as coming from Slack."
)
SLACK_START_REFUSED = (
    "Slack refused {variable} ({error}); copy it again from the app's settings page."
)
SLACK_REPLY_ELSEWHERE = (
    "StudyBot could not post your reply in {channel}, so here it is. If StudyBot is not a "
    "member there, `/invite @StudyBot` in that channel brings replies back in place."
)
SLACK_HTTP_BIND = (
    "Slack HTTP mode cannot listen on {host}:{port} ({error}); free the port or pick another "
    "with --slack-http PORT."
)

# Question reports
REPORT_DONE = "Thanks: reported {qid} ({prompt}). The deck maintainers read every report."
REPORT_UPDATED = "Updated your report on {qid} ({prompt})."
REPORT_NOTHING = (
    "There is no question to report yet: answer one first, or name it with "
    "⟦report QUESTION-ID what is wrong⟧."
)
REPORT_UNKNOWN_ID = "There is no question with the id {qid}."
REPORT_TOO_LONG = "Keep the reason under {limit} characters."
REPORT_LIST_EMPTY = "No question reports in this workspace yet."
REPORT_LIST_TITLE = "Question reports (newest {n})"
REPORT_ROW = "{when} · {user} · answered: {given} · reason: {reason}"

# Discord: what briefly fills the public "thinking" slot of a public command whose only reply
# is private (it is deleted at once, and the reply follows privately).
DISCORD_REPLIED_PRIVATELY = "Replied privately."
