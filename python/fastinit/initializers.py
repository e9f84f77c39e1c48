"""Element-wise initializers: constants, plain distributions and fan-scaled ones.

Every value depends only on the seed, the element's logical index, the dtype
and the parameters, so each in-place form ``name_(tensor, ...)`` also fills a
block of a larger tensor (``full_shape=``, ``offset=``) with exactly the
values of the whole. Each ``name(shape, ...)`` is the out-of-place form: it
allocates a new C-contiguous array in the C++ core and fills it in place.

Parameters follow ``torch.nn.init`` (absolute truncation bounds,
``gain``/``a``/``nonlinearity``); Keras 3 semantics are available through
:func:`variance_scaling`. The normal fan-scaled initializers come in pairs
under the two frameworks' names, which differ in truncation: the PyTorch
names draw untruncated normals, the Keras/JAX names truncated ones (to
+-2 std, rescaled to keep the variance), each with ``truncated=`` to choose.
The ``*_uniform`` pairs are one function under two names (aliases).

=====================  =========================  ======================================
name                   truncated by default       framework's name
=====================  =========================  ======================================
``uniform``            (uniform)                  torch ``uniform_``, Keras ``RandomUniform``
``normal``             no                         torch ``normal_``, Keras ``RandomNormal``, JAX ``normal``
``truncated_normal``   yes (bounds ``a, b``)      torch ``trunc_normal_``, Keras ``TruncatedNormal``
``xavier_uniform``     (uniform)                  torch ``xavier_uniform_``
``glorot_uniform``     (uniform)                  Keras ``GlorotUniform``, JAX ``glorot_uniform`` (alias)
``xavier_normal``      no                         torch ``xavier_normal_``
``glorot_normal``      yes                        Keras ``GlorotNormal``, JAX ``glorot_normal``
``he_uniform``         (uniform)                  Keras ``HeUniform``, JAX ``he_uniform``
``kaiming_uniform``    (uniform)                  torch ``kaiming_uniform_`` (alias)
``kaiming_normal``     no                         torch ``kaiming_normal_``
``he_normal``          yes                        Keras ``HeNormal``, JAX ``he_normal``
``lecun_uniform``      (uniform)                  Keras ``LecunUniform``, JAX ``lecun_uniform``
``lecun_normal``       yes                        Keras ``LecunNormal``, JAX ``lecun_normal``
``variance_scaling``   yes ("truncated_normal")   Keras ``VarianceScaling``, JAX ``variance_scaling``
=====================  =========================  ======================================

``zeros``, ``ones`` and ``constant`` are torch's ``zeros_``/``ones_``/``constant_``
and Keras's ``Zeros``/``Ones``/``Constant``. See ``docs/initializers.md`` for
the framework differences.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _complex, _sampling
from ._arrays import (
    BFLOAT16_BITS,
    LARGEST_FINITE,
    as_writable_array,
    bfloat16_bits,
    bfloat16_value,
    is_exact,
    logical_layout,
)
from ._docs import shared_doc
from ._params import exact_values, finite, finite_number, non_negative, positive, real
from ._params import scalar as scalar_value
from ._typing import Array, DTypeLike, OptionalShape, Seed, ShapeLike, TensorT
from .fans import FAN_MODES, Axes, calculate_gain, check_choice, resolve_fan

__all__ = [
    "zeros", "zeros_", "ones", "ones_", "constant", "constant_",
    "uniform", "uniform_", "normal", "normal_", "truncated_normal", "truncated_normal_",
    "xavier_uniform", "xavier_uniform_", "xavier_normal", "xavier_normal_",
    "glorot_uniform", "glorot_uniform_", "glorot_normal", "glorot_normal_",
    "he_uniform", "he_uniform_", "he_normal", "he_normal_",
    "kaiming_uniform", "kaiming_uniform_", "kaiming_normal", "kaiming_normal_",
    "lecun_uniform", "lecun_uniform_", "lecun_normal", "lecun_normal_",
    "variance_scaling", "variance_scaling_",
]  # fmt: skip

#: Standard deviation of N(0, 1) truncated to (-2, 2) (Keras's correction).
TRUNCATED_STD_2SIGMA = 0.87962566103423978

VARIANCE_SCALING_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "normal", "uniform")
HE_MODES = ("fan_in", "fan_out")
_FLOAT32_MAX = LARGEST_FINITE[np.dtype(np.float32)]


def _block(tensor: object, full_shape: OptionalShape, offset: OptionalShape,
           complex_ok: bool = False) -> tuple[Array, tuple[Sequence[int], int], tuple[int, ...]]:
    """``(array view, layout, logical full shape)`` of an in-place call's tensor.

    Checks the tensor and ``full_shape``/``offset`` once per call; ``layout``
    is the ``(lstrides, base)`` pair that :func:`_sampling.fill_array` takes.
    ``complex_ok`` accepts complex arrays (initializers with complex values).
    """
    arr = as_writable_array(tensor, complex_ok=complex_ok)
    lstrides, base, full = logical_layout(arr.shape, full_shape, offset)
    return arr, (lstrides, base), full


def _uniform_symmetric(tensor: TensorT, arr: Array, layout: tuple[Sequence[int], int], bound: float,
                       seed: Seed) -> TensorT:
    _check_uniform_bounds(-bound, bound, arr.dtype, "the bound derived from gain/scale and the fan")
    _sampling.fill_array(arr, _sampling.UNIFORM, (-bound, bound), seed, *layout)
    return tensor


def _normal_centered(tensor: TensorT, arr: Array, layout: tuple[Sequence[int], int], std: float,
                     seed: Seed) -> TensorT:
    _sampling.fill_array(arr, _sampling.NORMAL, (0.0, std), seed, *layout)
    return tensor


def _check_uniform_bounds(low: float, high: float, dtype: np.dtype[Any], what: str) -> None:
    """[low, high) must hold finite values of ``dtype`` and a span finite in the arithmetic used."""
    big = LARGEST_FINITE[dtype]
    if not (-big <= low and high <= big):
        raise ValueError(f"{what} gives [low, high) = [{low}, {high}), outside the finite range of "
                         f"{dtype}: need |low|, |high| <= {big:.9g}")
    span_limit = LARGEST_FINITE[np.dtype(np.float64)] if dtype == np.float64 else _FLOAT32_MAX
    if not high - low <= span_limit:
        # float16/bfloat16/float32 values are low + (high - low) * u computed in float32.
        raise ValueError(f"{what} gives high - low = {high - low}, not finite in the "
                         f"{'float64' if dtype == np.float64 else 'float32'} arithmetic used for {dtype} "
                         f"(at most {span_limit:.9g}); got low={low}, high={high}")


def _check_in_range(value: float, name: str, dtype: np.dtype[Any]) -> None:
    """A value to be stored in ``dtype`` must lie within its finite range (else it would round to inf)."""
    big = LARGEST_FINITE[dtype]
    if not -big <= value <= big:
        raise ValueError(f"{name}={value} is outside the finite range of {dtype}: need |{name}| <= {big:.9g}")


def _holds_a_finite_value(a: float, b: float, dtype: np.dtype[Any]) -> bool:
    """Whether [a, b] contains a finite value of ``dtype`` (a, b may be infinite)."""
    if a <= 0.0 <= b:  # every dtype holds 0; spares the common call the NumPy work below
        return True
    big = LARGEST_FINITE[dtype]
    lo, hi = max(a, -big), min(b, big)
    if lo > hi:
        return False
    if dtype == BFLOAT16_BITS:  # torch bfloat16 without ml_dtypes: the same test on its bits
        bits = int(bfloat16_bits(lo))
        if float(bfloat16_value(bits)) < lo:  # one step towards +inf: up in magnitude if >= 0, down if < 0
            bits = bits + 1 if bits < 0x8000 else (0 if bits == 0x8000 else bits - 1)
        return float(bfloat16_value(bits)) <= hi
    with np.errstate(over="ignore"):
        v = np.asarray(lo).astype(dtype)  # nearest value of the dtype; step up if it is below lo
    if float(v) < lo:
        v = np.nextafter(v, np.asarray(np.inf, dtype=dtype))
    return float(v) <= hi


# --------------------------------------------------------------------------
# Constants


def _broadcast_block(values: Array, shape: tuple[int, ...], full: tuple[int, ...], full_shape: OptionalShape,
                     offset: OptionalShape) -> Array:
    """``values`` broadcast to the full tensor, then the block of ``shape`` at ``offset``."""
    try:
        whole = np.broadcast_to(values, full)
    except ValueError:
        raise ValueError(f"value of shape {values.shape} cannot be broadcast to the shape {full}") from None
    if full_shape is None and offset is None:
        return whole
    start = (0,) * len(shape) if offset is None else tuple(int(o) for o in offset)  # type: ignore[union-attr]
    return whole[tuple(slice(o, o + n) for o, n in zip(start, shape))]


@shared_doc
def constant_(tensor: TensorT, value: npt.ArrayLike, *, full_shape: OptionalShape = None,
              offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with ``value``.

    Parameters
    ----------
    tensor : numpy.ndarray or CPU tensor with DLPack
        As for every initializer (any layout, never copied), and besides the
        floating dtypes also any integer or bool dtype (as Keras allows) and
        complex64/complex128 (as JAX and PyTorch allow).
    value : float, complex or array_like
        A finite number within the finite range of the array's dtype (for
        float16, ``|value| <= 65504``), rounded to the dtype; for an integer
        dtype a whole number within its range, for bool 0/1 or False/True;
        for a complex dtype a real or complex number whose parts are finite
        and within the range of its components (complex values fill only
        complex arrays).
        An array is broadcast to the array's shape (NumPy rules; with
        ``full_shape`` to the full shape, of which the block is taken), as
        JAX's ``constant`` allows; each of its elements obeys the same rules.
    <<SHARD>>

    <<RETURNS>>

    Raises
    ------
    ValueError
        If a value is not finite, the dtype cannot hold it (it would be
        stored as inf or rounded to another integer; PyTorch's ``fill_``
        refuses the former too) or an array value does not broadcast.
    TypeError
        If ``value`` is not a number or an array of numbers, or is a bool for
        a non-bool array.
    """
    scalar = not isinstance(value, np.ndarray) and np.ndim(value) == 0
    arr = as_writable_array(tensor, exact=True, complex_ok=True)
    number = scalar_value(value, "value") if scalar else value  # a 0-d array's number (complex: Python complex)
    if scalar and not is_exact(arr.dtype) and arr.dtype.kind != "c" and not isinstance(number, complex):
        # the common case: one real number into a float array, filled by the C++ core
        value = finite(number, "value")
        lstrides, base, _ = logical_layout(arr.shape, full_shape, offset)
        _check_in_range(value, "value", arr.dtype)
        _sampling.fill_array(arr, _sampling.CONSTANT, (value,), None, lstrides, base)
        return tensor
    _, _, full = logical_layout(arr.shape, full_shape, offset)
    values = exact_values(value, arr.dtype, "value")
    arr[...] = values if scalar else _broadcast_block(values, arr.shape, full, full_shape, offset)
    return tensor


