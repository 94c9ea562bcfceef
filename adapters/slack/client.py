"""The Web API client: base URL from settings, retries that honour Slack's Retry-After."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

# chat.postMessage allows about one message per second per channel; two retries after the
# advertised wait cover a burst of scheduled posts without hiding a real outage.
RATE_LIMIT_RETRIES = 2


class RateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (wait for Retry-After, then retry) with an injectable sleep,
    so tests can exercise a real 429 without waiting for it."""

    def __init__(self, max_retry_count: int = RATE_LIMIT_RETRIES, sleep: Sleep = asyncio.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("rate-limit retry without a response")
        header = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        try:
            wait = float(header[0]) if header else 1.0
        except ValueError:
            wait = 1.0
        # A little jitter keeps several processes from retrying in lockstep.
        wait += random.random()
        log.warning("Slack rate limit on %s; retrying in %.1f s", request.url, wait)
        state.next_attempt_requested = True
        await self.sleep(wait)
        state.increment_current_attempt()


def retry_handlers(sleep: Sleep = asyncio.sleep) -> list[AsyncRetryHandler]:
    return [AsyncConnectionErrorRetryHandler(), RateLimitRetryHandler(sleep=sleep)]


def api_url(settings: Settings) -> str:
    # AsyncWebClient appends the method name to the base URL, so it must end with a slash.
    url = settings.slack_api_url
    return url if url.endswith("/") else url + "/"


def make_client(settings: Settings, sleep: Sleep = asyncio.sleep) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token, base_url=api_url(settings), retry_handlers=retry_handlers(sleep)
    )
