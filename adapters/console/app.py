"""The console adapter: a local chat in the terminal that speaks the catalog's text grammar."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import sys
from pathlib import Path
from typing import TextIO

from bot import messages as m
from bot.bootstrap import App, BankError, ManualClock, build_app
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.plaintext import render
from bot.replies import Reply
from bot.settings import Settings
from scheduler.ticker import Ticker

log = logging.getLogger(__name__)

WELCOME = (
    "StudyBot console · workspace {workspace} · #{channel} · you are {user}{admin}.\n"
    "Type `help` for commands, `/as NAME [admin]` to switch user, "
    "`/time +30m|+2h|+1d|ISO-8601` to move the clock, `/quit` to leave.\n"
    "Simulated time: {now}."
)
AS_USAGE = "! Usage: /as NAME [admin]"
# One jump may not run away with the loop; a year of days is plenty for trying things out.
MAX_JUMP = dt.timedelta(days=366)
_STEP = re.compile(r"^\+(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


class TimeError(ValueError):
    """A `/time` argument that cannot be used; the message is shown as is."""


def show_time(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def parse_time(text: str, now: dt.datetime) -> dt.datetime:
    """`+1d2h`, `+30m`, `+1w` or an ISO-8601 instant (naive means UTC) -> the new time."""
    value = text.strip()
    if value.startswith("+"):
        match = _STEP.match(value.lower())
        if not match or value == "+":
            raise TimeError(m.TIME_BAD.format(text=value))
        weeks, days, hours, minutes = (int(g) if g else 0 for g in match.groups())
        target = now + dt.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
    else:
        try:
            target = dt.datetime.fromisoformat(value)
        except ValueError:
            raise TimeError(m.TIME_BAD.format(text=value)) from None
        if target.tzinfo is None:
            target = target.replace(tzinfo=dt.UTC)
        target = target.astimezone(dt.UTC)
    if target < now:
        raise TimeError(m.TIME_BACKWARDS.format(now=show_time(now)))
    if target - now > MAX_JUMP:
        raise TimeError(m.TIME_TOO_FAR.format(days=MAX_JUMP.days))
    return target


class ConsolePublisher:
    """Publishes scheduled posts by collecting them for the terminal, with a message ref."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.outbox: list[str] = []
        self.count = 0
        self.keys: dict[str, str] = {}

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        # The terminal is the platform here: a key already shown is not shown again.
        if key in self.keys:
            return self.keys[key]
        self.count += 1
        head = m.TIME_POSTED.format(when=show_time(self.clock.now()), channel=place.channel)
        self.outbox.append(f"{head}\n{render(reply)}")
        self.keys[key] = f"console-{self.count}"
        return self.keys[key]

    async def find(self, place: PlaceRef, key: str) -> str | None:
        return self.keys.get(key)

    async def notify_admin(self, place: PlaceRef, user_ref: str, reply: Reply) -> None:
        self.outbox.append(f"(to {user_ref}) {render(reply)}")

    def drain(self) -> list[str]:
        out, self.outbox = self.outbox, []
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
    ) -> None:
        self.app = app
        self.place = PlaceRef(Platform.CONSOLE, workspace, channel)
        self.user = user
        self.admin = admin
        # The console is its own scheduler host: its simulated clock drives the same tick
        # the real scheduler runs, so `/time` shows what a channel would see.
        if clock is None:
            shared = app.ctx.clock
            clock = shared if isinstance(shared, ManualClock) else ManualClock()
        self.clock = clock
        self.publisher = ConsolePublisher(self.clock)
        self.ticker = Ticker(app.work, {Platform.CONSOLE: self.publisher})

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
        self.user, self.admin = name, admin
        return f"You are now {name}{' (admin)' if admin else ''}."

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
        replies: list[Reply] = await self.app.dispatcher.handle_text(text, self.origin)
        out = [render(r) for r in replies]
        if word in ("help", "/help") and len(text.split()) == 1:
            out.append(m.CONSOLE_HELP)
        # Anything the command made due right now (enabling a channel mid-morning) is posted
        # at once, as the real scheduler would within the minute.
        await self.ticker.run_once()
        return out + self.publisher.drain()

    async def move_time(self, args: list[str]) -> list[str]:
        now = self.clock.now()
        if not args:
            return [m.TIME_NOW.format(now=show_time(now)), m.TIME_USAGE]
        try:
            target = parse_time(args[0], now)
        except TimeError as exc:
            return [f"! {exc}"]
        await self.ticker.advance(self.clock, target)
        posted = self.publisher.drain()
        return [*posted, m.TIME_MOVED.format(now=show_time(target), count=len(posted))]


async def console_loop(session: ConsoleSession, stdin: TextIO, stdout: TextIO) -> int:
    interactive = stdin.isatty()
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
        for text in out:
            stdout.write(text + "\n")
        if out:
            stdout.write("\n")
        stdout.flush()
    stdout.write("Bye.\n")
    return 0


async def run_console_async(
    db_url: str | None, user: str, workspace: str, channel: str, content_dir: Path | None
) -> int:
    settings = Settings()
    # Simulated time starts at the real minute; `/time` moves it forward.
    clock = ManualClock(dt.datetime.now(dt.UTC).replace(second=0, microsecond=0))
    try:
        app = await build_app(settings, db_url=db_url, content_dir=content_dir, clock=clock)
    except BankError as exc:
        print(f"studybot: {exc}", file=sys.stderr)
        return 1
    try:
        session = ConsoleSession(app, workspace, channel, user, clock=clock)
        print(
            WELCOME.format(
                workspace=workspace,
                channel=channel,
                user=user,
                admin=" (admin)",
                now=show_time(clock.now()),
            )
        )
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
