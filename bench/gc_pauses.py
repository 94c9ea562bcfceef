"""The garbage collector's passes while a block runs: each one's duration and generation."""

from __future__ import annotations

import gc
import time


class GcPauses:
    """Each collection's duration (seconds) and generation while inside the `with` block;
    entering again starts a new list."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, int]] = []
        self._began = 0.0

    @property
    def full_passes(self) -> int:
        """The full (oldest generation) passes among them."""
        return sum(1 for _, generation in self.pauses if generation == 2)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self._began, info["generation"]))

    def __enter__(self) -> GcPauses:
        self.pauses = []
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)
