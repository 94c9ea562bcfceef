"""SQLite's WAL brought to its end beside the writer, and its index read to see that it is."""

from __future__ import annotations

import sys
from collections.abc import Callable

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


def catch_up(checkpoint: Callable[[str], tuple[int, int, int]], tries: int) -> None:
    """The WAL's last frames copied beside the writer (`checkpoint("PASSIVE")`, which returns
    SQLite's busy, log and copied counts), again until a copy reaches the WAL's end: no
    commit came while it ran. SQLite syncs both files in each copy that has frames to copy,
    as it would under the write lock, while clicks go on."""
    for _ in range(tries):
        busy, log, copied = checkpoint("PASSIVE")
        if busy == 0 and log == copied:
            return
