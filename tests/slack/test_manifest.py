"""manifest.yml asks for exactly what the adapter uses: scopes, command, events, modes."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import yaml
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.manifest import COMMAND, EVENTS, LIBRARY_METHODS, METHOD_SCOPES, SCOPES
from tests.conftest import ROOT

PACKAGE = ROOT / "adapters" / "slack"


def manifest() -> dict[str, Any]:
    data = yaml.safe_load((PACKAGE / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def calls_in(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def web_api_methods_called() -> set[str]:
    """Web API methods the adapter's source calls on a client (`client.chat_postMessage(...)`
    is chat.postMessage)."""
    found: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for call in calls_in(path):
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and "_" in func.attr.strip("_")
                and not func.attr.startswith("_")
                and hasattr(AsyncWebClient, func.attr)
            ):
                found.add(func.attr.replace("_", "."))
    return found


def events_listened_to() -> set[str]:
    found: set[str] = set()
    for call in calls_in(PACKAGE / "app.py"):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "event":
            [arg] = call.args
            assert isinstance(arg, ast.Constant)
            # Bolt listens to `message`; the manifest subscribes to its DM flavour only.
            found.add("message.im" if arg.value == "message" else str(arg.value))
    return found


def test_the_method_table_matches_the_code() -> None:
    called = web_api_methods_called()
    assert called == set(METHOD_SCOPES), "update METHOD_SCOPES in adapters/slack/manifest.py"
    assert not called & set(LIBRARY_METHODS)


def test_the_manifest_asks_for_exactly_the_scopes_used() -> None:
    needed = {scope for scope in METHOD_SCOPES.values() if scope}
    scopes = manifest()["oauth_config"]["scopes"]["bot"]
    assert sorted(scopes) == list(SCOPES)
    assert needed <= set(scopes)
    assert "commands" in scopes  # the slash command
    assert "user" not in manifest()["oauth_config"]["scopes"]  # no user token


def test_the_manifest_declares_the_command_events_and_modes() -> None:
    data = manifest()
    [command] = data["features"]["slash_commands"]
    assert command["command"] == COMMAND
    # Mentions arrive as ids (`<@U123|ada>`), which the adapter passes on (translate.typed).
    assert command["should_escape"] is True
    assert data["settings"]["event_subscriptions"]["bot_events"] == list(EVENTS)
    assert set(EVENTS) == events_listened_to()
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    # Fallback replies land in the Messages tab, where admins may share deck files: the one
    # message event is the DM's, never a channel's.
    assert data["features"]["app_home"]["messages_tab_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert [e for e in EVENTS if e.startswith("message")] == ["message.im"]
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["features"]["bot_user"]["display_name"]
