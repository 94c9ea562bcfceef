"""Slack HTTP mode's edge: junk gets a 4xx and one log line, never a 500 or a traceback."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from adapters.slack.edge import MAX_BODY
from adapters.slack.translate import Target, answer_action
from bot import messages as m
from bot.bootstrap import App
from bot.commands import SubmitAnswer
from tests.conftest import origin
from tests.helpers import errors
from tests.slack.conftest import SECRET, SlackRig, row_counts

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signature(body: bytes, stamp: str, secret: str = SECRET) -> str:
    base = b"v0:" + stamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or str(int(time.time()))
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature(body, stamp)}


def interaction(payload: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


USER = {"id": "UBOB", "name": "bob"}
CLICK = {"type": "block_actions", "user": USER, "team": {"id": "T1"}}
NOW = str(int(time.time()))

# (name, body, content type, headers or None for correctly signed, expected status)
CASES: list[tuple[str, bytes, str, dict[str, str] | None, int]] = [
    ("unsigned", b"command=/study&user_id=U1", FORM, {}, 401),
    (
        "bad signature",
        b"command=/study&user_id=U1",
        FORM,
        {"X-Slack-Request-Timestamp": NOW, "X-Slack-Signature": "v0=" + "0" * 64},
        401,
    ),
    (
        "signature not ascii",
        b"command=/study&user_id=U1",
        FORM,
        {"X-Slack-Request-Timestamp": NOW, "X-Slack-Signature": "v0=é"},
        401,
    ),
    ("stale", b"command=/study&user_id=U1", FORM, "stale", 401),  # type: ignore[list-item]
    ("from the future", b"command=/study&user_id=U1", FORM, "future", 401),  # type: ignore[list-item]
    (
        "timestamp not a number",
        b"command=/study&user_id=U1",
        FORM,
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
        401,
    ),
    ("body not JSON", b"{not json", JSON, None, 400),
    ("JSON not an object", b'"hello"', JSON, None, 400),
    ("form not UTF-8", b"command=/study&user_id=U1&text=\xff\xfe", FORM, None, 400),
    ("payload not JSON", b"payload=%7Bnope", FORM, None, 400),
    ("payload a list", interaction([1, 2]), FORM, None, 400),
    (
        "payload without user",
        interaction({"type": "block_actions", "actions": []}),
        FORM,
        None,
        400,
    ),
    ("no actions", interaction({**CLICK, "actions": []}), FORM, None, 400),
    ("action without id", interaction({**CLICK, "actions": [{"value": "x"}]}), FORM, None, 400),
    ("actions not a list", interaction({**CLICK, "actions": "x"}), FORM, None, 400),
    (
        "submission without view",
        interaction({"type": "view_submission", "user": USER}),
        FORM,
        None,
        400,
    ),
    ("unknown interaction", interaction({"type": "shortcut", "user": USER}), FORM, None, 400),
    ("form without a command", b"text=hello&user_id=U1", FORM, None, 400),
    ("event without event", json.dumps({"type": "event_callback"}).encode(), JSON, None, 400),
    (
        "home event without user",
        json.dumps({"type": "event_callback", "event": {"type": "app_home_opened"}}).encode(),
        JSON,
        None,
        400,
    ),
    ("unknown body type", json.dumps({"type": "other"}).encode(), JSON, None, 400),
    ("plain text", b"hello", "text/plain", None, 400),
    ("oversized", b"text=" + b"a" * MAX_BODY, FORM, None, 413),
]


def headers_for(case: dict[str, str] | str | None, body: bytes) -> dict[str, str]:
    if case is None:
        return signed(body)
    if case == "stale":
        return signed(body, str(int(time.time()) - 10 * 60))
    if case == "future":
        return signed(body, str(int(time.time()) + 10 * 60))
    assert isinstance(case, dict)
    return case


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "status"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
async def test_junk_gets_a_4xx_and_one_log_line(
    rig: SlackRig,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | str | None,
    status: int,
) -> None:
    before = await row_counts(rig.app)
    caplog.set_level(logging.INFO)
    sent = {"Content-Type": content_type, **headers_for(headers, body)}
    async with rig.driver.session.post(rig.driver.url, data=body, headers=sent) as response:
        assert response.status == status, await response.text()
    refusals = [r for r in caplog.records if r.name == "adapters.slack.edge"]
    assert len(refusals) == 1 and f": {status} for" in refusals[0].getMessage()
    assert "\n" not in refusals[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert rig.fake.calls == []
    assert await row_counts(rig.app) == before


@pytest.mark.parametrize("round_id", [2**31, 2**63, 10**30])
async def test_a_signed_click_with_an_id_beyond_the_database_is_refused_politely(
    rig: SlackRig, caplog: pytest.LogCaptureFixture, round_id: int
) -> None:
    caplog.set_level(logging.INFO)
    action = answer_action(Target(round_id=round_id), "c1")
    [reply] = await rig.driver.click_replies(action, "UBOB")
    assert m.BUTTON_STALE in json.dumps(reply.args)
    quiz = answer_action(Target(quiz_id=round_id, question_id="ss-median"), "c1")
    [reply] = await rig.driver.click_replies(quiz, "UBOB")
    assert m.BUTTON_STALE in json.dumps(reply.args)
    assert all(r.exc_info is None for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("bad", [0, -1, 2**31, 2**63, 2**64 + 5])
async def test_the_core_refuses_ids_no_row_can_have(app: App, bad: int) -> None:
    # Whatever adapter decoded them (Slack action ids, Discord custom ids, a future one).
    for cmd in (
        SubmitAnswer("", round_id=bad, choice=1, delivery_id="d"),
        SubmitAnswer("A", quiz_id=bad, question_id="ss-median"),
    ):
        assert errors(await app.dispatcher.dispatch(cmd, origin("Ada"))) == [m.BUTTON_STALE]
