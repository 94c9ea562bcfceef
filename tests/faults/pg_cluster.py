"""A dedicated throwaway PostgreSQL cluster that a fault test may stop and start at will."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import ROOT

CI = ROOT / ".ci"


def _as_postgres(command: str) -> None:
    # The server refuses to run as root; .ci/pg-start made the cluster the postgres user's.
    if os.getuid() == 0:
        argv = ["su", "postgres", "-s", "/bin/bash", "-c", command]
    else:
        argv = ["bash", "-c", command]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


class PgCluster:
    """Started by .ci/pg-start on a port of its own; `stop` and `start` keep that port, so
    the bot's URL stays valid across an outage (as a managed server's restart would)."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: the postgres user must reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="studybot-pg-faults."))
        self.dir.chmod(0o755)
        self.bin = subprocess.run(
            [str(CI / "pg-bin")], check=True, capture_output=True, text=True
        ).stdout.strip()
        started = subprocess.run(
            [str(CI / "pg-start"), str(self.dir)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PG_START_NO_INSTALL": "1"},
            timeout=120,
        )
        self.url = started.stdout.strip().splitlines()[-1]
        self.port = self.url.rsplit(":", 1)[1].split("/")[0]
        self.running = True

    def _ctl(self, action: str, options: str = "") -> None:
        data = shlex.quote(str(self.dir / "data"))
        log = shlex.quote(str(self.dir / "log"))
        _as_postgres(
            f"{shlex.quote(self.bin + '/pg_ctl')} -D {data} -l {log} -w {options} {action}"
        )

    def stop(self) -> None:
        """Stop the server: fast mode cuts every client connection, as a restart does."""
        if not self.running:
            return
        self._ctl("stop", "-m fast")
        self.running = False

    def start(self) -> None:
        if self.running:
            return
        server = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200"
        )
        self._ctl("start", f"-o {shlex.quote(server)}")
        self.running = True

    async def database(self) -> str:
        """A new empty database on this cluster."""
        name = f"f_{uuid.uuid4().hex[:12]}"
        engine = create_async_engine(self.url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()
        return self.url.rsplit("/", 1)[0] + "/" + name

    def destroy(self) -> None:
        subprocess.run([str(CI / "pg-stop"), str(self.dir)], check=False, timeout=60)
