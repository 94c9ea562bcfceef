"""Workspace decks through the dispatcher, on SQLite and PostgreSQL: import, isolation, rotation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.bootstrap import App, ManualClock, build_app
from bot.commands import ImportDeck, StartQuiz, SubmitAnswer
from bot.plaintext import render
from bot.replies import FileView, Notice, QuestionCard, TableView, Tone, without_image
from bot.settings import Settings
from bot.storage.deck_tables import workspace_decks
from bot.usecases import daily
from bot.usecases import decks as decks_usecase
from tests.conftest import FIXTURE_CONTENT, SeededRng, origin
from tests.helpers import errors, say, text

ADA = origin("Ada", admin=True)
BOB = origin("Bob")
# Another workspace, with an admin of its own.
ZED = origin("Zed", admin=True, workspace="globex")

CSV = (
    "type,difficulty,prompt,choices,answer,accept,tolerance,explanation\n"
    "mcq,easy,Which queue do we use?,Kafka|RabbitMQ|SQS,B,,,We moved in 2024.\n"
    "true_false,easy,Our feature store is Feast.,,true,,,It is.\n"
    "numeric,easy,How many regions do we run?,,3,,,Three.\n"
)


async def import_csv(app: App, who: object = ADA, name: str = "our-stack", body: str = CSV) -> str:
    replies = await app.dispatcher.dispatch(ImportDeck(name, "deck.csv", body), who)  # type: ignore[arg-type]
    return "\n".join(render(r) for r in replies)


def answer_for(app: App, card: QuestionCard) -> str:
    q = app.ctx.question(card.question_id)
    assert q is not None
    if q.type.value == "mcq":
        return next(o.label for o in card.options if o.index == q.answer)
    if q.type.value == "true_false":
        return "true" if q.answer else "false"
    return str(q.answer)


async def test_import_then_quiz_plays_the_deck(app: App) -> None:
    assert await import_csv(app) == (
        "✓ Imported deck 'our-stack' (csv): 3 questions, topic 'our-stack'. "
        "`quiz our-stack` plays it."
    )
    card = (await say(app, BOB, "quiz our 3"))[-1]
    assert isinstance(card, QuestionCard) and card.topic == "our-stack"
    assert card.question_id.startswith("x--")
    replies = await say(app, BOB, f"answer {answer_for(app, card)}")
    assert "Correct" in render(replies[0])
    topics = await text(app, BOB, "topics")
    assert "our-stack: our-stack: 3 questions (3 auto-graded)" in topics
    # Import again under the same name: replaced, question ids kept.
    assert (await import_csv(app)).startswith("✓ Replaced deck 'our-stack' (csv): 3 questions")
    again = await app.ctx.bank_for(ADA.place.workspace_key)
    assert card.question_id in again.by_id


async def test_a_deck_stays_in_its_workspace(app: App, clock: ManualClock) -> None:
    await import_csv(app)
    ours = [t for t, _ in await app.dispatcher.topic_titles(ADA.place)]
    theirs = [t for t, _ in await app.dispatcher.topic_titles(ZED.place)]
    assert "our-stack" in ours and "our-stack" not in theirs
    assert "our-stack" not in await text(app, ZED, "topics")
    [refusal] = errors(await say(app, ZED, "quiz our-stack"))
    assert refusal.startswith("Unknown topic 'our-stack'.")
    assert errors(await say(app, ZED, "config topics our-stack"))
    assert await text(app, ZED, "deck show our-stack") == (
        "! There is no deck 'our-stack' in this workspace. `deck list` shows them."
    )
    # Their whole pool, quiz and daily, never draws our items.
    zed_bank = await app.ctx.bank_for(ZED.place.workspace_key)
    assert not [q for q in zed_bank.select() if q.id.startswith("x--")]
    # Ours draws the daily question from the deck when the channel asks for it.
    await say(app, ADA, "config channel")
    assert "our-stack" in await text(app, ADA, "config topics our-stack")
    ada_bank = await app.ctx.bank_for(ADA.place.workspace_key)
    channel = await app.ctx.stores.channels.get_channel(ADA.place.workspace_key, "general")
    assert channel is not None
    picked = daily.pick_daily_question(app.ctx, ada_bank, channel, set())
    assert picked is not None and picked.topic == "our-stack"
    # Their channel asking for `our-stack` by name falls back to their own whole pool.
    theirs_picked = daily.pick_daily_question(app.ctx, zed_bank, channel, set())
    assert theirs_picked is not None and not theirs_picked.id.startswith("x--")
    # The scheduler's path: today's round in our channel is one of the deck's questions.
    opened = await daily.open_daily_round(app.ctx, ADA.place, clock.now())
    assert opened is not None and opened[1].topic == "our-stack"
    # Help for a command that takes a topic names the workspace's topics, ours only there.
    assert "our-stack" in await text(app, BOB, "help quiz")
    assert "our-stack" not in await text(app, ZED, "help quiz")


async def test_only_admins_manage_decks(app: App) -> None:
    assert await import_csv(app, BOB) == "! Only an admin can import a deck."
    for line in ("deck list", "deck show x", "deck disable sample-ml", "deck delete x"):
        [refusal] = errors(await say(app, BOB, line))
        assert refusal.startswith("Only an admin can")
    assert await app.ctx.stores.decks.list_decks(ADA.place.workspace_key) == []


async def test_a_rejected_import_stores_nothing(app: App) -> None:
    await import_csv(app)
    broken = CSV.replace("3,,,Three.", "three,,,Three.") + "mcq,easy,Last?,a|b,A,,,x\n"
    out = await import_csv(app, body=broken)
    assert out == (
        "! Nothing was imported: 2 problem(s) in 'our-stack' (csv). Fix them and import again:\n"
        "- line 4: answer: numeric needs a number\n"
        "- line 5: choices: 2 options, need 3 to 5"
    )
    [deck] = await app.ctx.stores.decks.list_decks(ADA.place.workspace_key)
    assert deck.question_count == 3  # the earlier import, untouched
    assert errors(await say(app, ADA, "deck import sample-ml")) == [
        "'sample-ml' is a built-in topic here; pick another deck name."
    ]
    taken = await import_csv(app, name="sample-ml")
    assert taken == "! 'sample-ml' is a built-in topic here; pick another deck name."
    bad_name = await import_csv(app, name="Our Stack")
    assert bad_name.startswith("! 'Our Stack' cannot name a deck: use a lower-case slug")
    # The file typed first, the name left out: the usage with a name made from the file's.
    assert errors(await say(app, ADA, "deck import Team_Qs.csv")) == [
        "Name the deck before the file, for example `deck import team-qs Team_Qs.csv`."
    ]
    assert errors(await say(app, ADA, "deck import ~/decks/Q&A.toml")) == [
        "Name the deck before the file, for example `deck import our-stack ~/decks/Q&A.toml`."
    ]


async def test_builtin_topics_off_and_on_per_workspace(app: App) -> None:
    assert await text(app, ADA, "deck disable sample-ml") == (
        "✓ 'sample-ml' is out of rotation in this workspace; "
        "`deck enable sample-ml` brings it back."
    )
    assert "sample-ml" not in await text(app, BOB, "topics")
    [refusal] = errors(await say(app, BOB, "quiz sample-ml"))
    assert refusal.startswith("Unknown topic 'sample-ml'.")
    assert "sample-ml" in await text(app, ZED, "topics")  # another workspace keeps it
    assert await text(app, ADA, "deck disable sample-ml") == (
        "'sample-ml' was already out of rotation."
    )
    listing = (await say(app, ADA, "deck list"))[0]
    assert isinstance(listing, TableView)
    assert dict(listing.rows)["sample-ml"].startswith("built-in · off")
    await say(app, ADA, "deck enable sample-ml")
    assert "sample-ml" in await text(app, BOB, "topics")
    await import_csv(app)
    await say(app, ADA, "deck disable our-stack")
    assert "our-stack" not in await text(app, BOB, "topics")
    await say(app, ADA, "deck enable our-stack")
    assert "our-stack" in await text(app, BOB, "topics")
    assert await text(app, ADA, "deck enable nothing-here") == (
        "! There is no deck or topic 'nothing-here' here. `deck list` shows them."
    )


async def test_deleting_a_deck_under_an_open_round_keeps_the_round(
    app: App, clock: ManualClock
) -> None:
    await import_csv(app)
    bank = await app.ctx.bank_for(ADA.place.workspace_key)
    qid = next(q.id for q in bank.select(["our-stack"]) if q.type.value == "true_false")
    opened = await daily.open_daily_round(app.ctx, ADA.place, clock.now(), qid)
    assert opened is not None
    rnd, _ = opened
    quiz = (await app.dispatcher.dispatch(StartQuiz("our-stack", count=2), BOB))[-1]
    assert isinstance(quiz, QuestionCard)
    assert (await text(app, ADA, "deck delete our-stack")).startswith("✓ Deleted deck 'our-stack'")
    # Another process (no cache) sees the round through its snapshot alone.
    clicked = await app.dispatcher.dispatch(SubmitAnswer("true", round_id=rnd.id), BOB)
    assert "locked in" in render(clicked[0])
    # The running quiz goes on: its deleted questions are skipped, never an error.
    for _ in range(2):
        assert not errors(await say(app, BOB, "answer true"))
    bob = (await app.ctx.actor(BOB)).user.id
    assert await app.ctx.stores.quizzes.active_quiz(bob) is None
    reveal = await daily.close_daily_round(app.ctx, rnd.id, clock.now() + dt.timedelta(hours=9))
    assert reveal is not None and reveal.correct_count == 1
    assert "our-stack" not in await text(app, BOB, "topics")


async def test_another_process_sees_an_import(app: App, db_url: str, clock: ManualClock) -> None:
    other = await build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        db_url=db_url,
        content_dir=FIXTURE_CONTENT,
        clock=clock,
        rng=SeededRng(3),
    )
    try:
        assert "our-stack" not in await text(other, BOB, "topics")
        await import_csv(app)
        assert "our-stack" in await text(other, BOB, "topics")
        await say(app, ADA, "deck delete our-stack")
        assert "our-stack" not in await text(other, BOB, "topics")
    finally:
        await other.close()


async def test_console_reads_a_path(app: App, tmp_path: Path) -> None:
    from adapters.console.app import read_deck_file
    from bot.parsing import parse

    path = tmp_path / "ours.csv"
    path.write_text(CSV, encoding="utf-8")
    parsed = parse(f"deck import ours {path}")
    assert isinstance(parsed, ImportDeck)
    read = read_deck_file(parsed)
    assert isinstance(read, ImportDeck) and read.text == CSV and read.filename == "ours.csv"
    missing = read_deck_file(ImportDeck("ours", path="/nowhere/x.csv"))
    assert missing == "Cannot read '/nowhere/x.csv': No such file or directory."
    replies = await app.dispatcher.dispatch(read, ADA)
    assert isinstance(replies[0], Notice) and replies[0].tone is Tone.SUCCESS
    assert await text(app, ADA, "deck import ours") == (
        "! Give the file: `deck import NAME path/to/deck.csv`."
    )
    async with app.db.read() as conn:
        assert (
            await conn.execute(sa.select(sa.func.count()).select_from(workspace_decks))
        ).scalar() == 1


async def test_export_is_a_toml_file_that_imports_back_the_same_items(app: App) -> None:
    await import_csv(app)
    [reply] = await say(app, ADA, "deck export our-stack")
    assert isinstance(reply, FileView) and reply.image is not None
    assert reply.image.filename == "our-stack.toml"
    assert render(reply) == (
        "✓ Deck 'our-stack' exported in the native TOML format: 3 questions"
        " (1 mcq, 1 numeric, 1 true_false), 1 KB; `deck import` reads the file back."
    )
    assert reply.image.alt_text.startswith("Deck 'our-stack'")
    toml = reply.image.data.decode()
    assert toml == reply.fallback and toml.startswith("[deck]")
    # Where the file cannot go, its content follows the short text.
    assert render(without_image(reply)).endswith("\n\n" + toml)
    back = await app.dispatcher.dispatch(ImportDeck("again", reply.image.filename, toml), ADA)
    assert [render(r) for r in back] == [
        "✓ Imported deck 'again' (toml): 3 questions, topic 'again'. `quiz again` plays it."
    ]
    ours, again = [
        await app.stores.decks.get_deck(ADA.place.workspace_key, n) for n in ("our-stack", "again")
    ]
    assert ours is not None and again is not None
    same = [{**item, "topic": "our-stack"} for item in json.loads(again.items)]
    assert same == json.loads(ours.items)  # every field of every item, ids too
    assert errors(await say(app, BOB, "deck export our-stack")) == [
        "Only an admin can export a deck."
    ]


async def test_builtin_topics_show_and_export_but_never_delete(app: App) -> None:
    # `deck list` names the built-in topics, so `deck show` and `deck export` take them too;
    # the export is a file an admin can edit and import as a deck of their own.
    [shown] = await say(app, ADA, "deck show sample-stats")
    assert isinstance(shown, TableView) and shown.title == "Deck sample-stats: Sample statistics"
    assert "ss-median" in dict(shown.rows) and "built in" in (shown.footer or "")
    [exported] = await say(app, ADA, "deck export sample-stats")
    assert isinstance(exported, FileView) and exported.image is not None
    document = exported.image.data.decode()
    assert exported.image.filename == "sample-stats.toml" and 'id = "ss-median"' in document
    [own] = await app.dispatcher.dispatch(ImportDeck("my-stats", "my-stats.toml", document), ADA)
    assert isinstance(own, Notice) and own.tone is Tone.SUCCESS, own
    assert await text(app, ADA, "deck delete sample-stats") == (
        "! sample-stats is a built-in topic and cannot be deleted; `deck disable sample-stats`"
        " takes it out of rotation in this workspace."
    )
    assert "sample-stats" in await text(app, BOB, "topics")


async def test_deck_show_says_when_the_list_is_cut(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 70-question topic listed 25 rows under "70 questions": say the list is the first 25.
    [whole] = await say(app, ADA, "deck show sample-stats")
    assert isinstance(whole, TableView) and "listed above" not in (whole.footer or "")
    monkeypatch.setattr(decks_usecase, "SHOW_MAX", 2)
    [cut] = await say(app, ADA, "deck show sample-stats")
    assert isinstance(cut, TableView) and len(cut.rows) == 2
    assert (cut.footer or "").startswith("The first 2 are listed above. ")
