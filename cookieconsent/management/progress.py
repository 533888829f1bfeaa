"""A progress bar for management commands: drawn on a terminal, silent in a pipe."""

from __future__ import annotations

import time

from django.core.management.base import OutputWrapper


class Progress:
    """``advance()`` it as work is done; it redraws at most ten times a second."""

    def __init__(
        self, total: int, stream: OutputWrapper, *, label: str = "", width: int = 30
    ) -> None:
        self.total, self.done, self.label, self.width = total, 0, label, width
        self.stream = stream
        self.enabled = stream.isatty()
        self._drawn = 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._drawn >= 0.1 or self.done >= self.total):
            self._drawn = now
            self._draw()

    def _draw(self) -> None:
        fraction = min(1.0, self.done / self.total) if self.total else 1.0
        filled = int(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"\r{self.label}[{bar}] {fraction:4.0%} {self.done}/{self.total}"
        self.stream.write(line, ending="")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw()
            self.stream.write("")
            self.stream.flush()
