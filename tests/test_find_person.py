"""`stats NAME` finds a person by id, display name, or another name they go by, or says why not."""

from __future__ import annotations

import pytest

from bot import messages as m
from bot.bootstrap import App
from bot.identity import Origin, PlaceRef, Platform, UserRef
from bot.replies import Notice, StatsView, Tone
from bot.storage import users as users_store
from bot.usecases.registration import record_aliases

PLACE = PlaceRef(Platform.SLACK, "T1", "C1")
WORKSPACE = PLACE.workspace_key


def person(user_id: str, name: str) -> Origin:
    return Origin(UserRef(Platform.SLACK, user_id), PLACE, name)


async def meet(app: App, user_id: str, name: str, *aliases: str) -> None:
    """A person the bot has seen (one command), with the other names the platform gave."""
    await app.dispatcher.handle_text("stats", person(user_id, name))
    if aliases:
        assert await record_aliases(app.ctx, WORKSPACE, user_id, aliases)


async def stats_for(app: App, name: str) -> str:
    [reply, *_] = await app.dispatcher.handle_text(f"stats {name}", person("UASK", "Asker"))
    if isinstance(reply, StatsView):
        return reply.name
    assert isinstance(reply, Notice) and reply.tone is Tone.ERROR, reply
    return reply.text


@pytest.mark.parametrize(
    "typed",
    ["Bobby", "BOBBY", "bob", "@bob", "Robert Brown", "robert  brown", "UBOB", "@UBOB"],
)
async def test_a_person_is_found_by_any_name_they_go_by(app: App, typed: str) -> None:
    await meet(app, "UBOB", "Bobby", "Robert Brown", "bob")
    assert await stats_for(app, typed) == "Bobby"


async def test_nobody_by_that_name(app: App) -> None:
    await meet(app, "UBOB", "Bobby", "bob")
    assert await stats_for(app, "bobbie") == m.STATS_UNKNOWN_USER.format(name="bobbie")


async def test_a_shared_display_name_is_refused_with_the_people_it_could_mean(
    app: App,
) -> None:
    await meet(app, "UALEX1", "Alex", "Alex Kim", "alexk")
    await meet(app, "UALEX2", "alex", "Alex Li", "ali")
    text = await stats_for(app, "ALEX")
    assert text == m.PERSON_AMBIGUOUS.format(name="ALEX", names="Alex, alex")
    # Each is still found by a name only they go by, or by a mention (their id).
    assert await stats_for(app, "alexk") == "Alex"
    assert await stats_for(app, "Alex Li") == "alex"
    assert await stats_for(app, "UALEX2") == "alex"


async def test_a_display_name_beats_someone_elses_other_name(app: App) -> None:
    # Sam's handle is "kim"; Kim's display name is "Kim": the name shown wins, no refusal.
    await meet(app, "USAM", "Sam", "Sam Park", "kim")
    await meet(app, "UKIM", "Kim", "Kim Lee", "klee")
    assert await stats_for(app, "kim") == "Kim"


async def test_the_same_other_name_for_two_people_is_ambiguous(app: App) -> None:
    await meet(app, "UJ1", "Jo", "Jordan Smith", "jsmith")
    await meet(app, "UJ2", "Joanna", "Jordan Smith", "jo.s")
    text = await stats_for(app, "jordan smith")
    assert text == m.PERSON_AMBIGUOUS.format(name="jordan smith", names="Jo, Joanna")


async def test_many_sharing_a_name_are_listed_up_to_five(app: App) -> None:
    for i in range(7):
        await meet(app, f"UP{i}", f"Pat {i}", "Pat")
    text = await stats_for(app, "pat")
    shown = ", ".join(f"Pat {i}" for i in range(5))
    names = m.PERSON_AMBIGUOUS_MORE.format(shown=shown, more=2)
    assert text == m.PERSON_AMBIGUOUS.format(name="pat", names=names)


async def test_more_sharing_a_name_than_are_read_are_not_counted_wrongly(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_store, "MATCHES_READ", 6)
    for i in range(7):
        await meet(app, f"UP{i}", f"Pat {i}", "Pat")
    text = await stats_for(app, "pat")
    shown = m.PERSON_AMBIGUOUS_MANY.format(shown=", ".join(f"Pat {i}" for i in range(5)))
    assert text == m.PERSON_AMBIGUOUS.format(name="pat", names=shown)


async def test_other_names_are_replaced_and_forgotten_with_the_person(app: App) -> None:
    await meet(app, "UBOB", "Bobby", "bob")
    assert await record_aliases(app.ctx, WORKSPACE, "UBOB", ["rob"])  # handle changed
    assert await stats_for(app, "rob") == "Bobby"
    assert await stats_for(app, "bob") == m.STATS_UNKNOWN_USER.format(name="bob")
    await app.dispatcher.handle_text("forgetme confirm", person("UBOB", "Bobby"))
    assert await stats_for(app, "rob") == m.STATS_UNKNOWN_USER.format(name="rob")
    # Only a user the bot has: a late look-up after forgetme brings nobody back.
    assert not await record_aliases(app.ctx, WORKSPACE, "UBOB", ["rob"])
    assert await stats_for(app, "rob") == m.STATS_UNKNOWN_USER.format(name="rob")
