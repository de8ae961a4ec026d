"""A one-line progress display for ``winlang run`` on a terminal (nothing when piped)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class ProgressLine:
    """``evaluated 20,000 customers · planned 1,200/1,200 · sent 800 (6,500/s)``, redrawn in
    place at most ten times a second, on standard error and only when it is a terminal; each
    stage's rate counts from its first report."""

    def __init__(
        self,
        stream: TextIO | None = None,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.interval = interval
        self.parts: dict[str, str] = {}
        self._drawn = 0.0
        self._started: dict[str, float] = {}
        self.clock = clock

    def evaluated(self, customers: int) -> None:
        self.parts["evaluated"] = f"evaluated {customers:,} customers"
        self._draw(force=True)

    def __call__(self, stage: str, done: int, total: int) -> None:
        started = self._started.setdefault(stage, self.clock())
        seconds = self.clock() - started
        rate = f" ({done / seconds:,.0f}/s)" if seconds >= 0.5 else ""
        self.parts[stage] = f"{stage} {done:,}" + (f"/{total:,}" if total else "") + rate
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled or (not force and time.monotonic() - self._drawn < self.interval):
            return
        self.stream.write("\r\x1b[2K" + " · ".join(self.parts.values()))
        self.stream.flush()
        self._drawn = time.monotonic()

    def close(self) -> None:
        if self.enabled and self.parts:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
