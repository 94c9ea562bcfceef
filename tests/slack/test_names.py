"""Slack users appear on boards as Slack shows them: display name, else real name, else handle."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.client import make_client
from adapters.slack.directory import UserDirectory
from tests.slack.conftest import LISTED_ADMIN, SlackRig, slack_settings
from tests.slack.fake_slack import DROP, Failure, FakeSlack


def buttons(call: Any) -> list[dict[str, Any]]:
    return [e for b in call.args["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def score(rig: SlackRig, user: str) -> None:
    """Five points for `user`: a one-question quiz answered right."""
    [card] = await rig.driver.command_replies("quiz sample-stats easy 1", user)
    median = next(b for b in buttons(card) if b["text"]["text"].endswith("Median"))
    [done] = await rig.driver.click_replies(median["action_id"], user)
    assert "+5 points" in done.args["text"]


async def board_rows(rig: SlackRig, asker: str = "UCY") -> list[str]:
    key = await rig.driver.command("leaderboard", asker)
    board, _standing = await rig.fake.wait_for_key(key, 2)
    text = [b["text"]["text"] for b in board.args["blocks"] if b["type"] == "section"]
    return [line.split(" · ")[0] for line in "\n".join(text).splitlines()]


async def test_a_board_shows_display_names_else_real_names(rig: SlackRig) -> None:
    for user in ("UBOB", "UOWNER", LISTED_ADMIN):
        await score(rig, user)
    # Bob set a display name; Olu's is empty and Lee never set one: their full names.
    names = sorted(row.split(". ", 1)[1] for row in await board_rows(rig))
    assert names == ["Bobby", "Lee Park", "Olu Okafor"]
    # One look-up per person, none while a request waited for it.
    assert sorted(c.args["user"] for c in rig.fake.of("users.info")) == sorted(
        ["UBOB", "UOWNER", LISTED_ADMIN, "UCY"]
    )


async def test_a_new_display_name_shows_once_the_cache_expires(rig: SlackRig) -> None:
    now = [0.0]
    rig.adapter.directory.now = lambda: now[0]
    await score(rig, "UBOB")
    assert await board_rows(rig) == ["1. Bobby"]
    rig.fake.users["UBOB"]["profile"]["display_name"] = "Bob the Great"
    now[0] = rig.adapter.directory.ttl - 1  # still fresh: Slack is not asked again
    await rig.driver.command_replies("stats", "UBOB")
    assert await board_rows(rig) == ["1. Bobby"]
    assert [c.args["user"] for c in rig.fake.of("users.info")].count("UBOB") == 1
    now[0] = rig.adapter.directory.ttl + 1
    # Bob's next request is answered under the name known, then the new one is fetched.
    [stats] = await rig.driver.command_replies("stats", "UBOB")
    assert "Stats for Bobby:" in stats.args["text"]
    assert await board_rows(rig) == ["1. Bob the Great"]
    [again] = await rig.driver.command_replies("stats", "UBOB")
    assert "Stats for Bob the Great:" in again.args["text"]


@pytest.mark.parametrize(
    "trouble",
    ["rate limited", "server error", "network drop", "unknown user"],
)
async def test_a_failed_lookup_keeps_the_handle_and_never_fails_the_click(
    rig: SlackRig, trouble: str
) -> None:
    if trouble == "rate limited":
        rig.fake.rate_limited["users.info"] = 30
    elif trouble == "server error":
        failure = Failure(500, body={"ok": False, "error": "internal_error"})
        rig.fake.failures["users.info"] = [failure] * 5
    elif trouble == "network drop":
        rig.fake.failures["users.info"] = [Failure(DROP) for _ in range(5)]
    else:
        del rig.fake.users["UBOB"]
    await score(rig, "UBOB")  # every reply arrived, under the handle
    assert await board_rows(rig) == ["1. bob"]
    asked = [c.args["user"] for c in rig.fake.of("users.info")].count("UBOB")
    assert asked >= 1  # the look-up ran, and failed
    # A failed look-up is not repeated on every request (a minute's pause, or Retry-After).
    [stats] = await rig.driver.command_replies("stats", "UBOB")
    assert "Stats for bob:" in stats.args["text"]
    assert [c.args["user"] for c in rig.fake.of("users.info")].count("UBOB") == asked
    assert rig.driver.sleeps == []  # and nothing waited out a Retry-After


async def test_a_name_learned_after_forgetme_brings_nobody_back(rig: SlackRig) -> None:
    # The look-up runs after the request; `forgetme confirm` removed the user meanwhile.
    [gone] = await rig.driver.command_replies("forgetme confirm", "UBOB")
    assert rig.fake.of("users.info")  # the look-up ran after the request
    assert await rig.app.ctx.stores.users.find_user("slack:T1", "UBOB") is None
    assert gone.args["response_type"] == "ephemeral"


async def test_after_a_restart_the_handle_never_replaces_the_name_known(rig: SlackRig) -> None:
    await score(rig, "UBOB")
    assert await board_rows(rig) == ["1. Bobby"]
    # A restart: the new process knows no names, and users.info is over its limit, so
    # Bob's requests carry only his handle for a while.
    before = rig.adapter.directory
    await before.idle()
    await before.close()  # the rig closes only the adapter's current one
    fresh = UserDirectory(rig.adapter.client, on_name=rig.adapter.store_name)
    rig.adapter.directory = fresh
    rig.driver.names = fresh.idle
    rig.fake.rate_limited["users.info"] = 30
    [stats] = await rig.driver.command_replies("stats", "UBOB")
    assert "Stats for Bobby:" in stats.args["text"]
    await rig.driver.command_replies("quiz sample-stats easy 1", "UBOB")
    assert await board_rows(rig) == ["1. Bobby"]
    assert fresh.display_name("UBOB", "slack:T1", "bob") == ("bob", True)  # still a guess


async def test_a_second_request_under_the_handle_has_the_name_stored_again(
    fake: FakeSlack,
) -> None:
    # Two of Bob's requests carried the handle; the first one's warm-up stored "Bobby" while
    # the second was still in flight (a daily click in another process may have written the
    # name it read before that). After the second, the name known is stored again, with no
    # second users.info.
    stored: list[tuple[str, str, str]] = []

    async def store(workspace: str, user: str, name: str, aliases: tuple[str, ...]) -> None:
        assert aliases == ("Robert Brown", "bob")  # the real name and the handle
        stored.append((workspace, user, name))

    directory = UserDirectory(make_client(slack_settings(fake)), on_name=store)
    assert directory.display_name("UBOB", "slack:T1", "bob") == ("bob", True)
    assert directory.display_name("UBOB", "slack:T1", "bob") == ("bob", True)
    directory.warm_up()  # after the first request
    await directory.idle()
    assert stored == [("slack:T1", "UBOB", "Bobby")]
    directory.recheck("UBOB", "slack:T1", "bob")  # after the second
    directory.warm_up()
    await directory.idle()
    assert stored == [("slack:T1", "UBOB", "Bobby")] * 2
    assert len(fake.of("users.info")) == 1
    assert directory.display_name("UBOB", "slack:T1", "bob") == ("Bobby", False)
    await directory.close()


async def test_a_closed_directory_starts_no_look_up(rig: SlackRig) -> None:
    # A request finishing while the app shuts down queued a look-up after the directory
    # closed: its write met a closing database and the task outlived the event loop.
    directory = rig.adapter.directory
    await directory.idle()
    await directory.close()
    assert directory.display_name("UNEW", "slack:T1", "newbie") == ("newbie", True)
    directory.warm_up()
    assert directory._task is None or directory._task.done()
    assert [c for c in rig.fake.of("users.info") if c.args.get("user") == "UNEW"] == []
