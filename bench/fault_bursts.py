"""Random SIGKILLs of `studybot run --slack-http` during bursts of signed Slack clicks."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from adapters.slack.client import make_client
from adapters.slack.publisher import SlackPublisher
from bot import messages as m
from bot.bootstrap import ManualClock, build_app
from bot.identity import Platform
from bot.settings import Settings
from bot.storage.tables import answers, inbox, users
from tests.conftest import FIXTURE_CONTENT
from tests.processes import BotProcess, bot_env, open_channel
from tests.slack.conftest import BOT_TOKEN, CHANNEL, SECRET, USERS, SlackDriver
from tests.slack.fake_slack import FakeSlack

LOCKED = m.DAILY_LOCKED.split("(")[0].strip()  # "Your answer is locked in. The answer ..."
# The inbox lease of the bench's processes (STUDYBOT_INBOX_LEASE): shorter than a restart takes,
# so each new process finds the dead one's acknowledged clicks due and replays them at start.
LEASE_S = "2"
# How long the last clean process may take to replay what the last kill left.
DRAIN_WAIT = 90.0


COLUMNS = (
    "runs",
    "lost",
    "doubled",
    "posts_doubled",
    "stuck",
    "unprocessed",
    "unthreaded",
    "integrity",
)


@dataclass
class Counts:
    """One row of the table: what a set of runs lost, doubled or left behind."""

    runs: int = 0
    lost: int = 0  # answers the user was told are locked in, then missing
    doubled: int = 0  # a user's answer stored more than once
    posts_doubled: int = 0  # a piece of work on the platform more than once
    stuck: int = 0  # rounds not closed and revealed once (or work never out)
    unprocessed: int = 0  # acknowledged (HTTP 200), then no reply and nothing stored
    unthreaded: int = 0  # a reveal not in its question's thread
    integrity: int = 0  # PRAGMA integrity_check not ok
    acked: int = 0  # acknowledged clicks, for scale
    notes: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        for name in (*COLUMNS, "acked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notes += other.notes


@dataclass(frozen=True)
class Click:
    user: str
    key: str  # the response_url key its replies go to
    status: int  # HTTP status; 0 when the connection failed (the process was dead or died)


def integrity_ok(db_url: str) -> bool:
    if not db_url.startswith("sqlite"):
        return True
    with sqlite3.connect(make_url(db_url).database or "") as conn:
        return bool(conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")


def card_buttons(call: Any) -> list[dict[str, Any]]:
    return [e for b in call.args["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def burst(
    driver: SlackDriver,
    buttons: list[dict[str, Any]],
    first_user: int,
    size: int,
    rng: random.Random,
    bot: BotProcess,
) -> list[Click]:
    """`size` new users click within about half a second; the bot is SIGKILLed at a random
    instant inside the burst."""

    async def one(n: int) -> Click:
        await asyncio.sleep(rng.uniform(0, 0.5))
        user = f"U{n:06d}"
        button = rng.choice(buttons)
        payload, key = driver.click_payload(button["action_id"], user, value=button["value"])
        try:
            status, _ = await driver.interact(payload)
        except (aiohttp.ClientError, OSError):
            status = 0
        return Click(user, key, status)

    async def killer() -> None:
        await asyncio.sleep(rng.uniform(0.05, 0.6))
        bot.kill()

    clicks = asyncio.gather(*(one(first_user + i) for i in range(size)))
    await asyncio.gather(clicks, killer())
    return list(clicks.result())


async def drained(db_url: str) -> int:
    """Wait until no inbox row is unfinished (a process replays them once their lease has
    run out); how many still are after DRAIN_WAIT."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = await build_app(settings, db_url=db_url, content_dir=FIXTURE_CONTENT)
    count = sa.select(sa.func.count()).where(inbox.c.state.in_(("received", "processing")))
    try:
        deadline = asyncio.get_running_loop().time() + DRAIN_WAIT
        while True:
            async with app.db.engine.connect() as conn:
                left = int((await conn.execute(count)).scalar_one())
            if left == 0 or asyncio.get_running_loop().time() > deadline:
                return left
            await asyncio.sleep(0.5)
    finally:
        await app.close()


