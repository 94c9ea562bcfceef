"""The SQL implementation of every store port, built on one shared Database."""

from __future__ import annotations

from bot.records import DailyAnswer
from bot.storage import click_pg
from bot.storage.answers import SqlAnswerStore
from bot.storage.audit import SqlAuditStore
from bot.storage.boards import SqlBoardStore
from bot.storage.cards import SqlCardStore
from bot.storage.channels import SqlChannelStore
from bot.storage.claims import SqlClaimStore
from bot.storage.database import Database
from bot.storage.decks import SqlDeckStore
from bot.storage.inbox import SqlInboxStore
from bot.storage.interviews import SqlInterviewStore
from bot.storage.meta import SqlMetaStore
from bot.storage.privacy import SqlPrivacyStore
from bot.storage.quizzes import SqlQuizStore
from bot.storage.reports import SqlReportStore
from bot.storage.rounds import SqlRoundStore
from bot.storage.teams import SqlTeamStore
from bot.storage.users import SqlUserStore
from bot.store_ports import Stores


def sql_stores(db: Database) -> Stores:
    """Every store over one engine and one writer, so transactions keep their boundaries."""
    answers = SqlAnswerStore(db)
    return Stores(
        users=SqlUserStore(db),
        teams=SqlTeamStore(db),
        channels=SqlChannelStore(db),
        rounds=SqlRoundStore(db),
        answers=answers,
        quizzes=SqlQuizStore(db),
        boards=SqlBoardStore(db),
        claims=SqlClaimStore(db),
        privacy=SqlPrivacyStore(db),
        reports=SqlReportStore(db),
        interviews=SqlInterviewStore(db),
        meta=SqlMetaStore(db),
        decks=SqlDeckStore(db),
        audit=SqlAuditStore(db),
        cards=SqlCardStore(db),
        # A daily answer click is one write with its inbox row (bot.intake).
        inbox=SqlInboxStore(
            db,
            {DailyAnswer: answers.write_daily_answers},
            # On PostgreSQL a batch of clicks is one statement (a round trip each costs).
            fused=None if db.sqlite else (DailyAnswer, click_pg.ClickWriter().write),
        ),
    )
