"""Seeds and generators: which Philox key and call number a random call uses.

A :class:`Generator` is a Philox4x32-10 key plus a call counter. Every random
function draws from one *call* of a generator: the values it writes depend only
on the key, the call number, each element's logical index, the dtype and the
distribution's parameters (see ``docs/streams.md``). The counter advances by
one per call, whatever the array's size, so a sequence of calls is
reproducible from the seed alone.
"""
from __future__ import annotations

import hashlib
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

    def fold_in(self, data: int | str) -> Generator:
        """A new, independent Generator derived from this one's seed and ``data``.

        ``data`` is an int in ``[0, 2**64)`` or a string (for example a
        parameter's qualified name, ``"h.0.attn.c_proj.weight"``). The child's
        seed is the first 8 bytes (little-endian) of the keyed BLAKE2b hash

            ``blake2b(tag + payload, digest_size=8, key=seed.to_bytes(8, "little"), person=b"fastinit.fold_in")``

        with ``tag, payload = b"i", data.to_bytes(8, "little")`` for an int and
        ``b"s", data.encode("utf-8")`` for a string; the child starts at call 0.
        The result depends only on this generator's seed and ``data`` (not on
        how many calls it has served, and it does not advance it), so the same
        name always gives the same stream and different names give streams as
        unrelated as two random seeds. Give each layer its own child instead of
        one int seed for all, or same-shaped layers get identical weights.

        Examples
        --------
        >>> root = fastinit.Generator(0)
        >>> w = fastinit.normal((64, 64), std=0.02, seed=root.fold_in("layer1.weight"))
        """
        return Generator(fold_in_seed(self._seed, data))

    def spawn(self, n: int) -> list[Generator]:
        """``n`` independent child generators: ``[self.fold_in(i) for i in range(n)]``.

        Pure like :meth:`fold_in`: the same seed always spawns the same
        children, whatever this generator's call count.
        """
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"n must be a non-negative int, got {n!r}")
        return [self.fold_in(i) for i in range(int(n))]

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


_FOLD_PERSON = b"fastinit.fold_in"


def fold_in_seed(seed: int, data: int | str) -> int:
    """The seed of ``Generator(seed).fold_in(data)`` (see :meth:`Generator.fold_in`), as an int."""
    if type(data) is str:
        payload = b"s" + data.encode("utf-8")
    elif isinstance(data, numbers.Integral) and not isinstance(data, bool) and 0 <= int(data) < _MAX_SEED:
        payload = b"i" + int(data).to_bytes(8, "little")
    else:
        raise TypeError(f"data must be a str or an int in [0, 2**64), got {data!r}")
    digest = hashlib.blake2b(payload, digest_size=8, key=seed.to_bytes(8, "little"), person=_FOLD_PERSON).digest()
    return int.from_bytes(digest, "little")


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
