"""`report` flags a question as wrong; admins list reports; maintainers read them from the CLI."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from bot import commands as c
from bot.bootstrap import App, ManualClock
from bot.parsing import parse
from bot.replies import Notice, QuestionCard, TableView, Tone
from bot.usecases import daily
from tests.conftest import ROOT, origin
from tests.helpers import errors, say, wrong_text

ADMIN = origin("Ada", admin=True)
BOB = origin("Bob")


def oks(replies: list) -> list[str]:  # type: ignore[type-arg]
    return [r.text for r in replies if isinstance(r, Notice) and r.tone is Tone.SUCCESS]


async def test_nothing_to_report_says_how_to_name_a_question(app: App) -> None:
    [msg] = errors(await say(app, BOB, "report the key is wrong"))
    assert "answer one first" in msg and "report QUESTION-ID" in msg


async def test_report_names_the_question_last_answered_with_the_answer_given(
    app: App, clock: ManualClock
) -> None:
    replies = await say(app, BOB, "quiz sample-stats 2")
    card = replies[-1]
    assert isinstance(card, QuestionCard)
    given = wrong_text(app, card)
    await say(app, BOB, f"answer {given}")
    clock.advance(dt.timedelta(minutes=1))
    [done] = oks(await say(app, BOB, "report I think my answer was right"))
    assert card.question_id in done and "Thanks" in done
    [row] = await app.stores.reports.list_reports(BOB.place.workspace_key)
    assert (row.question_id, row.source, row.given, row.reason) == (
        card.question_id,
        "quiz",
        given,
        "I think my answer was right",
    )


async def test_reporting_again_updates_the_one_report(app: App) -> None:
    await say(app, BOB, "report ss-ransac the aliases miss LO-RANSAC")
    [again] = oks(await say(app, BOB, "report ss-ransac on second thought it is fine"))
    assert again.startswith("Updated your report on ss-ransac")
    [row] = await app.stores.reports.list_reports(BOB.place.workspace_key)
    assert (row.source, row.reason) == ("named", "on second thought it is fine")


async def test_a_daily_answer_is_reported_when_it_came_last(app: App, clock: ManualClock) -> None:
    place = BOB.place
    opened = await daily.open_daily_round(app.ctx, place, clock.now(), "ss-median")
    assert opened is not None
    # Before answering, the open round is the question in front of the user.
    [shown] = oks(await say(app, BOB, "report unclear wording"))
    assert "ss-median" in shown
    quiz_card = (await say(app, BOB, "quiz sample-ml 1"))[-1]
    assert isinstance(quiz_card, QuestionCard)
    clock.advance(dt.timedelta(minutes=1))
    await say(app, BOB, f"answer {wrong_text(app, quiz_card)}")  # ends the one-question quiz
    clock.advance(dt.timedelta(minutes=1))
    card = next(r for r in await say(app, BOB, "daily") if isinstance(r, QuestionCard))
    await say(app, BOB, f"answer {wrong_text(app, card)}")
    await say(app, BOB, "report the options overlap")
    rows = await app.stores.reports.list_reports(place.workspace_key)
    assert (rows[0].question_id, rows[0].source) == ("ss-median", "daily")


async def test_unknown_ids_are_reasons_and_overlong_reasons_are_refused(app: App) -> None:
    [msg] = errors(await say(app, BOB, "report " + "x" * 501))
    assert msg == "Keep the reason under 500 characters."
    # A first word that is not a question id is part of the reason, not an error.
    [msg] = errors(await say(app, BOB, "report nosuch-id is broken"))
    assert "answer one first" in msg


async def test_a_mistyped_question_id_is_refused_with_the_near_ids(app: App) -> None:
    await say(app, BOB, "report ss-pvalue too tight")
    # Shaped like this bank's ids (a known prefix): never filed against the last question.
    [msg] = errors(await say(app, BOB, "report ss-pvalu the key is wrong"))
    assert msg.startswith("There is no question with the id 'ss-pvalu'. Did you mean ss-pvalue")
    assert msg.endswith("or leave it out to report the question you last answered.")
    [row] = await app.stores.reports.list_reports(BOB.place.workspace_key)
    assert row.reason == "too tight"
    # A hyphenated first word of no id shape stays part of the reason (Bob answered nothing).
    [msg] = errors(await say(app, BOB, "report multi-class labels overlap"))
    assert "answer one first" in msg


async def test_report_list_is_for_admins_and_shows_the_newest(app: App) -> None:
    [msg] = errors(await say(app, BOB, "report list"))
    assert "admin" in msg
    [empty] = await say(app, ADMIN, "report list")
    assert isinstance(empty, Notice) and "No question reports" in empty.text
    await say(app, BOB, "report ss-pvalue the tolerance is too tight")
    [table] = await say(app, ADMIN, "report list")
    assert isinstance(table, TableView)
    [(qid, line)] = table.rows
    assert qid == "ss-pvalue" and "Bob" in line and "the tolerance is too tight" in line
    [msg] = errors(await say(app, ADMIN, "report list everything"))
    assert "takes no arguments" in msg


async def test_reports_stay_in_their_workspace_and_forgetme_removes_them(app: App) -> None:
    other = origin("Zed", workspace="elsewhere", admin=True)
    await say(app, BOB, "report ss-pvalue too tight")
    [empty] = await say(app, other, "report list")
    assert isinstance(empty, Notice) and "No question reports" in empty.text
    await say(app, BOB, "forgetme confirm")
    assert await app.stores.reports.list_reports(BOB.place.workspace_key) == []


def test_maintainers_read_every_report_from_the_command_line(tmp_path: Path) -> None:
    import asyncio

    from bot.bootstrap import build_app
    from bot.settings import Settings

    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"

    async def seed() -> None:
        app = await build_app(Settings(), db_url=url)
        try:
            await say(app, BOB, "report stat-pvalue-definition the explanation contradicts itself")
        finally:
            await app.close()

    asyncio.run(seed())
    out = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "content", "reports", "--db", url],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert "stat-pvalue-definition  (1 report)" in out
    assert "the explanation contradicts itself" in out and "Bob" in out


def test_the_slash_form_and_the_text_form_parse_alike() -> None:
    # Discord's `/report question reason:...` arrives as `report question ...`.
    assert parse("report question ss-ransac bad") == c.ReportQuestion("ss-ransac bad")
    assert parse("report ss-ransac bad") == c.ReportQuestion("ss-ransac bad")
    assert parse("report") == c.ReportQuestion("")
    assert parse("report list") == c.ListReports()
