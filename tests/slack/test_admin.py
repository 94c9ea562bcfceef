"""Admin rights on Slack: workspace admins and owners (users.info) and SLACK_ADMIN_USERS."""

from __future__ import annotations

import pytest

from adapters.slack.client import make_client
from adapters.slack.directory import UserDirectory, parse_admin_ids
from adapters.slack.translate import needs_admin
from bot.catalog import CATALOG
from tests.slack.conftest import LISTED_ADMIN, SlackRig, slack_settings
from tests.slack.fake_slack import FakeSlack


async def test_a_member_may_not_change_the_schedule(rig: SlackRig) -> None:
    [reply] = await rig.driver.command_replies("config time 10:00", "UBOB")
    assert reply.args["response_type"] == "ephemeral"
    assert "Only an admin can change the channel settings." in reply.args["text"]


@pytest.mark.parametrize("user", ["UADMIN", "UOWNER", LISTED_ADMIN])
async def test_admins_owners_and_listed_users_may(rig: SlackRig, user: str) -> None:
    [reply] = await rig.driver.command_replies("config time 10:00", user)
    assert "Updated: post time 10:00." in reply.args["text"]


async def test_team_administration_is_for_admins(rig: SlackRig) -> None:
    [refused] = await rig.driver.command_replies("team create Owls", "UBOB")
    assert "Only an admin can create teams." in refused.args["text"]
    [created] = await rig.driver.command_replies("team create Owls", LISTED_ADMIN)
    assert "Team Owls is created." in created.args["text"]


async def test_users_info_is_cached(rig: SlackRig) -> None:
    await rig.driver.command_replies("config time 10:00", "UADMIN")
    await rig.driver.command_replies("config close 18:00", "UADMIN")
    assert [c.args["user"] for c in rig.fake.of("users.info")] == ["UADMIN"]


async def test_the_cache_expires(fake: FakeSlack) -> None:
    now = [0.0]
    directory = UserDirectory(make_client(slack_settings(fake)), ttl=60, now=lambda: now[0])
    assert (await directory.person("UADMIN")).is_admin
    fake.users["UADMIN"]["is_admin"] = False  # demoted
    now[0] = 30
    assert (await directory.person("UADMIN")).is_admin
    now[0] = 61
    assert not (await directory.person("UADMIN")).is_admin
    assert len(fake.of("users.info")) == 2


async def test_a_failed_lookup_keeps_the_listed_admins(fake: FakeSlack) -> None:
    directory = UserDirectory(make_client(slack_settings(fake)), parse_admin_ids("UGONE, UX"))
    person = await directory.person("UGONE", "gone")
    assert (person.name, person.is_admin) == ("gone", True)
    stranger = await directory.person("USTRANGER", "stranger")
    assert (stranger.name, stranger.is_admin) == ("stranger", False)


def test_admin_ids_are_trimmed() -> None:
    assert parse_admin_ids(" U1 ,U2,, ") == frozenset({"U1", "U2"})
    assert parse_admin_ids("") == frozenset()


async def test_a_rate_limited_lookup_delays_only_the_admin_command(rig: SlackRig) -> None:
    rig.fake.rate_limited["users.info"] = 7
    # A member's command is answered without waiting; the name look-up after it meets the 429
    # once and is not retried (it never waits out Retry-After).
    [reply] = await rig.driver.command_replies("topics", "UBOB")
    assert reply.args["response_type"] == "ephemeral"
    assert len(rig.fake.of("users.info")) == 1
    assert rig.driver.sleeps == []
    # An admin command waits out Retry-After (twice), then falls back to SLACK_ADMIN_USERS;
    # the background look-up keeps quiet until the Retry-After has passed.
    [listed] = await rig.driver.command_replies("config time 10:00", LISTED_ADMIN)
    assert "Updated: post time 10:00." in listed.args["text"]
    assert len(rig.fake.of("users.info")) == 4
    assert [int(s) for s in rig.driver.sleeps] == [7, 7]


def test_admin_commands_are_the_catalogs() -> None:
    for entry in CATALOG:
        assert needs_admin(entry.name) is entry.admin
        for sub in entry.subs:
            assert needs_admin(f"{entry.name.upper()} {sub.name} x") is (entry.admin or sub.admin)
    assert needs_admin("config time 10:00") and needs_admin("team delete Owls")
    assert not needs_admin("team join Owls") and not needs_admin("answer B")
    assert not needs_admin("") and not needs_admin("confg time 10:00")
