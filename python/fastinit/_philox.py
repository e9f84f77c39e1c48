"""The raw Philox4x32-10 block function."""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from . import _core

__all__ = ["philox4x32"]


def philox4x32(counters: npt.ArrayLike, key: npt.ArrayLike) -> npt.NDArray[np.uint32]:
    """Philox4x32-10 block function (Random123), applied row by row.

    Parameters
    ----------
    counters : array_like of uint32, shape (n, 4)
        Counter words ``ctr[0..3]`` per row.
    key : array_like of uint32, shape (2,)
        Key words ``key[0], key[1]``.

    Returns
    -------
    numpy.ndarray of uint32, shape (n, 4)
        ``philox4x32_10(counters[j], key)`` for every row ``j``; agrees with
        Random123's known-answer vectors and with
        ``randomgen.Philox(number=4, width=32)``.
    """
    c = np.asarray(counters)
    k = np.asarray(key)
    for name, a in (("counters", c), ("key", k)):
        if a.dtype != np.uint32:
            if a.dtype.kind not in "iu" or (a.size and (a.min() < 0 or a.max() > 0xFFFFFFFF)):
                raise TypeError(f"{name} must hold uint32 values, got dtype {a.dtype}")
    if c.ndim != 2 or c.shape[1] != 4:
        raise ValueError(f"counters must have shape (n, 4), got {c.shape}")
    if k.shape != (2,):
        raise ValueError(f"key must have shape (2,), got {k.shape}")
    return _core.philox4x32(np.ascontiguousarray(c, dtype=np.uint32), np.ascontiguousarray(k, dtype=np.uint32))