async def stored_answers(db_url: str) -> Counter[str]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = await build_app(settings, db_url=db_url, content_dir=FIXTURE_CONTENT)
    try:
        async with app.db.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(users.c.external_id).select_from(
                    answers.join(users, users.c.id == answers.c.user_id)
                )
            )
            return Counter(str(r[0]) for r in rows)
    finally:
        await app.close()


async def close_and_count(db_url: str, fake: FakeSlack) -> tuple[int, int, int]:
    """Close the round at its closing instant as the scheduler would; (rounds stuck, posts
    doubled, reveals unthreaded), counted at the fake Slack."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
    )
    clock = ManualClock(dt.datetime.now(dt.UTC))
    app = await build_app(settings, db_url=db_url, content_dir=FIXTURE_CONTENT, clock=clock)
    try:
        [channel] = await app.stores.channels.enabled_channels()
        rnd = await app.stores.rounds.open_round(channel.id)
        if rnd is None:
            return 1, 0, 0
        publisher = SlackPublisher(make_client(settings))
        for minute in (0, 1, 2):  # the close is due; two more ticks at most to recover
            when = rnd.closes_at + dt.timedelta(minutes=minute)
            clock.set(when)
            await app.work.run_due(when, {Platform.SLACK: publisher})
        closed = await app.stores.rounds.get_round(rnd.id)
    finally:
        await app.close()
    mine = [
        (str(msg["metadata"]["event_payload"]["key"]), msg)
        for msg in fake.messages.get(CHANNEL, [])
        if isinstance(msg.get("metadata"), dict)
    ]
    keys = Counter(key for key, _ in mine)
    posts = [msg["ts"] for key, msg in mine if ":post:" in key]
    reveals = [msg for key, msg in mine if ":close:" in key]
    stuck = int(closed is None or closed.closed_at is None or len(reveals) != 1)
    unthreaded = sum(1 for msg in reveals if msg.get("thread_ts") not in posts)
    return stuck, sum(n - 1 for n in keys.values()), unthreaded


async def run_bursts(db_url: str, kills: int, burst_size: int, seed: int, tmp: Path) -> Counts:
    """`kills` runs: start the bot, click, SIGKILL it mid-burst; then count."""
    rng = random.Random(seed)
    fake = FakeSlack()
    fake.users = {k: dict(v) for k, v in USERS.items()}
    await fake.start()
    counts = Counts()
    try:
        await open_channel(db_url, dt.timedelta(hours=2))
        env = bot_env(db_url, fake.api_url, STUDYBOT_INBOX_LEASE=LEASE_S)
        clicks: list[Click] = []
        ids = itertools.count(1)
        async with aiohttp.ClientSession() as session:
            for n in range(kills):
                bot = BotProcess(tmp, env, n)
                await bot.wait_ready(session)
                posts = [c for c in fake.of("chat.postMessage") if c.args.get("blocks")]
                buttons = card_buttons(posts[0])
                # One id sequence across runs: every click is a new delivery (action_ts).
                driver = SlackDriver(bot.url, fake, session, _ids=ids)
                clicks += await burst(driver, buttons, n * burst_size, burst_size, rng, bot)
                counts.runs += 1
            # A last clean start; it replays what the last kill left, then stops cleanly.
            final = BotProcess(tmp, env, kills)
            await final.wait_ready(session)
            left = await drained(db_url)
            final.stop()
            if left:
                counts.notes.append(f"{left} inbox rows still unfinished after {DRAIN_WAIT:.0f} s")
        stored = await stored_answers(db_url)
        silent = 0  # stored, but the reply was lost (killed between recording and replying)
        for click in clicks:
            replies = [c for c in fake.calls if c.key == click.key]
            texts = " ".join(str(c.args.get("text", "")) for c in replies)
            acked = click.status == 200
            counts.acked += acked
            if LOCKED in texts and stored[click.user] == 0:
                counts.lost += 1
            if acked and not replies and stored[click.user] == 0:
                counts.unprocessed += 1
            elif acked and not replies:
                silent += 1
        if silent:
            counts.notes.append(f"{silent} acknowledged clicks stored but never replied to")
        counts.doubled = sum(n - 1 for n in stored.values() if n > 1)
        counts.stuck, counts.posts_doubled, counts.unthreaded = await close_and_count(db_url, fake)
        counts.integrity = int(not integrity_ok(db_url))
    finally:
        await fake.stop()
    return counts
