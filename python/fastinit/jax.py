"""fastinit behind ``jax.nn.initializers``' call style (JAX and Flax).

Every name of ``jax.nn.initializers`` is here with the same factory
signature, and each factory returns ``init(key, shape, dtype=..., out_sharding=None)``
that returns a ``jax.Array``, so that it drops into Flax::

    import flax.linen as nn
    import fastinit.jax as fij

    layer = nn.Dense(64, kernel_init=fij.lecun_normal(), bias_init=fij.zeros)

**Where the randomness comes from.** The values are fastinit's, not JAX's: the
JAX key's data (``jax.random.key_data(key)``, two uint32 words for the default
threefry keys) becomes the 64-bit fastinit seed ``(word0 << 32) | word1``
(longer key data, e.g. ``rbg`` keys, is folded into 64 bits with FNV-1a). So
the same key gives the same values, different keys give independent streams,
and the values are the same on every machine; they are *not* the values that
``jax.nn.initializers`` would give for that key (same distribution, other
bits).

**Where the values are made.** fastinit fills a NumPy array on the host CPU
(with its thread pool) and the result is copied once to the default device
with ``jax.device_put`` (or to ``out_sharding`` when given). On a GPU/TPU that is one
host-to-device transfer of the array's bytes per call. Under ``jax.jit``
(for example ``jax.jit(model.init)``) the key is a tracer: the fill then runs
through ``jax.pure_callback`` on the host when the compiled function runs, and
XLA moves the result to the device. The values are the same either way.

**Dtypes**: float16, bfloat16, float32 and float64 everywhere; complex64 and
complex128 where ``jax.nn.initializers`` accepts them: ``normal`` (the complex
normal), ``variance_scaling`` and its presets ``glorot_*``, ``he_*``,
``lecun_*``, ``xavier_*``, ``kaiming_*`` (uniform disk, complex truncated
normal, complex normal), ``orthogonal`` and ``delta_orthogonal`` (unitary),
``zeros``, ``ones`` and ``constant``. ``uniform`` and ``truncated_normal``
refuse complex dtypes, as JAX's do (a TypeError here, a ValueError in JAX).
The complex values are fastinit's (see :func:`fastinit.variance_scaling_`
for the formulas and the stream layout), the same as the core functions give
for the same seed.

**Differences from JAX** (see ``docs/initializers.md``): integer dtypes are
refused by the random initializers and allowed by ``zeros``, ``ones`` and
``constant``, whose values must then be storable exactly (a complex value for
a real dtype is a TypeError); the complex truncated normal has variance
``scale / n`` as JAX documents, where JAX's constant 0.95311164380491208 gives
1.8654% more; axes must be in range and must not overlap; ``mode`` and
``distribution`` are checked when the factory is called, not at the first init.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, Union

import jax
import jax.numpy as jnp
import numpy as np

from . import initializers as _init
from . import structured as _struct
from ._params import positive
from .fans import check_choice

__all__ = [
    "constant", "delta_orthogonal", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "normal", "ones", "orthogonal",
    "truncated_normal", "uniform", "variance_scaling", "xavier_normal", "xavier_uniform", "zeros", "seed_from_key",
]  # fmt: skip

#: ``init(key, shape, dtype=..., out_sharding=None) -> jax.Array``
Initializer = Callable[..., jax.Array]
#: An axis or axes, as JAX takes them.
Axes = Union[int, Sequence[int]]
#: A dtype as JAX and NumPy take it (a type, a name, ``jnp.bfloat16``...), or None for the default.
DTypeLike = Any
#: The host-side fill of an initializer: ``(shape, numpy dtype, seed) -> ndarray``.
Fill = Callable[[tuple[int, ...], np.dtype, int], np.ndarray]

JAX_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
#: JAX's distribution names -> fastinit's (JAX's "normal" is untruncated).
JAX_DISTRIBUTIONS = {"truncated_normal": "truncated_normal", "normal": "untruncated_normal", "uniform": "uniform"}

_FNV_OFFSET, _FNV_PRIME, _MASK64 = 0xCBF29CE484222325, 0x100000001B3, 2**64 - 1


def seed_from_key(key: Any) -> int:
    """The 64-bit fastinit seed of a concrete JAX PRNG key (typed or raw uint32 data).

    Two words ``(w0, w1)`` (threefry, the default) give ``(w0 << 32) | w1``;
    any other length is folded with FNV-1a over the 32-bit words.
    """
    words = np.asarray(_key_data(key), dtype=np.uint32).ravel()
    if words.size == 2:
        return (int(words[0]) << 32) | int(words[1])
    h = _FNV_OFFSET
    for w in words.tolist():
        h = ((h ^ w) * _FNV_PRIME) & _MASK64
    return h


def _key_data(key: Any) -> Any:
    if isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return jax.random.key_data(key)
    return key


def _default_dtype() -> np.dtype[Any]:
    """JAX's default float dtype: float32, or float64 with ``jax_enable_x64``."""
    dtype: np.dtype[Any] = np.dtype(jnp.result_type(float))
    return dtype


