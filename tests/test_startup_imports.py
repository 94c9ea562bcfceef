"""A restart loads only what serving needs: no Alembic at head, YAML, drawing, fuzzing or FSRS."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT

# Each was measured in a start's profile (docs/scaling.md, "Start-up and fan-out (session 6)"
# and "Session 10"): rapidfuzz loads on the first near miss, fsrs on the first review, openai
# on the first model-graded answer.
LAZY = (
    "alembic", "mako", "pygments", "yaml", "matplotlib", "PIL", "numpy",
    "rapidfuzz", "fsrs", "openai", "httpx",
)  # fmt: skip


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


def test_the_console_script_loads_with_collection_paused_until_build_app_ends_it(
    tmp_path: Path,
) -> None:
    """The collector is off while `studybot` loads its modules and on again once `build_app`
    has frozen them: a start with both runtimes runs no collection before it is ready."""
    url = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    script = textwrap.dedent(
        f"""
        import asyncio, gc, sys, tomllib
        script = tomllib.load(open("pyproject.toml", "rb"))["project"]["scripts"]["studybot"]
        module, name = script.split(":")
        collections = []
        gc.callbacks.append(lambda phase, info: collections.append(phase))
        seen = {{}}

        def serve():
            import adapters.discord.runtime, adapters.slack.runtime
            from bot.bootstrap import build_app
            from bot.settings import Settings

            async def main():
                seen["loading"] = gc.isenabled()
                app = await build_app(Settings(_env_file=None), db_url="{url}")
                seen["ready"] = (gc.isenabled(), len(collections))
                await app.close()

            asyncio.run(main())
            return 0

        import adapters.cli
        adapters.cli.main = serve
        collections.clear()
        entry = getattr(__import__(module, fromlist=[name]), name)
        print(entry(), seen["loading"], *seen["ready"], gc.isenabled())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["0", "False", "True", "0", "True"]
