"""Neutral requests, origins and replies as JSON: what an inbox row keeps to replay them."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, get_args

from pydantic import TypeAdapter

from bot import commands as c
from bot import replies as r
from bot.identity import Origin

# A slash command's text, one neutral command, or several (Slack's App Home shows three).
Request = c.Command | str | tuple[c.Command, ...]

COMMANDS: dict[str, type] = {cls.__name__: cls for cls in get_args(c.Command)}
REPLIES: dict[str, type] = {cls.__name__: cls for cls in get_args(r.Reply)}


class WireError(ValueError):
    """A stored payload this version cannot read (written by another version, or damaged)."""


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(cls: type) -> TypeAdapter[Any]:
    found = _ADAPTERS.get(cls)
    if found is None:
        found = _ADAPTERS[cls] = TypeAdapter(cls)
    return found


def _tagged(value: Any) -> dict[str, Any]:
    return {
        "type": type(value).__name__,
        "data": _adapter(type(value)).dump_python(value, mode="json"),
    }


def _untag(item: Any, known: dict[str, type]) -> Any:
    if not isinstance(item, dict) or item.get("type") not in known:
        raise WireError(f"unknown item {str(item)[:80]!r}")
    return _adapter(known[item["type"]]).validate_python(item.get("data"))


def dump_request(origin: Origin, request: Request) -> str:
    body: dict[str, Any] = {"origin": _adapter(Origin).dump_python(origin, mode="json")}
    if isinstance(request, str):
        body["text"] = request
    else:
        many = request if isinstance(request, tuple) else (request,)
        body["commands"] = [_tagged(command) for command in many]
        body["many"] = isinstance(request, tuple)
    return json.dumps(body, separators=(",", ":"))


def load_request(payload: str) -> tuple[Origin, Request]:
    try:
        body = json.loads(payload)
        origin = _adapter(Origin).validate_python(body["origin"])
        if "text" in body:
            return origin, str(body["text"])
        commands = tuple(_untag(item, COMMANDS) for item in body["commands"])
        return origin, commands if body.get("many") else commands[0]
    except WireError:
        raise
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise WireError(str(exc)) from exc


def _without_image(reply: r.Reply) -> r.Reply:
    # A stored reply is shown again as text: its chart (tens of kilobytes of PNG) stays out
    # of the inbox row, and the text says everything the chart does.
    if getattr(reply, "image", None) is not None:
        return dataclasses.replace(reply, image=None)  # type: ignore[arg-type]
    return reply


def dump_replies(replies: list[r.Reply]) -> str:
    return json.dumps([_tagged(_without_image(reply)) for reply in replies], separators=(",", ":"))


def load_replies(text: str) -> list[r.Reply]:
    try:
        return [_untag(item, REPLIES) for item in json.loads(text)]
    except WireError:
        raise
    except (ValueError, TypeError) as exc:
        raise WireError(str(exc)) from exc
