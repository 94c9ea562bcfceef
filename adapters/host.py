"""`studybot run`: start every adapter whose tokens are set, else the console."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Mapping, Sequence

from adapters.console.app import run_console
from adapters.runtime import Adapter, Runtime
from bot.bootstrap import App, build_app
from bot.identity import Platform
from bot.intake import REPLAY_BATCH
from bot.ports import LateReplier, Publisher
from bot.settings import Settings
from scheduler.ticker import Ticker

log = logging.getLogger(__name__)


# A stop (SIGTERM from `docker stop`, SIGINT from Ctrl-C) must finish well inside the 10 s
# before Docker's SIGKILL: a publish in progress gets this long, adapters and the database
# take well under a second after it.
PUBLISH_GRACE_S = 6.0
# How often the inbox is checked for interactions a dead process left unanswered (and once at
# start-up); a row is replayed once its holder's lease (STUDYBOT_INBOX_LEASE) has run out.
REPLAY_EVERY_S = 30.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def serve(
    app: App,
    adapters: Sequence[Adapter],
    publishers: Mapping[Platform, Publisher],
    stop: asyncio.Event | None = None,
    repliers: Mapping[Platform, LateReplier] | None = None,
) -> None:
    """Run the adapters with the scheduler beside them until one ends, `stop` is set or the
    task is cancelled; the scheduler stops cleanly either way, letting a publish in progress
    finish."""
    ticker = Ticker(app.work, publishers)
    ticker.start()
    tasks = [asyncio.ensure_future(adapter()) for adapter in adapters]
    replaying = asyncio.ensure_future(replay_inbox(app, repliers or {}))
    stopping = asyncio.ensure_future((stop or asyncio.Event()).wait())
    try:
        if tasks:
            await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.error("adapter stopped", exc_info=task.exception())
    finally:
        stopping.cancel()
        replaying.cancel()
        await asyncio.gather(replaying, return_exceptions=True)
        # The scheduler stops first, so a publish in progress finishes while the platform
        # connections it publishes through are still open.
        await ticker.stop(grace=PUBLISH_GRACE_S)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def replay_inbox(
    app: App, repliers: Mapping[Platform, LateReplier], every: float = REPLAY_EVERY_S
) -> None:
    """At start-up and then regularly: process the interactions acknowledged by a process
    that died before answering them, and deliver their replies late."""
    if not repliers:
        return
    while True:
        try:
            replayed = await app.dispatcher.replay(repliers)
        except Exception:
            log.exception("replaying the inbox failed; trying again in %.0f s", every)
            replayed = 0
        if replayed >= REPLAY_BATCH:
            # A full batch: more may wait (a burst of clicks the dead process acknowledged),
            # and each of those users is waiting for a reply. Every row taken counts an
            # attempt and none is taken twice per lease, so this ends.
            continue
        await asyncio.sleep(every)


def _on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop`. Handled in the process, so they work as PID 1 too, where
    the kernel drops any signal the process has not asked for (`docker stop` would then wait
    for its SIGKILL)."""
    loop = asyncio.get_running_loop()

    def stop_on(signum: signal.Signals) -> None:
        if stop.is_set():
            log.info("%s: already stopping", signum.name)
            return
        log.info("%s: stopping (finishing a publish in progress, then closing)", signum.name)
        stop.set()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop_on, signum)


async def _serve_platforms(settings: Settings, slack_http_port: int | None) -> None:
    stop = asyncio.Event()
    _on_signals(stop)
    app = await build_app(settings)
    runtimes: list[Runtime] = []
    try:
        if settings.discord_enabled:
            from adapters.discord.runtime import build_discord

            runtimes.append(build_discord(app, settings))
        if settings.slack_enabled:
            from adapters.slack.runtime import build_slack

            runtimes.append(build_slack(app, settings, http_port=slack_http_port))
        if not stop.is_set():  # a signal during start-up: close without serving
            await serve(
                app,
                [r.serve for r in runtimes],
                {r.platform: r.publisher for r in runtimes},
                stop,
                {r.platform: r.late for r in runtimes if r.late is not None},
            )
    finally:
        # Answers still queued are written, the WAL is folded into the file, connections close.
        await app.close()
        log.info("studybot stopped")


def run(slack_http_port: int | None = None) -> int:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic narrates every start at INFO; only its warnings belong beside the chat.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler logs every minute's tick at INFO; the ticker logs the ticks that did work.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if not (settings.discord_enabled or settings.slack_enabled):
        # The console keeps its own simulated clock and runs due work itself (`/time`), so no
        # wall-clock scheduler runs beside it: it would post at real times into a simulation.
        print(
            f"No platform token set (DISCORD_TOKEN, SLACK_BOT_TOKEN): opening the console on "
            f"{settings.database_url}."
        )
        return run_console()
    if slack_http_port is not None and not settings.slack_enabled:
        print("studybot: --slack-http needs SLACK_BOT_TOKEN.", file=sys.stderr)
        return 2
    # SIGINT and SIGTERM are handled inside the loop; this covers a Ctrl-C before it runs.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_platforms(settings, slack_http_port))
    return 0
