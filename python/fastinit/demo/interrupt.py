"""Ctrl-C that stops the demo, also inside scikit-learn's training loops.

scikit-learn's ``MLPClassifier.fit`` and ``partial_fit`` catch
``KeyboardInterrupt``, warn "Training interrupted by user." and return the
model trained so far, so a Ctrl-C during an epoch would only shorten that
epoch and the demo would go on and write a report of numbers nobody asked
for. Inside :func:`interruptible` the SIGINT handler records the request
before raising ``KeyboardInterrupt``, and :func:`check` (called after every
scikit-learn training call) raises it again once scikit-learn has swallowed
it. The handler is installed only in the main thread and only over Python's
default one (a program that ignores or handles SIGINT itself keeps its
handler); the previous handler is restored on the way out.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["check", "interruptible"]

_depth = 0
_requested = False


def _handler(signum: int, frame: FrameType | None) -> None:
    global _requested
    _requested = True
    raise KeyboardInterrupt


def check() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed inside :func:`interruptible`
    (even if the code it interrupted caught the exception)."""
    if _requested:
        raise KeyboardInterrupt


@contextmanager
def interruptible() -> Iterator[None]:
    """Record every SIGINT inside the ``with`` block for :func:`check` (re-entrant)."""
    global _depth, _requested
    install = (_depth == 0 and threading.current_thread() is threading.main_thread()
               and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    if install:
        signal.signal(signal.SIGINT, _handler)
    _depth += 1
    try:
        yield
        check()
    finally:
        _depth -= 1
        if install:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if _depth == 0:
            _requested = False
