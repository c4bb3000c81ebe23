"""The progress bar the command line draws on a terminal's stderr during a long lint.

It draws nothing for the first `DELAY` seconds (a pre-commit run on a few files never shows
it), then one line redrawn in place, at most every `INTERVAL` seconds; `close` erases it, so
the report that follows starts on a clean line. The CLI creates one only when stderr is a
terminal: CI logs and piped output never see it.
"""

from __future__ import annotations

import time
from typing import Callable, TextIO

DELAY = 1.0
"""Seconds before the bar first appears."""
INTERVAL = 0.1
"""Seconds between two redraws (the last step is always drawn)."""
WIDTH = 30
LABELS = {"render": "rendering Applications", "lint": "linting"}
_ERASE_LINE = "\r\x1b[K"


class ProgressBar:
    """A `gitops_gen.api.Progress` callback drawing `label [#####-----] done/total`."""

    def __init__(self, stream: TextIO, *, delay: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.delay = DELAY if delay is None else delay
        self.started = clock()
        self.drawn_at: float | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        if now - self.started < self.delay:
            return
        if done < total and self.drawn_at is not None and now - self.drawn_at < INTERVAL:
            return
        filled = WIDTH * done // total if total else WIDTH
        self.stream.write(f"{_ERASE_LINE}{LABELS.get(stage, stage)} "
                          f"[{'#' * filled}{'-' * (WIDTH - filled)}] {done}/{total}")
        self.stream.flush()
        self.drawn_at = now

    def close(self) -> None:
        """Erase the bar, if it was drawn."""
        if self.drawn_at is not None:
            self.stream.write(_ERASE_LINE)
            self.stream.flush()
            self.drawn_at = None
