"""Late-reply routes: the adapter's own JSON kept in an inbox row, read back at a replay."""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)


def load_route(route: str | None, user_ref: str) -> dict[str, Any]:
    """The route's fields; empty when there is none or it cannot be read (the caller then
    replies by DM, and the log says why)."""
    if not route:
        return {}
    try:
        loaded = json.loads(route)
    except ValueError:
        log.warning("inbox route for %s unreadable; replying by DM", user_ref)
        return {}
    return loaded if isinstance(loaded, dict) else {}
