"""`question void | rekey | retire` and `audit list`: refusals, messages, notes and rotation."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from bot import messages as m
from bot.bootstrap import App, ManualClock
from bot.identity import Platform
from bot.plaintext import render
from bot.questions import QuestionType
from bot.replies import Notice, QuestionCard, RoundReveal, TableView, Tone
from bot.storage import rescore_totals
from bot.storage.audit_tables import audit_log, private_notes
from bot.storage.board_keys import board_totals as bt
from bot.storage.tables import (
    answers,
    point_events,
    rounds,
    score_bands,
    score_counts,
    tie_blocks,
    user_stats,
)
from bot.usecases import daily
from bot.usecases.rescore import note_template, render_note
from tests.conftest import origin
from tests.helpers import correct_text, errors, say, wrong_text
from tests.test_review import _quiz_miss
from tests.test_scheduler import RecordingPublisher

ADMIN = origin("Ada", admin=True)
BOB = origin("Bob")
CY = origin("Cy")
DEE = origin("Dee")


def oks(replies: list) -> list[str]:  # type: ignore[type-arg]
    return [r.text for r in replies if isinstance(r, Notice) and r.tone is Tone.SUCCESS]


async def played(
    app: App, clock: ManualClock, qid: str, answers: dict[str, str]
) -> tuple[int, QuestionCard, RoundReveal]:
    """A round of `qid` in #general: each named player answers `right` or `wrong`; closed."""
    clock.advance(dt.timedelta(days=1))
    opened = await daily.open_daily_round(app.ctx, BOB.place, clock.now(), qid)
    assert opened is not None
    rnd, card = opened
    for who, how in answers.items():
        text = correct_text(app, card) if how == "right" else wrong_text(app, card)
        assert oks(await say(app, origin(who), f"answer {text}"))
    clock.advance(dt.timedelta(minutes=5))
    await app.stores.answers.flush()
    reveal = await daily.close_daily_round(app.ctx, rnd.id, clock.now())
    assert reveal is not None
    return rnd.id, card, reveal


async def points(app: App, name: str) -> int:
    user = await app.stores.users.find_user(BOB.place.workspace_key, name)
    assert user is not None
    entry = await app.stores.boards.user_rank(BOB.place.workspace_key, "all", user.id)
    return entry.points if entry else 0


async def test_only_admins_rescore_and_read_the_audit(app: App, clock: ManualClock) -> None:
    round_id, _, _ = await played(app, clock, "ss-median", {"Bob": "right"})
    for line, what in (
        (f"question void {round_id}", "void a round"),
        (f"question rekey {round_id} A", "rekey a round"),
        ("question retire ss-median", "retire a question"),
        ("audit list", "read the audit trail"),
    ):
        assert errors(await say(app, BOB, line)) == [f"Only an admin can {what}."]
    assert await points(app, "Bob") == 10  # nothing moved


async def test_unknown_open_and_other_workspace_rounds_are_refused(
    app: App, clock: ManualClock
) -> None:
    assert errors(await say(app, ADMIN, "question void 999")) == [
        "There is no round 999 in this workspace."
    ]
    round_id, _, _ = await played(app, clock, "ss-median", {"Bob": "right"})
    other = origin("Eve", admin=True, workspace="elsewhere")
    assert errors(await say(app, other, f"question rekey {round_id} A")) == [
        f"There is no round {round_id} in this workspace."
    ]
    opened = await daily.open_daily_round(
        app.ctx, BOB.place, clock.now() + dt.timedelta(days=1), "sm-relu"
    )
    assert opened is not None
    assert errors(await say(app, ADMIN, f"question void {opened[0].id}")) == [
        f"Round {opened[0].id} has not closed yet: fix it after its reveal."
    ]
    assert errors(await say(app, ADMIN, "question void twelve")) == [
        "Give the round number, e.g. `question void 12`: it is shown in the reveal and in "
        "`report list`."
    ]
    assert errors(await say(app, ADMIN, f"question rekey {round_id}")) == [
        "Give the round number and the correct answer, e.g. `question rekey 12 B`."
    ]


