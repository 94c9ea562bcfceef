"""`studybot run`: start every adapter whose tokens are set, else the console."""

from __future__ import annotations

import logging
import sys

from adapters.console.app import run_console
from bot.settings import Settings

log = logging.getLogger(__name__)


def run(slack_http_port: int | None = None) -> int:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    wanted = [
        name
        for name, on in (("Discord", settings.discord_enabled), ("Slack", settings.slack_enabled))
        if on
    ]
    if not wanted:
        print(
            f"No platform token set (DISCORD_TOKEN, SLACK_BOT_TOKEN): opening the console on "
            f"{settings.database_url}."
        )
        return run_console()
    # The platform adapters are separate work items; say so plainly instead of idling.
    print(
        f"studybot: {', '.join(wanted)} adapter(s) are not available in this build yet; "
        "unset the token(s) to use the console.",
        file=sys.stderr,
    )
    return 2
