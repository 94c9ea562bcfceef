"""Service behaviour through the dispatcher, on a real SQLite database."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import sqlalchemy as sa

from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.commandref import render_refs
from bot.commands import SubmitAnswer
from bot.identity import Platform
from bot.plaintext import render
from bot.replies import (
    AnswerFeedback,
    Flashcard,
    LeaderboardView,
    Notice,
    QuestionCard,
    QuizSummary,
    StatsView,
    TableView,
    Tone,
    Visibility,
)
from bot.storage.tables import answers, memberships, quizzes, teams
from bot.usecases import daily
from tests.conftest import origin
from tests.helpers import correct_text, errors, say, text, wrong_text

ADMIN = origin("Ada", admin=True)
BOB = origin("Bob")
CY = origin("Cy")


async def test_help_lists_every_catalog_command(app: App) -> None:
    out = await text(app, BOB, "help")
    for name in (
        "help",
        "topics",
        "quiz",
        "daily",
        "answer",
        "leaderboard",
        "stats",
        "team",
        "config",
        "forgetme",
    ):
        assert name in out


async def test_unknown_command_suggests_closest(app: App) -> None:
    replies = await say(app, BOB, "/quizz statistics")
    assert errors(replies) == [
        "Unknown command 'quizz'. Did you mean `quiz`? Send `help` for the list."
    ]


async def test_unknown_topic_suggests(app: App) -> None:
    [msg] = errors(await say(app, BOB, "quiz sample-stast 2"))
    assert "Unknown topic 'sample-stast'" in msg and "sample-stats" in msg


async def test_topic_by_unique_part(app: App) -> None:
    replies = await say(app, BOB, "quiz ml 1")
    card = replies[-1]
    assert isinstance(card, QuestionCard) and card.topic == "sample-ml"


async def test_quiz_runs_to_summary_with_feedback(app: App) -> None:
    replies = await say(app, BOB, "quiz sample-ml 3")
    card = replies[-1]
    assert isinstance(card, QuestionCard) and (card.position, card.total) == (1, 3)
    seen = {card.question_id}
    replies = await say(app, BOB, f"answer {correct_text(app, card)}")
    feedback = replies[0]
    assert isinstance(feedback, AnswerFeedback) and feedback.correct and feedback.points > 0
    assert feedback.explanation == app.bank.by_id[card.question_id].explanation
    card = replies[-1]
    assert isinstance(card, QuestionCard) and card.position == 2
    seen.add(card.question_id)
    replies = await say(app, BOB, f"answer {wrong_text(app, card)}")
    assert isinstance(replies[0], AnswerFeedback) and not replies[0].correct
    card = replies[-1]
    assert isinstance(card, QuestionCard)
    seen.add(card.question_id)
    assert len(seen) == 3  # no repeats inside a quiz
    replies = await say(app, BOB, f"answer {correct_text(app, card)}")
    summary = replies[-1]
    assert isinstance(summary, QuizSummary)
    assert (summary.answered, summary.correct, summary.total) == (3, 2, 3)


async def test_invalid_answer_shape_records_nothing(app: App) -> None:
    await say(app, BOB, "quiz sample-ml 3 hard")  # the only hard sample-ml item is an MCQ
    [msg] = errors(await say(app, BOB, "answer Z"))
    assert msg == "Answer with a letter (A, B, C) or the option's text."
    async with app.db.read() as conn:
        assert (
            await conn.execute(sa.select(sa.func.count()).select_from(quizzes))
        ).scalar_one() == 1
        quiz = (await conn.execute(sa.select(quizzes))).one()
    assert quiz.position == 0


async def test_quiz_while_one_runs_shows_its_question_again(app: App) -> None:
    replies = await say(app, BOB, "quiz sample-ml 3")
    await say(app, BOB, f"answer {wrong_text(app, replies[-1])}")
    asked = await say(app, BOB, "quiz")
    lead, card = asked
    assert isinstance(lead, Notice) and lead.tone is not Tone.ERROR
    assert render_refs(lead.text) == (
        "Your quiz is still running (question 2 of 3); here it is again. "
        "Answer it, or send `quiz stop` to end it."
    )
    # The card as first asked: same question, quiz id and shuffled options, so it answers.
    assert isinstance(card, QuestionCard) and (card.position, card.total) == (2, 3)
    again = await say(app, BOB, "quiz")
    assert again == asked
    # Other arguments start nothing: the running card comes back, saying so.
    other = await say(app, BOB, "quiz sample-stats 2 hard")
    assert isinstance(other[0], Notice) and other[0].text.endswith(
        "The new quiz you asked for was not started."
    )
    assert other[1] == card
    # Even a topic that does not exist: nothing is started, so nothing is refused.
    assert await say(app, BOB, "quiz no-such-topic") == other
    q = app.bank.by_id[card.question_id]
    click = (
        SubmitAnswer("", quiz_id=card.quiz_id, question_id=card.question_id, choice=q.answer)
        if q.type.value == "mcq"
        else SubmitAnswer(correct_text(app, card), quiz_id=card.quiz_id)
    )
    replies = await app.dispatcher.dispatch(click, BOB)
    assert isinstance(replies[0], AnswerFeedback) and replies[0].correct
    replies = await say(app, BOB, "quiz stop")
    assert isinstance(replies[0], QuizSummary) and replies[0].stopped
    assert (replies[0].answered, replies[0].correct) == (2, 1)
    assert errors(await say(app, BOB, "quiz stop")) == [
        "You have no quiz running. Start one with `quiz [topic] [difficulty] [count]`."
    ]


async def test_quiz_while_one_runs_on_a_question_gone_from_the_bank(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = (await say(app, BOB, "quiz sample-ml 2"))[-1]
    assert isinstance(card, QuestionCard)
    monkeypatch.delitem(app.bank.by_id, card.question_id)  # a deck edited under the quiz
    assert errors(await say(app, BOB, "quiz")) == [
        "You already have a quiz running (question 1 of 2). Answer it, or send `quiz stop` first."
    ]


async def test_quiz_while_a_flashcard_waits_shows_the_rating_again(app: App) -> None:
    for _ in range(5):
        replies = await say(app, BOB, "quiz sample-stats 1 hard")
        if replies[-1].question_id == "ss-bias-variance":  # type: ignore[union-attr]
            break
        await say(app, BOB, "quiz stop")
    await say(app, BOB, "answer bias plus variance")
    lead, flashcard, rate = await say(app, BOB, "quiz")
    assert isinstance(lead, Notice) and "here it is again" in lead.text
    assert isinstance(flashcard, Flashcard) and flashcard.question_id == "ss-bias-variance"
    assert isinstance(rate, Notice) and "rate yourself" in rate.text.lower()
    replies = await say(app, BOB, "answer got it")
    assert isinstance(replies[-1], QuizSummary) and replies[-1].rated == {"got it": 1}


async def test_interview_while_one_runs_shows_its_question_again(app: App) -> None:
    first = (await say(app, BOB, "interview sample-stats 2"))[-1]
    assert isinstance(first, QuestionCard) and first.interview
    lead, card = await say(app, BOB, "interview")
    assert isinstance(lead, Notice) and render_refs(lead.text) == (
        "Your interview is still running (question 1 of 1); here it is again. "
        "Answer it, or send `interview stop` to end it."
    )
    assert card == first
    lead, card = await say(app, BOB, "quiz sample-ml")
    assert isinstance(lead, Notice) and lead.text.startswith("Your interview is still running")
    assert lead.text.endswith("The new quiz you asked for was not started.")
    assert card == first
    await say(app, BOB, "interview stop")
    quiz_card = (await say(app, BOB, "quiz sample-ml 2"))[-1]
    lead, card = await say(app, BOB, "interview")
    assert isinstance(lead, Notice) and lead.text.startswith("Your quiz is still running")
    assert lead.text.endswith("The new interview you asked for was not started.")
    assert card == quiz_card


async def test_no_repeats_until_pool_used_up(app: App) -> None:
    seen: list[str] = []
    for _ in range(3):
        replies = await say(app, BOB, "quiz sample-ml 1")
        card = replies[-1]
        assert isinstance(card, QuestionCard)
        seen.append(card.question_id)
        await say(app, BOB, f"answer {wrong_text(app, card)}")
    assert sorted(seen) == sorted(q.id for q in app.bank.select(["sample-ml"]))
    replies = await say(app, BOB, "quiz sample-ml 1")
    assert any(isinstance(r, Notice) and "start over" in r.text for r in replies)


async def test_repeat_correct_earns_nothing(app: App) -> None:
    points = []
    for _ in range(4):
        replies = await say(app, BOB, "quiz sample-ml 1")
        card = replies[-1]
        assert isinstance(card, QuestionCard)
        if card.question_id != "sm-dropout":
            await say(app, BOB, "quiz stop")
            continue
        fb = (await say(app, BOB, "answer dropout"))[0]
        assert isinstance(fb, AnswerFeedback)
        points.append(fb.points)
    assert points[0] == 5 and all(p == 0 for p in points[1:])


async def test_quiz_daily_cap(app: App) -> None:
    app.ctx.quiz_cap = 12
    earned = []
    for _ in range(3):
        replies = await say(app, BOB, "quiz sample-stats 5")
        while isinstance(replies[-1], QuestionCard):
            card = replies[-1]
            if app.bank.by_id[card.question_id].type.value == "open":
                await say(app, BOB, "answer I think I know")
                replies = await say(app, BOB, "answer got it")
                continue
            replies = await say(app, BOB, f"answer {correct_text(app, card)}")
            earned += [r.points for r in replies if isinstance(r, AnswerFeedback)]
    assert sum(earned) == 12


async def test_open_item_is_self_rated_without_points(app: App) -> None:
    for _ in range(5):
        replies = await say(app, BOB, "quiz sample-stats 1 hard")
        card = replies[-1]
        assert isinstance(card, QuestionCard)
        if card.question_id == "ss-bias-variance":
            break
        await say(app, BOB, "quiz stop")
    replies = await say(app, BOB, "answer bias plus variance")
    assert isinstance(replies[0], Flashcard) and replies[0].key_points
    assert errors(await say(app, BOB, "answer maybe")) == [
        "For this question, rate yourself: `got it`, `partly` or `missed`."
    ]
    replies = await say(app, BOB, "answer got it")
    summary = replies[-1]
    assert isinstance(summary, QuizSummary) and summary.points == 0
    assert summary.rated == {"got it": 1}


async def test_daily_while_a_quiz_runs_says_where_answer_goes(app: App, clock: ManualClock) -> None:
    opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-variance-sum")
    assert opened is not None
    [alone] = await say(app, BOB, "daily")
    assert isinstance(alone, QuestionCard) and alone.round_id == opened[0].id
    quiz_card = (await say(app, BOB, "quiz sample-ml 2"))[-1]
    assert isinstance(quiz_card, QuestionCard)
    card, note = await say(app, BOB, "daily")
    assert card == alone
    assert isinstance(note, Notice) and render_refs(note.text).startswith(
        "While your quiz runs (question 1 of 2), `answer` goes to its question, "
        "not to this daily one"
    )
    assert "`quiz stop`" in render_refs(note.text)
    # As the note says: a typed answer goes to the quiz, the card's button to the round.
    replies = await say(app, BOB, f"answer {correct_text(app, quiz_card)}")
    assert isinstance(replies[0], AnswerFeedback)
    assert replies[0].question_id == quiz_card.question_id
    replies = await app.dispatcher.dispatch(SubmitAnswer("true", round_id=card.round_id), BOB)
    assert "locked in" in render(replies[0])
    await say(app, BOB, "quiz stop")
    await say(app, CY, "interview sample-stats 1")
    _, note = await say(app, CY, "daily")
    assert isinstance(note, Notice) and "`interview stop`" in render_refs(note.text)
    assert note.text.startswith("While your interview runs (question 1 of 1)")


async def test_daily_round_one_locked_answer_and_reveal(app: App, clock: ManualClock) -> None:
    place = ADMIN.place
    opened = await daily.open_daily_round(app.ctx, place, clock.now(), "ss-median")
    assert opened is not None
    rnd, card = opened
    assert await daily.open_daily_round(app.ctx, place, clock.now(), "ss-median") is None
    right = next(o.label for o in card.options if o.index == 1)
    wrong = next(o.label for o in card.options if o.index != 1)
    assert "locked in" in (await text(app, BOB, f"answer {right}"))
    [msg] = errors(await say(app, BOB, f"answer {wrong}"))
    assert msg.startswith("You already answered today's question")
    await say(app, CY, f"answer {wrong}")
    clock.advance(dt.timedelta(minutes=5))
    await say(app, ADMIN, f"answer {right}")
    reveal = await daily.close_daily_round(app.ctx, rnd.id, clock.now())
    assert reveal is not None
    assert (reveal.answered, reveal.correct_count) == (3, 2)
    assert reveal.winners == ("Bob", "Ada") and reveal.first_correct == "Bob"
    assert sum(s.count for s in reveal.shares) == 3
    assert await daily.close_daily_round(app.ctx, rnd.id, clock.now()) is None  # closes once
    [msg] = errors(await say(app, CY, "answer A"))
    assert msg == "You have no quiz running and this channel has no open daily question."


async def test_concurrent_answers_record_exactly_one(app: App, clock: ManualClock) -> None:
    opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-variance-sum")
    assert opened is not None
    rnd = opened[0]
    results = await asyncio.gather(
        *[
            app.dispatcher.dispatch(SubmitAnswer(v, round_id=rnd.id), BOB)
            for v in ("true", "false", "true", "false")
        ]
    )
    locked = [
        v
        for v, r in zip(("true", "false", "true", "false"), results, strict=True)
        if isinstance(r[0], Notice) and r[0].tone is Tone.SUCCESS
    ]
    # One answer stands; the same answer sent again is confirmed, the other one refused.
    [stored] = await app.stores.answers.round_answers(rnd.id)
    assert locked == [stored.given] * 2
    async with app.db.read() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(answers))).scalar_one()
    assert count == 1


async def test_the_same_answer_again_is_confirmed_and_counted_once(
    app: App, clock: ManualClock
) -> None:
    # The retry of an answer stored but never confirmed (a fault after the write, a lost
    # reply) gets the normal confirmation, not a bare "you already answered".
    rnd = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-variance-sum")
    assert rnd is not None
    cmd = SubmitAnswer("true", round_id=rnd[0].id, delivery_id="evt-1")
    first = await app.dispatcher.dispatch(cmd, BOB)
    again = await app.dispatcher.dispatch(cmd, BOB)
    assert first[0].tone is Tone.SUCCESS  # type: ignore[union-attr]
    assert again == first
    typed = await say(app, BOB, "answer true")  # the general path says the same
    assert typed == first
    [other] = errors(await say(app, BOB, "answer false"))
    assert other.startswith("You already answered today's question (true)")
    assert "reveal" in other  # what stands, and when the result comes
    assert len(await app.stores.answers.round_answers(rnd[0].id)) == 1


async def test_streak_bonus_across_rounds(app: App, clock: ManualClock) -> None:
    gained = []
    for day in range(3):
        clock.set(dt.datetime(2026, 11, 16 + day, 9, 0, tzinfo=dt.UTC))
        opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-variance-sum")
        assert opened is not None
        await say(app, BOB, "answer true")
        await daily.close_daily_round(app.ctx, opened[0].id, clock.now())
        async with app.db.read() as conn:
            gained.append(
                (
                    await conn.execute(
                        sa.select(answers.c.points).where(answers.c.round_id == opened[0].id)
                    )
                ).scalar_one()
            )
    assert gained == [20, 22, 24]
    stats = (await say(app, BOB, "stats"))[0]
    assert isinstance(stats, StatsView) and (stats.current_streak, stats.best_streak) == (3, 3)


async def test_teams_and_team_change_keeps_past_points(app: App, clock: ManualClock) -> None:
    assert errors(await say(app, BOB, "team create Owls")) == ["Only an admin can create teams."]
    assert "created" in await text(app, ADMIN, "team create Owls")
    assert "created" in await text(app, ADMIN, "team create Foxes")
    assert errors(await say(app, ADMIN, "team create owls")) == [
        "A team called Owls already exists here."
    ]
    assert "joined Owls" in await text(app, BOB, "team join owls")
    assert "joined Foxes" in await text(app, CY, "team join Foxes")
    opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-variance-sum")
    assert opened is not None
    await say(app, BOB, "answer true")
    await say(app, CY, "answer false")
    await daily.close_daily_round(app.ctx, opened[0].id, clock.now())
    assert "left Owls and joined Foxes" in await text(app, BOB, "team join Foxes")
    board, mine = await say(app, BOB, "leaderboard teams week")
    assert isinstance(board, LeaderboardView)
    by_name = {r.name: r.points for r in board.rows}
    assert by_name == {"Owls": 20}  # Foxes scored nothing: off the board, like players
    assert mine == Notice("Your team Foxes is not on this board yet.")
    listing = (await say(app, BOB, "team list"))[0]
    assert isinstance(listing, TableView)
    assert dict(listing.rows) == {"Foxes": "Bob, Cy", "Owls": "(no members yet)"}
    [msg] = errors(await say(app, BOB, "team join Otters"))
    assert msg.startswith("There is no team called Otters.")


async def test_a_board_of_many_teams_shows_ten_and_tells_the_rest_privately(
    app: App, clock: ManualClock
) -> None:
    # Twelve teams of one player each, every player right once: ten teams on the public
    # board; a player of the other two hears their own team's place privately.
    for k in range(1, 13):
        await say(app, ADMIN, f"team create T{k:02d}")
        await say(app, origin(f"P{k}"), f"team join T{k:02d}")
    opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-variance-sum")
    assert opened is not None
    for k in range(1, 13):
        await say(app, origin(f"P{k}"), "answer true")
    await daily.close_daily_round(app.ctx, opened[0].id, clock.now())
    board, _ = await say(app, origin("P1"), "leaderboard teams")
    assert isinstance(board, LeaderboardView) and len(board.rows) == 10
    shown = {r.name for r in board.rows}
    missing = [f"T{k:02d}" for k in range(1, 13) if f"T{k:02d}" not in shown]
    assert len(missing) == 2
    outsider = origin(f"P{int(missing[0][1:])}")
    _, theirs = await say(app, outsider, "leaderboard teams")
    assert isinstance(theirs, Notice) and theirs.text.startswith(
        f"Your team {missing[0]} on this board: #"
    )


async def test_team_board_ranks_by_points_per_active_member(app: App, clock: ManualClock) -> None:
    await say(app, ADMIN, "team create Big")
    await say(app, ADMIN, "team create Small")
    names = ["P1", "P2", "P3"]
    for n in names:
        await say(app, origin(n), "team join Big")
    await say(app, origin("S1"), "team join Small")
    opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-variance-sum")
    assert opened is not None
    for n in names[:2]:
        await say(app, origin(n), "answer true")
    await say(app, origin("P3"), "answer false")
    await say(app, origin("S1"), "answer true")
    await daily.close_daily_round(app.ctx, opened[0].id, clock.now())
    board, mine = await say(app, BOB, "leaderboard teams")
    assert isinstance(board, LeaderboardView)
    assert [(r.name, r.points) for r in board.rows] == [("Small", 20), ("Big", 40)]
    assert isinstance(mine, Notice) and render_refs(mine.text) == (
        "You are not in a team; `team list` shows them and `team join NAME` joins one."
    )
    _, mine = await say(app, origin("P3"), "leaderboard teams")
    assert mine == Notice(
        "Your team Big on this board: #2, 40 pts, "
        "13.3 per active member, 3 active, 3 on the team now."
    )


async def test_totals_match_recount_of_raw_answers(app: App, clock: ManualClock) -> None:
    await say(app, ADMIN, "team create Owls")
    await say(app, BOB, "team join Owls")
    for day in range(2):
        clock.set(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC) + dt.timedelta(days=day))
        opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), None)
        assert opened is not None
        for who in (BOB, CY):
            await say(app, who, f"answer {correct_text(app, opened[1])}")
        await daily.close_daily_round(app.ctx, opened[0].id, clock.now())
        replies = await say(app, BOB, "quiz sample-ml 2")
        while isinstance(replies[-1], QuestionCard):
            replies = await say(app, BOB, f"answer {correct_text(app, replies[-1])}")
    workspace = BOB.place.workspace_key
    assert await app.stores.boards.stored_totals(workspace) == await app.stores.boards.recount(
        workspace
    )
    assert {k[0] for k in await app.stores.boards.recount(workspace)} >= {
        "all",
        "2026-11",
        "2026-12",
    }


async def test_leaderboard_marks_nobody_and_tells_the_asker_privately(
    app: App, clock: ManualClock
) -> None:
    opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-variance-sum")
    assert opened is not None
    await say(app, BOB, "answer true")
    await say(app, CY, "answer true")
    await daily.close_daily_round(app.ctx, opened[0].id, clock.now())
    board, mine = await say(app, CY, "leaderboard users all")
    # The board is public and marks nobody; the asker's standing is a private reply.
    assert isinstance(board, LeaderboardView) and board.visibility is Visibility.PUBLIC
    assert [(r.rank, r.name) for r in board.rows] == [(1, "Bob"), (2, "Cy")]
    assert "you" not in render(board).lower() and "←" not in render(board)
    assert isinstance(mine, Notice) and mine.visibility is Visibility.PRIVATE
    assert mine.text == "Your standing on this board: #2, 20 pts, 1 correct."
    _, outside = await say(app, origin("Dee"), "leaderboard users all")
    assert isinstance(outside, Notice) and outside.visibility is Visibility.PRIVATE
    assert outside.text.startswith("You are not on this board yet")
    [msg] = errors(await say(app, CY, "leaderboard yearly"))
    assert msg.startswith("'yearly' is not a leaderboard option")


async def test_stats_per_topic_and_unknown_user(app: App, clock: ManualClock) -> None:
    await say(app, BOB, "quiz sample-ml 1")
    quiz_card = await say(app, BOB, "daily")
    [no_daily] = errors(quiz_card)
    assert no_daily == m.CONFIG_NOT_ENABLED.replace("⟦config channel⟧", "`config channel`")
    stats = (await say(app, CY, "stats Bob"))[0]
    assert isinstance(stats, StatsView) and stats.name == "Bob"
    assert errors(await say(app, CY, "stats Nobody")) == [
        "Nobody called 'Nobody' has played here yet."
    ]


async def test_config_admin_only_and_validation(app: App) -> None:
    assert errors(await say(app, BOB, "config time 10:00")) == [
        "Only an admin can change the channel settings."
    ]
    assert "is not a time" in errors(await say(app, ADMIN, "config time 9h"))[0]
    assert "not a valid time of day" in errors(await say(app, ADMIN, "config time 24:30"))[0]
    [msg] = errors(await say(app, ADMIN, "config timezone Europe/Berln"))
    assert "Unknown time zone 'Europe/Berln'" in msg and "Europe/Berlin" in msg
    [msg] = errors(await say(app, ADMIN, "config close 08:00"))
    assert msg == "The close time 08:00 must be later than the post time 09:00 on the same day."
    assert "mon, tue" in errors(await say(app, ADMIN, "config days mon,funday"))[0]
    assert errors(await say(app, ADMIN, "config topics nosuch")) == [
        "Unknown topic 'nosuch'. Send `topics` for the list."
    ]
    out = await text(app, ADMIN, "config channel")
    assert "Daily questions will be posted in this channel" in out
    assert "daily question: on, next question Mon 2026-11-16 09:00 UTC" in out
    out = await text(app, ADMIN, "config timezone europe/berlin")
    # 09:00 in Berlin is 08:00 UTC, which is now: today's post is due, and goes out at once.
    late = "today's question (due 09:00) goes out now, open until 17:00"
    assert f"Updated: time zone Europe/Berlin; {late}." in out
    assert f"daily question: on, {late}" in await text(app, ADMIN, "config show")
    out = await text(app, ADMIN, "config days tue,wed,fri")
    assert "Updated: days tue,wed,fri; next question Tue 2026-11-17 09:00 CET." in out
    out = await text(app, ADMIN, "config weekly thu 16:30")
    assert "Updated: weekly tally Thu 16:30." in out
    shown = await text(app, ADMIN, "config show")
    assert "days: tue,wed,fri" in shown and "weekly tally: Thu 16:30" in shown
    assert "paused" in await text(app, ADMIN, "config pause")
    channel = await app.stores.channels.get_channel(ADMIN.place.workspace_key, "general")
    assert channel is not None and channel.schedule.paused and channel.enabled


async def test_forgetme_needs_confirm_and_removes_everything(app: App, clock: ManualClock) -> None:
    await say(app, ADMIN, "team create Owls")
    await say(app, BOB, "team join Owls")
    opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-variance-sum")
    assert opened is not None
    await say(app, BOB, "answer true")
    await daily.close_daily_round(app.ctx, opened[0].id, clock.now())
    assert "forgetme confirm" in await text(app, BOB, "forgetme")
    assert errors(await say(app, BOB, "forgetme please")) == [
        "To delete your data, send exactly `forgetme confirm`."
    ]
    assert "deleted" in await text(app, BOB, "forgetme confirm")
    workspace = BOB.place.workspace_key
    assert await app.stores.boards.stored_totals(workspace) == {
        k: 0 for k in await app.stores.boards.stored_totals(workspace)
    }
    async with app.db.read() as conn:
        assert (
            await conn.execute(sa.select(sa.func.count()).select_from(memberships))
        ).scalar_one() == 0
        assert (
            await conn.execute(sa.select(sa.func.count()).select_from(answers))
        ).scalar_one() == 0
        assert (await conn.execute(sa.select(sa.func.count()).select_from(teams))).scalar_one() == 1


async def test_internal_error_becomes_private_notice(app: App, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def boom(*args: object) -> None:
        raise RuntimeError("db down")

    monkeypatch.setitem(
        app.dispatcher.handlers, type(__import__("bot.commands").commands.ShowTopics()), boom
    )
    replies = await say(app, BOB, "topics")
    # Honest whatever failed: no claim that nothing was recorded.
    assert errors(replies) == [m.INTERNAL_ERROR]
    assert "nothing was recorded" not in m.INTERNAL_ERROR and "try again" in m.INTERNAL_ERROR


async def test_workspaces_are_isolated(app: App) -> None:
    await say(app, ADMIN, "team create Owls")
    other = origin("Bob", workspace="other", platform=Platform.SLACK)
    assert errors(await say(app, other, "team join Owls"))[0].startswith(
        "There is no team called Owls."
    )


async def test_button_choice_is_graded_by_original_index(app: App, clock: ManualClock) -> None:
    opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now(), "ss-median")
    assert opened is not None
    rnd = opened[0]
    # ss-median's key is option 1 in the deck, whatever order the card shows it in.
    done = await app.dispatcher.dispatch(SubmitAnswer("", round_id=rnd.id, choice=1), BOB)
    assert done[0].tone is Tone.SUCCESS  # type: ignore[union-attr]
    [stale] = errors(await app.dispatcher.dispatch(SubmitAnswer("", round_id=rnd.id, choice=9), CY))
    assert stale == "That button does not match this question any more; ask for it again."
    reveal = await daily.close_daily_round(app.ctx, rnd.id, clock.now())
    assert reveal is not None and (reveal.answered, reveal.correct_count) == (1, 1)
    assert reveal.winners == ("Bob",)


async def test_daily_without_a_round_says_why_and_when_the_next_comes(
    app: App, clock: ManualClock
) -> None:
    [msg] = errors(await say(app, BOB, "daily"))
    assert msg == (
        "This channel has no daily question yet. An admin can enable it with `config channel`."
    )
    await say(app, ADMIN, "config channel")
    [msg] = errors(await say(app, BOB, "daily"))
    assert msg.endswith("the next one is posted Mon 2026-11-16 09:00 UTC.")
    # After today's close the next post is the next posting day's, in the channel's zone.
    clock.advance(dt.timedelta(hours=10))
    await say(app, ADMIN, "config days tue,thu")
    await say(app, ADMIN, "config timezone America/New_York")
    [msg] = errors(await say(app, BOB, "daily"))
    assert msg.endswith("the next one is posted Tue 2026-11-17 09:00 EST.")
    assert "paused" in await text(app, ADMIN, "config pause")
    assert "next question" not in await text(app, ADMIN, "config show")
    [msg] = errors(await say(app, BOB, "daily"))
    assert msg == (
        "The daily question is paused in this channel; an admin restarts it with `config resume`."
    )
    resumed = await text(app, ADMIN, "config resume")
    assert resumed.endswith("running again; the next one is posted Tue 2026-11-17 09:00 EST.")