async def test_a_key_that_does_not_fit_the_question_type_is_refused_clearly(
    app: App, clock: ManualClock
) -> None:
    mcq, _, _ = await played(app, clock, "ss-median", {"Bob": "right"})
    tf, _, _ = await played(app, clock, "ss-variance-sum", {"Bob": "right"})
    num, _, _ = await played(app, clock, "ss-pvalue", {"Bob": "right"})
    assert errors(await say(app, ADMIN, f"question rekey {mcq} F")) == [
        f"Round {mcq} is multiple choice: give the letter as shown in the round (A-D), its "
        "number, or an option's exact text."
    ]
    assert errors(await say(app, ADMIN, f"question rekey {tf} maybe")) == [
        f"Round {tf} is true/false: give true or false."
    ]
    assert errors(await say(app, ADMIN, f"question rekey {num} about half")) == [
        f"Round {num} needs a number as its key (e.g. 0.05, 5%, 1/20)."
    ]
    assert errors(await say(app, ADMIN, f"question rekey {tf} true")) == [
        f"True is already round {tf}'s key. Nothing changed."
    ]
    assert await points(app, "Bob") == 10 + 22 + 24  # three right in a row: +2, +4
    assert errors(await say(app, ADMIN, "audit list")) == []
    [empty] = await say(app, ADMIN, "audit list")
    assert (
        isinstance(empty, Notice)
        and empty.text == "No admin actions on questions in this workspace yet."
    )


async def test_rekey_regrades_tells_each_affected_player_once_and_is_audited(
    app: App, clock: ManualClock
) -> None:
    await played(app, clock, "sm-relu", {"Dee": "right"})
    round_id, card, _ = await played(app, clock, "ss-median", {"Bob": "right", "Cy": "wrong"})
    cy_label = wrong_text(app, card)
    [done] = oks(await say(app, ADMIN, f"question rekey {round_id} {cy_label}"))
    choice = next(o for o in card.options if o.label == cy_label)
    assert done == (
        f"Round {round_id} rekeyed to {cy_label}. {choice.text}: 2 answers graded differently, "
        "2 players' totals changed (10 → 10 points in all). Audit #1."
    )
    assert (await points(app, "Bob"), await points(app, "Cy"), await points(app, "Dee")) == (
        0,
        10,
        30,
    )
    # The reveal now shows the corrected key; stats follow.
    reveal = await daily.reveal(app.ctx, round_id)
    assert reveal.answer.startswith(cy_label) and reveal.winners == ("Cy",)
    pub = RecordingPublisher()
    await app.work.run_due(clock.now(), {Platform.CONSOLE: pub})
    notes = sorted((ref, render(reply)) for _, ref, reply in pub.alerts)
    day = (clock.now() - dt.timedelta(minutes=5)).date()
    label = f"{cy_label}. {choice.text}"
    assert notes == [
        (
            "bob",
            f"An admin corrected the key of round {round_id} (ss-median, {day}) to {label}, and "
            "answers were graded again. Your points: 10 → 0.",
        ),
        (
            "cy",
            f"An admin corrected the key of round {round_id} (ss-median, {day}) to {label}, and "
            "answers were graded again. Your points: 0 → 10.",
        ),
    ]
    pub.alerts.clear()
    await app.work.run_due(clock.now(), {Platform.CONSOLE: pub})
    assert pub.alerts == []  # once
    [table] = await say(app, ADMIN, "audit list")
    assert isinstance(table, TableView)
    [(key, row)] = table.rows
    assert key == "#1" and row.endswith(
        f"· Ada · rekey round {round_id} (ss-median) · key {correct_text(app, card)}. "
        f"{next(o.text for o in card.options if o.label == correct_text(app, card))} → {label}; "
        "2 answers graded differently · 2 players, 10 → 10 points"
    )


async def test_a_streak_begun_by_a_rekey_of_the_last_round_runs_on(
    app: App, clock: ManualClock
) -> None:
    round_id, card, _ = await played(app, clock, "ss-median", {"Bob": "right", "Cy": "wrong"})
    assert oks(await say(app, ADMIN, f"question rekey {round_id} {wrong_text(app, card)}"))
    await played(app, clock, "sm-relu", {"Bob": "right", "Cy": "right"})
    # Cy's rekeyed answer starts the streak the next round continues: 10, then 30 + 2.
    assert (await points(app, "Cy"), await points(app, "Bob")) == (42, 30)


