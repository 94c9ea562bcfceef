"""Slash commands on a simulated Discord: built from the catalog; happy paths and refusals."""

from __future__ import annotations

from typing import Any

import discord
import pytest
import sqlalchemy as sa
from simcord import OptionError, SetupError

from adapters.discord.client import StudyBotClient
from adapters.discord.syntax import slash
from bot import messages as m
from bot.bootstrap import App
from bot.catalog import CATALOG, Arg, Entry
from bot.commandref import render_refs
from bot.storage.tables import answers
from tests.discord.conftest import World
from tests.discord.helpers import (
    EPHEMERAL_DEFER,
    all_text,
    deferrals,
    labels,
    on_discord,
    right_text,
    sent,
    texts,
    with_buttons,
)

OPTION_TYPES = {"text": 3, "topic": 3, "choice": 3, "int": 4, "file": 11}


def expected_option(arg: Arg) -> dict[str, Any]:
    return {
        "name": arg.name,
        "description": arg.help,
        "type": OPTION_TYPES[arg.kind],
        "required": arg.required,
        "choices": list(arg.choices),
        "min_value": arg.min_value,
        "max_value": arg.max_value,
        "autocomplete": arg.kind == "topic",
    }


def synced_option(option: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": option["name"],
        "description": option["description"],
        "type": option["type"],
        "required": option.get("required", False),
        "choices": [c["value"] for c in option.get("choices", [])],
        "min_value": option.get("min_value"),
        "max_value": option.get("max_value"),
        "autocomplete": option.get("autocomplete", False),
    }


def expected_command(entry: Entry) -> dict[str, Any]:
    admin = str(discord.Permissions(manage_guild=True).value) if entry.admin else None
    if entry.subs:
        options: list[dict[str, Any]] = [
            {
                "name": s.name,
                "description": s.help,
                "options": [expected_option(a) for a in s.args],
            }
            for s in entry.subs
        ]
    else:
        options = [expected_option(a) for a in entry.args]
    return {
        "name": entry.name,
        "description": render_refs(entry.summary, slash, code=""),
        "admin": admin,
        "guild_only": True,
        "options": options,
    }


def synced_command(command: dict[str, Any]) -> dict[str, Any]:
    options: list[dict[str, Any]] = []
    for option in command.get("options", []):
        if option["type"] == 1:  # a subcommand
            subs = [synced_option(o) for o in option.get("options", [])]
            options.append(
                {"name": option["name"], "description": option["description"], "options": subs}
            )
        else:
            options.append(synced_option(option))
    perms = command.get("default_member_permissions")
    return {
        "name": command["name"],
        "description": command["description"],
        "admin": str(perms) if perms is not None else None,
        "guild_only": command.get("contexts") == [0],
        "options": options,
    }


async def test_synced_commands_are_the_catalog(world: World) -> None:
    # What Discord received in the sync, compared option by option with bot/catalog.py: a new
    # argument, choice, bound or admin flag on either side fails here.
    [put] = [
        r
        for r in world.env.http_requests
        if r.method == "PUT" and r.path.endswith("/commands") and "/guilds/" not in r.path
    ]
    synced: list[dict[str, Any]] = list(put.json or [])
    got = sorted((synced_command(c) for c in synced), key=lambda c: c["name"])
    want = sorted((expected_command(e) for e in CATALOG), key=lambda c: c["name"])
    assert got == want


async def test_only_admin_commands_need_manage_server(world: World) -> None:
    # The picker hides /config from members without Manage Server; everything else is open.
    everyone = set(world.alice.available_commands(world.channel))
    admin = set(world.admin.available_commands(world.channel))
    assert not any(name.startswith("config") for name in everyone)
    assert {"config show", "config time", "team create", "quiz", "help"} <= admin
    assert "team create" in everyone  # Discord cannot gate one subcommand; the core refuses


async def test_help(world: World) -> None:
    result = await world.alice.slash(world.channel, "help")
    assert result.ephemeral
    assert "StudyBot commands" in all_text(result) and "/quiz" in all_text(result)
    detail = await world.alice.slash(world.channel, "help", command="team")
    assert "`/team create name:NAME`" in all_text(detail)
    assert "team create NAME" not in all_text(detail)


