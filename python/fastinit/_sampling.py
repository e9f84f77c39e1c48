"""The one entry point from Python into the C++ samplers.

Every random or constant fill goes through :func:`fill_` (or
:func:`fill_array` when the caller has already validated the array): it
resolves the seed to a generator call, computes each element's logical index (plain or
sharded) and lets the C++ core fill the caller's memory with the GIL released.
"""
from __future__ import annotations

from collections.abc import Sequence

from . import _core
from ._arrays import as_writable_array, dtype_code, logical_layout, new_array, normalize_shape, resolve_dtype
from ._generator import _MAX_SEED, resolve_generator
from ._typing import Array, DTypeLike, OptionalShape, Seed, ShapeLike, TensorT

CONSTANT, UNIFORM, NORMAL, TRUNCATED_NORMAL = 0, 1, 2, 3


def fill_(tensor: TensorT, dist: int, params: tuple[float, ...] = (), seed: Seed = None,
          full_shape: OptionalShape = None, offset: OptionalShape = None, name: str = "tensor") -> TensorT:
    """Fill ``tensor`` in place with distribution ``dist`` and return it.

    ``params`` are up to four floats (see ``SamplerSpec`` in
    ``cpp/include/fastinit/distributions.hpp``). Random distributions consume
    one call of the generator given by ``seed``, even for an empty array.
    """
    arr = as_writable_array(tensor, name)
    lstrides, base, _ = logical_layout(arr.shape, full_shape, offset)
    fill_array(arr, dist, params, seed, lstrides, base)
    return tensor


def fill_array(arr: Array, dist: int, params: tuple[float, ...] = (), seed: Seed = None,
               lstrides: Sequence[int] = (), base: int = 0) -> Array:
    """:func:`fill_` for an array already accepted by ``as_writable_array``.

    ``lstrides`` and ``base`` come from ``logical_layout`` (``()`` and 0 for
    the whole tensor). Initializers that validate the array themselves call
    this, so that a small call checks its array and layout only once.
    """
    if dist == CONSTANT:
        key0 = key1 = call = 0
    elif type(seed) is int and 0 <= seed < _MAX_SEED:
        # Fast path, identical to Generator(seed).spawn_call(): call 0 of key seed.
        key0, key1, call = seed & 0xFFFFFFFF, seed >> 32, 0
    else:
        key0, key1, call = resolve_generator(seed).spawn_call()
    if arr.size == 0:
        return arr
    p = (*params, 0.0, 0.0, 0.0, 0.0)
    _core.fill(arr, dist, dtype_code(arr.dtype), key0, key1, call, p[0], p[1], p[2], p[3], lstrides, base)
    return arr


def new(shape: ShapeLike, dtype: DTypeLike, name: str = "shape", exact: bool = False,
        complex_ok: bool = False) -> Array:
    """A new C-contiguous array of ``shape`` and ``dtype`` (float32 if None).

    ``exact=True`` also allows integer and bool dtypes (constant initializers),
    ``complex_ok=True`` complex64 and complex128.
    """
    return new_array(normalize_shape(shape, name), resolve_dtype(dtype, exact=exact, complex_ok=complex_ok))
