"""Small helpers for driving the dispatcher in tests."""

from __future__ import annotations

from bot.bootstrap import App
from bot.identity import Origin
from bot.plaintext import render
from bot.replies import Notice, Reply, Tone


async def say(app: App, who: Origin, line: str) -> list[Reply]:
    return await app.dispatcher.handle_text(line, who)


async def text(app: App, who: Origin, line: str) -> str:
    return "\n".join(render(r) for r in await say(app, who, line))


def errors(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Notice) and r.tone is Tone.ERROR]