async def test_help_unknown_command_suggests(world: World) -> None:
    result = await world.alice.slash(world.channel, "help", command="quizz")
    assert texts(result) == [
        "Unknown command 'quizz'. Did you mean `/quiz`? Send `/help` for the list."
    ]
    assert result.ephemeral


async def test_topics(world: World, app: App) -> None:
    result = await world.alice.slash(world.channel, "topics")
    text = all_text(result)
    assert result.ephemeral and all(topic in text for topic in app.bank.topics)


async def test_topic_autocomplete_comes_from_the_bank(world: World, app: App) -> None:
    everything = await world.alice.autocomplete(world.channel, "quiz", "topic", "")
    values = [c["value"] for c in everything]
    assert values == ["all", "stop", *app.bank.topics]
    narrowed = await world.alice.autocomplete(world.channel, "quiz", "topic", "stat")
    assert [c["value"] for c in narrowed] == ["sample-stats"]


async def test_quiz_runs_privately_with_buttons(world: World, app: App) -> None:
    result = await world.alice.slash(world.channel, "quiz", topic="sample-stats", count=2)
    # Acknowledged first, privately, with "thinking"; the card then replaces that message.
    assert deferrals(world.env) == [EPHEMERAL_DEFER]
    assert result.ephemeral
    card = with_buttons(result)
    assert card.ephemeral and "Question 1/2" in all_text(result)
    # Nothing of a private quiz shows in the channel.
    assert world.channel.history(viewer=world.bob) == []


async def test_quiz_unknown_topic_is_refused_with_suggestions(world: World) -> None:
    result = await world.alice.slash(world.channel, "quiz", topic="sample-stast")
    [text] = texts(result)
    assert "Unknown topic 'sample-stast'" in text and "sample-stats" in text
    assert result.ephemeral


async def test_quiz_count_bounds_come_from_the_catalog(world: World) -> None:
    # Discord itself enforces the catalog's 1-20 range; the option never reaches the bot.
    with pytest.raises(OptionError):
        await world.alice.slash(world.channel, "quiz", count=21)


async def test_quiz_stop_and_nothing_to_stop(world: World) -> None:
    none = await world.alice.slash(world.channel, "quiz", topic="stop")
    assert texts(none) == [on_discord(m.QUIZ_NONE)]
    await world.alice.slash(world.channel, "quiz", topic="sample-ml", count=2)
    stopped = await world.alice.slash(world.channel, "quiz", topic="stop")
    assert "Quiz stopped." in all_text(stopped)


async def test_quiz_stop_with_other_options_is_the_core_refusal(world: World) -> None:
    result = await world.alice.slash(world.channel, "quiz", topic="stop", difficulty="hard")
    assert texts(result) == [on_discord(m.QUIZ_STOP_ALONE)]


async def test_daily_without_an_open_question(world: World) -> None:
    result = await world.alice.slash(world.channel, "daily")
    assert texts(result) == [on_discord(m.CONFIG_NOT_ENABLED)] and result.ephemeral


async def test_answer_with_nothing_to_answer(world: World) -> None:
    result = await world.alice.slash(world.channel, "answer", text="B")
    assert texts(result) == [m.NOTHING_TO_ANSWER] and result.ephemeral


async def test_answer_command_answers_the_running_quiz(world: World, app: App) -> None:
    started = await world.alice.slash(world.channel, "quiz", topic="sample-ml", count=1)
    result = await world.alice.slash(
        world.channel, "answer", text=right_text(app, with_buttons(started))
    )
    assert "Correct" in all_text(result) and "Quiz complete!" in all_text(result)


async def test_leaderboard_is_public_and_names_nobody_with_a_ping(world: World) -> None:
    empty = await world.alice.slash(world.channel, "leaderboard")
    assert not empty.ephemeral and "No points yet" in all_text(empty)
    board = await world.alice.slash(world.channel, "leaderboard", scope="teams", period="all")
    assert not board.ephemeral


