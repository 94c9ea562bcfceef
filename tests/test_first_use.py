"""First use, fixed: every rule as the README states it, every reply worth reading."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot import messages as m
from bot.bootstrap import App, ManualClock, SeededRng
from bot.commandref import render_refs
from bot.commands import SubmitAnswer
from bot.content import load_bank
from bot.parsing import ParseError, check_team_name, closest_command, parse
from bot.replies import (
    AnswerFeedback,
    LeaderboardView,
    Notice,
    QuestionCard,
    Reply,
    StatsView,
    TableView,
    Tone,
    WeeklyTally,
)
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.stores import sql_stores
from bot.storage.tables import forgotten_answers, metadata
from bot.usecases import boards, daily
from bot.usecases.context import Context, UserError
from tests.conftest import FIXTURE_CONTENT, ROOT, origin
from tests.helpers import correct_text, errors, say, text
from tests.test_scheduler import RecordingPublisher, at, channel_id, enable, tick

ADMIN = origin("Ada", admin=True)
BOB = origin("Bob")
CY = origin("Cy")


def one(replies: list[Reply], kind: type) -> Any:
    [found] = [r for r in replies if isinstance(r, kind)]
    return found


async def open_round(app: App, clock: ManualClock, question: str = "ss-variance-sum") -> int:
    opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), question)
    assert opened is not None
    return opened[0].id


async def board_rows(app: App, who: Any, line: str) -> list[tuple[str, int, str]]:
    replies = await say(app, who, line)
    if isinstance(replies[0], Notice):
        return []
    view = replies[0]
    assert isinstance(view, LeaderboardView)
    return [(r.name, r.points, r.detail) for r in view.rows]


# -- 2: a daily result stays private until the reveal, on every view --------------------------


async def test_stats_show_no_daily_result_before_the_reveal(app: App, clock: ManualClock) -> None:
    await say(app, ADMIN, "team create Owls")
    await say(app, BOB, "team join Owls")
    round_id = await open_round(app, clock)
    assert "locked in" in await text(app, BOB, "answer true")  # right
    for who, line in ((BOB, "stats"), (CY, "stats Bob")):
        stats = one(await say(app, who, line), StatsView)
        assert (stats.answered, stats.correct, stats.by_topic) == (0, 0, ())
    assert await board_rows(app, CY, "leaderboard users") == []
    assert await board_rows(app, CY, "leaderboard teams") == []
    assert await daily.close_daily_round(app.ctx, round_id, clock.now()) is not None
    stats = one(await say(app, CY, "stats Bob"), StatsView)
    assert (stats.answered, stats.correct) == (1, 1)
    assert [(t.topic, t.answered, t.correct) for t in stats.by_topic] == [("sample-stats", 1, 1)]


# -- 3: forgetting does not reopen a locked answer --------------------------------------------


async def test_forgetme_during_an_open_round_keeps_it_locked(app: App, clock: ManualClock) -> None:
    round_id = await open_round(app, clock)
    await say(app, BOB, "answer false")  # wrong; the reveal would show it
    assert "deleted" in await text(app, BOB, "forgetme confirm")
    assert errors(await say(app, BOB, "answer true")) == [render_refs(m.DAILY_FORGOTTEN)]
    # `daily` does not offer the locked round's card again either.
    assert errors(await say(app, BOB, "daily")) == [render_refs(m.DAILY_FORGOTTEN)]
    # The button path (grouped writes) refuses the same way, every time.
    click = SubmitAnswer("true", round_id=round_id, delivery_id="click-1")
    assert errors(await app.dispatcher.dispatch(click, BOB)) == [render_refs(m.DAILY_FORGOTTEN)]
    assert errors(await app.dispatcher.dispatch(click, BOB)) == [render_refs(m.DAILY_FORGOTTEN)]
    # The store refuses on its own too, whoever calls it.
    bob = await app.stores.users.find_user(BOB.place.workspace_key, "Bob")
    assert bob is not None
    assert not await app.stores.answers.add_answer(
        round_id, bob.id, "sample-stats", "true", "true", True, clock.now()
    )
    assert "locked in" in await text(app, CY, "answer true")
    reveal = await daily.close_daily_round(app.ctx, round_id, clock.now())
    assert reveal is not None and (reveal.answered, reveal.winners) == (1, ("Cy",))
    assert [r[0] for r in await board_rows(app, CY, "leaderboard users")] == ["Cy"]
    # The lock names nobody, and it is for that round only.
    async with app.db.read() as conn:
        [row] = (await conn.execute(sa.select(forgotten_answers))).all()
    assert row.round_id == round_id and "bob" not in row.user_key.lower()
    clock.advance(dt.timedelta(days=1))
    await open_round(app, clock, "ss-median")
    assert "locked in" in await text(app, BOB, "answer A")


async def test_forgetme_after_the_reveal_leaves_no_lock(app: App, clock: ManualClock) -> None:
    round_id = await open_round(app, clock)
    await say(app, BOB, "answer true")
    await daily.close_daily_round(app.ctx, round_id, clock.now())
    await say(app, BOB, "forgetme confirm")
    async with app.db.read() as conn:
        assert (await conn.execute(sa.select(forgotten_answers))).all() == []


# -- 4: resuming starts from the next due time -------------------------------------------------


async def test_resume_does_not_post_the_tally_that_fell_due_while_paused(
    app: App, clock: ManualClock
) -> None:
    pub = RecordingPublisher()
    await enable(app)
    clock.set(at(0, 8))
    assert errors(await say(app, ADMIN, "config pause")) == []
    assert await tick(app, clock, at(4, 17), pub) == []  # Friday's tally time, paused
    clock.set(at(4, 18))
    assert errors(await say(app, ADMIN, "config resume")) == []
    assert await tick(app, clock, at(4, 18), pub) == []  # nothing late
    assert pub.of(WeeklyTally) == []
    claim = await app.stores.claims.get_claim(await channel_id(app), "tally", "2026-W47")
    assert claim is not None and claim.status == "skipped"
    for day in range(7, 12):  # the next week runs as usual, tally included
        await tick(app, clock, at(day, 9), pub)
        await tick(app, clock, at(day, 17), pub)
    [(_, tally, _)] = pub.of(WeeklyTally)
    assert isinstance(tally, WeeklyTally) and tally.period_label == "week of 2026-11-23"


# -- 5: one tie rule on every board -----------------------------------------------------------


async def quiz_correctly(app: App, who: Any, line: str) -> None:
    replies = await say(app, who, line)
    while isinstance(replies[-1], QuestionCard):
        replies = await say(app, who, f"answer {correct_text(app, replies[-1])}")
        assert one(replies, AnswerFeedback).correct


async def test_team_ties_go_to_more_correct_answers_then_the_earlier_team(app: App) -> None:
    for name in ("Owls", "Foxes", "Ants"):  # created in this order
        await say(app, ADMIN, f"team create {name}")
    for name, team in (("P1", "Owls"), ("P2", "Foxes"), ("P3", "Ants")):
        await say(app, origin(name), f"team join {team}")
    await quiz_correctly(app, origin("P1"), "quiz sample-ml medium 1")  # 10 points, 1 correct
    await quiz_correctly(app, origin("P2"), "quiz easy 2")  # 5 + 5 points, 2 correct
    await quiz_correctly(app, origin("P3"), "quiz sample-ml medium 1")  # as P1, later team
    rows = await board_rows(app, BOB, "leaderboard teams")
    assert [(name, points) for name, points, _ in rows] == [
        ("Foxes", 10),
        ("Owls", 10),
        ("Ants", 10),
    ]
    users = await board_rows(app, BOB, "leaderboard users")
    assert [name for name, _, _ in users] == ["P2", "P1", "P3"]


# -- 6: team board wording, deleted teams, 0-point teams ---------------------------------------


async def test_team_board_says_what_is_true_after_leaving_and_deleting(
    app: App, clock: ManualClock
) -> None:
    await say(app, ADMIN, "team create Owls")
    await say(app, ADMIN, "team create Foxes")
    await say(app, BOB, "team join Owls")
    await say(app, CY, "team join Foxes")
    round_id = await open_round(app, clock)
    await say(app, BOB, "answer true")
    await say(app, CY, "answer false")  # Foxes score nothing: not on the board
    await daily.close_daily_round(app.ctx, round_id, clock.now())
    detail = "20.0 per active member, 1 active, {n} on the team now"
    assert await board_rows(app, BOB, "leaderboard teams") == [("Owls", 20, detail.format(n=1))]
    await say(app, BOB, "team leave")
    assert await board_rows(app, BOB, "leaderboard teams") == [("Owls", 20, detail.format(n=0))]
    await say(app, ADMIN, "team delete Owls")
    await say(app, ADMIN, "team create Owls")
    await say(app, CY, "team join Owls")
    await quiz_correctly(app, CY, "quiz sample-ml medium 1")
    assert await board_rows(app, BOB, "leaderboard teams") == [
        ("Owls (deleted)", 20, detail.format(n=0)),
        ("Owls", 10, "10.0 per active member, 1 active, 1 on the team now"),
    ]
    channel = await app.stores.channels.get_channel(ADMIN.place.workspace_key, "general")
    assert channel is not None
    tally = await boards.weekly_tally(app.ctx, channel, clock.now())
    assert [(t.name, t.members) for t in tally.teams] == [("Owls (deleted)", 0), ("Owls", 1)]
    shown = await text(app, BOB, "team list")
    assert "(deleted)" not in shown and "Owls: Cy" in shown


# -- 7, 8, 9: what a reply says ----------------------------------------------------------------


def test_two_kinds_or_periods_of_board_are_named_as_such() -> None:
    usage = " Usage: `leaderboard [users|teams] [week|month|all] [chart]`"
    cases = {
        "leaderboard teams users": m.BOARD_TWO_SCOPES,
        "leaderboard week month": render_refs(
            m.BOARD_TWO_PERIODS.format(first="week", second="month")
        ),
        "leaderboard week week": "The period was given twice.",
        "leaderboard teams teams": "The kind of board was given twice.",
        "leaderboard all ever": "The period was given twice.",
        "leaderboard chart teams chart": "The chart was given twice.",
    }
    for line, said in cases.items():
        parsed = parse(line)
        assert isinstance(parsed, ParseError), line
        assert render_refs(parsed.message) == render_refs(said) + usage, line
    assert parse("leaderboard teams month") is not None


async def test_pausing_a_channel_that_was_never_enabled_says_only_that(app: App) -> None:
    for line in ("config pause", "config resume"):
        replies = await say(app, ADMIN, line)
        assert replies == [Notice(m.CONFIG_NOT_ENABLED, Tone.ERROR)]
    channel = await app.stores.channels.get_channel(ADMIN.place.workspace_key, "general")
    assert channel is not None and not channel.schedule.paused and not channel.enabled


async def test_help_marks_admin_subcommands_once(app: App) -> None:
    shown = await text(app, BOB, "help team")
    assert "(admin) (admin)" not in shown
    assert shown.count("(admin)") == 2  # create and delete
    # The command list marks each admin command once too (it read "(admin). (admin)").
    listing = await text(app, BOB, "help")
    admin_lines = [line for line in listing.splitlines() if "(admin)" in line]
    assert admin_lines and all(line.count("(admin)") == 1 for line in admin_lines)
    assert {line.split()[0] for line in admin_lines} >= {"config", "deck", "question", "audit"}


async def test_help_brackets_optional_arguments(app: App) -> None:
    shown = await text(app, ADMIN, "help config")
    assert "config time TIME [ZONE] — post time" in shown
    assert "config timezone ZONE — time zone" in shown
    assert "audit list [PAGE]" in await text(app, ADMIN, "help audit")


async def test_a_config_change_replies_with_the_one_changed_line(app: App) -> None:
    await say(app, ADMIN, "config channel")
    replies = await say(app, ADMIN, "config time 10:00")
    # A change that moves the next post names it, in the channel's zone.
    moved = "post time 10:00; next question Mon 2026-11-16 10:00 UTC"
    assert replies == [Notice(m.CONFIG_UPDATED.format(what=moved), Tone.SUCCESS)]
    # A time zone after the time sets both, as `remind 08:00 Europe/Paris` does.
    replies = await say(app, ADMIN, "config time 9:30 am Europe/Paris")
    moved = "post time 09:30, time zone Europe/Paris; next question Mon 2026-11-16 09:30 CET"
    assert replies == [Notice(m.CONFIG_UPDATED.format(what=moved), Tone.SUCCESS)]
    replies = await say(app, ADMIN, "config close 18:00 Europe/Paris")
    moved = "close time 18:00, time zone Europe/Paris; next question Mon 2026-11-16 09:30 CET"
    assert replies == [Notice(m.CONFIG_UPDATED.format(what=moved), Tone.SUCCESS)]
    # A change that does not move the next post keeps to its one line.
    replies = await say(app, ADMIN, "config difficulty hard")
    assert replies == [Notice(m.CONFIG_UPDATED.format(what="difficulty hard"), Tone.SUCCESS)]
    channel = await app.stores.channels.get_channel(ADMIN.place.workspace_key, "general")
    assert channel is not None
    assert (f"{channel.schedule.post_time:%H:%M}", channel.schedule.timezone) == (
        "09:30",
        "Europe/Paris",
    )
    refused = errors(await say(app, ADMIN, "config time 9:30 Mars/Olympus"))[0]
    assert "Mars/Olympus" in refused
    assert f"{channel.schedule.post_time:%H:%M}" == "09:30"
    assert await say(app, ADMIN, "config resume") == [Notice(m.CONFIG_NOT_PAUSED)]
    replies = await say(app, ADMIN, "config pause")
    assert replies == [Notice(m.CONFIG_PAUSED, Tone.SUCCESS)]
    assert await say(app, ADMIN, "config pause") == [Notice(m.CONFIG_ALREADY_PAUSED)]
    assert isinstance((await say(app, ADMIN, "config show"))[0], TableView)


# -- 10: team names -----------------------------------------------------------------------------


def test_team_name_rule_is_enforced_as_written() -> None:
    for bad in ("_x_", "x_y", "-x", ".x", "'x", "a" * 33, "no!", "ﷺ" * 3):
        assert check_team_name(bad) is None, bad
    for good in ("x", "O'Neil's-3.0", "Ünïcode team", "ＡＢＣ", "Data  Wizards ", "9lives"):
        assert check_team_name(good) is not None, good
    assert check_team_name("  Data  Wizards ") == "Data Wizards"


async def test_team_names_are_compared_after_one_normalisation(app: App) -> None:
    assert "created" in await text(app, ADMIN, "team create ABC")
    assert errors(await say(app, ADMIN, "team create ＡＢＣ")) == [
        "A team called ABC already exists here."
    ]
    assert "created" in await text(app, ADMIN, "team create fish")
    assert errors(await say(app, ADMIN, "team create ﬁsh")) == [
        "A team called fish already exists here."
    ]
    assert "joined ABC" in await text(app, BOB, "team join ａｂｃ")
    assert errors(await say(app, ADMIN, "team create _x_")) == [m.TEAM_NAME_RULE.format(max=32)]


# -- 11, 15: topics and suggestions ------------------------------------------------------------


async def test_config_topics_and_quiz_resolve_a_word_alike(app: App) -> None:
    await say(app, ADMIN, "config channel")
    [from_config] = errors(await say(app, ADMIN, "config topics sample"))
    [from_quiz] = errors(await say(app, ADMIN, "quiz sample"))
    assert (
        from_config
        == from_quiz
        == render_refs(m.ambiguous_topic("sample", ["sample-ml", "sample-stats"]))
    )
    [unknown] = errors(await say(app, ADMIN, "config topics ml,nosuch"))
    assert unknown == render_refs(m.unknown_topic("nosuch", []))
    assert "topics sample-ml" in await text(app, ADMIN, "config topics ml")


def test_suggestions_only_for_what_is_plausibly_meant() -> None:
    assert closest_command("foo") is None
    assert closest_command("quizz") == "quiz"
    assert closest_command("hlep") == "help"
    assert closest_command("leaderbord") == "leaderboard"
    assert closest_command("lead") == "leaderboard"
    assert closest_command("x") is None
    bank, _ = load_bank(ROOT / "content")
    ctx = Context(stores=None, bank=bank, clock=ManualClock(), rng=SeededRng(1))  # type: ignore[arg-type]
    assert ctx.topic_guesses("foo") == []
    assert ctx.topic_guesses("pca") == ["unsupervised-dim-reduction"]
    assert ctx.topic_guesses("statistcs") == ["statistics-probability"]
    assert ctx.topic_guesses("dimensionality") == ["unsupervised-dim-reduction"]


async def test_unknown_names_get_case_insensitive_suggestions(app: App) -> None:
    await say(app, ADMIN, "team create Red")
    for typed in ("reed", "Reed", "REED"):
        [msg] = errors(await say(app, BOB, f"team join {typed}"))
        assert msg == render_refs(m.TEAM_UNKNOWN.format(name=typed, hint=" Did you mean Red?"))
    [msg] = errors(await say(app, BOB, "team join Blue"))
    assert "Did you mean" not in msg
    assert errors(await say(app, BOB, "quiz foo")) == [render_refs(m.unknown_topic("foo", []))]
    assert errors(await say(app, BOB, "foo")) == [render_refs(m.unknown_command("foo", None))]


# -- 12, 13, 16: quiz feedback -----------------------------------------------------------------


async def test_a_self_rating_is_echoed_in_the_words_typed(app: App) -> None:
    for _ in range(5):
        card = (await say(app, BOB, "quiz sample-stats 1 hard"))[-1]
        assert isinstance(card, QuestionCard)
        if card.question_id == "ss-bias-variance":
            break
        await say(app, BOB, "quiz stop")
    await say(app, BOB, "answer bias and variance")
    shown = await text(app, BOB, "answer got it")
    assert "Noted: got it." in shown and "Self-rated: got it 1." in shown


async def test_an_answer_trimmed_by_the_daily_cap_says_so(app: App) -> None:
    app.ctx.quiz_cap = 12
    replies = await say(app, BOB, "quiz medium 3")
    feedback = []
    while isinstance(replies[-1], QuestionCard):
        replies = await say(app, BOB, f"answer {correct_text(app, replies[-1])}")
        feedback.append(one(replies, AnswerFeedback))
    assert [(f.points, f.note) for f in feedback] == [
        (10, ""),
        (2, m.QUIZ_CAP_TRIMMED.format(cap=12, points=2, full=10)),
        (0, m.QUIZ_CAPPED.format(cap=12)),
    ]


async def answer_in_quiz(app: App, who: Any, question_id: str) -> AnswerFeedback:
    for _ in range(6):
        card = (await say(app, who, "quiz sample-stats medium 1"))[-1]
        assert isinstance(card, QuestionCard)
        if card.question_id == question_id:
            return one(await say(app, who, f"answer {correct_text(app, card)}"), AnswerFeedback)
        await say(app, who, "quiz stop")
    raise AssertionError(f"{question_id} never came up")


async def test_a_daily_question_answered_correctly_earns_no_quiz_points_again(
    app: App, clock: ManualClock
) -> None:
    round_id = await open_round(app, clock)
    await say(app, BOB, "answer true")
    await say(app, CY, "answer true")
    # Before the reveal a quiz cannot tell, or its score would give the result away.
    early = await answer_in_quiz(app, CY, "ss-variance-sum")
    assert (early.points, early.note) == (10, "")
    await daily.close_daily_round(app.ctx, round_id, clock.now())
    late = await answer_in_quiz(app, BOB, "ss-variance-sum")
    assert (late.points, late.note) == (0, m.QUIZ_REPEAT)


# -- 14: a long line is echoed clipped ---------------------------------------------------------


async def test_long_input_is_echoed_clipped(app: App) -> None:
    await say(app, ADMIN, "config channel")
    word = "x" * 20_000
    for line in (
        word,
        f"quiz {'y' * 5000}",
        f"help {word}",
        f"leaderboard {word}",
        f"team frob{word}",
        f"config time {word}",
        f"config timezone {word}",
        f"config days {word}",
        f"config difficulty {word}",
        f"config topics {word}",
        f"stats {word}",
    ):
        [msg] = errors(await say(app, ADMIN, line))
        assert len(msg) < 300 and "…" in msg, (line[:20], msg)


async def test_upgrading_gives_existing_names_the_new_key(db_url: str) -> None:
    db = Database(db_url)
    await upgrade(db.engine, "0003")
    at = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
    old = {1: ("ABC", "abc"), 2: ("ＡＢＣ", "ａｂｃ"), 3: ("ＸＹ", "ｘｙ")}
    async with db.engine.begin() as conn:
        await conn.execute(
            metadata.tables["teams"].insert(),
            [
                {"id": i, "workspace": "w", "name": n, "name_key": k, "created_at": at}
                for i, (n, k) in old.items()
            ],
        )
        await conn.execute(
            metadata.tables["users"].insert(),
            {
                "id": 1,
                "workspace": "w",
                "external_id": "u1",
                "display_name": "Ｂｏｂ",
                "name_key": "ｂｏｂ",
                "created_at": at,
            },
        )
    await upgrade(db.engine)
    store = sql_stores(db)
    xy = await store.teams.find_team("w", "xy")
    assert xy is not None and xy.id == 3
    abc = await store.teams.find_team("w", "ＡＢＣ")
    assert abc is not None and abc.id == 1  # the team that held the key keeps it
    bob = await store.users.find_user("w", "bob")
    assert bob is not None and bob.id == 1
    await db.dispose()


def test_deck_aliases_resolve_and_clashing_ones_are_reported(tmp_path: Path) -> None:
    deck = (FIXTURE_CONTENT / "sample-ml.toml").read_text(encoding="utf-8")
    head = '[deck]\ntopic = "sample-ml"\ntitle = "Sample ML"\n'
    assert deck.startswith(head)
    (tmp_path / "sample-ml.toml").write_text(
        deck.replace(head, head + 'aliases = ["ml-basics", "Bad Alias"]\n'), encoding="utf-8"
    )
    stats = (FIXTURE_CONTENT / "sample-stats.toml").read_text(encoding="utf-8")
    (tmp_path / "sample-stats.toml").write_text(
        stats.replace('title = "Sample statistics"\n', 'title = "S"\naliases = ["ml-basics"]\n'),
        encoding="utf-8",
    )
    bank, problems = load_bank(tmp_path)
    assert sorted(str(p) for p in problems) == [
        "sample-ml.toml: deck: aliases: 'Bad Alias' must be a lower-case slug like 'cv'",
        "sample-stats.toml: deck: aliases: 'ml-basics' is taken by sample-ml.toml",
    ]
    ctx = Context(stores=None, bank=bank, clock=ManualClock(), rng=SeededRng(1))  # type: ignore[arg-type]
    assert ctx.resolve_topic("ML-Basics") == "sample-ml"
    real, _ = load_bank(ROOT / "content")
    ctx = Context(stores=None, bank=real, clock=ManualClock(), rng=SeededRng(1))  # type: ignore[arg-type]
    assert [ctx.resolve_topic(w) for w in ("stats", "cv", "dl")] == [
        "statistics-probability",
        "computer-vision",
        "deep-learning",
    ]
    assert ctx.topic_guesses("algo") == ["classical-algorithms", "coding-algorithms"]
    assert ctx.topic_guesses("kmeans") == ["unsupervised-dim-reduction"]


def test_a_topic_typed_as_its_title_in_several_words_resolves() -> None:
    # `quiz deep learning` was refused as two topics; people type the title as shown by
    # `topics`, with spaces, in any case.
    real, _ = load_bank(ROOT / "content")
    ctx = Context(stores=None, bank=real, clock=ManualClock(), rng=SeededRng(1))  # type: ignore[arg-type]
    typed = {
        "deep learning": "deep-learning",
        "Computer  Vision": "computer-vision",
        "transformers and llms": "transformers-llm",
        "machine learning fundamentals": "ml-fundamentals",
        "statistics probability": "statistics-probability",
        "ml design": "ml-design-patterns",
    }
    assert {w: ctx.resolve_topic(w) for w in typed} == typed
    with pytest.raises(UserError) as two:
        ctx.resolve_topic("nlp cv")
    assert str(two.value) == "Pick one topic, not both 'nlp' and 'cv' (or `all`)."
    with pytest.raises(UserError) as unknown:
        ctx.resolve_topic("statistics stuff")
    assert str(unknown.value).startswith(
        "Unknown topic 'statistics stuff'. Did you mean statistics-probability"
    )


async def test_quiz_review_and_interview_take_a_topic_in_several_words(app: App) -> None:
    card = (await say(app, BOB, "quiz sample ml 1"))[-1]
    assert isinstance(card, QuestionCard) and card.question_id.startswith("sm-")
    await say(app, BOB, "quiz stop")
    assert errors(await say(app, BOB, "quiz sample-ml sample-stats"))[0].startswith(
        "Pick one topic, not both 'sample-ml' and 'sample-stats'"
    )


async def test_a_long_quiz_answer_is_shown_back_clipped(app: App) -> None:
    for _ in range(5):
        card = (await say(app, BOB, "quiz sample-ml easy 1"))[-1]
        assert isinstance(card, QuestionCard)
        if card.question_id == "sm-dropout":
            break
        await say(app, BOB, "quiz stop")
    feedback = one(await say(app, BOB, "answer " + "w" * 5000), AnswerFeedback)
    assert not feedback.correct and len(feedback.given) == m.ANSWER_ECHO_MAX


async def test_a_bare_letter_answers_the_waiting_quiz_question(app: App) -> None:
    # Typed alone ("b", "B)", "c.") a letter is the answer to the quiz or review question
    # waiting; a mistyped command is never graded as an answer, and without a question
    # waiting a letter is an unknown command as before.
    assert errors(await say(app, BOB, "B"))[0].startswith("Unknown command 'B'")
    [card] = await say(app, BOB, "quiz sample-stats easy 1")
    assert isinstance(card, QuestionCard) and card.question_id == "ss-median"
    [typo] = errors(await say(app, BOB, "leaderbord"))
    assert typo.startswith("Unknown command 'leaderbord'")
    letter = correct_text(app, card)  # the letter shown for "Median"
    replies = await say(app, BOB, f" {letter.lower()}) ")
    feedback = one(replies, AnswerFeedback)
    assert feedback.correct and feedback.question_id == "ss-median"
    # A question without options is never answered by a stray letter.
    [card] = await say(app, BOB, "quiz sample-stats hard 1")
    assert isinstance(card, QuestionCard) and not card.options
    assert errors(await say(app, BOB, "b"))[0].startswith("Unknown command 'b'")


async def test_a_stray_word_while_a_question_waits_says_how_to_answer_it(app: App) -> None:
    # Never graded (it may be a mistyped command), but the reply names what waits and how
    # to answer it: the letter for a question with options, `answer ...` for the others, the
    # three ratings once a flashcard's model answer is shown.
    def refusal(how: str) -> list[str]:
        return [
            f"Unknown command 'hello'. To answer your quiz question, send {how}; "
            "`quiz stop` ends the quiz."
        ]

    letter, typed = "the option's letter (`answer b`, or just b)", "`answer YOUR ANSWER`"
    how = {"mcq": letter, "true_false": "`answer true` or `answer false`"}
    rating = "`answer got it`, `answer partly` or `answer missed`"
    replies = await say(app, BOB, "quiz sample-stats 5")
    kinds = []
    while cards := [r for r in replies if isinstance(r, QuestionCard)]:
        kind = app.bank.by_id[cards[0].question_id].type.value
        kinds.append(kind)
        assert errors(await say(app, BOB, "hello there")) == refusal(how.get(kind, typed))
        replies = await say(app, BOB, f"answer {correct_text(app, cards[0])}")
        if kind == "open":  # the model answer is shown; the self-rating waits
            assert errors(await say(app, BOB, "hello there")) == refusal(rating)
            replies = await say(app, BOB, "answer got it")
    assert sorted(kinds) == ["mcq", "numeric", "open", "short", "true_false"]
    # Nothing waits: the plain unknown-command reply.
    assert errors(await say(app, BOB, "hello")) == [
        "Unknown command 'hello'. Send `help` for the list."
    ]


# -- a daily answer in the wrong shape, and the same answer once the round is over -----------


async def test_a_lone_letter_on_a_short_daily_question_is_refused_not_spent(
    app: App, clock: ManualClock
) -> None:
    # The card asks for a term; `answer B` (as if there were options) or a lone article
    # would lock a wasted answer in: refused with how to answer, and nothing is stored.
    round_id = await open_round(app, clock, "ss-ransac")
    words = render_refs(m.INVALID_ANSWER["words"])
    for given in ("B", "a", "The"):
        assert errors(await say(app, BOB, f"answer {given}")) == [words]
    assert await app.stores.answers.round_answers(round_id) == []
    assert "locked in" in await text(app, BOB, "answer random sample consensus")
    reveal = await daily.close_daily_round(app.ctx, round_id, clock.now())
    assert reveal is not None and reveal.winners == ("Bob",)


async def test_the_same_daily_answer_after_the_reveal_says_the_round_is_over(
    app: App, clock: ManualClock
) -> None:
    # Typed again after the close (or a delivery replayed then), the answer that stands is
    # confirmed without promising a reveal that already happened; another one is refused.
    round_id = await open_round(app, clock)
    await say(app, BOB, "answer true")
    assert await daily.close_daily_round(app.ctx, round_id, clock.now()) is not None
    again = await say(app, BOB, "answer true")
    assert [r.text for r in again if isinstance(r, Notice)] == [
        render_refs(m.DAILY_LOCKED_BEFORE_CLOSE.format(given="true"))
    ]
    assert "reveal" not in again[0].text  # type: ignore[union-attr]
    assert errors(await say(app, BOB, "answer false")) == [render_refs(m.NOTHING_TO_ANSWER)]
    [bob] = await app.stores.answers.round_answers(round_id)
    assert bob.correct and bob.given == "true"
