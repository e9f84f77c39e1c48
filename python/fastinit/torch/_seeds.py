"""Where the random streams of fastinit.torch come from.

* :func:`stream` turns the ``generator=`` argument of a drop-in function into
  the ``seed=`` of a fastinit initializer: an int seed or a
  :class:`fastinit.Generator` is used as is; a :class:`torch.Generator`, or
  ``None`` (torch's default generator), gives a 64-bit seed drawn from it, so
  ``torch.manual_seed(s)`` keeps a script reproducible.
* :func:`root_seed` turns the ``seed=`` of the whole-model functions into the
  64-bit root from which every parameter's stream is derived by name
  (``Generator(root).fold_in(name)``).
"""
from __future__ import annotations

import numbers
from typing import Union

import numpy as np
import torch

from .._generator import _MAX_SEED, Generator, fold_in_seed
from .._philox import philox4x32

__all__ = ["stream", "root_seed", "fold_in_seed", "SeedLike"]

#: What the ``generator=``/``seed=`` arguments of fastinit.torch accept.
SeedLike = Union[int, Generator, torch.Generator, None]


def _from_torch(generator: torch.Generator | None) -> int:
    """A 64-bit seed drawn from ``generator`` (torch's default one for None): two 32-bit draws."""
    words: list[int] = torch.randint(0, 2**32, (2,), dtype=torch.int64, generator=generator,
                                     device=generator.device if generator is not None else "cpu").tolist()
    return int(words[0]) | (int(words[1]) << 32)


def _from_fastinit(generator: Generator) -> int:
    """A 64-bit seed from the next call of a fastinit Generator: words 0 and 1 of its block 0."""
    key0, key1, call = generator.spawn_call()
    w = philox4x32(np.array([[0, 0, call & 0xFFFFFFFF, call >> 32]], np.uint32), np.array([key0, key1], np.uint32))
    return int(w[0, 0]) | (int(w[0, 1]) << 32)


def _check_int(seed: int | numbers.Integral, name: str) -> int:
    value = int(seed)
    if not 0 <= value < _MAX_SEED:
        raise ValueError(f"{name} must be an int in [0, 2**64), got {seed}")
    return value


def _type_error(name: str, value: object) -> TypeError:
    return TypeError(f"{name} must be an int in [0, 2**64), a fastinit.Generator, a torch.Generator or None, "
                     f"got {type(value).__name__}")


def stream(generator: SeedLike, name: str = "generator") -> int | Generator:
    """The ``seed=`` a fastinit initializer gets for a drop-in call's ``generator=``."""
    if generator is None:
        return _from_torch(None)
    if type(generator) is int:
        return _check_int(generator, name)
    if isinstance(generator, Generator):
        return generator
    if isinstance(generator, torch.Generator):
        return _from_torch(generator)
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return _check_int(generator, name)
    raise _type_error(name, generator)


def root_seed(seed: SeedLike, name: str = "seed") -> int:
    """The 64-bit root of a whole-model call: an int as is, else one 64-bit draw from the generator.

    ``None`` draws from torch's default generator; a ``torch.Generator`` or a
    ``fastinit.Generator`` is advanced by one draw (one call).
    """
    if isinstance(seed, Generator):
        return _from_fastinit(seed)
    s = stream(seed, name)
    return s if isinstance(s, int) else _from_fastinit(s)  # stream() gives an exact int or a Generator


def draw_name(root: int, name: str) -> int:
    """The seed of the stream of the tensor called ``name``: ``Generator(root).fold_in(name).seed``."""
    return fold_in_seed(root, name)
