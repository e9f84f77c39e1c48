"""Attribute replacements shared by every thread: installed by the first user, undone by the last.

fastinit.torch replaces a few of torch's functions and methods while a block
runs (``torch.nn.init``'s initializers while a module's own reset is routed,
the known modules' resets and ``nn.Module.__init__`` during ``fast_init``).
The replacements dispatch on the calling thread (a thread-local state says
whether that thread is inside a block), so one installation serves every
thread: :class:`SharedPatch` counts the blocks open in any thread and
restores torch's attributes when the last one closes, whatever the order in
which overlapping blocks of different threads end.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, Callable

__all__ = ["SharedPatch"]

#: ``(owner, attribute name, replacement factory)``: ``owner.<name>`` (``owner[name]`` for a dict) becomes
#: ``factory(original)``; an attribute a class inherits is set on it, and deleted again afterwards.
Target = tuple[Any, str, Callable[[Any], Any]]

_INHERITED = object()  # saved for an attribute the owner only inherits: deleted on restore


class SharedPatch:
    """``acquire()``/``release()`` around each block; the targets are replaced while any block is open."""

    def __init__(self, targets: Callable[[], Iterable[Target]]) -> None:
        self._targets = targets
        self._lock = threading.Lock()
        self._users = 0
        self._saved: list[tuple[Any, str, Any]] = []

    def acquire(self) -> None:
        with self._lock:
            if self._users == 0:
                for owner, attr, replacement in self._targets():
                    if isinstance(owner, dict):
                        original = owner[attr]
                        owner[attr] = replacement(original)
                        self._saved.append((owner, attr, original))
                        continue
                    own = vars(owner).get(attr, _INHERITED)
                    self._saved.append((owner, attr, own))
                    setattr(owner, attr, replacement(getattr(owner, attr) if own is _INHERITED else own))
            self._users += 1

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                for owner, attr, original in reversed(self._saved):
                    if isinstance(owner, dict):
                        owner[attr] = original
                    elif original is _INHERITED:
                        delattr(owner, attr)
                    else:
                        setattr(owner, attr, original)
                self._saved.clear()
