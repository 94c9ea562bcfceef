"""Files on Slack (charts, exported decks): uploaded with files_upload_v2 after the text."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.replies import Image

log = logging.getLogger(__name__)

# Slack keeps a file's alt text to 1,000 characters.
ALT_TEXT_MAX = 1000


async def upload_chart(
    client: AsyncWebClient, image: Image, channel: str, thread_ts: str | None = None
) -> bool:
    """Share the file in `channel` (or its thread). Never raises: the text reply is out
    already (complete without a chart; a document's caller sends its text on False), so a
    failure is one warning."""
    try:
        await client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts or None,
            file=image.data,
            filename=image.filename,
            title=image.title or image.filename,
            alt_txt=image.alt_text[:ALT_TEXT_MAX],
        )
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        if error == "missing_scope":
            log.warning(
                "file not uploaded to %s: the app lacks files:write (reinstall it from "
                "manifest.yml); the text was sent alone",
                channel,
            )
        else:
            log.warning("file not uploaded to %s (%s); the text was sent alone", channel, error)
        return False
    except Exception as exc:
        log.warning("file not uploaded to %s (%r); the text was sent alone", channel, exc)
        return False
    return True


async def upload_private_chart(client: AsyncWebClient, image: Image, user: str) -> bool:
    """A private file (someone's own stats chart, an admin's exported deck) goes to their DM
    with the app: files in a channel are visible to everyone there, and an ephemeral message
    cannot carry one."""
    try:
        opened = await client.conversations_open(users=user)
        channel = str((opened.get("channel") or {})["id"])
    except Exception as exc:
        log.warning("file not sent to %s: no DM (%r); the text was sent alone", user, exc)
        return False
    return await upload_chart(client, image, channel)