async def test_void_counts_for_nobody_and_twice_changes_nothing(
    app: App, clock: ManualClock
) -> None:
    first, _, _ = await played(app, clock, "ss-median", {"Bob": "right"})
    second, _, _ = await played(app, clock, "sm-relu", {"Bob": "right", "Cy": "wrong"})
    third, _, _ = await played(app, clock, "ss-median", {"Bob": "right"})
    assert await points(app, "Bob") == 10 + 32 + 14
    [done] = oks(await say(app, ADMIN, f"question void {second}"))
    assert done == (
        f"Round {second} voided: it counts for nobody. 2 players' totals changed "
        "(56 → 22 points in all). Audit #1."
    )
    # Bob's streak runs from the first round straight to the third: 10 + 12.
    assert await points(app, "Bob") == 22
    bob = await app.stores.users.find_user(BOB.place.workspace_key, "Bob")
    assert bob is not None
    stats = await app.stores.boards.user_stats(bob.id)
    assert (stats.answered, stats.correct, stats.current_streak, stats.best_streak) == (2, 2, 2, 2)
    assert errors(await say(app, ADMIN, f"question void {second}")) == [
        f"Round {second} was voided already; it counts for nobody. Nothing changed."
    ]
    assert errors(await say(app, ADMIN, f"question rekey {second} A")) == [
        f"Round {second} was voided; there is nothing to rekey."
    ]
    assert await points(app, "Bob") == 22
    [table] = await say(app, ADMIN, "audit list")
    assert isinstance(table, TableView) and len(table.rows) == 1
    assert errors(await say(app, ADMIN, "audit list 2")) == [
        "There is no page 2 of the audit list (it has fewer entries)."
    ]
    # The next round's streak follows the last round that counts (the third).
    await played(app, clock, "ss-median", {"Bob": "right"})
    assert await points(app, "Bob") == 22 + 14
    assert first < third


async def test_round_numbers_show_in_the_reveal_and_the_report_list(
    app: App, clock: ManualClock
) -> None:
    round_id, _, reveal = await played(app, clock, "ss-median", {"Bob": "wrong"})
    assert f"Round {round_id}: 1 answered, 0 correct." in render(reveal)
    await say(app, BOB, "report the key is wrong")
    [table] = await say(app, ADMIN, "report list")
    assert isinstance(table, TableView)
    assert table.rows[0][1].endswith(f"reason: the key is wrong · rounds: {round_id}")
    # Once an admin acts on the question, the report says so.
    assert oks(await say(app, ADMIN, f"question void {round_id}"))
    [table] = await say(app, ADMIN, "report list")
    assert isinstance(table, TableView)
    assert render(table).count(f"rounds: {round_id} · handled: void #1") == 1


async def test_a_retired_question_leaves_this_workspaces_quizzes_and_daily_pool(
    app: App, clock: ManualClock
) -> None:
    assert oks(await say(app, ADMIN, "question retire sm-relu")) == [
        "sm-relu is retired in this workspace: daily rounds, quizzes, interviews and reviews"
        " skip it."
    ]
    [again] = await say(app, ADMIN, "question retire sm-relu")
    assert isinstance(again, Notice) and "already" in again.text
    assert errors(await say(app, ADMIN, "question retire nope-1")) == [
        "There is no question with the id nope-1."
    ]
    await say(app, BOB, "quiz sample-ml 20")
    bob = await app.stores.users.find_user(BOB.place.workspace_key, "Bob")
    assert bob is not None
    quiz = await app.stores.quizzes.active_quiz(bob.id)
    assert quiz is not None and quiz.question_ids and "sm-relu" not in quiz.question_ids
    await say(app, BOB, "quiz stop")
    # In another workspace the question is still in rotation.
    other = origin("Ola", workspace="elsewhere")
    await say(app, other, "quiz sample-ml 20")
    ola = await app.stores.users.find_user(other.place.workspace_key, "Ola")
    assert ola is not None
    theirs = await app.stores.quizzes.active_quiz(ola.id)
    assert theirs is not None and "sm-relu" in theirs.question_ids
    channel = await app.stores.channels.ensure_channel(
        "console", BOB.place.workspace_key, "x", clock.now()
    )
    bank = await app.ctx.bank_for(BOB.place.workspace_key)
    picks = {daily.pick_daily_question(app.ctx, bank, channel, set()) for _ in range(30)}
    assert "sm-relu" not in {q.id for q in picks if q is not None}
    assert "sm-relu" in bank.by_id  # still found by id: an old round or report names it
    theirs_bank = await app.ctx.bank_for(other.place.workspace_key)
    assert "sm-relu" in {q.id for q in theirs_bank.select()}
    # The daily round itself, picked by the bot, over a channel that only has that topic.
    assert oks(await say(app, ADMIN, "config topics sample-ml"))
    for _ in range(5):
        clock.advance(dt.timedelta(days=1))
        opened = await daily.open_daily_round(app.ctx, ADMIN.place, clock.now())
        assert opened is not None and opened[0].question_id != "sm-relu"
        await daily.close_daily_round(app.ctx, opened[0].id, clock.now())
    [table] = await say(app, ADMIN, "audit list")
    assert isinstance(table, TableView) and table.rows[0][1].endswith("· Ada · retire sm-relu")


