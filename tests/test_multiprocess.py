"""Two `studybot run` processes on one PostgreSQL: one daily post, every answer exactly once."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from bot import messages as m
from bot.bootstrap import build_app
from bot.settings import Settings
from bot.storage.tables import answers, claims
from tests.conftest import FIXTURE_CONTENT, ROOT, fresh_pg_database, require_pg
from tests.processes import BotProcess, open_channel
from tests.slack.conftest import BOT_TOKEN, CHANNEL, SECRET, USERS, SlackDriver
from tests.slack.fake_slack import FakeSlack

pytestmark = pytest.mark.postgres


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    server.users = {k: dict(v) for k, v in USERS.items()}
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def bot_env(fake: FakeSlack) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        STUDYBOT_CONTENT_DIR=str(FIXTURE_CONTENT),
        STUDYBOT_LOG_LEVEL="DEBUG",  # the ticker says "tick at ..." even when it did nothing
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
        SLACK_HTTP_HOST="127.0.0.1",
    )
    yield env


def card_buttons(call: Any) -> dict[str, dict[str, Any]]:
    """The answer buttons of a posted card, by the option text they end with."""
    found = [e for b in call.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return {e["text"]["text"].split(" ", 1)[-1]: e for e in found}


async def test_two_processes_post_once_and_record_every_answer_once(
    fake: FakeSlack, bot_env: dict[str, str], tmp_path: Path
) -> None:
    db_url = await fresh_pg_database(require_pg())
    await open_channel(db_url, dt.timedelta(minutes=30))
    env = {**bot_env, "STUDYBOT_DATABASE_URL": db_url}
    bots = [BotProcess(tmp_path, env, n) for n in (1, 2)]
    try:
        async with aiohttp.ClientSession() as session:
            for bot in bots:
                await bot.wait_ready(session)
            # Both processes ticked at start with the post due; the claim let one publish.
            posts = [c for c in fake.of("chat.postMessage") if c.args.get("channel") == CHANNEL]
            assert len(posts) == 1, [b.log_path.read_text() for b in bots]
            buttons = card_buttons(posts[0])
            right, wrong = buttons["Median"], buttons["Mean"]

            # Answers arrive at either process, as behind a load balancer; one click is
            # delivered to both (a retry that the balancer routed elsewhere).
            drivers = [SlackDriver(b.url, fake, session) for b in bots]
            acks = [
                await drivers[0].click_replies(right["action_id"], "UBOB", value=right["value"]),
                await drivers[1].click_replies(wrong["action_id"], "UCY", value=wrong["value"]),
            ]
            payload, key = drivers[0].click_payload(
                right["action_id"], "UADMIN", value=right["value"], action_ts="1700000999.000001"
            )
            for driver in drivers:
                status, _ = await driver.interact(payload)
                assert status == 200
            await fake.wait_for(lambda: len([c for c in fake.calls if c.key == key]) >= 2)
            acks.append([c for c in fake.calls if c.key == key])
    finally:
        codes = [bot.stop() for bot in bots]
    assert all("locked in" in replies[0].args["text"] for replies in acks)
    # The inbox (shared by both processes) ran it once: the other delivery is shown the
    # stored reply again, or told it is being handled if it came while the first ran.
    first, second = [c.args["text"] for c in acks[2]][:2]
    assert second == first or m.INBOX_BUSY in second
    assert codes == [0, 0], [b.log_path.read_text() for b in bots]

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = await build_app(settings, db_url=db_url, content_dir=FIXTURE_CONTENT)
    try:
        async with app.db.engine.connect() as conn:
            rows = (await conn.execute(sa.select(answers.c.correct))).scalars().all()
            claimed = (await conn.execute(sa.select(claims.c.kind, claims.c.status))).all()
    finally:
        await app.close()
    assert sorted(rows) == [False, True, True]  # Bob and Ada right, Cy wrong, once each
    # One post claim, published once (stale tallies the catch-up skipped are claims too).
    assert [tuple(c) for c in claimed if c.kind == "post"] == [("post", "published")]
