"""A restart loads only what serving needs: no Alembic at head, no YAML, no drawing stack."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT

# Each was measured in a start's profile (docs/scaling.md, "Start-up and fan-out (session 6)").
LAZY = ("alembic", "mako", "pygments", "yaml", "matplotlib", "PIL", "numpy")


def test_a_restart_with_both_runtimes_loads_none_of_the_lazy_packages(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        import adapters.discord.runtime, adapters.slack.runtime
        from bot.bootstrap import build_app
        from bot.settings import Settings

        async def main():
            app = await build_app(Settings(_env_file=None), db_url="{url}")
            await app.close()

        asyncio.run(main())
        print(sorted({{m.split(".")[0] for m in sys.modules}} & set({LAZY!r})))
        """
    )

    def start() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    # The first start creates the schema, which takes Alembic (and Mako and Pygments with it).
    assert start() == "['alembic', 'mako', 'pygments']"
    assert start() == "[]"
