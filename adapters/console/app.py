"""The console adapter: a local chat in the terminal that speaks the catalog's text grammar."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TextIO

from bot.bootstrap import App, BankError, build_app
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.plaintext import render
from bot.replies import Reply
from bot.settings import Settings

log = logging.getLogger(__name__)

WELCOME = (
    "StudyBot console · workspace {workspace} · #{channel} · you are {user}{admin}.\n"
    "Type `help` for commands, `/as NAME [admin]` to switch user, `/quit` to leave."
)
AS_USAGE = "! Usage: /as NAME [admin]"


class ConsoleSession:
    """One terminal chat: the acting user, the place, and the app behind them."""

    def __init__(
        self, app: App, workspace: str, channel: str, user: str, admin: bool = True
    ) -> None:
        self.app = app
        self.place = PlaceRef(Platform.CONSOLE, workspace, channel)
        self.user = user
        self.admin = admin

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
        replies: list[Reply] = await self.app.dispatcher.handle_text(text, self.origin)
        return [render(r) for r in replies]


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
    try:
        app = await build_app(settings, db_url=db_url, content_dir=content_dir)
    except BankError as exc:
        print(f"studybot: {exc}", file=sys.stderr)
        return 1
    try:
        session = ConsoleSession(app, workspace, channel, user)
        print(WELCOME.format(workspace=workspace, channel=channel, user=user, admin=" (admin)"))
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
