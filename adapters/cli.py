"""The `studybot` command line: run, console, content, db, doctor and platform helpers."""

from __future__ import annotations

import argparse
import socket
import sqlite3
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bot.content import load_bank, load_seed_ids
from bot.coverage import bank_stats
from bot.settings import (
    DB_URL_EXPECTED,
    Settings,
    SettingsError,
    database_url_problem,
    hide_password,
    load_settings,
    with_async_driver,
)

# Code that only runs while a database is opened or used; an error raised through it is a
# database problem, reported in one line, not a traceback.
_DB_CODE = ("/sqlalchemy/", "/asyncpg/", "/aiosqlite/", "/bot/storage/")


def _shared_dir() -> Path | None:
    """`../shared` beside the checkout holds the seed inventory the stats report against."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (Path.cwd().parent / "shared", here.parent / "shared"):
        if (candidate / "seed_questions.json").exists():
            return candidate
    return None


def content_check(directory: Path) -> int:
    _, problems = load_bank(directory, load_seed_ids(_shared_dir()))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    bank, _ = load_bank(directory)
    print(f"ok: {len(bank)} questions in {len(bank.decks)} decks")
    return 0


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def content_stats(directory: Path) -> int:
    seed_ids = load_seed_ids(_shared_dir())
    bank, problems = load_bank(directory, seed_ids)
    stats = bank_stats(bank, seed_ids)
    print(
        f"{'topic':32} {'total':>5} {'auto':>5} {'easy':>5} {'hard':>5} {'!mcq':>5} "
        f"{'mcq':>4} {'tf':>4} {'short':>5} {'num':>4} {'open':>4}"
    )
    totals: dict[str, int] = {}
    for topic in sorted(stats.by_topic):
        c = stats.by_topic[topic]
        auto = c["auto"]
        print(
            f"{topic:32} {c['total']:>5} {auto:>5} {_pct(c['auto:easy'], auto):>5} "
            f"{_pct(c['auto:hard'], auto):>5} {_pct(c['auto:not-mcq'], auto):>5} "
            f"{c['type:mcq']:>4} {c['type:true_false']:>4} {c['type:short']:>5} "
            f"{c['type:numeric']:>4} {c['type:open']:>4}"
        )
        for key, value in c.items():
            totals[key] = totals.get(key, 0) + value
    auto = totals.get("auto", 0)
    easy, hard = _pct(totals.get("auto:easy", 0), auto), _pct(totals.get("auto:hard", 0), auto)
    not_mcq = _pct(totals.get("auto:not-mcq", 0), auto)
    print(f"{'all':32} {totals.get('total', 0):>5} {auto:>5} {easy:>5} {hard:>5} {not_mcq:>5}")
    print(
        f"\nopen items: {totals.get('type:open', 0)}, "
        f"with terms on every key point: {totals.get('open:terms', 0)}"
    )
    print()
    for name, (length, limit, qid) in stats.longest.items():
        print(f"longest {name}: {length}/{limit} characters ({qid or '-'})")
    print()
    if stats.uncited is None:
        print("seed coverage: ../shared not found, skipped")
    else:
        print(f"seed coverage: {len(stats.uncited)} uncited seed id(s)")
        if stats.uncited:
            print("  " + " ".join(stats.uncited))
    if problems:
        print(f"\n{len(problems)} validation problem(s); run `studybot content check`")
    return 0


def content_reports(db_url: str, limit: int) -> int:
    """Every workspace's question reports, grouped by question, most reported first."""
    import asyncio

    from bot.storage.database import Database
    from bot.storage.migrate import upgrade
    from bot.storage.reports import SqlReportStore

    async def read() -> list[Any]:
        db = Database(db_url)
        try:
            await upgrade(db.engine)
            return list(await SqlReportStore(db).list_reports(None, limit))
        finally:
            await db.dispose()

    found = asyncio.run(read())
    if not found:
        print("no question reports")
        return 0
    bank, _ = load_bank(Settings().content_dir)
    by_question: dict[str, list[Any]] = {}
    for report in found:
        by_question.setdefault(report.question_id, []).append(report)
    for qid, group in sorted(by_question.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        question = bank.by_id.get(qid)
        where = f"{question.topic}: {question.prompt}" if question else "(not in the bank)"
        print(f"{qid}  ({len(group)} report{'s' if len(group) > 1 else ''})  {where}")
        for r in group:
            given = r.given if r.given is not None else "-"
            reason = r.reason or "-"
            print(f"  {r.created_at:%Y-%m-%d} {r.workspace} {r.user_name} [{r.source}]")
            print(f"    answered: {given}")
            print(f"    reason:   {reason}")
    return 0


def _bank_dir(arg: str | None) -> Path:
    return Path(arg) if arg else Settings().content_dir


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studybot", description="StudyBot: ML interview practice in chat."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the configured adapters (console when no token is set)")
    run.add_argument("--slack-http", type=int, metavar="PORT", help="serve Slack over HTTP on PORT")

    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--db", metavar="URL", help="database URL (default: settings)")
    console.add_argument("--as", dest="user", default="you", metavar="NAME", help="acting user")
    console.add_argument("--workspace", default="local", metavar="NAME")
    console.add_argument("--channel", default="general", metavar="NAME")
    console.add_argument("--content", metavar="DIR", help="question decks (default: settings)")

    content = sub.add_parser("content", help="check or summarise the question bank")
    csub = content.add_subparsers(dest="action", required=True)
    for name, text in (("check", "validate every deck"), ("stats", "counts, coverage, limits")):
        p = csub.add_parser(name, help=text)
        p.add_argument("dir", nargs="?", help="deck folder (default: content/)")
    reports = csub.add_parser("reports", help="questions users reported, for the deck maintainers")
    reports.add_argument("--db", metavar="URL", help="database URL (default: settings)")
    reports.add_argument("--limit", type=int, default=200, metavar="N", help="newest N reports")

    db = sub.add_parser("db", help="database maintenance")
    dsub = db.add_subparsers(dest="action", required=True)
    up = dsub.add_parser("upgrade", help="apply migrations")
    up.add_argument("--db", metavar="URL")

    doctor = sub.add_parser(
        "doctor", help="scheduled work that failed or is being retried, per channel, and why"
    )
    doctor.add_argument("--db", metavar="URL", help="database URL (default: settings)")
    doctor.add_argument("--content", metavar="DIR", help="question decks (default: settings)")
    doctor.add_argument(
        "--days", type=int, default=None, metavar="N", help="how far back to look (default: 7)"
    )

    discord_cmd = sub.add_parser("discord", help="Discord helpers")
    disc = discord_cmd.add_subparsers(dest="action", required=True)
    invite = disc.add_parser("invite-url", help="print the URL that adds the bot to a server")
    invite.add_argument(
        "--client-id", type=int, metavar="ID", help="the application id (Developer Portal)"
    )
    sync = disc.add_parser(
        "sync", help="send the slash commands to Discord now, even if they did not change"
    )
    sync.add_argument("--db", metavar="URL", help="database URL (default: settings)")
    return parser


