"""A process that sends one answer for the kill tests: a click or a typed `answer` line."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys

from bot.bootstrap import ManualClock, SeededRng, build_app
from bot.commands import SubmitAnswer
from bot.replies import Notice
from bot.settings import Settings
from tests.conftest import FIXTURE_CONTENT
from tests.test_scheduler import BOB


async def run(db_url: str, when: dt.datetime, answer: str) -> None:
    app = await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=FIXTURE_CONTENT,
        clock=ManualClock(when),
        rng=SeededRng(7),
    )
    try:
        # "click:<round>:<choice>:<delivery>" or the typed line itself.
        if answer.startswith("click:"):
            _, round_id, choice, delivery = answer.split(":", 3)
            click = SubmitAnswer(
                "", round_id=int(round_id), choice=int(choice), delivery_id=delivery
            )
            replies = await app.dispatcher.dispatch(click, BOB)
        else:
            replies = await app.dispatcher.handle_text(answer, BOB)
        print(json.dumps([r.text for r in replies if isinstance(r, Notice)]), flush=True)
    finally:
        await app.close()


if __name__ == "__main__":
    url, instant, line = sys.argv[1:]
    asyncio.run(run(url, dt.datetime.fromisoformat(instant), line))
