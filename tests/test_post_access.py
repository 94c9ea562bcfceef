"""The core's `config channel` refuses a place the adapter says the bot cannot post in."""

from __future__ import annotations

import pytest

from bot import messages as m
from bot.bootstrap import App
from bot.identity import Origin, PlaceRef, Platform, PostAccess, UserRef
from bot.replies import Notice, Tone

PLACE = PlaceRef(Platform.DISCORD, "G1", "C1")


def who(access: PostAccess | None, admin: bool = True) -> Origin:
    return Origin(UserRef(Platform.DISCORD, "U1"), PLACE, "Ada", admin, can_post=access)


async def enabled(app: App) -> bool:
    found = await app.stores.channels.get_channel(PLACE.workspace_key, PLACE.channel)
    return found is not None and found.enabled


@pytest.mark.parametrize(
    ("access", "expected"),
    [
        (
            PostAccess(missing=("Send Messages",)),
            m.CONFIG_CANNOT_POST.format(permissions="Send Messages"),
        ),
        (
            PostAccess(missing=("View Channel", "Embed Links", "Create Public Threads")),
            m.CONFIG_CANNOT_POST.format(
                permissions="View Channel, Embed Links and Create Public Threads"
            ),
        ),
        (PostAccess(invite=True), m.CONFIG_NOT_INVITED),
        # A DM between people: no invitation helps, so none is suggested.
        (PostAccess(direct=True), m.CONFIG_DIRECT_MESSAGE),
        (PostAccess(invite=True, direct=True), m.CONFIG_DIRECT_MESSAGE),
    ],
)
async def test_a_refusal_names_the_fix_and_writes_nothing(
    app: App, access: PostAccess, expected: str
) -> None:
    replies = await app.dispatcher.handle_text("config channel", who(access))
    assert replies == [Notice(expected, Tone.ERROR)]
    assert not await enabled(app)
    assert "⟦config channel⟧" in expected  # each platform spells the command its own way


@pytest.mark.parametrize("access", [None, PostAccess()], ids=["unknown", "granted"])
async def test_unknown_or_granted_access_enables(app: App, access: PostAccess | None) -> None:
    replies = await app.dispatcher.handle_text("config channel", who(access))
    assert replies[0] == Notice(m.CONFIG_ENABLED, Tone.SUCCESS)
    assert await enabled(app)


async def test_a_member_hears_about_admin_rights_not_permissions(app: App) -> None:
    [reply] = await app.dispatcher.handle_text(
        "config channel", who(PostAccess(missing=("Send Messages",)), admin=False)
    )
    assert isinstance(reply, Notice) and "Only an admin" in reply.text
    assert "Send Messages" not in reply.text