def _factory(fill: Fill, factory_dtype: DTypeLike) -> Initializer:
    """An ``init(key, shape, dtype, out_sharding)`` around ``fill(shape, numpy dtype, seed) -> ndarray``."""

    def init(key: Any, shape: Sequence[int], dtype: DTypeLike = factory_dtype,
             out_sharding: Any = None) -> jax.Array:
        shape = tuple(int(d) for d in shape)
        np_dtype = np.dtype(_default_dtype() if dtype is None else dtype)
        data = _key_data(key)
        if isinstance(data, jax.core.Tracer):  # under jit/vmap: fill on the host when the computation runs
            def host(words: np.ndarray) -> np.ndarray:
                return fill(shape, np_dtype, seed_from_key(words))

            fill(shape[:1] and (0,) + shape[1:], np_dtype, 0)  # check the arguments now, on an empty array
            result: jax.Array = jax.pure_callback(host, jax.ShapeDtypeStruct(shape, np_dtype), data)
            if out_sharding is not None:
                result = jax.lax.with_sharding_constraint(result, out_sharding)
            return result
        values = fill(shape, np_dtype, seed_from_key(data))
        placed: jax.Array = jax.device_put(values) if out_sharding is None else jax.device_put(values, out_sharding)
        return placed

    return init


# --------------------------------------------------------------------------
# Constants (the key is ignored)


_zeros = _factory(lambda s, d, seed: _init.zeros(s, dtype=d), None)
_ones = _factory(lambda s, d, seed: _init.ones(s, dtype=d), None)


def zeros(key: Any, shape: Sequence[int], dtype: DTypeLike = None, out_sharding: Any = None) -> jax.Array:
    """An array of zeros (the key is ignored); integer and bool dtypes allowed. As ``jax.nn.initializers.zeros``."""
    return _zeros(key, shape, dtype, out_sharding)


def ones(key: Any, shape: Sequence[int], dtype: DTypeLike = None, out_sharding: Any = None) -> jax.Array:
    """An array of ones (the key is ignored); integer and bool dtypes allowed. As ``jax.nn.initializers.ones``."""
    return _ones(key, shape, dtype, out_sharding)


def constant(value: Any, dtype: DTypeLike = None) -> Initializer:
    """``init`` filling with ``value`` (a number or an array broadcast to the shape), as ``jnp.full``.

    Unlike JAX, a value the dtype cannot hold exactly (2.5 for an integer
    dtype, 1e6 for float16) is a ValueError instead of being cast.
    """
    return _factory(lambda s, d, seed: _init.constant(s, value, dtype=d), dtype)


# --------------------------------------------------------------------------
# Plain distributions


def uniform(scale: float = 1e-2, dtype: DTypeLike = None) -> Initializer:
    """``init`` drawing from U[0, scale) (not symmetric), as ``jax.nn.initializers.uniform``."""
    return _factory(lambda s, d, seed: _init.uniform(s, 0.0, scale, dtype=d, seed=seed), dtype)


def normal(stddev: float = 1e-2, dtype: DTypeLike = None) -> Initializer:
    """``init`` drawing from N(0, stddev**2), as ``jax.nn.initializers.normal``.

    Complex dtypes get the complex normal: real and imaginary parts each
    N(0, stddev**2 / 2), so ``E|z|**2 = stddev**2``, as JAX.
    """
    return _factory(lambda s, d, seed: _init.normal(s, 0.0, stddev, dtype=d, seed=seed), dtype)


def truncated_normal(stddev: float = 1e-2, dtype: DTypeLike = None, lower: float = -2.0,
                     upper: float = 2.0) -> Initializer:
    """``init`` drawing from N(0, stddev**2) truncated to ``[lower * stddev, upper * stddev]``.

    The bounds are in units of ``stddev`` and there is no variance correction,
    as ``jax.nn.initializers.truncated_normal``.
    """
    def fill(s: tuple[int, ...], d: np.dtype, seed: int) -> np.ndarray:
        return _init.truncated_normal(s, 0.0, stddev, lower * stddev, upper * stddev, dtype=d, seed=seed)

    return _factory(fill, dtype)


