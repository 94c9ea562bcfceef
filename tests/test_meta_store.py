"""The `meta` store: one value per key, the last write wins, on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.bootstrap import App, ManualClock


async def test_a_value_is_kept_and_replaced(app: App, clock: ManualClock) -> None:
    meta = app.stores.meta
    assert await meta.get_value("discord.commands:1:global") is None
    await meta.set_value("discord.commands:1:global", "abc", clock.now())
    await meta.set_value("discord.commands:1:guild:42", "def", clock.now())
    await meta.set_value("discord.commands:1:global", "xyz", clock.now())
    assert await meta.get_value("discord.commands:1:global") == "xyz"
    assert await meta.get_value("discord.commands:1:guild:42") == "def"
