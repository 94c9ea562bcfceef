"""The console's files (a chart's PNG, an export's document) saved, their path printed."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from bot import messages as m
from bot.plaintext import render
from bot.replies import FileView, Reply, image_of, without_image

log = logging.getLogger(__name__)

EXPORTS = "exports"  # beside the charts folder, which is beside the database


def save_chart(reply: Reply, folder: Path) -> Path | None:
    """Write the reply's file: a chart under `folder` (named by its content, so the same
    chart is one file), a document under `exports` beside it (by its own name, so a later
    export of the same deck replaces it); None without a file or when it cannot be written
    (logged once)."""
    image = image_of(reply)
    if image is None:
        return None
    document = isinstance(reply, FileView)
    if document:
        path = folder.parent / EXPORTS / Path(image.filename).name
    else:
        stem = Path(image.filename).stem
        path = folder / f"{stem}-{hashlib.sha256(image.data).hexdigest()[:12]}.png"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if document or not path.exists():
            path.write_bytes(image.data)
    except OSError as exc:
        log.warning("file not saved to %s, showing the text only: %s", path, exc)
        return None
    return path


def show(reply: Reply, folder: Path) -> str:
    """The reply as text, then where its file was saved; a document that could not be
    saved is shown as text instead."""
    path = save_chart(reply, folder)
    if path is None:
        return render(without_image(reply) if isinstance(reply, FileView) else reply)
    saved = m.CONSOLE_FILE if isinstance(reply, FileView) else m.CONSOLE_CHART
    return render(reply) + "\n" + saved.format(path=_shown(path))


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
