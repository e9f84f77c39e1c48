"""Seeds and generators: which Philox key and call number a random call uses.

A :class:`Generator` is a Philox4x32-10 key plus a call counter. Every random
function draws from one *call* of a generator: the values it writes depend only
on the key, the call number, each element's logical index, the dtype and the
distribution's parameters (see ``docs/streams.md``). The counter advances by
one per call, whatever the array's size, so a sequence of calls is
reproducible from the seed alone.
"""
from __future__ import annotations

import numbers
import os
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["Generator", "manual_seed", "default_generator"]

_MAX_SEED = 2**64
_MAX_CALLS = 2**56


def _check_seed(seed: object, name: str = "seed") -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be an int in [0, 2**64), got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < _MAX_SEED:
        raise ValueError(f"{name} must be an int in [0, 2**64), got {seed}")
    return seed


class Generator:
    """A reproducible stream of random calls (Philox4x32-10, counter-based).

    Parameters
    ----------
    seed : int in [0, 2**64) or None
        The 64-bit Philox key: ``key = (seed & 0xFFFFFFFF, seed >> 32)``.
        ``None`` draws a seed from the operating system's entropy source.

    Each random function given this generator uses its next call number and
    then advances it, so two calls give different values while the same seed
    replays the same sequence. Unlike NumPy's bit generators the state is two
    integers (``seed``, ``calls``); the values of a call never depend on how
    many elements earlier calls drew.

    Examples
    --------
    >>> g = fastinit.Generator(42)
    >>> a = fastinit.normal((3, 4), seed=g)   # call 0
    >>> b = fastinit.normal((3, 4), seed=g)   # call 1: different values
    >>> g.calls
    2
    """

    __slots__ = ("_seed", "_calls", "_lock")

    def __init__(self, seed: int | np.integer[Any] | None = None) -> None:
        if seed is None:
            seed = int.from_bytes(os.urandom(8), "little")
        self._seed = _check_seed(seed)
        self._calls = 0
        self._lock = threading.Lock()

    @property
    def seed(self) -> int:
        """The 64-bit seed (Philox key) of this generator."""
        return self._seed

    @property
    def key(self) -> tuple[int, int]:
        """The Philox key words ``(seed & 0xFFFFFFFF, seed >> 32)``."""
        return (self._seed & 0xFFFFFFFF, self._seed >> 32)

    @property
    def calls(self) -> int:
        """How many random calls this generator has served (the next call number)."""
        return self._calls

    def get_state(self) -> dict[str, int]:
        """The whole state, ``{"seed": int, "calls": int}``."""
        return {"seed": self._seed, "calls": self._calls}

    def set_state(self, state: Mapping[str, Any]) -> Generator:
        """Restore a state returned by :meth:`get_state`; returns ``self``."""
        if not isinstance(state, dict) or set(state) != {"seed", "calls"}:
            raise ValueError("state must be a dict with exactly the keys 'seed' and 'calls'")
        seed = _check_seed(state["seed"], "state['seed']")
        calls = state["calls"]
        if isinstance(calls, bool) or not isinstance(calls, numbers.Integral) or not 0 <= int(calls) < _MAX_CALLS:
            raise ValueError(f"state['calls'] must be an int in [0, 2**56), got {calls!r}")
        with self._lock:
            self._seed, self._calls = seed, int(calls)
        return self

    def spawn_call(self) -> tuple[int, int, int]:
        """Reserve the next call: returns ``(key0, key1, call)`` and advances."""
        with self._lock:
            call = self._calls
            if call >= _MAX_CALLS:
                raise RuntimeError("this Generator has served 2**56 calls; create a new one")
            self._calls = call + 1
        return (self._seed & 0xFFFFFFFF, self._seed >> 32, call)

    def __getstate__(self) -> dict[str, int]:
        return self.get_state()

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self._lock = threading.Lock()
        self._seed, self._calls = state["seed"], state["calls"]

    def __repr__(self) -> str:
        return f"fastinit.Generator(seed={self._seed}, calls={self._calls})"


_default = Generator()


def default_generator() -> Generator:
    """The generator used when a random function gets ``seed=None``."""
    return _default


def manual_seed(seed: int | np.integer[Any]) -> Generator:
    """Reseed the default generator (used by ``seed=None``) in place and return it.

    Afterwards it is in the state of ``Generator(seed)`` (call 0). As with
    ``torch.manual_seed`` and ``numpy.random.seed``, references to the default
    generator see the new seed.
    """
    return _default.set_state({"seed": _check_seed(seed), "calls": 0})


def resolve_generator(seed: int | np.integer[Any] | Generator | None) -> Generator:
    """``seed: int | Generator | None`` -> the Generator a call draws from.

    An int gives a fresh ``Generator(int)``, so the same int always gives the
    same values; a Generator is used (and advanced) as is; ``None`` uses the
    default generator.
    """
    if seed is None:
        return _default
    if isinstance(seed, Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            "seed must be an int in [0, 2**64), a fastinit.Generator or None, "
            f"got {type(seed).__name__}"
        )
    return Generator(seed)
