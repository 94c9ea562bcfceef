"""Deck imports on Slack: a file shared with the bot in a DM, or text pasted into a modal."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, PlainTextObject
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages as m
from bot.commands import ImportDeck
from bot.deck_import import IMPORT_MAX_BYTES

DECK_VIEW = "sb:deck"
DECK_BLOCK = "deck"
DECK_INPUT = "text"
# Slack caps a plain-text input at 3,000 characters: the modal is for short decks, a file
# shared in the DM for anything longer.
MODAL_TEXT_MAX = 3000
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=30)


def deck_modal(name: str, channel: str, response_url: str | None) -> View:
    """The paste-a-deck modal of `/study deck import NAME`; the format is sniffed."""
    meta = json.dumps({"name": name, "channel": channel, "response_url": response_url or ""})
    return View(
        type="modal",
        callback_id=DECK_VIEW,
        title=PlainTextObject(text=m.SLACK_DECK_TITLE),
        submit=PlainTextObject(text=m.SLACK_DECK_SUBMIT),
        close=PlainTextObject(text=m.SLACK_MODAL_CLOSE),
        private_metadata=meta,
        blocks=[
            InputBlock(
                block_id=DECK_BLOCK,
                label=PlainTextObject(text=m.SLACK_DECK_LABEL.format(name=name)[:2000]),
                element=PlainTextInputElement(
                    action_id=DECK_INPUT, multiline=True, max_length=MODAL_TEXT_MAX
                ),
                hint=PlainTextObject(text=m.SLACK_DECK_HINT),
            )
        ],
    )


def submitted(view: dict[str, Any]) -> tuple[ImportDeck, str, str | None] | None:
    """The import a deck modal asks for, its channel and response_url; None if unusable."""
    try:
        meta = json.loads(str(view.get("private_metadata") or ""))
        name, channel = str(meta["name"]), str(meta["channel"])
    except (ValueError, KeyError, TypeError):
        return None
    state = view.get("state", {}).get("values", {})
    text = str((state.get(DECK_BLOCK, {}).get(DECK_INPUT, {}) or {}).get("value") or "")
    return ImportDeck(name, "", text), channel, meta.get("response_url") or None


async def download(client: AsyncWebClient, file_id: str) -> tuple[str, str] | str:
    """A file shared with the bot: (file name, text), or the refusal to show. files.info
    gives its size and private URL, read with the bot token (files:read)."""
    try:
        info = (await client.files_info(file=file_id))["file"]
    except SlackApiError as exc:
        return m.SLACK_DECK_FETCH.format(reason=exc.response.get("error"))
    size = int(info.get("size") or 0)
    if size > IMPORT_MAX_BYTES:
        return m.DECK_TOO_BIG.format(size=size, limit=IMPORT_MAX_BYTES)
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        return m.SLACK_DECK_FETCH.format(reason="no download URL")
    headers = {"Authorization": f"Bearer {client.token}"}
    try:
        async with (
            aiohttp.ClientSession(timeout=DOWNLOAD_TIMEOUT) as session,
            session.get(url, headers=headers) as response,
        ):
            if response.status != 200:
                return m.SLACK_DECK_FETCH.format(reason=f"HTTP {response.status}")
            data = await response.content.read(IMPORT_MAX_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return m.SLACK_DECK_FETCH.format(reason=type(exc).__name__)
    if len(data) > IMPORT_MAX_BYTES:
        return m.DECK_TOO_BIG.format(size=len(data), limit=IMPORT_MAX_BYTES)
    try:
        return str(info.get("name") or ""), data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return m.DECK_NOT_TEXT