# --------------------------------------------------------------------------
# Variance scaling and its presets


def variance_scaling(scale: float, mode: str, distribution: str, in_axis: Axes = -2, out_axis: Axes = -1,
                     batch_axis: Axes = (), dtype: DTypeLike = None) -> Initializer:
    """``init`` with variance ``scale / fan``, as ``jax.nn.initializers.variance_scaling``.

    ``mode`` is ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` or ``"fan_geo_avg"``;
    ``distribution`` is ``"truncated_normal"`` (2-sigma, rescaled by
    1/0.8796 so that the std is ``sqrt(scale / fan)``), ``"normal"``
    (**untruncated** in JAX, unlike Keras) or ``"uniform"``. Fans are read
    from ``in_axis``/``out_axis``/``batch_axis`` (JAX's defaults: ``(..., in, out)``).

    Complex dtypes, as JAX, with ``E|z|**2 = scale / fan``: ``"uniform"`` is
    uniform in the disk of radius ``sqrt(2 * scale / fan)``;
    ``"truncated_normal"`` a standard complex normal with modulus truncated at
    2, times ``sqrt(scale / fan) / 0.96196182800821`` (JAX divides by
    0.95311164380491208, giving 1.8654% more variance than it documents);
    ``"normal"`` the complex normal. See :func:`fastinit.variance_scaling_`.
    """
    scale = positive(scale, "scale")
    mode = check_choice(mode, JAX_MODES, "mode")
    dist = JAX_DISTRIBUTIONS[check_choice(distribution, tuple(JAX_DISTRIBUTIONS), "distribution")]

    def fill(s: tuple[int, ...], d: np.dtype, seed: int) -> np.ndarray:
        return _init.variance_scaling(s, scale, mode, dist, in_axis=in_axis, out_axis=out_axis,
                                      batch_axis=batch_axis, dtype=d, seed=seed)

    return _factory(fill, dtype)


def glorot_uniform(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                   dtype: DTypeLike = None) -> Initializer:
    """``variance_scaling(1.0, "fan_avg", "uniform", ...)``: U(+-sqrt(6 / (fan_in + fan_out)))."""
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                  dtype: DTypeLike = None) -> Initializer:
    """``variance_scaling(1.0, "fan_avg", "truncated_normal", ...)``: truncated, std sqrt(2 / (fan_in + fan_out))."""
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


def lecun_uniform(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                  dtype: DTypeLike = None) -> Initializer:
    """``variance_scaling(1.0, "fan_in", "uniform", ...)``: U(+-sqrt(3 / fan_in))."""
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                 dtype: DTypeLike = None) -> Initializer:
    """``variance_scaling(1.0, "fan_in", "truncated_normal", ...)``: truncated, std sqrt(1 / fan_in) (Flax default)."""
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


def he_uniform(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
               dtype: DTypeLike = None) -> Initializer:
    """``variance_scaling(2.0, "fan_in", "uniform", ...)``: U(+-sqrt(6 / fan_in))."""
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
              dtype: DTypeLike = None) -> Initializer:
    """``variance_scaling(2.0, "fan_in", "truncated_normal", ...)``: truncated, std sqrt(2 / fan_in)."""
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


# --------------------------------------------------------------------------
# Orthogonal


def orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: DTypeLike = None) -> Initializer:
    """``init`` giving a (semi-)orthogonal matrix times ``scale`` whose columns are along ``column_axis``.

    The other axes are flattened into rows, as ``jax.nn.initializers.orthogonal``;
    see :func:`fastinit.orthogonal`. Complex dtypes give a (semi-)unitary
    matrix (QR of a complex normal matrix, columns times the phases of
    ``diag(R)``), as JAX.
    """
    return _factory(lambda s, d, seed: _struct.orthogonal(s, scale, column_axis=column_axis, dtype=d, seed=seed),
                    dtype)


def delta_orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: DTypeLike = None) -> Initializer:
    """``init`` for a 3-5-D kernel ``(*k, in, out)``: an orthogonal matrix at the centre tap ``(k - 1) // 2``.

    As ``jax.nn.initializers.delta_orthogonal``; see :func:`fastinit.delta_orthogonal`.
    """
    def fill(s: tuple[int, ...], d: np.dtype, seed: int) -> np.ndarray:
        return _struct.delta_orthogonal(s, scale, column_axis=column_axis, dtype=d, seed=seed)

    return _factory(fill, dtype)
