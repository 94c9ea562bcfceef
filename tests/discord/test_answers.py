"""Answering on a simulated Discord: buttons, the answer modal, flashcards, restarts, failures."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from simcord import ResponseMessage

from adapters.discord.client import StudyBotClient
from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.storage.tables import answers
from tests.discord.conftest import World, make_client
from tests.discord.helpers import (
    EPHEMERAL_DEFER,
    all_text,
    answer_button,
    buttons,
    deferrals,
    labels,
    on_discord,
    post_daily,
    question_of,
    right_text,
    sent,
    text_of,
    texts,
    with_buttons,
)


async def answer_count(app: App) -> int:
    async with app.db.engine.connect() as conn:
        return int(
            (await conn.execute(sa.select(sa.func.count()).select_from(answers))).scalar_one()
        )


async def test_daily_mcq_answer_by_button_is_acknowledged_privately(
    world: World, app: App, clock: ManualClock, simcord_bot: StudyBotClient
) -> None:
    card = await post_daily(world, app, clock, simcord_bot)
    assert len(buttons(card)) == 4  # ss-median: four options, one row
    before = len(deferrals(world.env))
    result = await world.alice.click(card, custom_id=answer_button(app, card))
    # One write with its inbox row, then the reply is the interaction's response (type 4,
    # ephemeral): one callback, no defer, no follow-up.
    [callback] = deferrals(world.env)[before:]
    assert (callback["type"], callback["data"]["flags"]) == (4, 64)
    assert result.response is not None and not result.followups
    assert texts(result) == [m.DAILY_LOCKED.format(closes="17:00 UTC")]
    assert result.ephemeral
    assert await answer_count(app) == 1


async def test_second_click_is_refused_politely_and_records_nothing(
    world: World, app: App, clock: ManualClock, simcord_bot: StudyBotClient
) -> None:
    card = await post_daily(world, app, clock, simcord_bot)
    await world.alice.click(card, custom_id=answer_button(app, card, right=False))
    again = await world.alice.click(card, custom_id=answer_button(app, card))
    [text] = texts(again)
    assert text.startswith("You already answered today's question") and again.ephemeral
    assert await answer_count(app) == 1


async def test_buttons_posted_before_a_restart_still_work(
    world: World, app: App, clock: ManualClock, simcord_bot: StudyBotClient
) -> None:
    card = await post_daily(world, app, clock, simcord_bot)
    # A new client instance on the same database: no view or state carried over.
    await world.env.restart_bot(make_client(app))
    result = await world.bob.click(card, custom_id=answer_button(app, card))
    assert texts(result) == [m.DAILY_LOCKED.format(closes="17:00 UTC")]
    assert await answer_count(app) == 1


async def test_members_answering_the_same_daily_question_by_modal_at_once(
    world: World, app: App, clock: ManualClock, simcord_bot: StudyBotClient
) -> None:
    # The busy minute after the post: both open the answer box before either submits. Both
    # modals carry the same custom_id (it names the round), and neither answer may be lost.
    card = await post_daily(world, app, clock, simcord_bot, topic="sample-ml")
    members = (world.alice, world.bob)
    opened = [await member.click(card, label=m.ANSWER_BUTTON) for member in members]
    for member, shown in zip(members, opened, strict=True):
        result = await member.submit_modal(shown, {"answer": "dropout"})
        assert texts(result) == [m.DAILY_LOCKED.format(closes="17:00 UTC")]
        assert result.ephemeral
    assert await answer_count(app) == 2


async def test_an_answer_typed_across_a_restart_still_counts(
    world: World, app: App, clock: ManualClock, simcord_bot: StudyBotClient
) -> None:
    card = await post_daily(world, app, clock, simcord_bot, topic="sample-ml")
    shown = await world.alice.click(card, label=m.ANSWER_BUTTON)
    # The bot restarts (a deploy) while Alice is still typing.
    await world.env.restart_bot(make_client(app))
    result = await world.alice.submit_modal(shown, {"answer": "dropout"})
    assert texts(result) == [m.DAILY_LOCKED.format(closes="17:00 UTC")]
    assert await answer_count(app) == 1


async def test_quiz_mcq_by_button_then_next_question_in_the_follow_up(
    world: World, app: App
) -> None:
    started = await world.alice.slash(
        world.channel, "quiz", topic="sample-stats", difficulty="medium", count=2
    )
    first = with_buttons(started)
    # Answer whatever the first card is: true/false by button, numeric by the modal.
    if labels(first) == ["True", "False"]:
        result = await world.alice.click(first, custom_id=answer_button(app, first))
    else:
        shown = await world.alice.click(first, label="Answer")
        result = await world.alice.submit_modal(shown, {"answer": right_text(app, first)})
    assert all(message.ephemeral for message in sent(result))
    assert "Correct" in all_text(result) and "Question 2/2" in all_text(result)
    second = with_buttons(result)
    assert second.ephemeral and second.id != first.id


async def test_quiz_mcq_option_buttons(world: World, app: App) -> None:
    started = await world.alice.slash(
        world.channel, "quiz", topic="sample-ml", difficulty="hard", count=1
    )
    card = with_buttons(started)
    assert [label[:2] for label in labels(card)] == ["A.", "B.", "C."]
    result = await world.alice.click(card, custom_id=answer_button(app, card, right=False))
    feedback = all_text(result)
    assert "Not quite" in feedback and "ReLU" in feedback and "Quiz complete!" in feedback


async def test_short_answer_by_modal(world: World, app: App) -> None:
    started = await world.alice.slash(
        world.channel, "quiz", topic="sample-ml", difficulty="easy", count=1
    )
    card = with_buttons(started)
    shown = await world.alice.click(card, label=m.ANSWER_BUTTON)
    assert shown.modal is not None and shown.modal["title"] == m.MODAL_TITLE
    result = await world.alice.submit_modal(shown, {"answer": "Dropout"})
    assert deferrals(world.env)[-1] == EPHEMERAL_DEFER
    assert "Correct" in all_text(result) and "Quiz complete!" in all_text(result)
    assert all(message.ephemeral for message in sent(result))


async def test_open_item_flashcard_and_self_rating(world: World, app: App) -> None:
    started = await world.alice.slash(
        world.channel, "quiz", topic="sample-stats", difficulty="hard", count=2
    )
    # Two hard sample-stats items: a short answer and an open one, in either order.
    card: ResponseMessage = with_buttons(started)
    for _ in range(2):
        shown = await world.alice.click(card, label=m.ANSWER_BUTTON)
        result = await world.alice.submit_modal(shown, {"answer": "RANSAC, I think"})
        if m.MODEL_ANSWER in all_text(result):
            flashcard = with_buttons(result)
            assert labels(flashcard) == ["Got it", "Partly", "Missed"]
            rated = await world.alice.click(flashcard, label="Got it")
            assert "Noted: got it." in all_text(rated)
            return
        card = with_buttons(result)
    raise AssertionError("the open question never came up")


async def test_a_stale_quiz_button_is_refused(world: World, app: App) -> None:
    started = await world.alice.slash(
        world.channel, "quiz", topic="sample-ml", difficulty="hard", count=1
    )
    card = with_buttons(started)
    first = await world.alice.click(card, custom_id=answer_button(app, card))
    # A different answer to the answered question: the button is stale.
    stale = await world.alice.click(card, custom_id=answer_button(app, card, right=False))
    assert texts(stale) == [m.QUIZ_STALE] and stale.ephemeral
    # The same answer again (its reply lost, or a replay) is shown the result it got, once
    # more: nothing is counted twice.
    again = await world.alice.click(card, custom_id=answer_button(app, card))
    assert texts(again) == texts(first) and again.ephemeral


async def test_a_failing_handler_tells_the_user_and_logs(
    world: World, app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    started = await world.alice.slash(
        world.channel, "quiz", topic="sample-ml", difficulty="hard", count=1
    )
    card = with_buttons(started)

    async def broken(*args: object) -> list[object]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.dispatcher, "process", broken)
    with caplog.at_level(logging.ERROR, logger="adapters.discord.response"):
        result = await world.alice.click(card, custom_id=answer_button(app, card))
    assert texts(result) == [m.INTERNAL_ERROR] and result.ephemeral
    [record] = [r for r in caplog.records if r.name == "adapters.discord.response"]
    assert "failed for user" in record.getMessage() and record.exc_info is not None
    assert str(world.alice.id) in record.getMessage()


async def test_a_failing_command_tells_the_user_and_logs(
    world: World, app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object) -> list[object]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.dispatcher, "process", broken)
    with caplog.at_level(logging.ERROR, logger="adapters.discord.response"):
        result = await world.alice.slash(world.channel, "topics")
    assert texts(result) == [m.INTERNAL_ERROR] and result.ephemeral
    assert any("/topics failed" in r.getMessage() for r in caplog.records)
    # The tree's error handler saw it too (SimCord records it; acknowledge it here).
    assert any("database on fire" in str(getattr(e, "original", e)) for e in world.env.errors)


async def test_a_failing_modal_submit_tells_the_user_and_logs(
    world: World, app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    started = await world.alice.slash(
        world.channel, "quiz", topic="sample-ml", difficulty="easy", count=1
    )
    shown = await world.alice.click(with_buttons(started), label=m.ANSWER_BUTTON)

    async def broken(*args: object) -> list[object]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.dispatcher, "process", broken)
    with caplog.at_level(logging.ERROR, logger="adapters.discord.response"):
        result = await world.alice.submit_modal(shown, {"answer": "dropout"})
    assert texts(result) == [m.INTERNAL_ERROR] and result.ephemeral
    [record] = [r for r in caplog.records if "modal sb:q:" in r.getMessage()]
    assert record.exc_info is not None and "database on fire" in str(record.exc_info[1])


async def test_daily_command_shows_the_open_question_then_your_answer(
    world: World, app: App, clock: ManualClock, simcord_bot: StudyBotClient
) -> None:
    await post_daily(world, app, clock, simcord_bot)
    shown = await world.bob.slash(world.channel, "daily")
    card = with_buttons(shown)
    assert card.ephemeral and "Daily question" in all_text(shown)
    # The private copy's buttons answer the same round.
    await world.bob.click(card, custom_id=answer_button(app, card))
    status = await world.bob.slash(world.channel, "daily")
    assert texts(status)[0].startswith("You answered:")


async def test_leaderboard_lists_players_by_name(world: World, app: App) -> None:
    started = await world.alice.slash(
        world.channel, "quiz", topic="sample-ml", difficulty="hard", count=1
    )
    card = with_buttons(started)
    await world.alice.click(card, custom_id=answer_button(app, card))
    board = await world.bob.slash(world.channel, "leaderboard")
    assert not board.ephemeral
    message, standing = sent(board)
    assert message.embeds[0].title is not None and "Leaderboard · users" in message.embeds[0].title
    assert "1. Alice · 15 pts" in all_text(board)
    assert message.message.mentions == []
    assert standing.ephemeral and m.BOARD_NOT_ON in text_of(standing)


async def test_an_interview_answered_in_a_paragraph_modal(world: World, app: App) -> None:
    started = await world.alice.slash(world.channel, "interview", topic="sample-stats")
    card = with_buttons(started)
    assert m.INTERVIEW_CARD_HINT in all_text(started)
    shown = await world.alice.click(card, label=m.ANSWER_BUTTON)
    assert shown.modal is not None
    [field] = [c for row in shown.modal["components"] for c in row["components"]]
    assert field["style"] == 2 and field["max_length"] == 4000  # paragraph, Discord's limit
    answer = (
        "The expected error decomposition splits it into bias squared, variance and noise. "
        "Bias comes from wrong assumptions in a model that is too simple. "
        "Variance comes from sensitivity to the particular sample the model was trained on."
    )
    result = await world.alice.submit_modal(shown, {"answer": answer})
    text = all_text(result)
    assert "3/3 key points" in text and "Model answer" in text and "Interview done" in text
    assert all(message.ephemeral for message in sent(result))


async def test_a_lost_quiz_card_comes_back_with_working_buttons(world: World, app: App) -> None:
    started = await world.alice.slash(
        world.channel, "quiz", topic="sample-ml", difficulty="hard", count=1
    )
    first = with_buttons(started)
    # Ephemeral cards are gone after a reload: `/quiz` shows the running question again.
    again = await world.alice.slash(world.channel, "quiz")
    assert all(message.ephemeral for message in sent(again))
    lead = on_discord(
        m.RUNNING_RESHOWN.format(kind="quiz", position=1, total=1, stop=m.STOP_REF["quiz"])
    )
    assert lead in all_text(again) and "`/quiz topic:stop`" in lead
    card = with_buttons(again)
    assert card.id != first.id and question_of(app, card) == question_of(app, first)
    assert buttons(card) == buttons(first)  # the same shuffled options, quiz and question ids
    other = await world.alice.slash(world.channel, "quiz", topic="sample-stats")
    assert m.NOT_STARTED.format(kind="quiz") in all_text(other)
    assert buttons(with_buttons(other)) == buttons(first)
    result = await world.alice.click(card, custom_id=answer_button(app, card))
    assert "Correct" in all_text(result) and "Quiz complete!" in all_text(result)
    # The first card's buttons belonged to the same question, now answered.
    stale = await world.alice.click(first, custom_id=answer_button(app, first, right=False))
    assert texts(stale) == [m.QUIZ_STALE]
