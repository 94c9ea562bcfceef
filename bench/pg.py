"""A PostgreSQL server for the benchmarks: STUDYBOT_BENCH_PG_URL, or a throwaway cluster."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
ENV = "STUDYBOT_BENCH_PG_URL"


@contextmanager
def server() -> Iterator[str]:
    """The server URL; a cluster started here (as .ci/run does) is stopped on the way out."""
    given = os.environ.get(ENV)
    if given:
        yield given
        return
    directory = tempfile.mkdtemp(prefix="studybot-bench-pg.")
    os.chmod(directory, 0o755)
    try:
        url = subprocess.run(
            ["bash", str(ROOT / ".ci" / "pg-start"), directory],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        yield url
    finally:
        subprocess.run(["bash", str(ROOT / ".ci" / "pg-stop"), directory], check=False)


async def fresh_database(base_url: str, prefix: str) -> str:
    name = f"bench_{prefix}_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


async def drop_database(base_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()