def discord_sync(db_url: str | None) -> int:
    """Force a sync of the slash commands (a start syncs only when they changed)."""
    import asyncio

    settings = Settings()
    if settings.discord_token is None:
        print(
            "studybot: DISCORD_TOKEN is not set; `studybot discord sync` logs in as the bot "
            "to send its slash commands (put the token in .env).",
            file=sys.stderr,
        )
        return 2
    import discord

    from adapters.discord.runtime import sync_now
    from bot.bootstrap import build_app

    async def go() -> str:
        app = await build_app(settings, db_url=db_url)
        try:
            return await sync_now(app, settings)
        finally:
            await app.close()

    try:
        where = asyncio.run(go())
    except discord.LoginFailure:
        print("studybot: Discord refused DISCORD_TOKEN (check the bot token).", file=sys.stderr)
        return 1
    except discord.HTTPException as exc:
        print(f"studybot: Discord refused the sync: {exc.status} {exc.text}", file=sys.stderr)
        return 1
    print(f"slash commands synced {where}")
    return 0


def discord_invite_url(client_id: int | None) -> int:
    client_id = client_id or Settings().discord_client_id
    if not client_id:
        print(
            "studybot: give the application id: `studybot discord invite-url --client-id ID` "
            "or DISCORD_CLIENT_ID (Developer Portal > your application > General Information).",
            file=sys.stderr,
        )
        return 2
    from adapters.discord.invite import invite_url

    print(invite_url(client_id))
    return 0


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        orig = getattr(item, "orig", None)  # SQLAlchemy's wrapper around the driver's error
        todo += [orig if isinstance(orig, BaseException) else None, item.__cause__]
        todo.append(item.__context__)


def _through_db_code(exc: BaseException) -> bool:
    return any(
        any(part in frame.filename.replace("\\", "/") for part in _DB_CODE)
        for item in _chain(exc)
        for frame in traceback.extract_tb(item.__traceback__)
    )


