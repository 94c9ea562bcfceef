"""The parsed question bank kept on disk, keyed by the decks' bytes and the code that reads them."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path

import pydantic

from bot.content import QuestionBank, load_bank
from bot.deck_format import Problem

log = logging.getLogger(__name__)

# Bump when what is stored changes shape in a way the source hash would not show.
FORMAT = 1
PREFIX = "bank-"
SUFFIX = ".pickle"
# The modules whose code decides what a load produces (parsing, validation, the classes that
# are stored): every top-level module of the `bot` package, so a deploy of new code never
# meets a bank built by the old one. Reading them costs about a millisecond.
CODE_DIR = Path(__file__).resolve().parent

Loaded = tuple[QuestionBank, list[Problem]]


def bank_key(directory: Path) -> str:
    """A digest of every deck file's name and bytes, the code and the interpreter.

    Bytes, not modification times: a deck rewritten within the file system's time resolution,
    or checked out with its old time, must still be seen as changed. Hashing the 2 MB bank
    costs a few milliseconds; parsing it costs hundreds.
    """
    digest = hashlib.blake2b(digest_size=20)
    # The directory as given and as resolved: each deck's path is stored as load_bank made it.
    parts = (str(FORMAT), sys.version, pydantic.VERSION, str(directory), str(directory.resolve()))
    for part in parts:
        digest.update(part.encode() + b"\0")
    for source in sorted(CODE_DIR.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    # The same files load_bank reads (every *.toml, the terms file among them).
    for deck in sorted(directory.glob("*.toml")):
        digest.update(deck.name.encode() + b"\0" + deck.read_bytes() + b"\0")
    return digest.hexdigest()


def load_bank_cached(directory: Path, cache_dir: Path | None) -> Loaded:
    """`load_bank(directory)`, served from `cache_dir` when nothing it depends on changed.

    The cache only ever skips work: a missing, unreadable or corrupt entry, or a directory that
    cannot be written, means a plain load (logged), never a failed start. The entry is a pickle,
    so `cache_dir` must be as private as the code itself (it is created with mode 0700).
    """
    if cache_dir is None:
        return load_bank(directory)
    key = bank_key(directory)
    path = cache_dir / f"{PREFIX}{key}{SUFFIX}"
    cached = _read(path)
    if cached is not None:
        return cached
    loaded = load_bank(directory)
    _write(cache_dir, path, loaded)
    return loaded


def _read(path: Path) -> Loaded | None:
    try:
        with path.open("rb") as file:
            value = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception as exc:  # any damage to the entry: parse the decks instead
        log.warning("ignored the question bank cache %s: %s", path, exc)
        return None
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], QuestionBank)
        and isinstance(value[1], list)
    ):
        return value[0], value[1]
    log.warning("ignored the question bank cache %s: not a bank", path)
    return None


def _write(cache_dir: Path, path: Path, loaded: Loaded) -> None:
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written aside and renamed into place: a reader (another process starting) sees the
        # old entry or the whole new one, never half of it.
        fd, temporary = tempfile.mkstemp(dir=cache_dir, prefix=".bank-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                pickle.dump(loaded, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        # Entries of older decks or code are never read again.
        for stale in cache_dir.glob(f"{PREFIX}*{SUFFIX}"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("question bank cache not written to %s: %s", cache_dir, exc)
