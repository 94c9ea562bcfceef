"""The console's charts: each image saved as a PNG file, its path printed under the text."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from bot import messages as m
from bot.plaintext import render
from bot.replies import Reply, image_of

log = logging.getLogger(__name__)


def save_chart(reply: Reply, folder: Path) -> Path | None:
    """Write the reply's image under `folder` (named by its content, so the same chart is one
    file); None without an image or when the file cannot be written (logged once)."""
    image = image_of(reply)
    if image is None:
        return None
    stem = Path(image.filename).stem
    path = folder / f"{stem}-{hashlib.sha256(image.data).hexdigest()[:12]}.png"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(image.data)
    except OSError as exc:
        log.warning("chart not saved to %s, showing the text only: %s", path, exc)
        return None
    return path


def show(reply: Reply, folder: Path) -> str:
    """The reply as text, then where its chart was saved and what it shows."""
    text = render(reply)
    path = save_chart(reply, folder)
    if path is None:
        return text
    return text + "\n" + m.CONSOLE_CHART.format(path=_shown(path))


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
