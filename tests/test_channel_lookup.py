"""Channels read by id in one go (a close tick's channels), on both databases."""

from __future__ import annotations

import datetime as dt

import pytest

import bot.storage.channels as channel_store
from bot.bootstrap import App

AT = dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC)


async def test_channels_by_ids_reads_every_chunk_and_skips_the_missing(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel_store, "IDS_CHUNK", 2)
    store = app.stores.channels
    made = [await store.ensure_channel("discord", "g1", str(100 + n), AT) for n in range(5)]
    ids = [c.id for c in made]
    found = await store.channels_by_ids([*ids, max(ids) + 1000, ids[0]])
    assert found == {c.id: c for c in made}
    assert await store.channels_by_ids([]) == {}
