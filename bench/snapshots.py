"""Built databases kept between bench runs, so an hour's build is timed again on a quiet machine.

With STUDYBOT_BENCH_KEEP set to a directory, a section that builds a workspace through the core
saves the result under a key naming its sizes (SQLite: a copy of the file, checkpointed and
closed; PostgreSQL: a template database in the same cluster, so STUDYBOT_BENCH_PG_URL must name
a server that outlives the run), with what the build measured beside it as JSON. A later run
with the same sizes copies the kept database into its own fresh one and goes straight to the
timing. The app opens the copy through its migrations, so a build kept before a schema change
is upgraded as a deployment would be. Without the variable nothing is kept or reused.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.build import Built

ENV = "STUDYBOT_BENCH_KEEP"


def keep_dir() -> Path | None:
    given = os.environ.get(ENV)
    if not given:
        return None
    path = Path(given)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _backend(db_url: str) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"


def _template(key: str) -> str:
    """The template database of `key`, named after the keep directory too, so two directories
    (two test runs on one server) never share one."""
    where = str(keep_dir())
    return f"keep_{hashlib.sha1(where.encode()).hexdigest()[:8]}_{key}"[:63]


async def _copy_database(db_url: str, source: str, target: str) -> bool:
    """`target` made anew as a copy of `source` on db_url's server, through its maintenance
    database (CREATE DATABASE runs outside a transaction); False if `source` is missing."""
    admin = create_async_engine(
        make_url(db_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            found = await conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": source}
            )
            if found.first() is None:
                return False
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
            await conn.execute(sa.text(f'CREATE DATABASE "{target}" TEMPLATE "{source}"'))
        return True
    finally:
        await admin.dispose()


async def vacuum(db_url: str) -> None:
    """VACUUM (ANALYZE) the database at db_url (before a build is kept; the rescore bench's
    history before its last round): what autovacuum leaves on a live server (hint bits set,
    the visibility map current), so the first timed reads do not pay for a build's
    unvacuumed pages (session 12: a cold copy's users board p99
    was 9.9-19 ms on its first two passes and 2.95 ms on the third)."""
    engine = create_async_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("VACUUM (ANALYZE)"))
    finally:
        await engine.dispose()


def noted(db_url: str, key: str) -> bool:
    """Whether the build `key` was kept for db_url's database (its record is written last)."""
    where = keep_dir()
    return where is not None and (where / f"{key}.{_backend(db_url)}.json").exists()


async def restore(db_url: str, key: str) -> dict[str, Any] | None:
    """Copy the kept build `key` into `db_url` and return what the build recorded, or None
    when nothing is kept (the caller builds, then calls `save`)."""
    where = keep_dir()
    if where is None:
        return None
    meta = where / f"{key}.{_backend(db_url)}.json"
    if not meta.exists():
        return None
    if _backend(db_url) == "sqlite":
        kept = where / f"{key}.db"
        if not kept.exists():
            return None
        target = make_url(db_url).database
        assert target
        for suffix in ("-wal", "-shm"):
            Path(target + suffix).unlink(missing_ok=True)
        await asyncio.to_thread(shutil.copyfile, kept, target)
    elif not await _copy_database(db_url, _template(key), str(make_url(db_url).database)):
        return None
    recorded: dict[str, Any] = json.loads(meta.read_text())
    return recorded


async def save(db_url: str, key: str, built: Built, extra: dict[str, Any] | None = None) -> None:
    """Keep the database at `db_url` (its app closed, so the SQLite WAL is folded in and no
    session holds the PostgreSQL database) under `key`, with the build's facts."""
    where = keep_dir()
    if where is None:
        return
    if _backend(db_url) == "sqlite":
        source = make_url(db_url).database
        assert source
        partial = where / f"{key}.db.partial"
        await asyncio.to_thread(shutil.copyfile, source, partial)
        partial.replace(where / f"{key}.db")
    else:
        await vacuum(db_url)
        await _copy_database(db_url, str(make_url(db_url).database), _template(key))
    record = {
        "built": {**asdict(built), "days": [d.isoformat() for d in built.days]},
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_at_save": [round(x, 2) for x in os.getloadavg()],
        **(extra or {}),
    }
    (where / f"{key}.{_backend(db_url)}.json").write_text(json.dumps(record, indent=1))


def built_of(recorded: dict[str, Any]) -> Built:
    fields = dict(recorded["built"])
    fields["days"] = [dt.date.fromisoformat(d) for d in fields["days"]]
    return Built(**fields)
