"""A one-line progress bar per experiment, on standard error.

On a terminal the bar redraws in place (``\\r``); when standard error is not
a terminal (CI logs, pipes) only the finished line is written, once.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]

_WIDTH = 28


class Progress:
    """``with Progress("depth statistics", total=20) as bar: ... bar.advance()``."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(int(total), 1)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._start

    def _line(self) -> str:
        filled = round(_WIDTH * self.done / self.total)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        return f"  {self.label:<24} [{bar}] {self.done:>3}/{self.total:<3} {self.seconds:5.1f} s"

    def advance(self, steps: int = 1) -> None:
        self.done = min(self.done + steps, self.total)
        if self.live:
            self.stream.write("\r" + self._line())
            self.stream.flush()

    def __enter__(self) -> Progress:
        self._start = time.perf_counter()
        if self.live:
            self.stream.write(self._line())
            self.stream.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.done = self.total
        self.stream.write(("\r" if self.live else "") + self._line() + "\n")
        self.stream.flush()
