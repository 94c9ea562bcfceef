"""Small helpers for driving the dispatcher in tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.bootstrap import App
from bot.commandref import render_refs
from bot.commands import Command
from bot.identity import Origin
from bot.intake import Interaction
from bot.plaintext import render
from bot.replies import Notice, QuestionCard, Reply, Tone
from bot.storage.board_keys import board_totals as bt
from bot.storage.board_keys import insert_by_key
from bot.storage.database import Database
from bot.storage.tables import inbox


async def say(app: App, who: Origin, line: str) -> list[Reply]:
    return await app.dispatcher.handle_text(line, who)


async def text(app: App, who: Origin, line: str) -> str:
    return "\n".join(render(r) for r in await say(app, who, line))


def errors(replies: list[Reply]) -> list[str]:
    """The refusals among `replies`, with commands named as the console spells them."""
    return [render_refs(r.text) for r in replies if isinstance(r, Notice) and r.tone is Tone.ERROR]


def correct_text(app: App, card: QuestionCard) -> str:
    """What a user who knows the answer types for this card."""
    q = app.bank.by_id[card.question_id]
    if q.type.value == "mcq":
        return next(o.label for o in card.options if o.index == q.answer)
    if q.type.value == "true_false":
        return "true" if q.answer else "false"
    return str(q.answer)


def wrong_text(app: App, card: QuestionCard) -> str:
    """A well-formed but wrong answer for this card."""
    q = app.bank.by_id[card.question_id]
    if q.type.value == "mcq":
        return next(o.label for o in card.options if o.index != q.answer)
    if q.type.value == "true_false":
        return "false" if q.answer else "true"
    return "12345" if q.type.value == "numeric" else "something else entirely"


async def inbox_rows(app: App) -> list[Any]:
    """Every inbox row, oldest first."""
    async with app.db.engine.connect() as conn:
        return list(await conn.execute(sa.select(inbox).order_by(inbox.c.id)))


async def via_inbox(app: App, who: Origin, command: Command, key: str) -> list[Reply]:
    """Send a command as an adapter does: admitted to the inbox under `key`, then processed."""
    interaction = Interaction(key, who, command)
    ticket = await app.dispatcher.receive(interaction)
    return await app.dispatcher.process(ticket, interaction)


def user_rows(workspace: str, ids: Iterable[int], at: dt.datetime) -> list[dict[str, Any]]:
    """Rows of the users table for tests that load data straight into it (u1 named U1, ...)."""
    return [
        {
            "id": i,
            "workspace": workspace,
            "external_id": f"u{i}",
            "display_name": f"U{i}",
            "name_key": f"u{i}",
            "created_at": at,
        }
        for i in ids
    ]


async def drop_pooled_connection(
    url: str, connect: Callable[[], AbstractAsyncContextManager[Any]]
) -> int:
    """End, from another session, the server process of the pooled connection `connect()`
    hands out (as a server restart or a proxy's timeout does), and return its pid: the
    connection goes back to its pool looking healthy."""
    async with connect() as conn:
        pid = int((await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one())
    other = Database(url)
    try:
        async with other.read() as conn:
            await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()
    return pid


async def brute_ranks(db: Database, workspace: str, period: str) -> dict[int, int]:
    """Player -> rank on a users board by its definition: every totals row with points sorted
    by points, then correct answers, then the earlier player (the oracle rank queries meet)."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(bt.c.subject_id, bt.c.points, bt.c.correct).where(
                    bt.c.workspace == workspace,
                    bt.c.period == period,
                    bt.c.kind == "user",
                    bt.c.points > 0,
                )
            )
        ).all()
    ranked = sorted(rows, key=lambda r: (-r.points, -r.correct, r.subject_id))
    return {r.subject_id: n for n, r in enumerate(ranked, start=1)}


async def insert_totals(db: Database, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Totals rows given by their board's key (workspace, period, kind, subject, counts),
    written under their boards' numbers (the boards made as needed)."""
    await conn.run_sync(lambda sync: insert_by_key(db, sync, rows))


# The totals table as it stood before boards had numbers (migration 0027), for tests that
# fill a database at an older revision and upgrade it.
KEYED_TOTALS = sa.table(
    "totals",
    *(
        sa.column(name)
        for name in (
            "workspace",
            "period",
            "kind",
            "subject_id",
            "points",
            "correct",
            "answered",
            "active",
        )
    ),
)
