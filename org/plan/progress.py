"""Progress on stderr for long plans: counts of resources registered and analysed.

Quiet when stderr is not a terminal (CI logs and pipes stay clean).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Rewrites one status line at most ten times a second."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.registered = 0
        self.analysed = 0
        self.total = 0
        self._last = 0.0
        self._shown = False

    def on_registered(self) -> None:
        self.registered += 1
        self._show()

    def on_analysed(self, total: int) -> None:
        self.analysed += 1
        self.total = total
        self._show(force=self.analysed == total)

    def _show(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        line = f"registered {self.registered} resources"
        if self.total:
            line += f", analysed {self.analysed}/{self.total}"
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