@shared_doc
def zeros_(tensor: TensorT, *, full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with 0.

    Parameters
    ----------
    <<TENSOR>>
    <<SHARD>>

    <<RETURNS>>
    """
    return constant_(tensor, 0.0, full_shape=full_shape, offset=offset)


@shared_doc
def ones_(tensor: TensorT, *, full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with 1.

    Parameters
    ----------
    <<TENSOR>>
    <<SHARD>>

    <<RETURNS>>
    """
    return constant_(tensor, 1.0, full_shape=full_shape, offset=offset)


# --------------------------------------------------------------------------
# Plain distributions


@shared_doc
def uniform_(tensor: TensorT, low: float = 0.0, high: float = 1.0, *, seed: Seed = None,
             full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with values drawn from the uniform distribution U[low, high).

    Parameters
    ----------
    <<TENSOR>>
    low, high : float, default 0 and 1
        Finite bounds with ``low <= high``; ``high`` is never returned, even
        after rounding to a narrow dtype (a value that would round to ``high``
        becomes ``low``). ``low`` is rounded to the dtype like any value
        (bfloat16 stores -0.05 as -0.05005). ``low == high`` gives the
        constant ``low``.
    <<SEED>>
    <<SHARD>>

    <<RETURNS>>

    Raises
    ------
    ValueError
        If ``low > high``, a bound is not finite or lies outside the finite
        range of the array's dtype, or ``high - low`` overflows the float32
        arithmetic used for float32, float16 and bfloat16 (PyTorch refuses
        the same cases).

    Notes
    -----
    Defaults follow ``torch.nn.init.uniform_`` (U[0, 1)). Keras's
    ``RandomUniform`` defaults to U[-0.05, 0.05) and JAX's ``uniform(scale)``
    draws from U[0, scale) with scale 0.01.
    """
    low, high = finite(low, "low"), finite(high, "high")
    if low > high:
        raise ValueError(f"uniform needs low <= high, got low={low}, high={high}")
    if not math.isfinite(high - low):
        raise ValueError(f"high - low must be finite, got low={low}, high={high}")
    arr, layout, _ = _block(tensor, full_shape, offset)
    _check_in_range(low, "low", arr.dtype)
    _check_in_range(high, "high", arr.dtype)
    if arr.dtype != np.float64 and high - low > _FLOAT32_MAX:
        # float16/bfloat16/float32 values are low + (high - low) * u computed in float32.
        raise ValueError(f"high - low must be finite in float32 arithmetic (at most {_FLOAT32_MAX:.9g}) "
                         f"for {arr.dtype}, got low={low}, high={high}")
    _sampling.fill_array(arr, _sampling.UNIFORM, (low, high), seed, *layout)
    return tensor


@shared_doc
def normal_(tensor: TensorT, mean: float | complex = 0.0, std: float = 1.0, *, seed: Seed = None,
            full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with values drawn from the normal distribution N(mean, std**2).

    Parameters
    ----------
    <<TENSOR>>
        Also complex64/complex128: see Notes.
    mean : float, default 0
        For a complex array also a complex number.
    std : float, default 1
        The standard deviation, ``>= 0``; ``std=0`` gives the constant ``mean``.
        For a complex array ``std**2 = E|z - mean|**2``.
    <<SEED>>
    <<SHARD>>

    <<RETURNS>>

    Raises
    ------
    ValueError
        If ``std < 0`` or a parameter is not finite.
    TypeError
        A complex ``mean`` for a real array.

    Notes
    -----
    Defaults follow ``torch.nn.init.normal_`` (N(0, 1)). Keras's
    ``RandomNormal`` defaults to std 0.05 and JAX's ``normal`` to std 0.01.

    A complex array gets the complex normal ``z = mean + std * (g1 + i g2) /
    sqrt(2)`` with ``g1, g2`` independent standard normals: real and imaginary
    parts each have variance ``std**2 / 2``, so ``|z - mean|**2 / std**2 ~
    Exp(1)``, the angle is uniform and the variance of ``z`` is ``std**2``, as
    for a real array. This is JAX's ``normal`` for complex dtypes (which has no
    mean) and PyTorch's ``normal_`` on complex tensors, except that PyTorch
    adds a (real) ``mean`` to both parts (``mean * (1 + 1j)``) where fastinit
    adds ``mean`` as a complex number. The parts come from the stream layout
    of ``fastinit._complex``: real part of flat element ``k`` at logical index
    ``2 k``, imaginary part at ``2 k + 1``, so thread counts and shard
    layouts give the same bits.
    """
    mean_value, std = finite_number(mean, "mean"), non_negative(std, "std")
    arr, layout, _ = _block(tensor, full_shape, offset, complex_ok=True)
    if arr.dtype.kind == "c":
        _complex.fill_normal(arr, mean_value, std, seed, *layout)
    elif isinstance(mean_value, complex):
        raise TypeError(f"mean must be a real number for a {arr.dtype} array, got {mean!r} (a complex mean needs "
                        "a complex64 or complex128 array)")
    else:
        _sampling.fill_array(arr, _sampling.NORMAL, (mean_value, std), seed, *layout)
    return tensor


@shared_doc
def truncated_normal_(tensor: TensorT, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, *,
                      seed: Seed = None, full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with values from N(mean, std**2) truncated to [a, b].

    The density is the normal density restricted to ``[a, b]`` and
    renormalized; ``a`` and ``b`` are **absolute** bounds, as in
    ``torch.nn.init.trunc_normal_``. Every stored value lies in ``[a, b]``
    after rounding to the array's dtype; nothing is clamped onto the bounds,
    so even narrow or far-tail intervals (``a=2, b=3``) and small ``std`` in
    half precision have the right distribution.

    Parameters
    ----------
    <<TENSOR>>
    mean : float, default 0
    std : float, default 1
        The standard deviation *before* truncation, ``>= 0``. ``std=0`` gives
        the constant ``mean`` (which must then lie in ``[a, b]``).
    a, b : float, default -2 and 2
        Absolute bounds with ``a < b``; ``-inf``/``inf`` give a one-sided
        truncation. ``[a, b]`` must contain a value of the array's dtype.
    <<SEED>>
    <<SHARD>>

    <<RETURNS>>

    Raises
    ------
    ValueError
        If ``a >= b``, ``std < 0``, ``mean``/``std`` are not finite, a bound
        is NaN, ``[a, b]`` holds no value of the dtype, or ``std=0`` and
        ``mean`` is outside ``[a, b]``.

    Notes
    -----
    The result's standard deviation is *smaller* than ``std`` (by the factor
    0.8796 for the interval mean +- 2 std); no correction is applied.

    Frameworks differ in what the bounds mean:

    * PyTorch ``trunc_normal_(mean, std, a, b)``: absolute bounds, as here.
      ``trunc_normal_(w, std=0.02)`` with the default ``a=-2, b=2`` is
      therefore effectively *untruncated* (the bounds are 100 std away); pass
      ``a=-2*std, b=2*std`` for a 2-sigma truncation.
    * Keras ``TruncatedNormal(mean, stddev)``: bounds ``mean +- 2*stddev``
      (relative), default stddev 0.05.
    * JAX ``truncated_normal(stddev, lower, upper)``: bounds in units of
      stddev around 0, default stddev 0.01, open interval.

    Same seed, same values: the accepted values of a wide interval that
    holds the mean are exactly those of :func:`normal_` with the same seed.
    """
    mean, std = finite(mean, "mean"), non_negative(std, "std")
    a, b = real(a, "a"), real(b, "b")
    if math.isnan(a) or math.isnan(b):
        raise ValueError(f"the bounds a and b must not be NaN, got a={a}, b={b}")
    if not a < b:
        raise ValueError(f"truncated_normal needs a < b, got a={a}, b={b}")
    arr, layout, _ = _block(tensor, full_shape, offset)
    if not _holds_a_finite_value(a, b, arr.dtype):
        raise ValueError(f"[a, b] = [{a}, {b}] contains no finite {arr.dtype} value; widen the interval")
    if std == 0.0:
        if not a <= mean <= b:
            raise ValueError(f"with std=0 the mean must lie in [a, b], got mean={mean}, a={a}, b={b}")
        _sampling.fill_array(arr, _sampling.NORMAL, (mean, 0.0), seed, *layout)
    else:
        _sampling.fill_array(arr, _sampling.TRUNCATED_NORMAL, (mean, std, a, b), seed, *layout)
    return tensor


# --------------------------------------------------------------------------
# Fan-based: shared pieces


def _axes(in_axis: Axes | None, out_axis: Axes | None,
          batch_axis: Axes | None) -> tuple[object, object, object]:
    return (in_axis, out_axis, batch_axis)


def _check_truncated(truncated: object) -> bool:
    if not isinstance(truncated, (bool, np.bool_)):
        raise TypeError(f"truncated must be True or False, got {truncated!r}")
    return bool(truncated)


def _normal_fan_scaled(tensor: TensorT, arr: Array, layout: tuple[Sequence[int], int], std: float, truncated: bool,
                       seed: Seed) -> TensorT:
    """N(0, std**2), or with ``truncated`` the 2-sigma truncated normal whose std is ``std``."""
    if not truncated or std == 0.0:
        return _normal_centered(tensor, arr, layout, std, seed)
    s = std / TRUNCATED_STD_2SIGMA
    _sampling.fill_array(arr, _sampling.TRUNCATED_NORMAL, (0.0, s, -2.0 * s, 2.0 * s), seed, *layout)
    return tensor


# --------------------------------------------------------------------------
# Xavier / Glorot


def _xavier_std(tensor: TensorT, gain: float, layout: str, fan_in: int | None, fan_out: int | None,
                axes: tuple[object, object, object], full_shape: OptionalShape,
                offset: OptionalShape) -> tuple[Array, tuple[Sequence[int], int], float]:
    gain = non_negative(gain, "gain")
    arr, block_layout, full = _block(tensor, full_shape, offset)
    fan_sum = 2.0 * resolve_fan(full, "fan_avg", layout, fan_in, fan_out, axes)
    std = gain * math.sqrt(2.0 / fan_sum) if fan_sum > 0 else 0.0
    return arr, block_layout, std


@shared_doc
def xavier_uniform_(tensor: TensorT, gain: float = 1.0, *, layout: str = "torch", fan_in: int | None = None,
                    fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                    batch_axis: Axes | None = None, seed: Seed = None, full_shape: OptionalShape = None,
                    offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with Xavier/Glorot uniform values U(-bound, bound).

    ``bound = gain * sqrt(6 / (fan_in + fan_out))``, computed as in
    ``torch.nn.init.xavier_uniform_``: ``std = gain * sqrt(2 / (fan_in +
    fan_out))``, ``bound = sqrt(3) * std``. The values keep the variance of
    activations and of gradients roughly constant (Glorot & Bengio, 2010).

    <<XAVIER_PARAMETERS>>

    Notes
    -----
    Same formula in PyTorch ``xavier_uniform_``, Keras ``GlorotUniform`` and
    JAX ``glorot_uniform``; Keras and JAX have no ``gain`` (use
    ``variance_scaling(scale=gain**2, mode="fan_avg", distribution="uniform")``)
    and read fans in the ``"keras"`` layout.
    """
    arr, block_layout, std = _xavier_std(tensor, gain, layout, fan_in, fan_out, _axes(in_axis, out_axis, batch_axis),
                                         full_shape, offset)
    return _uniform_symmetric(tensor, arr, block_layout, math.sqrt(3.0) * std, seed)


@shared_doc
def xavier_normal_(tensor: TensorT, gain: float = 1.0, *, truncated: bool = False, layout: str = "torch",
                   fan_in: int | None = None, fan_out: int | None = None, in_axis: Axes | None = None,
                   out_axis: Axes | None = None, batch_axis: Axes | None = None, seed: Seed = None,
                   full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with Xavier normal values of std ``gain * sqrt(2 / (fan_in + fan_out))``.

    Untruncated by default, as ``torch.nn.init.xavier_normal_``;
    :func:`glorot_normal_` is the same function truncated by default (Keras
    ``GlorotNormal``, JAX ``glorot_normal``).

    <<XAVIER_PARAMETERS>>
    """
    truncated = _check_truncated(truncated)
    arr, block_layout, std = _xavier_std(tensor, gain, layout, fan_in, fan_out, _axes(in_axis, out_axis, batch_axis),
                                         full_shape, offset)
    return _normal_fan_scaled(tensor, arr, block_layout, std, truncated, seed)


@shared_doc
def glorot_normal_(tensor: TensorT, gain: float = 1.0, *, truncated: bool = True, layout: str = "torch",
                   fan_in: int | None = None, fan_out: int | None = None, in_axis: Axes | None = None,
                   out_axis: Axes | None = None, batch_axis: Axes | None = None, seed: Seed = None,
                   full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with Glorot normal values of std ``gain * sqrt(2 / (fan_in + fan_out))``.

    :func:`xavier_normal_` with ``truncated=True`` by default: N(0, s**2)
    truncated to ``[-2 s, 2 s]``, ``s = std / 0.87962566103423978``, as Keras
    ``GlorotNormal`` and JAX ``glorot_normal`` (which read fans in the
    ``"keras"`` layout: pass ``layout="keras"``).

    <<XAVIER_PARAMETERS>>
    """
    return xavier_normal_(tensor, gain, truncated=truncated, layout=layout, fan_in=fan_in, fan_out=fan_out,
                          in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis, seed=seed,
                          full_shape=full_shape, offset=offset)


# --------------------------------------------------------------------------
# He / Kaiming


def _he_std(tensor: TensorT, a: float, mode: str, nonlinearity: str, layout: str, fan_in: int | None,
            fan_out: int | None, axes: tuple[object, object, object], full_shape: OptionalShape,
            offset: OptionalShape) -> tuple[Array, tuple[Sequence[int], int], float]:
    mode = check_choice(mode, HE_MODES, "mode")
    gain = calculate_gain(nonlinearity, a)
    arr, block_layout, full = _block(tensor, full_shape, offset)
    fan = resolve_fan(full, mode, layout, fan_in, fan_out, axes)
    if math.prod(full) == 0:  # the whole tensor, not an empty block of a sharded fill
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
    return arr, block_layout, (gain / math.sqrt(fan) if fan > 0 else 0.0)


@shared_doc
def he_uniform_(tensor: TensorT, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
                in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
                seed: Seed = None, full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with He/Kaiming uniform values U(-bound, bound).

    ``bound = sqrt(3) * gain / sqrt(fan)`` with ``gain =
    calculate_gain(nonlinearity, a)`` and ``fan`` the fan_in or fan_out
    (He et al., 2015), as in ``torch.nn.init.kaiming_uniform_``. The defaults
    (leaky_relu with slope 0, i.e. ReLU) give ``bound = sqrt(6 / fan_in)``.

    Parameters
    ----------
    <<TENSOR>>
        At least 2 dimensions unless the fan is given.
    a : float, default 0
        Negative slope of the rectifier; used only by ``"leaky_relu"``.
    mode : {"fan_in", "fan_out"}, default "fan_in"
        ``"fan_in"`` keeps the variance of the forward activations,
        ``"fan_out"`` that of the backward gradients.
    nonlinearity : str, default "leaky_relu"
        A name accepted by :func:`calculate_gain`; use ``"relu"`` or
        ``"leaky_relu"``.
    <<FANS>>
    <<SEED>>
    <<SHARD>>

    <<RETURNS>>

    Warns
    -----
    UserWarning
        "Initializing zero-element tensors is a no-op" for an array with no
        elements (as PyTorch); the array is returned unchanged.

    Raises
    ------
    ValueError
        Unknown ``mode``/``nonlinearity``/``layout``, a slope ``a`` that is
        not a finite number, bad axes, or fewer than 2 dimensions without an
        explicit fan (PyTorch only warns for a zero-element 1-D tensor;
        fastinit checks the dimensions first).

    Notes
    -----
    ``torch.nn.Linear``'s default weight init is ``he_uniform_(w,
    a=math.sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Keras
    ``HeUniform`` and JAX ``he_uniform`` are ``bound = sqrt(6 / fan_in)``
    with fans in the ``"keras"`` layout and no gain or mode arguments.
    """
    axes = _axes(in_axis, out_axis, batch_axis)
    arr, block_layout, std = _he_std(tensor, a, mode, nonlinearity, layout, fan_in, fan_out, axes, full_shape, offset)
    return _uniform_symmetric(tensor, arr, block_layout, math.sqrt(3.0) * std, seed)


@shared_doc
def kaiming_normal_(tensor: TensorT, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                    truncated: bool = False, layout: str = "torch", fan_in: int | None = None,
                    fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                    batch_axis: Axes | None = None, seed: Seed = None, full_shape: OptionalShape = None,
                    offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with He/Kaiming normal values of std ``gain / sqrt(fan)``.

    ``gain = calculate_gain(nonlinearity, a)``, as in
    ``torch.nn.init.kaiming_normal_``; the defaults give ``std = sqrt(2 /
    fan_in)``. Untruncated by default, as PyTorch; :func:`he_normal_` is the
    same function truncated by default (Keras ``HeNormal``, JAX ``he_normal``).

    Parameters
    ----------
    <<TENSOR>>
        At least 2 dimensions unless the fan is given.
    a : float, default 0
        Negative slope of the rectifier; used only by ``"leaky_relu"``.
    mode : {"fan_in", "fan_out"}, default "fan_in"
    nonlinearity : str, default "leaky_relu"
        A name accepted by :func:`calculate_gain`.
    <<TRUNCATED>>
    <<FANS>>
    <<SEED>>
    <<SHARD>>

    <<RETURNS>>

    Warns
    -----
    UserWarning
        "Initializing zero-element tensors is a no-op" for an array with no
        elements; the array is returned unchanged.

    Raises
    ------
    ValueError
        As :func:`he_uniform_`. TypeError if ``truncated`` is not a bool.
    """
    truncated = _check_truncated(truncated)
    axes = _axes(in_axis, out_axis, batch_axis)
    arr, block_layout, std = _he_std(tensor, a, mode, nonlinearity, layout, fan_in, fan_out, axes, full_shape, offset)
    return _normal_fan_scaled(tensor, arr, block_layout, std, truncated, seed)


@shared_doc
def he_normal_(tensor: TensorT, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
               truncated: bool = True, layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
               in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
               seed: Seed = None, full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with He normal values of std ``gain / sqrt(fan)``, truncated by default.

    :func:`kaiming_normal_` with ``truncated=True`` by default, as Keras
    ``HeNormal`` and JAX ``he_normal`` (2-sigma truncation, std still
    ``sqrt(2 / fan_in)`` with the defaults; pass ``layout="keras"`` for their
    kernels). ``truncated=False`` gives PyTorch's ``kaiming_normal_``.

    Parameters
    ----------
    <<TENSOR>>
    a, mode, nonlinearity
        As :func:`kaiming_normal_`.
    <<TRUNCATED>>
    <<FANS>>
    <<SEED>>
    <<SHARD>>

    <<RETURNS>>
    """
    return kaiming_normal_(tensor, a, mode, nonlinearity, truncated=truncated, layout=layout, fan_in=fan_in,
                           fan_out=fan_out, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis, seed=seed,
                           full_shape=full_shape, offset=offset)


# --------------------------------------------------------------------------
# Variance scaling (Keras 3 / JAX) and LeCun


def _variance_scaling(tensor: TensorT, scale: float, mode: str, distribution: str, layout: str, fan_in: int | None,
                      fan_out: int | None, axes: tuple[object, object, object], seed: Seed, full_shape: OptionalShape,
                      offset: OptionalShape) -> TensorT:
    arr, block_layout, full = _block(tensor, full_shape, offset, complex_ok=True)
    scale = scale / max(1.0, resolve_fan(full, mode, layout, fan_in, fan_out, axes))
    if arr.dtype.kind == "c":  # JAX's complex variance scaling, with E|z|**2 = scale / n
        if distribution == "uniform":
            _complex.fill_disk(arr, math.sqrt(2.0 * scale), seed, *block_layout)
        elif distribution == "truncated_normal":
            _complex.fill_truncated_normal(arr, math.sqrt(scale), seed, *block_layout)
        else:
            _complex.fill_normal(arr, 0.0, math.sqrt(scale), seed, *block_layout)
        return tensor
    if distribution == "uniform":
        return _uniform_symmetric(tensor, arr, block_layout, math.sqrt(3.0 * scale), seed)
    return _normal_fan_scaled(tensor, arr, block_layout, math.sqrt(scale), distribution == "truncated_normal", seed)


@shared_doc
def variance_scaling_(tensor: TensorT, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                      *, layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
                      in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
                      seed: Seed = None, full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with values whose variance is ``scale / fan`` (Keras 3 and JAX semantics).

    With ``n = max(1, fan)`` where ``fan`` is fan_in, fan_out,
    ``(fan_in + fan_out) / 2`` or ``sqrt(fan_in * fan_out)`` (``mode``):

    * ``"truncated_normal"`` (and its alias ``"normal"``): N(0, s**2)
      truncated to ``[-2 s, 2 s]`` with ``s = sqrt(scale / n) / 0.87962566103423978``;
      the constant is the std of a standard normal truncated to (-2, 2), so
      the values have std ``sqrt(scale / n)``.
    * ``"untruncated_normal"``: N(0, scale / n).
    * ``"uniform"``: U(-limit, limit) with ``limit = sqrt(3 * scale / n)``.

    A complex64/complex128 array gets JAX's complex forms, each with variance
    ``E|z|**2 = scale / n`` as in the real case:

    * ``"uniform"``: uniform in the disk ``|z| < sqrt(2 * scale / n)``:
      ``z = sqrt(2 * scale / n) * sqrt(u) * exp(2 pi i w)``, ``u, w ~ U[0, 1)``
      (``|z|**2`` is uniform, the angle too); not a square of two real
      uniforms.
    * ``"truncated_normal"`` (and ``"normal"``): a standard complex normal
      (``|z|**2 ~ Exp(1)``) whose modulus is truncated to ``|z| <= 2``
      (``|z|**2 = -log(1 - (1 - e**-4) u)``, uniform angle), times
      ``sqrt(scale / n) / 0.96196182800821``; the constant is ``kappa =
      sqrt(1 - 4 / (e**4 - 1))``, the std of that truncated complex normal.
      JAX divides by 0.95311164380491208 instead, which is ``sqrt(1 - 5 e**-4)``
      without the normalization by ``1 - e**-4``, so JAX's complex values have
      a variance 1.8654% larger than its docstring's ``scale / n``; fastinit
      keeps ``scale / n``.
    * ``"untruncated_normal"``: the complex normal, real and imaginary parts
      each N(0, scale / (2 n)).

    Their random numbers: element ``k`` (C-order flat index of the whole
    tensor) takes the values at logical indices ``2 k`` and ``2 k + 1`` of the
    real stream (see :func:`normal_`), so thread counts and shard layouts give
    the same bits; the polar forms use fixed polynomials for cos, sin and log
    (the same bits on every CPU, error < 1e-15).

    Parameters
    ----------
    <<TENSOR>>
        At least 2 dimensions unless the fans are given. Also complex64/complex128.
    scale : float, default 1
        Positive scaling factor (the squared gain).
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}, default "fan_in"
        ``"fan_geo_avg"`` (JAX only) is the geometric mean of the fans.
    distribution : {"truncated_normal", "untruncated_normal", "normal", "uniform"}, default "truncated_normal"
    <<FANS>>
    <<SEED>>
    <<SHARD>>

    <<RETURNS>>

    Raises
    ------
    ValueError
        ``scale <= 0`` or not finite, unknown ``mode``/``distribution``/``layout``,
        bad axes, or fewer than 2 dimensions without explicit fans or axes.

    Notes
    -----
    ``"normal"`` means *truncated* here, as in Keras's ``VarianceScaling``;
    in JAX's ``variance_scaling`` it means untruncated (JAX's
    ``"normal"`` is ``"untruncated_normal"`` here; :mod:`fastinit.jax`
    translates). JAX has no ``max(1, fan)`` guard (a zero fan is a
    ZeroDivisionError there). The Keras presets are
    ``GlorotUniform/GlorotNormal`` = (1, "fan_avg"), ``LecunUniform/LecunNormal``
    = (1, "fan_in"), ``HeUniform/HeNormal`` = (2, "fan_in"), with the
    normal variants truncated; pass ``layout="keras"`` for Keras-shaped
    kernels. PyTorch has no equivalent: its ``xavier_normal_`` and
    ``kaiming_normal_`` are ``"untruncated_normal"``. On complex tensors
    PyTorch's ``xavier_uniform_``/``kaiming_uniform_`` draw real and imaginary
    parts as two independent real uniforms (a square, twice the real
    variance), its ``xavier_normal_``/``kaiming_normal_`` the complex normal
    with the real variance, and it has no complex truncated normal
    (``trunc_normal_`` raises); Keras documents floating dtypes only. For that
    reason fastinit's PyTorch-named ``xavier_*``/``kaiming_*`` (and their
    aliases ``glorot_*``/``he_*``) refuse complex arrays: use this function,
    whose complex forms are JAX's.
    """
    scale = positive(scale, "scale")
    mode = check_choice(mode, FAN_MODES, "mode")
    distribution = check_choice(distribution, VARIANCE_SCALING_DISTRIBUTIONS, "distribution")
    if distribution == "normal":
        distribution = "truncated_normal"
    return _variance_scaling(tensor, scale, mode, distribution, layout, fan_in, fan_out,
                             _axes(in_axis, out_axis, batch_axis), seed, full_shape, offset)


@shared_doc
def lecun_uniform_(tensor: TensorT, *, layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
                   in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
                   seed: Seed = None, full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with LeCun uniform values U(-sqrt(3 / fan_in), sqrt(3 / fan_in)).

    The variance is ``1 / fan_in``. Same as
    ``variance_scaling_(tensor, 1.0, "fan_in", "uniform")``.

    Parameters
    ----------
    <<TENSOR>>
        At least 2 dimensions unless ``fan_in`` is given.
    <<FANS>>
    <<SEED>>
    <<SHARD>>

    <<RETURNS>>

    Notes
    -----
    Keras ``LecunUniform`` and JAX ``lecun_uniform`` use the same formula (in
    the ``"keras"`` layout). PyTorch has no LeCun initializer; its
    ``kaiming_uniform_(nonlinearity="linear")`` gives the same bound. A
    complex array gets JAX's uniform disk with the same variance (see
    :func:`variance_scaling_`).
    """
    return _variance_scaling(tensor, 1.0, "fan_in", "uniform", layout, fan_in, fan_out,
                             _axes(in_axis, out_axis, batch_axis), seed, full_shape, offset)


@shared_doc
def lecun_normal_(tensor: TensorT, *, truncated: bool = True, layout: str = "torch", fan_in: int | None = None,
                  fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                  batch_axis: Axes | None = None, seed: Seed = None, full_shape: OptionalShape = None,
                  offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with LeCun normal values of std ``sqrt(1 / fan_in)``, truncated by default.

    Truncated at 2 sigma by default (rescaled so that the std is still
    ``sqrt(1 / fan_in)``), as every framework that defines ``lecun_normal``:
    Keras ``LecunNormal``, JAX ``lecun_normal`` and Flax's default Dense
    kernel init. Same as ``variance_scaling_(tensor, 1.0, "fan_in",
    "truncated_normal")``; ``truncated=False`` gives N(0, 1 / fan_in), which is
    PyTorch's ``kaiming_normal_(nonlinearity="linear")``. A complex array gets
    JAX's complex truncated normal (with ``truncated=False`` the complex
    normal), of variance ``1 / fan_in`` (see :func:`variance_scaling_`).

    Parameters
    ----------
    <<TENSOR>>
        At least 2 dimensions unless ``fan_in`` is given.
    <<TRUNCATED>>
    <<FANS>>
    <<SEED>>
    <<SHARD>>

    <<RETURNS>>
    """
    distribution = "truncated_normal" if _check_truncated(truncated) else "untruncated_normal"
    return _variance_scaling(tensor, 1.0, "fan_in", distribution, layout, fan_in, fan_out,
                             _axes(in_axis, out_axis, batch_axis), seed, full_shape, offset)


# --------------------------------------------------------------------------
# Out-of-place forms


def _new(shape: ShapeLike, dtype: DTypeLike, exact: bool = False, complex_ok: bool = False) -> Array:
    return _sampling.new(shape, dtype, exact=exact, complex_ok=complex_ok)


@shared_doc
def zeros(shape: ShapeLike, *, dtype: DTypeLike = None, full_shape: OptionalShape = None,
          offset: OptionalShape = None) -> Array:
    """A new array of zeros; see :func:`zeros_`.

    <<NEW>> Integer, bool and complex dtypes are allowed too.
    """
    return zeros_(_new(shape, dtype, exact=True, complex_ok=True), full_shape=full_shape, offset=offset)


@shared_doc
def ones(shape: ShapeLike, *, dtype: DTypeLike = None, full_shape: OptionalShape = None,
         offset: OptionalShape = None) -> Array:
    """A new array of ones; see :func:`ones_`.

    <<NEW>> Integer, bool and complex dtypes are allowed too.
    """
    return ones_(_new(shape, dtype, exact=True, complex_ok=True), full_shape=full_shape, offset=offset)


@shared_doc
def constant(shape: ShapeLike, value: npt.ArrayLike, *, dtype: DTypeLike = None, full_shape: OptionalShape = None,
             offset: OptionalShape = None) -> Array:
    """A new array filled with ``value`` (a number, or an array broadcast to ``shape``); see :func:`constant_`.

    <<NEW>> Integer, bool and complex dtypes are allowed too.
    """
    return constant_(_new(shape, dtype, exact=True, complex_ok=True), value, full_shape=full_shape, offset=offset)


@shared_doc
def uniform(shape: ShapeLike, low: float = 0.0, high: float = 1.0, *, dtype: DTypeLike = None, seed: Seed = None,
            full_shape: OptionalShape = None, offset: OptionalShape = None) -> Array:
    """A new array drawn from U[low, high); see :func:`uniform_`.

    <<NEW>>
    """
    return uniform_(_new(shape, dtype), low, high, seed=seed, full_shape=full_shape, offset=offset)


@shared_doc
def normal(shape: ShapeLike, mean: float | complex = 0.0, std: float = 1.0, *, dtype: DTypeLike = None,
           seed: Seed = None,
           full_shape: OptionalShape = None, offset: OptionalShape = None) -> Array:
    """A new array drawn from N(mean, std**2) (complex64/complex128: the complex normal); see :func:`normal_`.

    <<NEW>>
    """
    return normal_(_new(shape, dtype, complex_ok=True), mean, std, seed=seed, full_shape=full_shape, offset=offset)


@shared_doc
def truncated_normal(shape: ShapeLike, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, *,
                     dtype: DTypeLike = None, seed: Seed = None, full_shape: OptionalShape = None,
                     offset: OptionalShape = None) -> Array:
    """A new array drawn from N(mean, std**2) truncated to [a, b]; see :func:`truncated_normal_`.

    <<NEW>>
    """
    return truncated_normal_(_new(shape, dtype), mean, std, a, b, seed=seed, full_shape=full_shape, offset=offset)


@shared_doc
def xavier_uniform(shape: ShapeLike, gain: float = 1.0, *, layout: str = "torch", fan_in: int | None = None,
                   fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                   batch_axis: Axes | None = None, dtype: DTypeLike = None, seed: Seed = None,
                   full_shape: OptionalShape = None, offset: OptionalShape = None) -> Array:
    """A new Xavier/Glorot uniform array; see :func:`xavier_uniform_`.

    <<NEW>>
    """
    return xavier_uniform_(_new(shape, dtype), gain, layout=layout, fan_in=fan_in, fan_out=fan_out, in_axis=in_axis,
                           out_axis=out_axis, batch_axis=batch_axis, seed=seed, full_shape=full_shape, offset=offset)


@shared_doc
def xavier_normal(shape: ShapeLike, gain: float = 1.0, *, truncated: bool = False, layout: str = "torch",
                  fan_in: int | None = None, fan_out: int | None = None, in_axis: Axes | None = None,
                  out_axis: Axes | None = None, batch_axis: Axes | None = None, dtype: DTypeLike = None,
                  seed: Seed = None, full_shape: OptionalShape = None, offset: OptionalShape = None) -> Array:
    """A new Xavier normal array (untruncated by default); see :func:`xavier_normal_`.

    <<NEW>>
    """
    return xavier_normal_(_new(shape, dtype), gain, truncated=truncated, layout=layout, fan_in=fan_in,
                          fan_out=fan_out, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis, seed=seed,
                          full_shape=full_shape, offset=offset)


@shared_doc
def glorot_normal(shape: ShapeLike, gain: float = 1.0, *, truncated: bool = True, layout: str = "torch",
                  fan_in: int | None = None, fan_out: int | None = None, in_axis: Axes | None = None,
                  out_axis: Axes | None = None, batch_axis: Axes | None = None, dtype: DTypeLike = None,
                  seed: Seed = None, full_shape: OptionalShape = None, offset: OptionalShape = None) -> Array:
    """A new Glorot normal array (truncated by default); see :func:`glorot_normal_`.

    <<NEW>>
    """
    return xavier_normal_(_new(shape, dtype), gain, truncated=truncated, layout=layout, fan_in=fan_in,
                          fan_out=fan_out, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis, seed=seed,
                          full_shape=full_shape, offset=offset)


@shared_doc
def he_uniform(shape: ShapeLike, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
               layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
               in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
               dtype: DTypeLike = None, seed: Seed = None, full_shape: OptionalShape = None,
               offset: OptionalShape = None) -> Array:
    """A new He/Kaiming uniform array; see :func:`he_uniform_`.

    <<NEW>>
    """
    return he_uniform_(_new(shape, dtype), a, mode, nonlinearity, layout=layout, fan_in=fan_in, fan_out=fan_out,
                       in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis, seed=seed, full_shape=full_shape,
                       offset=offset)


@shared_doc
def kaiming_normal(shape: ShapeLike, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                   truncated: bool = False, layout: str = "torch", fan_in: int | None = None,
                   fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                   batch_axis: Axes | None = None, dtype: DTypeLike = None, seed: Seed = None,
                   full_shape: OptionalShape = None, offset: OptionalShape = None) -> Array:
    """A new Kaiming normal array (untruncated by default); see :func:`kaiming_normal_`.

    <<NEW>>
    """
    return kaiming_normal_(_new(shape, dtype), a, mode, nonlinearity, truncated=truncated, layout=layout,
                           fan_in=fan_in, fan_out=fan_out, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                           seed=seed, full_shape=full_shape, offset=offset)


@shared_doc
def he_normal(shape: ShapeLike, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
              truncated: bool = True, layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
              in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
              dtype: DTypeLike = None, seed: Seed = None, full_shape: OptionalShape = None,
              offset: OptionalShape = None) -> Array:
    """A new He normal array (truncated by default); see :func:`he_normal_`.

    <<NEW>>
    """
    return kaiming_normal_(_new(shape, dtype), a, mode, nonlinearity, truncated=truncated, layout=layout,
                           fan_in=fan_in, fan_out=fan_out, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                           seed=seed, full_shape=full_shape, offset=offset)


@shared_doc
def variance_scaling(shape: ShapeLike, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                     *, layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
                     in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
                     dtype: DTypeLike = None, seed: Seed = None, full_shape: OptionalShape = None,
                     offset: OptionalShape = None) -> Array:
    """A new variance-scaling array (Keras 3 semantics; complex64/complex128 as JAX); see :func:`variance_scaling_`.

    <<NEW>>
    """
    return variance_scaling_(_new(shape, dtype, complex_ok=True), scale, mode, distribution, layout=layout,
                             fan_in=fan_in,
                             fan_out=fan_out, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis, seed=seed,
                             full_shape=full_shape, offset=offset)


@shared_doc
def lecun_uniform(shape: ShapeLike, *, layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
                  in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
                  dtype: DTypeLike = None, seed: Seed = None, full_shape: OptionalShape = None,
                  offset: OptionalShape = None) -> Array:
    """A new LeCun uniform array; see :func:`lecun_uniform_`.

    <<NEW>>
    """
    return lecun_uniform_(_new(shape, dtype, complex_ok=True), layout=layout, fan_in=fan_in, fan_out=fan_out,
                          in_axis=in_axis,
                          out_axis=out_axis, batch_axis=batch_axis, seed=seed, full_shape=full_shape, offset=offset)


@shared_doc
def lecun_normal(shape: ShapeLike, *, truncated: bool = True, layout: str = "torch", fan_in: int | None = None,
                 fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                 batch_axis: Axes | None = None, dtype: DTypeLike = None, seed: Seed = None,
                 full_shape: OptionalShape = None, offset: OptionalShape = None) -> Array:
    """A new LeCun normal array (truncated by default); see :func:`lecun_normal_`.

    <<NEW>>
    """
    return lecun_normal_(_new(shape, dtype, complex_ok=True), truncated=truncated, layout=layout, fan_in=fan_in,
                         fan_out=fan_out,
                         in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis, seed=seed, full_shape=full_shape,
                         offset=offset)


# Aliases: the same functions under their other names (the normal ones differ in their
# default truncation, so glorot_normal/he_normal are functions of their own above).
glorot_uniform, glorot_uniform_ = xavier_uniform, xavier_uniform_
kaiming_uniform, kaiming_uniform_ = he_uniform, he_uniform_
