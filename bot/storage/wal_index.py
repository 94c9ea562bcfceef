"""SQLite's WAL index read directly: whether every frame of the WAL is in the database file."""

from __future__ import annotations

import sys

# The WAL index (the -shm file; https://www.sqlite.org/walformat.html): two copies of a
# 48-byte header (mxFrame, the WAL's last valid frame, at offset 16), then the checkpoint
# information, whose nBackfill (frames copied back into the database file) is at offset 96;
# all in the machine's byte order.
HEADER = 48
MX_FRAME = 16
N_BACKFILL = 96


def wal_copied(file: str) -> bool:
    """True when every frame of `file`'s WAL has been copied into the database file: a
    checkpoint now would copy and sync nothing, and the next write starts the WAL from its
    beginning. A read of the index's first 100 bytes, cheap enough for the event loop (the
    caller holds the process's write lock, so none of its own writes is under way). False
    when unsure (no index, or its two header copies differ while another process writes):
    the caller then checkpoints as it would have."""
    try:
        with open(f"{file}-shm", "rb") as index:
            head = index.read(N_BACKFILL + 4)
    except OSError:
        return False
    if len(head) < N_BACKFILL + 4 or head[:HEADER] != head[HEADER : 2 * HEADER]:
        return False
    last = int.from_bytes(head[MX_FRAME : MX_FRAME + 4], sys.byteorder)
    return last == int.from_bytes(head[N_BACKFILL : N_BACKFILL + 4], sys.byteorder)