async def test_stats_self_and_unknown_user(world: World) -> None:
    mine = await world.alice.slash(world.channel, "stats")
    assert "Stats for Alice" in all_text(mine) and mine.ephemeral
    other = await world.alice.slash(world.channel, "stats", user="Nobody")
    assert texts(other) == [m.STATS_UNKNOWN_USER.format(name="Nobody")]


async def test_teams_admin_and_member_paths(world: World) -> None:
    refused = await world.alice.slash(world.channel, "team create", name="Owls")
    assert texts(refused) == [m.NOT_ADMIN.format(what="create teams")]
    created = await world.admin.slash(world.channel, "team create", name="Owls")
    assert texts(created) == [on_discord(m.TEAM_CREATED.format(name="Owls"))]
    taken = await world.admin.slash(world.channel, "team create", name="owls")
    assert texts(taken) == [m.TEAM_TAKEN.format(name="Owls")]  # the name as it exists
    bad = await world.admin.slash(world.channel, "team create", name="!!")
    assert texts(bad) == [m.TEAM_NAME_RULE.format(max=32)]
    joined = await world.alice.slash(world.channel, "team join", name="Owls")
    assert texts(joined) == [m.TEAM_JOINED.format(name="Owls")]
    unknown = await world.bob.slash(world.channel, "team join", name="Owlz")
    assert "There is no team called Owlz. Did you mean Owls?" in all_text(unknown)
    listed = await world.bob.slash(world.channel, "team list")
    assert "Owls" in all_text(listed) and "Alice" in all_text(listed)
    left = await world.alice.slash(world.channel, "team leave")
    assert texts(left) == [m.TEAM_LEFT.format(name="Owls")]
    deleted = await world.admin.slash(world.channel, "team delete", name="Owls")
    assert "Team Owls is deleted" in all_text(deleted)


async def test_config_happy_paths(world: World) -> None:
    enabled = await world.admin.slash(world.channel, "config channel")
    assert m.CONFIG_ENABLED in all_text(enabled) and enabled.ephemeral
    for sub, options, what in (
        ("config time", {"time": "09:30"}, "post time 09:30"),
        ("config close", {"time": "18:00"}, "close time 18:00"),
        ("config timezone", {"zone": "Europe/Berlin"}, "time zone Europe/Berlin"),
        ("config days", {"days": "mon,wed,fri"}, "days mon,wed,fri"),
        ("config topics", {"topics": "sample-ml"}, "topics sample-ml"),
        ("config difficulty", {"level": "hard"}, "difficulty hard"),
        ("config weekly", {"day": "fri", "time": "16:00"}, "weekly tally Fri 16:00"),
    ):
        result = await world.admin.slash(world.channel, sub, **options)
        said = all_text(result)
        if sub in ("config time", "config timezone", "config days"):
            # A change that moves the next post names it (Berlin's zone abbreviation or UTC).
            assert f"Updated: {what}; next question " in said, sub
            tail = "CET" if sub != "config time" else "UTC"
            assert said.endswith(f"09:30 {tail}. `/config show` lists every setting."), said
        else:
            assert on_discord(m.CONFIG_UPDATED.format(what=what)) in said, sub
    paused = await world.admin.slash(world.channel, "config pause")
    assert on_discord(m.CONFIG_PAUSED) in all_text(paused)
    shown = await world.admin.slash(world.channel, "config show")
    assert "Europe/Berlin" in all_text(shown) and "paused" in all_text(shown)


async def test_config_bad_values_get_the_core_message(world: World) -> None:
    bad_time = await world.admin.slash(world.channel, "config time", time="25:99")
    [text] = texts(bad_time)
    assert "25:99" in text and bad_time.ephemeral
    bad_zone = await world.admin.slash(world.channel, "config timezone", zone="Mars/Olympus")
    assert "Mars/Olympus" in all_text(bad_zone)
    bad_topic = await world.admin.slash(world.channel, "config topics", topics="cooking")
    assert texts(bad_topic) == [on_discord(m.unknown_topic("cooking", []))]


async def test_config_is_hidden_from_members_without_manage_server(world: World) -> None:
    with pytest.raises(SetupError, match="default-member-permissions"):
        await world.alice.slash(world.channel, "config show")


