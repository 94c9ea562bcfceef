"""How fast the machine runs a fixed piece of pure Python right now: a figure beside each run."""

from __future__ import annotations

import statistics
import time

# 13-16 ms on the bench's 2-core machine when it is quiet (session 12's runs).
WORK = 200_000


def speed_probe(rounds: int = 5) -> float:
    """Milliseconds for a fixed CPU-bound loop (the median of `rounds`). The load average
    counts this machine's runnable processes only; a virtual machine whose host is busy
    runs everything slower at load 1, and this shows it: the same figure from run to run
    means the runs got the same CPU."""
    took = []
    for _ in range(rounds):
        began = time.perf_counter()
        acc = 0
        for i in range(WORK):
            acc += i * i % 7
        took.append(time.perf_counter() - began)
    return round(statistics.median(took) * 1000, 2)