async def test_a_retired_question_leaves_interviews_and_reviews(
    app: App, clock: ManualClock
) -> None:
    """Retirement lives in the workspace bank: the review of a card already due skips it
    too, and the interview pool loses its only open question of the topic."""
    missed = await _quiz_miss(app, BOB, "sample-ml", 3)
    assert "sm-relu" in missed
    assert oks(await say(app, ADMIN, "question retire sm-relu"))
    assert oks(await say(app, ADMIN, "question retire ss-bias-variance"))
    assert errors(await say(app, BOB, "interview sample-stats 1")) == [
        "No interview questions match sample-stats."
    ]
    clock.advance(dt.timedelta(days=1))
    replies = await say(app, BOB, "review")
    assert "Review: 2 of your 2 due card(s)" in render(replies[0])
    served = []
    for _ in range(2):
        card = replies[-1]
        assert isinstance(card, QuestionCard)
        served.append(card.question_id)
        replies = await say(app, BOB, f"answer {correct_text(app, card)}")
    assert sorted(served) == sorted(q for q in missed if q != "sm-relu")
    # Another workspace still interviews on it.
    other = origin("Ola", workspace="elsewhere")
    card = (await say(app, other, "interview sample-stats 1"))[-1]
    assert isinstance(card, QuestionCard) and card.question_id == "ss-bias-variance"


async def test_the_migration_backfills_streaks_base_points_and_event_rounds(
    app: App, clock: ManualClock
) -> None:
    """Rows from before 0014_audit: the backfill finds what the close now stores itself."""
    import importlib.util

    import sqlalchemy as sa

    from bot.storage.tables import answers, point_events, rounds
    from tests.conftest import ROOT

    await played(app, clock, "ss-median", {"Bob": "right", "Cy": "wrong"})
    await played(app, clock, "sm-relu", {"Bob": "right", "Cy": "right"})
    await played(app, clock, "ss-median", {"Bob": "right", "Dee": "right"})
    quiz_card = (await say(app, BOB, "quiz sample-stats 1"))[-1]
    assert isinstance(quiz_card, QuestionCard)
    await say(app, BOB, f"answer {correct_text(app, quiz_card)}")  # a quiz event: no round

    def snapshot(conn: sa.Connection) -> tuple[list[tuple[object, ...]], ...]:
        return (
            [
                tuple(r)
                for r in conn.execute(
                    sa.select(answers.c.id, answers.c.streak).order_by(answers.c.id)
                )
            ],
            [
                tuple(r)
                for r in conn.execute(
                    sa.select(rounds.c.id, rounds.c.base_points).order_by(rounds.c.id)
                )
            ],
            [
                tuple(r)
                for r in conn.execute(
                    sa.select(point_events.c.id, point_events.c.round_id).order_by(
                        point_events.c.id
                    )
                )
            ],
        )

    path = ROOT / "bot/storage/migrations/versions/0014_audit.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    def forget_and_backfill(conn: sa.Connection) -> tuple[list[tuple[object, ...]], ...]:
        before = snapshot(conn)
        conn.execute(answers.update().values(streak=0))
        conn.execute(rounds.update().values(base_points=None))
        conn.execute(point_events.update().values(round_id=None))
        migration._backfill(conn)
        assert snapshot(conn) == before
        return before

    streaks, bases, events = await app.db.write_sync(forget_and_backfill)
    assert [s for _, s in streaks] == [1, 0, 2, 1, 3, 1]
    assert [b for _, b in bases] == [10, 30, 10]
    assert [r for _, r in events][-1] is None and None not in [r for _, r in events][:-1]


