"""Real bot processes SIGKILLed around an interaction: a slash command acknowledged and killed
before it runs is replayed exactly once by the restarted process; a click on the daily card,
one write with its inbox row, killed before that commits leaves nothing and was never acked."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from bot import messages as m
from bot.bootstrap import build_app
from bot.settings import Settings
from bot.storage.tables import answers, inbox, users
from tests.conftest import FIXTURE_CONTENT
from tests.processes import BotProcess, bot_env, open_channel
from tests.slack.conftest import USERS, SlackDriver
from tests.slack.fake_slack import FakeSlack

LOCKED = m.DAILY_LOCKED.split("(")[0].strip()
BOB = "UBOB"
LEASE_S = "1"  # the dead process's rows are due by the time a new one has started
REPLY_WAIT = 60.0


async def inbox_and_answers(db_url: str) -> tuple[list[Any], list[str]]:
    """The inbox rows, and whose answers are stored (Slack user ids)."""
    app = await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=FIXTURE_CONTENT,
    )
    try:
        async with app.db.engine.connect() as conn:
            rows = list(await conn.execute(sa.select(inbox).order_by(inbox.c.id)))
            stored = await conn.execute(
                sa.select(users.c.external_id).select_from(
                    answers.join(users, users.c.id == answers.c.user_id)
                )
            )
            return rows, [str(r[0]) for r in stored]
    finally:
        await app.close()


async def send(driver: SlackDriver, fake: FakeSlack, how: str) -> tuple[int, str]:
    """Bob's right answer to the posted daily question; the HTTP status and the key of the
    response_url its reply goes to."""
    if how == "command":
        body, key = driver.command_body("answer Median", BOB)
        status, _ = await driver.post(body, "application/x-www-form-urlencoded")
        return status, key
    [card] = [c for c in fake.of("chat.postMessage") if c.args.get("blocks")]
    buttons = [e for b in card.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    [right] = [b for b in buttons if b["action_id"].endswith(":c1")]  # Median
    payload, key = driver.click_payload(right["action_id"], BOB, value=right.get("value", ""))
    status, _ = await driver.interact(payload)
    return status, key


@dataclass
class KillRig:
    """A fake Slack, a channel whose daily question is posted at start-up, and bot processes
    on `db_url` that talk to that fake: one armed to die, then one restarted."""

    db_url: str
    tmp: Path
    fake: FakeSlack
    session: aiohttp.ClientSession

    async def dies(self, act: Callable[[SlackDriver], Awaitable[None]], **env: str) -> None:
        """Run a process armed with `env` (its fault), `act` on it, and see it SIGKILLed."""
        dying = BotProcess(self.tmp, bot_env(self.db_url, self.fake.api_url, **env), 1)
        try:
            await dying.wait_ready(self.session)
            await act(SlackDriver(dying.url, self.fake, self.session))
            async with asyncio.timeout(30):
                while dying.proc.poll() is None:
                    await asyncio.sleep(0.05)
        finally:
            dying.kill()
        assert dying.proc.returncode == -signal.SIGKILL, dying.log_path.read_text()[-2000:]

    @contextlib.asynccontextmanager
    async def restarted(self, **env: str) -> AsyncIterator[tuple[BotProcess, SlackDriver]]:
        """A healthy process after the dead one; it must stop cleanly."""
        process = BotProcess(self.tmp, bot_env(self.db_url, self.fake.api_url, **env), 2)
        try:
            await process.wait_ready(self.session)
            yield process, SlackDriver(process.url, self.fake, self.session)
        finally:
            assert process.stop() == 0


@pytest.fixture
async def kill_rig(db_url: str, tmp_path: Path) -> AsyncIterator[KillRig]:
    fake = FakeSlack()
    fake.users = {k: dict(v) for k, v in USERS.items()}
    await fake.start()
    try:
        await open_channel(db_url, dt.timedelta(hours=2))
        async with aiohttp.ClientSession() as session:
            yield KillRig(db_url, tmp_path, fake, session)
    finally:
        await fake.stop()


async def test_an_acknowledged_interaction_killed_before_processing_is_replayed_once(
    kill_rig: KillRig,
) -> None:
    fake = kill_rig.fake
    sent: list[str] = []

    async def command(driver: SlackDriver) -> None:
        # A click on the card is never acknowledged before it is written: a command.
        status, key = await send(driver, fake, "command")
        assert status == 200  # acknowledged: Slack got its 200 and will never send it again
        sent.append(key)

    await kill_rig.dies(command, STUDYBOT_FAULT="inbox.admitted:kill", STUDYBOT_INBOX_LEASE=LEASE_S)
    [key] = sent
    [row], stored = await inbox_and_answers(kill_rig.db_url)
    assert (row.state, row.attempts) == ("received", 1) and stored == []
    assert not [c for c in fake.calls if c.key == key]  # no reply yet

    async with kill_rig.restarted(STUDYBOT_INBOX_LEASE=LEASE_S) as (restarted, _):
        async with asyncio.timeout(REPLY_WAIT):
            await fake.wait_for(lambda: any(c.key == key for c in fake.calls))
        await asyncio.sleep(1.0)  # time for a second reply, were there one
    log = restarted.log_path.read_text()
    assert "inbox: replaying slack" in log, log[-2000:]
    replies = [c for c in fake.calls if c.key == key]
    assert len(replies) == 1, replies
    assert LOCKED in str(replies[0].args.get("text", ""))
    [row], stored = await inbox_and_answers(kill_rig.db_url)
    assert (row.state, row.attempts) == ("done", 2)
    assert stored == [BOB]  # once


async def test_a_click_killed_before_its_one_write_commits_leaves_nothing(
    kill_rig: KillRig,
) -> None:
    fake = kill_rig.fake

    async def click(driver: SlackDriver) -> None:
        # The process dies inside the click's transaction: Slack gets no 200 (the user sees
        # the click fail), so nothing was acknowledged.
        with pytest.raises(aiohttp.ClientError):
            await send(driver, fake, "click")

    await kill_rig.dies(click, STUDYBOT_FAULT="inbox.uncommitted:kill")
    assert await inbox_and_answers(kill_rig.db_url) == ([], [])

    async with kill_rig.restarted() as (_, driver):
        status, key = await send(driver, fake, "click")  # the user clicks again
        assert status == 200
        async with asyncio.timeout(REPLY_WAIT):
            await fake.wait_for(lambda: any(c.key == key for c in fake.calls))
    [reply] = [c for c in fake.calls if c.key == key]
    assert LOCKED in str(reply.args.get("text", ""))
    [row], stored = await inbox_and_answers(kill_rig.db_url)
    assert (row.state, row.attempts) == ("done", 1)
    assert stored == [BOB]  # once
