"""`studybot run`: start every adapter whose tokens are set, else the console."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence

from adapters.console.app import run_console
from bot.bootstrap import App
from bot.identity import Platform
from bot.ports import Publisher
from bot.settings import Settings
from scheduler.ticker import Ticker

log = logging.getLogger(__name__)

Adapter = Callable[[], Awaitable[None]]


async def serve(
    app: App, adapters: Sequence[Adapter], publishers: Mapping[Platform, Publisher]
) -> None:
    """Run the adapters with the scheduler beside them until one ends or the task is cancelled;
    the scheduler stops cleanly either way, letting a publish in progress finish."""
    ticker = Ticker(app.service, publishers)
    ticker.start()
    tasks = [asyncio.ensure_future(adapter()) for adapter in adapters]
    try:
        if tasks:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.error("adapter stopped", exc_info=task.exception())
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await ticker.stop()


def run(slack_http_port: int | None = None) -> int:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic narrates every start at INFO; only its warnings belong beside the chat.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    wanted = [
        name
        for name, on in (("Discord", settings.discord_enabled), ("Slack", settings.slack_enabled))
        if on
    ]
    if not wanted:
        # The console keeps its own simulated clock and runs due work itself (`/time`), so no
        # wall-clock scheduler runs beside it: it would post at real times into a simulation.
        print(
            f"No platform token set (DISCORD_TOKEN, SLACK_BOT_TOKEN): opening the console on "
            f"{settings.database_url}."
        )
        return run_console()
    # The platform adapters are separate work items; say so plainly instead of idling. When
    # they land, they run under `serve`, which hosts the scheduler beside them.
    print(
        f"studybot: {', '.join(wanted)} adapter(s) are not available in this build yet; "
        "unset the token(s) to use the console.",
        file=sys.stderr,
    )
    return 2