async def test_a_key_with_braces_reaches_the_note_as_typed(app: App, clock: ManualClock) -> None:
    # The note is filled in by the database from a template with `before` / `after` slots:
    # braces in the admin's key are text, never a slot.
    qid = next(
        q.id
        for q in app.bank.by_id.values()
        if q.type is QuestionType.SHORT and q.auto_gradable and not q.accept
    )
    round_id, _, _ = await played(app, clock, qid, {"Bob": "right"})
    key = "{after} {before} {0}"
    assert oks(await say(app, ADMIN, f"question rekey {round_id} {key}"))
    pub = RecordingPublisher()
    await app.work.run_due(clock.now(), {Platform.CONSOLE: pub})
    day = (clock.now() - dt.timedelta(minutes=5)).date()
    assert [(ref, render(reply)) for _, ref, reply in pub.alerts] == [
        (
            "bob",
            f"An admin corrected the key of round {round_id} ({qid}, {day}) to {key}, and "
            "answers were graded again. Your points: 10 → 0.",
        )
    ]


def test_a_note_template_renders_like_the_message() -> None:
    note = note_template(m.NOTE_VOID, round=7, qid="q-{x}", day="2026-09-01")
    assert note[1::2] == ("before", "after")
    assert render_note(note, 12, -3) == m.NOTE_VOID.format(
        round=7, qid="q-{x}", day="2026-09-01", before=12, after=-3
    )


async def test_forgetme_deletes_the_notes_a_rescore_left_waiting(
    app: App, clock: ManualClock
) -> None:
    # The notes carry no foreign key (0020_notes_unchecked): forgetme deletes them itself,
    # and the tick then sends only the others'.
    round_id, card, _ = await played(app, clock, "ss-median", {"Bob": "right", "Cy": "wrong"})
    assert oks(await say(app, ADMIN, f"question rekey {round_id} {wrong_text(app, card)}"))
    assert "deleted" in render((await say(app, BOB, "forgetme confirm"))[0])
    async with app.db.read() as conn:
        left = (await conn.execute(sa.select(private_notes.c.text))).scalars().all()
    assert len(left) == 1 and left[0].endswith("Your points: 0 → 10.")
    pub = RecordingPublisher()
    await app.work.run_due(clock.now(), {Platform.CONSOLE: pub})
    assert [ref for _, ref, _ in pub.alerts] == ["cy"]


async def test_a_rescore_that_fails_partway_changes_nothing(
    app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # One transaction: a database error after the answers, events and totals are rewritten
    # (in the streak stats' write) leaves every table as it was, says so to the admin, logs
    # the error itself (not a follow-up one), and the same command then goes through.
    await played(app, clock, "ss-median", {"Bob": "right", "Cy": "wrong"})
    second, _, _ = await played(app, clock, "sm-relu", {"Bob": "right", "Cy": "right"})
    await played(app, clock, "ss-median", {"Bob": "right", "Cy": "right"})
    tables = (answers, point_events, bt, user_stats, score_counts, tie_blocks, score_bands)

    async def snapshot() -> list[list[tuple[object, ...]]]:
        async with app.db.read() as conn:
            return [
                sorted(tuple(r) for r in (await conn.execute(sa.select(t))).all())
                for t in (*tables, private_notes, audit_log, rounds)
            ]

    before = await snapshot()
    real = rescore_totals.write_stats

    def failing(db: object, conn: sa.Connection) -> None:
        conn.exec_driver_sql("SELECT no_such_column FROM user_stats")

    monkeypatch.setattr(rescore_totals, "write_stats", failing)
    for line in (f"question void {second}", f"question rekey {second} A"):
        caplog.clear()
        assert errors(await say(app, ADMIN, line)) == [m.INTERNAL_ERROR]
        assert await snapshot() == before
        assert "no_such_column" in caplog.text
    monkeypatch.setattr(rescore_totals, "write_stats", real)
    [done] = oks(await say(app, ADMIN, f"question void {second}"))
    assert done.startswith(f"Round {second} voided") and "Audit #1." in done
    assert await snapshot() != before