async def test_config_refused_by_the_core_when_a_server_lets_a_member_see_it(
    world: World, simcord_bot: StudyBotClient
) -> None:
    # A server may override the command permission for a member; the core still asks for
    # Manage Server (Origin.is_admin), so nothing changes.
    [config] = [c for c in await simcord_bot.tree.fetch_commands() if c.name == "config"]
    world.guild.set_command_permissions(config, {world.alice: True})
    result = await world.alice.slash(world.channel, "config time", time="10:00")
    assert texts(result) == [m.NOT_ADMIN.format(what="change the channel settings")]


async def test_forgetme_asks_then_deletes(world: World, app: App) -> None:
    ask = await world.alice.slash(world.channel, "forgetme")
    assert texts(ask) == [on_discord(m.FORGET_ASK)]
    done = await world.alice.slash(world.channel, "forgetme", confirm="confirm")
    assert texts(done) == [m.FORGET_DONE]
    async with app.db.engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(answers))).scalar() == 0


async def test_commands_are_not_offered_in_direct_messages(world: World) -> None:
    user = world.env.create_user("dana")
    assert user.available_commands() == ()


async def test_every_reply_of_a_command_is_a_single_private_message(world: World) -> None:
    result = await world.alice.slash(world.channel, "quiz", topic="sample-stats", count=1)
    assert [message.ephemeral for message in sent(result)] == [True]
    assert labels(with_buttons(result))


async def test_report_a_question_and_list_the_reports(world: World) -> None:
    sent_report = await world.alice.slash(
        world.channel, "report question", reason="ss-ransac the aliases miss LO-RANSAC"
    )
    assert "Thanks: reported ss-ransac" in all_text(sent_report) and sent_report.ephemeral
    refused = await world.alice.slash(world.channel, "report list")
    assert texts(refused) == [m.NOT_ADMIN.format(what="read question reports")]
    listed = await world.admin.slash(world.channel, "report list")
    assert "ss-ransac" in all_text(listed) and "LO-RANSAC" in all_text(listed)
    assert listed.ephemeral


DECK_CSV = (
    "type,difficulty,prompt,choices,answer,accept,tolerance,explanation\n"
    "true_false,easy,Our feature store is Feast.,,true,,,It is.\n"
    "mcq,easy,Which queue do we use?,Kafka|RabbitMQ|SQS,B,,,We moved in 2024.\n"
)


async def test_deck_import_reads_the_attachment(world: World, app: App) -> None:
    upload = ("ours.csv", DECK_CSV.encode("utf-8"))
    result = await world.admin.slash(world.channel, "deck import", name="ours", file=upload)
    assert result.ephemeral
    assert texts(result) == [on_discord(m.DECK_IMPORTED.format(name="ours", fmt="csv", n=2))]
    # The server's quiz and autocomplete now offer the deck beside the built-in topics.
    found = await world.alice.autocomplete(world.channel, "quiz", "topic", "our")
    assert [c["value"] for c in found] == ["ours"]
    quiz = await world.alice.slash(world.channel, "quiz", topic="ours", count=1)
    assert "ours" in all_text(quiz)
    missing = await world.admin.slash(world.channel, "deck import", name="other")
    assert texts(missing) == [on_discord(m.DECK_NO_FILE)]
    broken = ("bad.csv", DECK_CSV.replace("B,,,", "Z,,,").encode("utf-8"))
    rejected = await world.admin.slash(world.channel, "deck import", name="bad", file=broken)
    assert "line 3: answer: 'Z' is neither a letter A-E nor one of the choices" in all_text(
        rejected
    )
    binary = ("x.csv", b"\xff\xfe\x00")
    assert texts(await world.admin.slash(world.channel, "deck import", name="x", file=binary)) == [
        m.DECK_NOT_TEXT
    ]
    big = ("big.csv", b"x" * (1_048_576 + 1))
    too_big = await world.admin.slash(world.channel, "deck import", name="big", file=big)
    assert texts(too_big) == [m.DECK_TOO_BIG.format(size=1_048_577, limit=1_048_576)]
    assert [d.name for d in await app.ctx.stores.decks.list_decks(f"discord:{world.guild.id}")] == [
        "ours"
    ]
