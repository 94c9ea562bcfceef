"""A scheduler process for the kill tests: ticks at given instants against a file platform."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from pathlib import Path

from bot.bootstrap import ManualClock, SeededRng, build_app
from bot.identity import PlaceRef, Platform
from bot.replies import Reply
from bot.settings import Settings
from tests.conftest import FIXTURE_CONTENT


class FilePublisher:
    """A fake platform whose messages outlive the process: one JSON line per message,
    flushed to disk before `publish` returns, as a platform keeps what it accepted."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def sent(self) -> list[dict[str, str | None]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]

    async def publish(
        self, place: PlaceRef, reply: Reply, thread_ref: str | None, key: str
    ) -> str | None:
        ref = f"msg-{len(self.sent()) + 1}"
        line = {"key": key, "type": type(reply).__name__, "thread": thread_ref, "ref": ref}
        with self.path.open("a") as out:
            out.write(json.dumps(line) + "\n")
            out.flush()
            os.fsync(out.fileno())
        return ref

    async def find(self, place: PlaceRef, key: str) -> str | None:
        return next((s["ref"] for s in self.sent() if s["key"] == key), None)

    async def notify_admin(self, place: PlaceRef, user_ref: str, reply: Reply) -> None:
        return None


async def run(db_url: str, platform: Path, instants: list[dt.datetime]) -> None:
    clock = ManualClock(instants[0])
    app = await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=FIXTURE_CONTENT,
        clock=clock,
        rng=SeededRng(7),
    )
    try:
        for when in instants:
            clock.set(when)
            results = await app.work.run_due(when, {Platform.CONSOLE: FilePublisher(platform)})
            for r in results:
                print(json.dumps([when.isoformat(), r.kind.value, r.status]), flush=True)
    finally:
        await app.close()


if __name__ == "__main__":
    url, file, *times = sys.argv[1:]
    asyncio.run(run(url, Path(file), [dt.datetime.fromisoformat(t) for t in times]))