def database_problem(exc: BaseException) -> tuple[str, str] | None:
    """What went wrong opening the database and what would work, or None if `exc` is
    something else."""
    if not _through_db_code(exc):
        return None
    server = "a PostgreSQL server accepting connections at that host and port"
    for item in _chain(exc):
        name = type(item).__name__
        if isinstance(item, ConnectionRefusedError):
            return "connection refused", server
        if isinstance(item, socket.gaierror):
            return "the host name does not resolve", server
        if isinstance(item, TimeoutError):
            return "timed out connecting", server
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return "the server refused the user name or password", "a user the server accepts"
        if name == "InvalidCatalogNameError":
            return "no such database on the server", "an existing database (CREATE DATABASE)"
        if isinstance(item, sqlite3.Error | PermissionError | FileNotFoundError):
            return f"cannot open the SQLite file ({item})", "a path in a folder you can write"
    for item in _chain(exc):
        if isinstance(item, OSError) or type(item).__module__.startswith(("asyncpg", "sqlite3")):
            first = str(item).splitlines()[0] if str(item) else ""
            return f"{type(item).__name__}: {first}", "a database this machine can open"
    return None


def _database_source(args: argparse.Namespace, settings: Settings) -> tuple[str, str]:
    """The database this command uses and where it was named: `--db` or the setting."""
    given = getattr(args, "db", None)
    if given:
        # Every command reads args.db from here on, so it gets the driver filled in once.
        args.db = with_async_driver(given)
        return "--db", args.db
    return "STUDYBOT_DATABASE_URL", settings.database_url


def doctor(db_url: str | None, content: str | None, days: int | None = None) -> int:
    """Print stuck or failed scheduled work per channel with the reason; 1 if there is any."""
    import asyncio

    from bot import messages as m
    from bot.bootstrap import build_app
    from bot.usecases.delivery import REPORT_DAYS, doctor_report

    async def report() -> list[str]:
        app = await build_app(
            Settings(), db_url=db_url, content_dir=Path(content) if content else None
        )
        try:
            return await doctor_report(app.ctx, days or REPORT_DAYS)
        finally:
            await app.close()

    from bot.commandref import render_refs

    lines = [render_refs(line) for line in asyncio.run(report())]
    print("\n".join(lines) if lines else m.DOCTOR_CLEAN.format(days=days or REPORT_DAYS))
    return 1 if lines else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    source, url = "STUDYBOT_DATABASE_URL", ""
    try:
        settings = load_settings()
        source, url = _database_source(args, settings)
        problem = database_url_problem(url)
        if problem:
            raise SettingsError(
                f"{source} {hide_password(url)!r}: {problem}; expected {DB_URL_EXPECTED}."
            )
        return _command(args)
    except SettingsError as exc:
        print(f"studybot: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        found = database_problem(exc)
        if found is None:
            raise
        reason, expected = found
        print(
            f"studybot: cannot use the database {source}={hide_password(url)!r}: {reason}; "
            f"expected {expected}.",
            file=sys.stderr,
        )
        return 2


def _command(args: argparse.Namespace) -> int:
    if args.command == "content" and args.action == "reports":
        return content_reports(args.db or Settings().database_url, args.limit)
    if args.command == "content":
        directory = _bank_dir(args.dir)
        return content_check(directory) if args.action == "check" else content_stats(directory)
    if args.command == "console":
        from adapters.console.app import run_console

        return run_console(
            db_url=args.db,
            user=args.user,
            workspace=args.workspace,
            channel=args.channel,
            content_dir=Path(args.content) if args.content else None,
        )
    if args.command == "db":
        from bot.bootstrap import bank_json
        from bot.content import load_bank
        from bot.storage.migrate import upgrade_sync

        settings = Settings()
        # The bank (broken items left out) lets migrations snapshot questions into rows.
        bank, _ = load_bank(settings.content_dir)
        upgrade_sync(args.db or settings.database_url, bank_json(bank))
        print("database is up to date")
        return 0
    if args.command == "doctor":
        return doctor(args.db, args.content, args.days)
    if args.command == "discord" and args.action == "sync":
        return discord_sync(args.db)
    if args.command == "discord":
        return discord_invite_url(args.client_id)
    if args.command == "run":
        from adapters.host import run

        return run(slack_http_port=args.slack_http)
    return 2


if __name__ == "__main__":
    sys.exit(main())
