"""The console adapter: a local chat in the terminal that speaks the catalog's text grammar."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import os
import re
import shutil
import sys
import textwrap
import zoneinfo
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url

from adapters.console.charts import show
from bot import messages as m
from bot.bootstrap import App, BankError, ManualClock, build_app
from bot.commands import ImportDeck
from bot.deck_import import IMPORT_MAX_BYTES
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.parsing import parse
from bot.plaintext import render
from bot.replies import Notice, QuestionCard, Reply, Tone
from bot.schedule import wall_clock
from bot.settings import Settings
from scheduler.ticker import Ticker

log = logging.getLogger(__name__)

WELCOME = (
    "StudyBot console · workspace {workspace} · #{channel} · you are {user}{admin}.\n"
    "Type `help` for commands, `/as NAME [admin]` to switch user, "
    "`/time next|+30m|+2h|+1d|ISO-8601` to move the clock, `/quit` to leave.\n"
    "Simulated time: {now}. {logs}"
)
AS_USAGE = "! Usage: /as NAME [admin]"
# Charts are saved here (beside the database and the log when it is a SQLite file).
CHARTS_DIR = Path("data") / "charts"
# One jump may not run away with the loop; a year of days is plenty for trying things out.
MAX_JUMP = dt.timedelta(days=366)
_STEP = re.compile(r"^\+(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


class TimeError(ValueError):
    """A `/time` argument that cannot be used; the message is shown as is."""


def show_time(when: dt.datetime, zone: str = "UTC") -> str:
    """`Tue 2026-11-17 09:00 CET`: the instant on a channel's wall clock, with its zone
    (UTC for a zone this machine does not know)."""
    try:
        return wall_clock(when, zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return wall_clock(when, "UTC")


def show_now(when: dt.datetime, zone: str = "UTC") -> str:
    """The console's clock in the channel's zone, with UTC beside it (what `/time ISO` takes)."""
    local = show_time(when, zone)
    if when.astimezone(_zone(zone)).utcoffset() == dt.timedelta(0) and local.endswith(" UTC"):
        return local
    return f"{local} ({when.astimezone(dt.UTC):%H:%M} UTC)"


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def parse_time(text: str, now: dt.datetime) -> dt.datetime:
    """`+1d2h`, `+30m`, `+1w` or an ISO-8601 instant (naive means UTC) -> the new time."""
    value = text.strip()
    if value.startswith("+"):
        match = _STEP.match(value.lower())
        if not match or value == "+":
            raise TimeError(m.TIME_BAD.format(text=value))
        weeks, days, hours, minutes = (int(g) if g else 0 for g in match.groups())
        try:
            step = dt.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
        except OverflowError:  # more than timedelta holds (999,999,999 days)
            raise TimeError(m.TIME_TOO_FAR.format(days=MAX_JUMP.days)) from None
        # Checked before adding: `now + step` past the year 9999 raises OverflowError.
        if step > MAX_JUMP:
            raise TimeError(m.TIME_TOO_FAR.format(days=MAX_JUMP.days))
        target = now + step
    else:
        try:
            target = dt.datetime.fromisoformat(value)
        except ValueError:
            raise TimeError(m.TIME_BAD.format(text=value)) from None
        if target.tzinfo is None:
            target = target.replace(tzinfo=dt.UTC)
        try:
            target = target.astimezone(dt.UTC)
        except OverflowError:  # 0001-01-01 or 9999-12-31 with an offset
            if target.year > now.year:
                raise TimeError(m.TIME_TOO_FAR.format(days=MAX_JUMP.days)) from None
            raise TimeError(m.TIME_BACKWARDS.format(now=show_time(now))) from None
    if target < now:
        raise TimeError(m.TIME_BACKWARDS.format(now=show_time(now)))
    if target - now > MAX_JUMP:
        raise TimeError(m.TIME_TOO_FAR.format(days=MAX_JUMP.days))
    return target


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


class ConsolePublisher:
    """Publishes scheduled posts by collecting them for the terminal, with a message ref.

    Each post is headed by the simulated time on the channel's own clock, the same zone its
    cards use for "Closes at"."""

    def __init__(
        self, clock: ManualClock, app: App | None = None, charts_dir: Path = CHARTS_DIR
    ) -> None:
        self.clock = clock
        self.app = app
        self.charts_dir = charts_dir
        self.outbox: list[str] = []
        self.count = 0
        self.keys: dict[str, str] = {}
        # Daily questions posted since the last drain: a `/time` jump stops after one.
        self.questions: list[str] = []

    async def zone_of(self, place: PlaceRef) -> str:
        if self.app is None:
            return "UTC"
        return await self.app.dispatcher.channel_timezone(place)

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        # The terminal is the platform here: a key already shown is not shown again.
        if key in self.keys:
            return self.keys[key]
        self.count += 1
        when = show_time(self.clock.now(), await self.zone_of(place))
        head = m.TIME_POSTED.format(when=when, channel=place.channel)
        self.outbox.append(f"{head}\n{show(reply, self.charts_dir)}")
        self.keys[key] = f"console-{self.count}"
        if isinstance(reply, QuestionCard):
            self.questions.append(reply.question_id)
        return self.keys[key]

    async def find(self, place: PlaceRef, key: str) -> str | None:
        return self.keys.get(key)

    async def notify_admin(self, place: PlaceRef, user_ref: str, reply: Reply) -> None:
        self.outbox.append(f"(to {user_ref}) {render(reply)}")

    @property
    def opened_round(self) -> bool:
        return bool(self.questions)

    def drain(self) -> list[str]:
        out, self.outbox = self.outbox, []
        self.questions = []
        return out


class ConsoleSession:
    """One terminal chat: the acting user, the place, and the app behind them."""

    def __init__(
        self,
        app: App,
        workspace: str,
        channel: str,
        user: str,
        admin: bool = True,
        clock: ManualClock | None = None,
        charts_dir: Path = CHARTS_DIR,
    ) -> None:
        self.app = app
        self.charts_dir = charts_dir
        self.place = PlaceRef(Platform.CONSOLE, workspace, channel)
        self.user = user
        self.admin = admin
        # Admin is a person's role, not a flag of one switch: `/as you` after `/as Bea` gives
        # the admin who started the console their rights back.
        self.admins: set[str] = {user.casefold()} if admin else set()
        # The console is its own scheduler host: its simulated clock drives the same tick
        # the real scheduler runs, so `/time` shows what a channel would see.
        if clock is None:
            shared = app.ctx.clock
            clock = shared if isinstance(shared, ManualClock) else ManualClock()
        self.clock = clock
        self.publisher = ConsolePublisher(self.clock, app, charts_dir)
        self.ticker = Ticker(app.work, {Platform.CONSOLE: self.publisher})
        # (user, question) pairs whose unanswered daily question already held up a jump once.
        self.held: set[tuple[str, str]] = set()

    @property
    def origin(self) -> Origin:
        return Origin(
            UserRef(Platform.CONSOLE, self.user.casefold()), self.place, self.user, self.admin
        )

    def switch(self, args: list[str]) -> str:
        admin = len(args) >= 2 and args[-1].lower() == "admin"
        name = " ".join(args[:-1] if admin else args).strip()
        if not name:
            return AS_USAGE
        if admin:
            self.admins.add(name.casefold())
        self.user, self.admin = name, name.casefold() in self.admins
        return f"You are now {name}{' (admin)' if self.admin else ''}."

    async def handle(self, line: str) -> list[str] | None:
        """Replies to one input line as text; None means quit."""
        text = line.strip()
        if not text:
            return []
        word = text.split()[0].lower()
        if word in ("/quit", "/exit", "quit", "exit"):
            return None
        if word == "/as":
            return [self.switch(text.split()[1:])]
        if word == "/time":
            return await self.move_time(text.split(maxsplit=1)[1:])
        parsed = parse(text)
        if isinstance(parsed, ImportDeck) and parsed.path is not None:
            read = read_deck_file(parsed)
            if isinstance(read, str):
                replies: list[Reply] = [Notice(read, Tone.ERROR)]
            else:
                replies = await self.app.dispatcher.dispatch(read, self.origin)
        else:
            replies = await self.app.dispatcher.handle_text(text, self.origin)
        out = [show(r, self.charts_dir) for r in replies]
        if word in ("help", "/help") and len(text.split()) == 1:
            out.append(m.CONSOLE_HELP)
        # Anything the command made due right now (enabling a channel mid-morning) is posted
        # at once, as the real scheduler would within the minute.
        await self.ticker.run_once()
        return out + self.publisher.drain()

    async def now_text(self) -> str:
        return show_now(self.clock.now(), await self.publisher.zone_of(self.place))

    async def move_time(self, args: list[str]) -> list[str]:
        now = self.clock.now()
        if not args:
            return [m.TIME_NOW.format(now=await self.now_text()), m.TIME_USAGE]
        if args[0].strip().lower() == "next":
            return await self.next_due()
        try:
            target = parse_time(args[0], now)
        except TimeError as exc:
            return [f"! {exc}"]
        held = await self.hold(target, f"/time {args[0].strip()}")
        if held:
            return [held]
        stopped = await self.run_until(target)
        posted = self.drain_jump()
        if stopped:
            zone = await self.publisher.zone_of(self.place)
            return [
                *posted,
                m.TIME_STOPPED.format(
                    now=await self.now_text(),
                    count=len(posted),
                    rest=_iso(target),
                    target=show_time(target, zone),
                ),
            ]
        return [*posted, m.TIME_MOVED.format(now=await self.now_text(), count=len(posted))]

    async def run_until(self, target: dt.datetime) -> bool:
        """Run due work in order up to `target`, jumping from one due instant to the next.

        Stops right after an instant that posted a daily question (True), leaving the clock
        there so the user can answer before the round closes; else ends at `target` (False).
        Everything due at one instant runs together, so a reveal and the next post that share
        a minute both appear before the stop.
        """
        platforms = [Platform.CONSOLE]
        while True:
            due = await self.app.work.next_due_at(self.clock.now(), platforms)
            if due is None or due > target:
                break
            self.clock.set(due)
            await self.ticker.run_once()
            if self.publisher.opened_round and due < target:
                return True
        self.clock.set(target)
        await self.ticker.run_once()
        return False

    def drain_jump(self) -> list[str]:
        # A question a jump stopped at is in plain sight, so it never holds up the next jump.
        self.held.update((self.user.casefold(), q) for q in self.publisher.questions)
        return self.publisher.drain()

    async def hold(self, target: dt.datetime, again: str) -> str | None:
        """Once per question, refuse a jump that would run due work (the reveal, most likely)
        while the acting user has not answered this channel's open daily question: the
        question may have been posted by `config channel` a moment ago, unseen among its
        replies. Repeating the command goes on."""
        due = await self.app.work.next_due_at(self.clock.now(), [Platform.CONSOLE])
        if due is None or due > target:
            return None
        replies = await self.app.dispatcher.handle_text("daily", self.origin)
        card = next((r for r in replies if isinstance(r, QuestionCard)), None)
        if card is None:
            return None
        key = (self.user.casefold(), card.question_id)
        if key in self.held:
            return None
        self.held.add(key)
        return m.TIME_HELD.format(
            channel=self.place.channel, closes=card.closes_at or "?", again=again
        )

    async def next_due(self) -> list[str]:
        """`/time next`: jump to the next instant anything is due here and run it."""
        now = self.clock.now()
        due = await self.app.work.next_due_at(now, [Platform.CONSOLE])
        if due is None or due - now > MAX_JUMP:
            return [m.TIME_NOTHING_DUE.format(days=MAX_JUMP.days)]
        held = await self.hold(due, "/time next")
        if held:
            return [held]
        await self.run_until(due)
        posted = self.drain_jump()
        return [*posted, m.TIME_NEXT_DONE.format(now=await self.now_text(), count=len(posted))]


def read_deck_file(cmd: ImportDeck) -> ImportDeck | str:
    """`deck import NAME PATH`: the console reads the file and hands the core its text."""
    assert cmd.path is not None
    path = Path(cmd.path).expanduser()
    try:
        size = path.stat().st_size
        if size > IMPORT_MAX_BYTES:
            return m.DECK_TOO_BIG.format(size=size, limit=IMPORT_MAX_BYTES)
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return m.DECK_FILE_UNREADABLE.format(path=m.clip(cmd.path), reason=reason)
    return dataclasses.replace(cmd, filename=path.name, text=text)


def output_width(stdout: TextIO) -> int | None:
    """Columns to wrap replies at: the terminal's width; when output is piped, `COLUMNS` if
    set, else no wrapping, so a transcript keeps one line per reply line and tests stay exact."""
    if stdout.isatty():
        return max(40, shutil.get_terminal_size().columns)
    columns = os.environ.get("COLUMNS", "")
    return max(40, int(columns)) if columns.isdigit() else None


_HANGING = re.compile(r"^(\s*(?:[A-Z]\)|-|\d+\.|\.\.\. \d+\.)\s)")


def wrap(text: str, width: int | None) -> str:
    """Wrap long lines to `width`, continuing list items (`  A) ...`) under their text."""
    if width is None:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        marker = _HANGING.match(line)
        indent = line[: len(line) - len(line.lstrip())]
        hanging = " " * len(marker.group(1)) if marker else indent
        out += textwrap.wrap(
            line,
            width,
            subsequent_indent=hanging,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [line]
    return "\n".join(out)


async def console_loop(session: ConsoleSession, stdin: TextIO, stdout: TextIO) -> int:
    interactive = stdin.isatty()
    width = output_width(stdout)
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            stdout.write(f"{session.user}> ")
            stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        if not interactive and line.strip():
            # Echo piped input so a transcript reads like a conversation.
            stdout.write(f"{session.user}> {line.strip()}\n")
        out = await session.handle(line)
        if out is None:
            break
        # One blank line between replies (feedback, explanation, the next question) and
        # after the last, so each exchange reads as its own block.
        for text in out:
            stdout.write(wrap(text, width) + "\n\n")
        stdout.flush()
    stdout.write("Bye.\n")
    return 0


def log_path(settings: Settings, db_url: str | None) -> Path:
    """Where the console writes its log: beside its SQLite database file, else ./data/."""
    url = make_url(db_url or settings.database_url)
    database = url.database
    if (
        url.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
    ):
        return Path(database).parent / "studybot.log"
    return Path("data") / "studybot.log"


def configure_logging(settings: Settings, path: Path) -> str:
    """Send every log line to `path` so the terminal shows only the chat; returns the one line
    that tells the user where the log went."""
    # Alembic narrates every start and APScheduler every tick at INFO; neither helps here.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        # No writable log file: warnings still go somewhere, on stderr, not into the chat.
        logging.basicConfig(level=logging.WARNING, format=fmt, stream=sys.stderr, force=True)
        return m.CONSOLE_LOG_STDERR.format(path=path)
    # force: `studybot run` set up stderr logging before it knew it would open the console.
    logging.basicConfig(
        level=settings.log_level.upper(), handlers=[handler], format=fmt, force=True
    )
    return m.CONSOLE_LOG_FILE.format(path=_shown(path))


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


async def run_console_async(
    db_url: str | None, user: str, workspace: str, channel: str, content_dir: Path | None
) -> int:
    settings = Settings()
    logs = configure_logging(settings, log_path(settings, db_url))
    # Simulated time starts at the real minute; `/time` moves it forward.
    clock = ManualClock(dt.datetime.now(dt.UTC).replace(second=0, microsecond=0))
    try:
        app = await build_app(settings, db_url=db_url, content_dir=content_dir, clock=clock)
    except BankError as exc:
        print(f"studybot: {exc}", file=sys.stderr)
        return 1
    try:
        # A database that has seen simulated days ahead resumes there: going back to the real
        # time would replay weeks of "skipped" work that fell due before the channel existed.
        latest = await app.dispatcher.resume_instant()
        if latest is not None and latest > clock.now():
            clock.set(latest)
        charts = log_path(settings, db_url).parent / "charts"
        session = ConsoleSession(app, workspace, channel, user, clock=clock, charts_dir=charts)
        welcome = WELCOME.format(
            workspace=workspace,
            channel=channel,
            user=user,
            admin=" (admin)",
            now=await session.now_text(),
            logs=logs,
        )
        print(wrap(welcome, output_width(sys.stdout)))
        print()
        return await console_loop(session, sys.stdin, sys.stdout)
    finally:
        await app.close()


def run_console(
    db_url: str | None = None,
    user: str = "you",
    workspace: str = "local",
    channel: str = "general",
    content_dir: Path | None = None,
) -> int:
    try:
        return asyncio.run(run_console_async(db_url, user, workspace, channel, content_dir))
    except KeyboardInterrupt:
        print("\nBye.")
        return 0
