"""The HTTP edge of Slack's HTTP mode: every request checked before Bolt sees it."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

log = logging.getLogger(__name__)

# Slack's largest payloads (a click carries the whole message it was on) stay far below this.
MAX_BODY = 1024 * 1024
# Slack signs every request with its send time; older (or future) ones are replays.
MAX_AGE_S = 5 * 60
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Refusal:
    """An HTTP error status and the one line the log gets about it."""

    status: int
    reason: str


def _header(headers: Mapping[str, str], name: str) -> str:
    return str(headers.get(name) or "")


def check_signature(
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    now: Callable[[], float] = time.time,
) -> Refusal | None:
    """Slack's v0 signature over the raw bytes, and a timestamp within five minutes."""
    stamp = _header(headers, "X-Slack-Request-Timestamp")
    signature = _header(headers, "X-Slack-Signature")
    if not stamp or not signature:
        return Refusal(401, "unsigned request")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return Refusal(401, "malformed X-Slack-Request-Timestamp")
    age = now() - int(stamp)
    if abs(age) > MAX_AGE_S:
        return Refusal(401, f"stale request (signed {age:.0f} s ago)")
    base = b"v0:" + stamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return Refusal(401, "bad signature")
    return None


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _interaction(payload: Any) -> str | None:
    """What is wrong with an interactive payload (a click, a modal), or None."""
    if not isinstance(payload, dict):
        return "payload is not a JSON object"
    user = payload.get("user")
    if not isinstance(user, dict) or not _is_text(user.get("id")):
        return "payload without user.id"
    kind = payload.get("type")
    if kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block_actions without actions"
        if not all(isinstance(a, dict) and _is_text(a.get("action_id")) for a in actions):
            return "an action without action_id"
        return None
    if kind == "view_submission":
        view = payload.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return "view_submission without view.callback_id"
        return None
    return f"unsupported interaction type {str(kind)[:40]!r}"


def _event(body: Any) -> str | None:
    """What is wrong with an Events API body, or None."""
    if not isinstance(body, dict):
        return "body is not a JSON object"
    kind = body.get("type")
    if kind == "url_verification":
        return None if _is_text(body.get("challenge")) else "url_verification without challenge"
    if kind != "event_callback":
        return f"unsupported event body type {str(kind)[:40]!r}"
    event = body.get("event")
    if not isinstance(event, dict) or not _is_text(event.get("type")):
        return "event_callback without event.type"
    if event["type"] == "app_home_opened" and not _is_text(event.get("user")):
        return "app_home_opened without user"
    return None


def check_body(content_type: str, body: bytes) -> Refusal | None:
    """The body is one of the requests the app handles, with the fields it relies on."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "body is not UTF-8")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == FORM:
        form = parse_qs(text, keep_blank_values=True)
        if "payload" in form:
            try:
                problem = _interaction(json.loads(form["payload"][0]))
            except ValueError:
                problem = "payload is not JSON"
        elif "ssl_check" in form:
            problem = None
        elif not (_is_text(_first(form, "command")) and _is_text(_first(form, "user_id"))):
            problem = "form is neither a slash command nor an interaction"
        else:
            problem = None
    elif kind == JSON:
        try:
            problem = _event(json.loads(text))
        except ValueError:
            problem = "body is not JSON"
    else:
        problem = f"unsupported content type {kind[:60]!r}"
    return Refusal(400, problem) if problem else None


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def refuse(refusal: Refusal, peer: str | None) -> None:
    log.warning("Slack HTTP: %d for %s: %s", refusal.status, peer or "?", refusal.reason)
