"""The `studybot` console script: the collector paused while the process loads, then the CLI."""

from __future__ import annotations

import gc


def main() -> int:
    """Run the command line with cyclic collection off until `build_app` has frozen what
    start-up built (it turns collection back on then).

    A start allocates about 140,000 tracked objects (modules, classes, SQL metadata, the bank)
    that live as long as the process; the 300-odd collections that ran over them while they
    loaded freed almost nothing and cost about a tenth of the start's CPU (docs/scaling.md,
    "Session 8: start-up's worst case"). A command that builds no app is one short run and
    ends with collection still off; what the pause leaves uncollected (about 2,300 objects
    per start) is frozen with the rest."""
    gc.disable()
    try:
        from adapters.cli import main as cli_main

        return cli_main()
    finally:
        gc.enable()
