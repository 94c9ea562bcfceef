"""Every user-facing sentence of the core, in one place so it can be translated."""

# Commands are named as command references, ⟦quiz stop⟧, in the console's grammar: each
# adapter spells them its own way (bot/commandref.py), so no platform sees another's syntax.

from __future__ import annotations

# How much of a user's own text a reply echoes back: enough to recognise, never a wall.
ECHO_MAX = 40
ANSWER_ECHO_MAX = 120  # an answer shown back beside the right one


def clip(text: str, limit: int = ECHO_MAX) -> str:
    """The user's text as a reply quotes it: one line, at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# Parsing
USAGE = "Usage: ⟦{usage}⟧"
NO_ARGUMENTS = "⟦{name}⟧ takes no arguments."
GIVEN_TWICE = "The {what} was given twice."
QUIZ_COUNT = "A quiz has 1 to {max} questions."
QUIZ_STOP_ALONE = "To end your quiz, send ⟦quiz stop⟧ on its own."
ONE_TOPIC = "Pick one topic, not both '{first}' and '{second}' (or `all`)."
ANSWER_EMPTY = "Say what your answer is."
BAD_BOARD_WORD = (
    "'{word}' is not a leaderboard option; use users or teams, week, month or all, and chart."
)
BOARD_NEAR = " Did you mean ⟦leaderboard {word}⟧?"
BOARD_TWO_SCOPES = "Pick one board, users or teams, not both."
BOARD_TWO_PERIODS = "Pick one period, not both '{first}' and '{second}'; use week, month or all."
TEAM_NAME_MISSING = "Name the team: ⟦team {sub} NAME⟧."
TEAM_NAME_RULE = (
    "Team names are 1 to {max} characters of letters, digits, spaces, dots (.), "
    "apostrophes (') and hyphens (-), starting with a letter or digit."
)
SUB_MISSING = "⟦{name}⟧ needs a subcommand."
SUB_UNKNOWN = "⟦{name} {sub}⟧ is not a subcommand."
SUB_NEAR = " Did you mean ⟦{name} {sub}⟧?"
CONFIG_VALUE_MISSING = "⟦config {sub}⟧ needs a value."
CONFIG_LEVEL = "'{level}' is not a difficulty; use easy, medium, hard or mixed."
CONFIG_WEEKLY = "Give the weekly tally as DAY HH:MM, for example ⟦config weekly fri 17:00⟧."
FORGET_CONFIRM_WORD = "To delete your data, send exactly ⟦forgetme confirm⟧."


def did_you_mean(options: list[str]) -> str:
    return f" Did you mean {', '.join(options)}?" if options else ""


def unknown_command(word: str, closest: str | None) -> str:
    hint = f" Did you mean ⟦{closest}⟧?" if closest else ""
    return f"Unknown command '{clip(word)}'.{hint} Send ⟦help⟧ for the list."


_HOW_TO_ANSWER = {
    "choice": "the option's letter (⟦answer b⟧, or just b)",
    "true_false": "⟦answer true⟧ or ⟦answer false⟧",
    "rating": "⟦answer got it⟧, ⟦answer partly⟧ or ⟦answer missed⟧",
}


def not_an_answer(word: str, session: str, waits: str) -> str:
    """A word that is no command while a quiz or review question waits: never graded (it may
    be a mistyped command), so say how to answer what waits and how to stop."""
    how = _HOW_TO_ANSWER.get(waits, "⟦answer YOUR ANSWER⟧")
    return (
        f"Unknown command '{clip(word)}'. To answer your {session} question, send {how}; "
        f"⟦{session} stop⟧ ends the {session}."
    )


# Topics and quizzes
def unknown_topic(word: str, suggestions: list[str]) -> str:
    hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
    return f"Unknown topic '{clip(word)}'.{hint} Send ⟦topics⟧ for the list."


def ambiguous_topic(word: str, matches: list[str]) -> str:
    return f"'{clip(word)}' matches several topics: {', '.join(matches)}. Pick one."


NO_QUESTIONS = "No questions match {what}. Try another topic or difficulty."
QUIZ_ALREADY = (
    "You already have a quiz running (question {position} of {total}). "
    "Answer it, or send ⟦quiz stop⟧ first."
)
# A running quiz or interview shown again, or where typed answers go ({stop}: STOP_REF[kind]).
RUNNING_RESHOWN = (
    "Your {kind} is still running (question {position} of {total}); here it is again. "
    "Answer it, or send {stop} to end it."
)
NOT_STARTED = "The new {kind} you asked for was not started."
DAILY_WHILE_RUNNING = (
    "While your {kind} runs (question {position} of {total}), ⟦answer⟧ goes to its question, "
    "not to this daily one (where this card has buttons, they answer it). Finish the {kind}, "
    "or end it with {stop}, to answer the daily question by typing."
)
STOP_REF = {"quiz": "⟦quiz stop⟧", "interview": "⟦interview stop⟧", "review": "⟦review stop⟧"}
QUIZ_NONE = "You have no quiz running. Start one with ⟦quiz [topic] [difficulty] [count]⟧."
NOTHING_TO_STOP = "Nothing to stop: you have no quiz, review or interview running."
# A bare `stop` is no catalog command (bot/parsing.py), so it is quoted, not a reference.
STOP_NO_ARGUMENTS = (
    "'stop' takes no arguments: send it alone to end your quiz, review or interview."
)
BUTTON_STALE = "That button does not match this question any more; ask for it again."
QUIZ_STALE = "That button belongs to a quiz question you have already answered or left."
QUIZ_CAPPED = "Daily quiz cap of {cap} points reached; keep practising, points resume tomorrow."
QUIZ_CAP_TRIMMED = (
    "This answer reached the daily quiz cap of {cap} points, so it earns {points} of {full}; "
    "points resume tomorrow."
)
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
OPEN_NOTED = "Noted: {rating}."
# A self-rating as the user types it (stored as got / partly / missed).
RATING_WORDS = {"got": "got it", "partly": "partly", "missed": "missed"}

# Answer shapes the checker could not read
INVALID_ANSWER = {
    "mcq": "Answer with a letter ({letters}) or the option's text.",
    "true_false": "Answer with true or false (yes/no and t/f work too).",
    "numeric": "Answer with a number, such as 0.05, 5%, 5e-2 or 1/20.",
    "empty": "Your answer is empty.",
    "words": (
        "This question has no options to pick from: answer with the term itself, in words "
        "(⟦answer WORDS⟧). A lone letter or article does not count as one."
    ),
    "open": OPEN_BAD_RATING,
}

# Daily rounds
NO_DAILY = "There is no open daily question in this channel right now."
# `daily` between two rounds: when the next one comes, or why none will.
NO_DAILY_NEXT = (
    "There is no open daily question in this channel right now; the next one is posted {when}."
)
NO_DAILY_PAUSED = (
    "The daily question is paused in this channel; an admin restarts it with ⟦config resume⟧."
)
# The reveal of a round opened before rounds kept their question, whose question has since
# left the deck: the counts are known, the text is not.
REVEAL_QUESTION_GONE = "(This question has since been removed from the deck.)"
DAILY_LOCKED = "Your answer is locked in. The answer and results come at the reveal ({closes})."
DAILY_ALREADY = (
    "You already answered today's question ({given}); your first answer stands, locked in. "
    "The answer and results come at the reveal ({closes})."
)
# The same answer again once the round has closed (typed again, or a delivery replayed after
# a crash between its write and its reply): it stands, and the round is over.
DAILY_LOCKED_BEFORE_CLOSE = (
    "Your answer is locked in ({given}, given before the close). That daily question has "
    "closed; its answer and results are in the channel."
)
DAILY_STATUS_ANSWERED = "You answered: {given}. The reveal comes at {closes}."
DAILY_CLOSED = "That daily question has closed; its answer was revealed in the channel."
NOTHING_TO_ANSWER = "You have no quiz running and this channel has no open daily question."
DUPLICATE_DELIVERY = "Already handled."
# A repeat of a request still being processed (a double click, a redelivery).
INBOX_BUSY = "Already on it: the reply to that request is on its way."
DAILY_FORGOTTEN = (
    "You answered this daily question before ⟦forgetme⟧; that answer was deleted and earns "
    "nothing, and this round stays locked for you. The next daily question is yours to answer."
)

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
# `config channel` where the bot could not post: nothing is enabled, the fix is named.
CONFIG_CANNOT_POST = (
    "I cannot post the daily question in this channel: grant the bot {permissions} in the "
    "channel's settings (Permissions), then run ⟦config channel⟧ again."
)
CONFIG_NOT_INVITED = (
    "I cannot post the daily question in this channel: it is private and I am not a member. "
    "Invite me with `/invite @StudyBot` here, then run ⟦config channel⟧ again."
)
# `config channel` typed in a direct message between people: a DM is no place for a channel's
# daily question, and no invitation changes that.
CONFIG_DIRECT_MESSAGE = (
    "I cannot post the daily question in a direct message: use a channel, not a direct "
    "message. Run ⟦config channel⟧ in the channel that should get it."
)
CONFIG_UPDATED = "Updated: {what}. ⟦config show⟧ lists every setting."
# Today's post is due and its round can still be answered: the next tick posts it.
CONFIG_LATE_POST = "today's question (due {due}) goes out now, open until {close}"
CONFIG_PAUSED = "The daily question is paused here. ⟦config resume⟧ restarts it."
CONFIG_RESUMED = "The daily question is running again; the next one is posted {when}."
CONFIG_RESUMED_LATE = "The daily question is running again; {late}."
CONFIG_ALREADY_PAUSED = "The daily question is already paused here. ⟦config resume⟧ restarts it."
CONFIG_NOT_PAUSED = "The daily question is not paused here; nothing to resume."

CONFIG_WORK_TROUBLE = "Scheduled work that needs attention here:"

# Scheduled work that failed or is being retried (config show, `studybot doctor`, admin DMs)
WORK_NAMES = {"post": "daily question", "close": "reveal", "tally": "weekly tally"}
PUBLISH_FIXES = {
    "not_in_channel": "invite the bot to #{channel} (`/invite @StudyBot` there)",
    "channel_not_found": (
        "invite the bot to #{channel} if it is private, or run ⟦config channel⟧ in a channel "
        "that exists"
    ),
    "archived": "unarchive #{channel}, or run ⟦config channel⟧ in another channel",
    "cannot_check": (
        "invite the bot to #{channel}: it may post there but not read the history it needs to "
        "check whether a failed post arrived, so that post is not sent again"
    ),
    "no_history": (
        "grant the bot Read Message History in #{channel}: it needs it to check whether a "
        "failed post arrived, so that post is not sent again"
    ),
    "no_access": "grant the bot View Channel in #{channel}",
    "no_permission": "grant the bot Send Messages and Embed Links in #{channel}",
    "unknown_channel": (
        "#{channel} was deleted; run ⟦config channel⟧ in the channel that should get the "
        "daily question"
    ),
}
PUBLISH_FIX_OTHER = "check the bot's access to #{channel}"
ADMIN_ALERT = (
    "StudyBot could not post the {work} in #{channel} ({problem}). To fix it: {fix}. "
    "That post is not retried; later ones are tried as usual. You get at most one such "
    "message a day per channel."
)
WORK_STATE = {"failed": "failed", "claimed": "retrying"}
WORK_ROW = "{work} {period}: {state} at step {step}, {attempts} attempt(s): {error}"
DOCTOR_CHANNEL = "{platform} {workspace} #{channel} (channel id {id}):"
DOCTOR_CLEAN = "No scheduled work failed or is being retried in the last {days} days."


def publish_fix(problem: str, channel: str) -> str:
    """What an admin does about a permanent refusal, in one line."""
    return PUBLISH_FIXES.get(problem, PUBLISH_FIX_OTHER).format(channel=channel)


# Scheduled posts
TALLY_TITLE = "Weekly tally · {label}"
TALLY_TEAMS = "Teams:"
TALLY_PLAYERS = "Top players:"
TALLY_NONE = "(none)"
TALLY_TEAM_ROW = (
    "{rank}. {name} {points} pts ({per_active:.1f} per active member, "
    "{active} active, {members} on the team now; {change})"
)
# Team boards: a deleted team keeps its past points under its old name, marked.
TEAM_DELETED_MARK = "{name} (deleted)"
BOARD_TEAM_DETAIL = "{per_active:.1f} per active member, {active} active, {members} on the team now"


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
CONSOLE_CHART = "Chart saved: {path}"
CONSOLE_FILE = "File saved: {path}"
CONSOLE_LOG_STDERR = "Logs go to standard error (warnings only): {path} cannot be written."
TIME_POSTED = "── {when} · #{channel} ──"


# Stats and boards
STATS_UNKNOWN_USER = "Nobody called '{name}' has played here yet."
# A name several people here go by (display name, real name or handle), equally well.
PERSON_AMBIGUOUS = (
    "More than one person here goes by '{name}': {names}. Mention the one you mean, or use "
    "the name the leaderboard shows."
)
PERSON_AMBIGUOUS_MORE = "{shown} and {more} more"
PERSON_AMBIGUOUS_MANY = "{shown} and many more"
BOARD_EMPTY = (
    "No points yet for {label}. Answer the daily question or run a quiz to get on the board."
)
# The asker's own standing, sent privately beside the public board.
BOARD_STANDING = "Your standing on this board: #{rank}, {points} pts, {correct} correct."
BOARD_NOT_ON = (
    "You are not on this board yet: a right answer (daily question or quiz) gets you on it."
)
BOARD_TEAM_STANDING = "Your team {name} on this board: #{rank}, {points} pts, {detail}."
BOARD_TEAM_NOT_ON = "Your team {name} is not on this board yet."
BOARD_NO_TEAM = "You are not in a team; ⟦team list⟧ shows them and ⟦team join NAME⟧ joins one."

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
REVEAL_COUNTS = "Round {round}: {answered} answered, {correct} correct."
REVEAL_NOBODY = "Round {round}: nobody answered this one."
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
STATS_INTERVIEW = "Interview practice"
STATS_INTERVIEW_VALUE = "{n} answer(s) graded, {share:.0%} of key points made on average"
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
# An interview question (Discord and Slack cards): answered in the user's own words.
INTERVIEW_CARD_HINT = (
    "Press Answer and explain in your own words; you get the key points you made and missed."
)
DISCORD_MODAL_OPEN_LABEL = "Your answer (only you see it)"
DISCORD_RATE_PROMPT = "How did you do? Rate yourself below."
DISCORD_REVEAL_TITLE = "Reveal · daily question"
DISCORD_REVEAL_SHARES = "Answers"
DISCORD_NOBODY = "nobody yet"
DISCORD_THREAD_NAME = "Discuss: {prompt}"
# A scheduled post's footer ends with a short reference to its piece of work, so a retry long
# after an ambiguous failure can find the message in the channel's history and not post twice.
DISCORD_WORK_MARK = "{footer} · {mark}"
DISCORD_WORK_MARK_ALONE = "ref {mark}"
DISCORD_STATS_TOPICS = "By topic"
DISCORD_TOPIC_ALL = "all topics"
DISCORD_TOPIC_STOP = "stop: end my running quiz, review or interview"
DISCORD_TOPIC_HISTORY = "history: my graded interview answers"

# Generic
# Honest whatever step failed: what was stored stays stored (an answer may well be), and a
# retry confirms it with the normal reply; nothing is ever counted twice.
INTERNAL_ERROR = (
    "Something went wrong on our side. Please try again: anything already recorded is kept, "
    "and nothing is counted twice."
)
HELP_TITLE = "StudyBot commands"
TOPICS_TITLE = "Topics"
TOPICS_ROW = "{title}: {questions} questions ({auto} auto-graded)"
TOPICS_FOOTER = "{n} questions in all. Start with ⟦quiz TOPIC⟧."
HELP_TOPICS = "Topics here: {topics}."
HELP_FOOTER = "Send ⟦help COMMAND⟧ for details. Commands marked (admin) need admin rights."

# Slack
SLACK_CLOSES = "closes {closes}"
SLACK_CARD_HINT = "Or type `/study answer ...`."
SLACK_HELP_FOOTER = "On Slack, type each command after `/study`, e.g. `/study quiz statistics 3`."
SLACK_MODAL_SUBMIT = "Submit"
SLACK_MODAL_CLOSE = "Cancel"
SLACK_MODAL_HINT = {
    "short": "A short term; small typos are fine.",
    "numeric": "A number: 0.05, 5%, 5e-2 and 1/20 all work.",
    "open": "Your answer in a few sentences; the model answer comes next.",
}
SLACK_HOME_TITLE = "StudyBot"
SLACK_HOME_DUE = "*{n}* review card(s) due now."
SLACK_HOME_NONE_DUE = "No review cards due now."
SLACK_REVIEW_BUTTON = "Review"
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


def report_unknown_id(word: str, near: list[str]) -> str:
    """A report whose first word looks like a question id that no deck here has."""
    return (
        f"There is no question with the id '{clip(word)}'.{did_you_mean(near)} Start with the "
        "id shown on the question, or leave it out to report the question you last answered."
    )


REPORT_TOO_LONG = "Keep the reason under {limit} characters."
REPORT_LIST_EMPTY = "No question reports in this workspace yet."
REPORT_LIST_TITLE = "Question reports (newest {n})"
REPORT_ROW = "{when} · {user} · answered: {given} · reason: {reason}{rounds}"

# Discord: what briefly fills the public "thinking" slot of a public command whose only reply
# is private (it is deleted at once, and the reply follows privately).
DISCORD_REPLIED_PRIVATELY = "Replied privately."

# Interviews
INTERVIEW_INTRO = (
    "Mock interview: {n} question(s). Answer each in your own words, in a few sentences "
    "(⟦answer ...⟧, or just type it); you get the key points you made and missed, and the "
    "model answer. ⟦interview stop⟧ ends it."
)
INTERVIEW_KEEP = "Your answers are kept: ⟦interview history⟧ shows them."
INTERVIEW_NOT_KEPT = (
    "Your words are not stored after grading, only the scores (start with ⟦interview ... keep⟧ "
    "to keep them)."
)
INTERVIEW_NONE = "No interview questions match {what}."
INTERVIEW_TOO_LONG = "Keep an answer under {limit} characters (yours has {n})."
INTERVIEW_EMPTY = "Type your answer in a few sentences after ⟦answer⟧."
INTERVIEW_SCORE = "{covered}/{total} key points"
INTERVIEW_MODEL_ANSWER = "Model answer: {answer}"
INTERVIEW_DONE = "Interview done: {covered} of {total} key points over {n} question(s)."
INTERVIEW_STOPPED = "Interview stopped: {covered} of {total} key points over {n} question(s)."
INTERVIEW_HISTORY_EMPTY = "No graded interview answers yet. Start with ⟦interview [topic]⟧."
INTERVIEW_HISTORY_TITLE = "Your last {n} interview answers"
INTERVIEW_HINT = "Answer in your own words: ⟦answer ...⟧ (a few sentences, up to 4000 characters)."
INTERVIEW_COUNT = "An interview has 1 to {max} questions."
SUB_ALONE = "Send ⟦{sub}⟧ on its own."
INTERVIEW_NOT_RUNNING = "You have no interview running. Start one with ⟦interview [topic]⟧."
INTERVIEW_IS_QUIZ = "What runs now is a quiz, not an interview: ⟦quiz stop⟧ ends it."

# The built-in grader stood in for the model; {why}: timeout, rate limit, error, invalid reply.
GRADER_FALLBACK = "model grader unavailable ({why}); graded by key phrases"


# Workspace decks
DECK_NAME_MISSING = "Name the deck: ⟦deck {sub} NAME⟧."
DECK_NAME_RULE = "'{name}' cannot name a deck: {rule}."
DECK_NAME_TAKEN = "'{name}' is a built-in topic here; pick another deck name."
DECK_NO_FILE = "Attach the deck file to ⟦deck import NAME⟧ (TOML, CSV, trivia YAML or JSON)."
DECK_NO_FILE_CONSOLE = "Give the file: ⟦deck import NAME path/to/deck.csv⟧."
DECK_NAME_FIRST = "Name the deck before the file, for example ⟦{usage}⟧."
DECK_FILE_UNREADABLE = "Cannot read '{path}': {reason}."
DECK_TOO_BIG = "The file is {size} bytes; a deck may be at most {limit} bytes (1 MB)."
DECK_REJECTED = (
    "Nothing was imported: {n} problem(s) in '{name}' ({fmt}). Fix them and import again:"
)
DECK_REJECTED_MORE = "… and {n} more."
DECK_IMPORTED = (
    "Imported deck '{name}' ({fmt}): {n} questions, topic '{name}'. ⟦quiz {name}⟧ plays it."
)
DECK_REPLACED = "Replaced deck '{name}' ({fmt}): {n} questions, topic '{name}'."
DECK_UNKNOWN = "There is no deck or topic '{name}' here. ⟦deck list⟧ shows them."
DECK_UNKNOWN_DECK = "There is no deck '{name}' in this workspace. ⟦deck list⟧ shows them."
DECK_ENABLED = "'{name}' is in rotation again: quizzes and daily questions draw from it."
DECK_DISABLED = (
    "'{name}' is out of rotation in this workspace; ⟦deck enable {name}⟧ brings it back."
)
DECK_ALREADY = "'{name}' was already {state}."
DECK_DELETED = (
    "Deleted deck '{name}'. Rounds already posted keep their question; quizzes skip its items."
)
DECK_LIST_TITLE = "Decks and topics"
DECK_LIST_ROW = "{kind} · {state} · {n} questions{extra}"
DECK_LIST_FOOTER = "⟦deck disable NAME⟧ takes a deck or a built-in topic out of rotation here."
DECK_SHOW_TITLE = "Deck {name}: {title}"
DECK_SHOW_FOOTER = (
    "{n} questions, imported as {fmt} by {by} on {on}. ⟦deck export {name}⟧ gives the TOML."
)
DECK_SHOW_FIRST = "The first {shown} are listed above. "
DECK_SHOW_BUILTIN = (
    "{n} questions, built in. ⟦deck export {name}⟧ gives the TOML, a start for a deck of your own."
)
DECK_BUILTIN_DELETE = (
    "{name} is a built-in topic and cannot be deleted; ⟦deck disable {name}⟧ takes it out of"
    " rotation in this workspace."
)
# {kind}, {stop}: as RUNNING_RESHOWN.
QUIZ_NEXT_GONE = (
    "The next question of your {kind} was removed with its deck; your next answer skips it, "
    "or send {stop}."
)
DECK_NOT_TEXT = (
    "The file is not UTF-8 text; save it as UTF-8 (CSV, TOML, YAML or JSON) and import again."
)
SLACK_DECK_TITLE = "Import a deck"
SLACK_DECK_SUBMIT = "Import"
SLACK_DECK_LABEL = "Paste deck {name} (TOML, CSV, trivia YAML or JSON)"
SLACK_DECK_HINT = "Up to 3,000 characters here; share a longer file with StudyBot in a DM."
SLACK_DECK_EMPTY = "Paste the deck's text."
SLACK_DECK_FETCH = "Could not fetch the file from Slack ({reason}); share it again."
SLACK_DECK_DM_HINT = (
    "StudyBot reads one thing in this DM: a deck file shared with the comment "
    "deck import NAME (admins). Everything else goes through /study in a channel."
)
DECK_EXPORT = (
    "Deck '{name}' exported in the native TOML format: {n} questions ({counts}), {kb} KB;"
    " ⟦deck import⟧ reads the file back."
)
DECK_EXPORT_ALT = "Deck '{name}' ({title}): {n} questions in StudyBot's TOML deck format."
# Charts (bot/charts): titles drawn in the images and their alt text, which states the key
# numbers so the picture adds to the text and never replaces it.
CHART_PROGRESS_TITLE = "Progress · {name}"
CHART_BUTTON = "Chart"  # under text stats (Discord, Slack): draws the same stats
CHART_POINTS_WEEK = "Points per week"
CHART_ACCURACY_WEEK = "Accuracy per week"
CHART_TOPICS = "Accuracy by topic"
CHART_RETENTION = "Review retention"
CHART_RACE_TITLE = "Team race · {label}"
CHART_RACE_AXIS = "points per active member"
CHART_BOARD_TITLE = "Top {n} · {scope} · {period}"
CHART_BOARD_AXIS_USERS = "points"
CHART_BOARD_AXIS_TEAMS = "points per active member"
CHART_LEADER = "{name}: {value}"
CHART_NO_DATA = "no answers yet"
CHART_PROGRESS_ALT = (
    "Progress chart for {name} over the last {weeks} weeks: {points} points, "
    "{correct} of {answered} answers correct ({accuracy}); this week {week_points} points. "
    "Accuracy by topic: {topics}."
)
CHART_RETENTION_ALT = " Review retention: {retention}."
CHART_RACE_ALT = (
    "Team race for {label}, cumulative points per active member by day. {teams}. "
    "Leader: {leader} with {value}."
)
CHART_BOARD_ALT = "Leaderboard chart, {scope}, {period}: {rows}."
CHART_NONE = "none"
CHART_FAILED = "The chart could not be drawn this time; the text version is here."
CHART_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CHART_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CHART_WEEK = "{day} {month}"  # a week on the progress chart, by its Monday: "16 Nov"
# Rescoring: `question void | rekey | retire` and `audit list` (admins).
QUESTION_ROUND = (
    "Give the round number, e.g. ⟦question void 12⟧: it is shown in the reveal and in "
    "⟦report list⟧."
)
QUESTION_REKEY_USAGE = "Give the round number and the correct answer, e.g. ⟦question rekey 12 B⟧."
QUESTION_RETIRE_USAGE = "Give the question id, e.g. ⟦question retire ml-basics-007⟧."
QUESTION_UNKNOWN_ROUND = "There is no round {round} in this workspace."
QUESTION_ROUND_OPEN = "Round {round} has not closed yet: fix it after its reveal."
QUESTION_ROUND_BUSY = "A round of this workspace is being closed right now; try again in a minute."
QUESTION_ALREADY_VOID = "Round {round} was voided already; it counts for nobody. Nothing changed."
QUESTION_VOIDED_REKEY = "Round {round} was voided; there is nothing to rekey."
QUESTION_GONE = "Round {round}'s question is no longer known, so it cannot be graded again."
QUESTION_NOT_GRADABLE = "Round {round} asked an open question; only auto-graded rounds have a key."
QUESTION_SAME_KEY = "{answer} is already round {round}'s key. Nothing changed."
QUESTION_BAD_KEY = {
    "mcq": "Round {round} is multiple choice: give the letter as shown in the round (A-{last}), "
    "its number, or an option's exact text.",
    "true_false": "Round {round} is true/false: give true or false.",
    "numeric": "Round {round} needs a number as its key (e.g. 0.05, 5%, 1/20).",
    "short": "Give the correct answer as text (alternatives separated by |).",
}
QUESTION_VOID_DONE = (
    "Round {round} voided: it counts for nobody. {users} players' totals changed "
    "({before} → {after} points in all). Audit #{audit}."
)
QUESTION_REKEY_DONE = (
    "Round {round} rekeyed to {answer}: {flipped} answers graded differently, {users} players' "
    "totals changed ({before} → {after} points in all). Audit #{audit}."
)
QUESTION_RETIRED = (
    "{qid} is retired in this workspace: daily rounds, quizzes, interviews and reviews skip it."
)
QUESTION_RETIRED_ALREADY = "{qid} is retired in this workspace already. Nothing changed."
QUESTION_UNKNOWN_ID = "There is no question with the id {qid}."
NOTE_VOID = (
    "An admin voided round {round} ({qid}, {day}): it no longer counts. "
    "Your points: {before} → {after}."
)
NOTE_REKEY = (
    "An admin corrected the key of round {round} ({qid}, {day}) to {answer}, and answers were "
    "graded again. Your points: {before} → {after}."
)
AUDIT_USAGE = "⟦audit list⟧ takes an optional page number, e.g. ⟦audit list 2⟧."
AUDIT_EMPTY = "No admin actions on questions in this workspace yet."
AUDIT_PAGE_EMPTY = "There is no page {page} of the audit list (it has fewer entries)."
AUDIT_TITLE = "Audit (latest first, page {page})"
AUDIT_ROW = (
    "{when} · {who} · {action} {target} · {detail} · {users} players, {before} → {after} points"
)
AUDIT_RETIRE_ROW = "{when} · {who} · retire {qid}"
REPORT_ROUNDS = " · rounds: {rounds}"
REPORT_HANDLED = " · handled: {actions}"
# Reviews (spaced repetition, bot/review.py)
REVIEW_COUNT = "A review has 1 to {max} cards."
REVIEW_INTRO = (
    "Review: {n} of your {due} due card(s), most overdue first. No points: this is practice, "
    "and it keeps your study streak. ⟦review stop⟧ ends it."
)
REVIEW_NOTHING = "Nothing to review{what} right now."
REVIEW_NEXT = "Your next card is due {when}."
REVIEW_NO_CARDS = (
    "You have no review cards yet: every question you answer (daily, quiz or interview) "
    "becomes one, and a miss comes back the next day."
)
REVIEW_OFFER = "Meanwhile, practise your weakest topic: ⟦quiz {topic}⟧."
REVIEW_OFFER_ANY = "Meanwhile, a quiz makes new cards: ⟦quiz⟧."
REVIEW_TOMORROW = "tomorrow"
REVIEW_ON = "on {day}"
REVIEW_DONE = "Review done: {correct} of {answered} right."
REVIEW_STOPPED = "Review stopped: {correct} of {answered} right."
REVIEW_STREAK = "Study streak: {streak} day(s) (best {best})."
STATS_REVIEW_TITLE = "Review cards"
STATS_DUE_NOW = "due now"
STATS_DUE_WEEK = "due within 7 days"
STATS_RETENTION = "retention (recall odds now)"
STATS_WEAKEST = "weakest topic"
STATS_STUDY_STREAK = "study streak"
STATS_STREAK_DAYS = "{streak} day(s), best {best}"
STATS_REVIEW_FOOTER = "Review the due ones with ⟦review⟧."
REVIEW_NOT_RUNNING = "You have no review running. Start one with ⟦review [topic]⟧."
REVIEW_IS_OTHER = "What runs now is a {kind}, not a review: {stop} ends it."

# Reminders (bot/usecases/reminders.py)
REMIND_USAGE = "Use ⟦remind HH:MM⟧, ⟦remind HH:MM Europe/Berlin⟧ or ⟦remind off⟧."
REMIND_SET = (
    "I will remind you privately at {time} ({zone}) on days when review cards are due; "
    "⟦remind off⟧ stops it."
)
REMIND_OFF = "Reminders are off."
REMIND_WAS_OFF = "You had no reminder; nothing changed."
REMIND_NONE = "You get no reminders. ⟦remind HH:MM⟧ sends one a day when cards are due."
REMIND_SHOW = "You are reminded at {time} ({zone}) on days when review cards are due."
REMIND_DUE = "{n} review card(s) due today. ⟦review⟧ takes a few minutes; ⟦remind off⟧ stops these."

# Review settings (`config retention`, `config interval`)
CONFIG_RETENTION = (
    "'{value}' is not a usable retention: give the recall odds reviews aim for, from {low} to "
    "{high} (0.9 means a card comes back when you would still recall it 9 times in 10)."
)
CONFIG_INTERVAL = "'{value}' is not a usable interval: give whole days from {low} to {high}."
CONFIG_RETENTION_SET = (
    "Review cards in this workspace now aim for {value:.0%} recall; each card's next review "
    "follows from it."
)
CONFIG_INTERVAL_SET = "Review cards in this workspace now come back within {days} days at most."
