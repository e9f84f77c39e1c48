"""Complex values: the component view, the stream layout, and the three complex distributions.

**Stream layout.** A complex64/complex128 array is filled through a float32/
float64 view of its own memory (no copy) with one more axis of length 2: the
real part of the element with C-order flat index ``k`` of the logical tensor
(the whole tensor, or ``full_shape`` for a block) is element ``2 k`` of the
view's logical tensor ``full_shape + (2,)``, its imaginary part element
``2 k + 1``. The C++ core fills that view exactly as it fills a real array of
that shape, so each value depends only on the seed and ``k``: the same on
every thread count and memory layout, and a block at ``offset`` (the block at
``offset + (0,)`` of the view) gets the values of the whole tensor.

**Distributions** (``v`` = ``E|z|**2``, the variance of the complex value):

* complex normal: real and imaginary parts independent ``N(0, v / 2)``, drawn
  straight into the view (JAX's ``random.normal`` for complex dtypes);
* uniform disk of radius ``R``: the view gets U[0, 1) values ``u`` (at
  ``2 k``) and ``w`` (at ``2 k + 1``); ``z = R sqrt(u) exp(2 pi i w)``, so
  ``|z|**2 / R**2 ~ U(0, 1)``, the angle is uniform and ``v = R**2 / 2``;
* truncated complex normal: the modulus of a standard complex normal
  (``|z|**2 ~ Exp(1)``) truncated to ``|z| <= b`` by inversion,
  ``|z|**2 = -log(1 - (1 - exp(-b**2)) u)``, the angle ``2 pi w``, times
  ``sqrt(v) / kappa(b)`` with ``kappa(b)**2 = E[|z|**2 | |z| <= b] =
  1 - b**2 / (exp(b**2) - 1)`` so that the variance is ``v``.

The polar transforms run in float64 and only with operations whose IEEE
results are the same on every CPU (``+ - * /``, ``sqrt``, ``rint``,
``frexp``): the cosine, sine and logarithm are fixed polynomials (Taylor
series on a reduced range, error below 1e-15) instead of NumPy's, whose SIMD
implementations differ between CPUs in the last bit. The result is rounded
once to the array's component dtype.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import numpy.typing as npt

from . import _sampling
from ._arrays import COMPLEX_COMPONENTS, LARGEST_FINITE
from ._typing import Array, Seed

#: Truncation bound (in units of the standard complex normal's modulus) of JAX's complex truncated normal.
TRUNCATION_BOUND = 2.0

_F64 = npt.NDArray[np.float64]
_CHUNK = 1 << 16  # complex elements transformed at a time (bounds the float64 temporaries to a few MB)
# Taylor coefficients, computed once in exact integer arithmetic and rounded to float64.
_SIN = [(-1) ** k / math.factorial(2 * k + 1) for k in range(10)]  # sin(x) / x in powers of x**2
_COS = [(-1) ** k / math.factorial(2 * k) for k in range(11)]  # cos(x) in powers of x**2
_ATANH = [1 / (2 * k + 1) for k in range(12)]  # atanh(s) / s in powers of s**2
_HALF_PI = math.pi / 2
_LN2 = math.log(2.0)
_SQRT_HALF = math.sqrt(0.5)


def truncated_std(bound: float) -> float:
    """``kappa(b)``: the std (``sqrt(E|z|**2)``) of a standard complex normal truncated to ``|z| <= b``."""
    return math.sqrt(1.0 - bound * bound / math.expm1(bound * bound))


def component_view(arr: Array) -> Array:
    """The real view of a complex array's memory, of shape ``arr.shape + (2,)`` (real, imaginary); no copy."""
    real = arr.real  # the same memory, the component dtype, arr's strides
    view: Array = np.lib.stride_tricks.as_strided(real, arr.shape + (2,), arr.strides + (real.itemsize,),
                                                  writeable=True)
    return view


def _view_layout(lstrides: Sequence[int], base: int) -> tuple[Sequence[int], int]:
    """The logical layout of the component view of a block with layout ``(lstrides, base)``."""
    if not lstrides:  # the whole tensor: the view's own C-order indices are the right ones
        return (), 0
    return [2 * s for s in lstrides] + [1], 2 * base


def fill_normal(arr: Array, mean: complex, std: float, seed: Seed, lstrides: Sequence[int] = (),
                base: int = 0) -> None:
    """``mean + std * (g1 + i g2) / sqrt(2)``, ``g1, g2`` independent standard normals: ``E|z - mean|**2 = std**2``."""
    _sampling.fill_array(component_view(arr), _sampling.NORMAL, (0.0, std / math.sqrt(2.0)), seed,
                         *_view_layout(lstrides, base))
    if mean != 0 and arr.size:
        arr += mean


def fill_disk(arr: Array, radius: float, seed: Seed, lstrides: Sequence[int] = (), base: int = 0) -> None:
    """Uniform in the disk ``|z| < radius`` (``E|z|**2 = radius**2 / 2``)."""
    _check_modulus(radius, arr, "the disk radius")
    _fill_polar(arr, lambda u: u, radius, seed, lstrides, base)


def fill_truncated_normal(arr: Array, std: float, seed: Seed, lstrides: Sequence[int] = (), base: int = 0,
                          bound: float = TRUNCATION_BOUND) -> None:
    """A complex normal with modulus truncated at ``bound`` standard units, rescaled to ``E|z|**2 = std**2``."""
    scale = std / truncated_std(bound)
    _check_modulus(bound * scale, arr, "the largest modulus (2 std / 0.9619)")
    mass = -math.expm1(-bound * bound)  # P(|z| <= bound) for the standard complex normal
    _fill_polar(arr, lambda u: neg_log1m(mass * u), scale, seed, lstrides, base)


def _check_modulus(modulus: float, arr: Array, what: str) -> None:
    big = LARGEST_FINITE[COMPLEX_COMPONENTS[arr.dtype]]
    if not modulus <= big:
        raise ValueError(f"{what} is {modulus:.9g}, beyond the finite range of {arr.dtype}'s components "
                         f"(at most {big:.9g}): the values would overflow")


def _fill_polar(arr: Array, modulus_sq: Callable[[_F64], _F64], scale: float, seed: Seed, lstrides: Sequence[int],
                base: int) -> None:
    """``z = scale * sqrt(modulus_sq(u)) * exp(2 pi i w)`` from the U[0, 1) pair ``(u, w)`` of each element."""
    _sampling.fill_array(component_view(arr), _sampling.UNIFORM, (0.0, 1.0), seed, *_view_layout(lstrides, base))
    for block in _chunks(arr):
        view = component_view(block)
        u = view[..., 0].astype(np.float64)  # copies: the parts are overwritten below
        w = view[..., 1].astype(np.float64)
        r = np.sqrt(modulus_sq(u))
        r *= scale
        cos, sin = cos_sin_2pi(w)
        cos *= r
        sin *= r
        block.real = cos
        block.imag = sin


def _chunks(arr: Array, size: int = _CHUNK) -> Iterator[Array]:
    """Views of ``arr`` (any strides) that together cover it, each of at most ``size`` elements (or one row)."""
    if arr.ndim == 0 or arr.size <= size:
        yield arr
        return
    row = arr.size // arr.shape[0]
    if row > size:
        for i in range(arr.shape[0]):
            yield from _chunks(arr[i], size)
        return
    step = size // row
    for i in range(0, arr.shape[0], step):
        yield arr[i:i + step]


def _horner(x: _F64, coefficients: Sequence[float]) -> _F64:
    """``sum(c[k] * x**k)``, each step one multiply and one add (no fused multiply-add), in place."""
    p = np.multiply(x, coefficients[-1])
    p += coefficients[-2]
    for c in reversed(coefficients[:-2]):
        p *= x
        p += c
    return p


def cos_sin_2pi(w: _F64) -> tuple[_F64, _F64]:
    """``(cos(2 pi w), sin(2 pi w))`` for ``w`` in [0, 1), from the same operations on every CPU.

    ``4 w = q + f`` with ``q = rint(4 w)`` and ``|f| <= 1/2`` (both exact), so
    ``2 pi w = q pi / 2 + x`` with ``x = f pi / 2`` in ``[-pi/4, pi/4]``, where
    the Taylor series to ``x**19`` is accurate to 1e-17; the quadrant ``q``
    rotates ``(cos x, sin x)``.
    """
    x = 4.0 * w
    q = np.rint(x)
    x -= q
    x *= _HALF_PI
    x2 = x * x
    c, s = _horner(x2, _COS), _horner(x2, _SIN)
    s *= x
    # Quadrant k (0..4) turns (cos x, sin x) = (c, s) into (c, s), (-s, c), (-c, -s), (s, -c): selected and
    # signed by multiplying with exact 0/1 and +-1 factors (c >= 0.7 is never zero, s never -0), which is
    # several times faster than np.where or masked ufuncs and gives the same bits.
    k = q.astype(np.int8)
    odd = (k & 1).astype(np.float64)
    even = 1.0 - odd
    cos, sin = c * even, s * even
    cos += s * odd
    sin += c * odd
    cos *= (1 - 2 * (((k + 1) >> 1) & 1)).astype(np.float64)
    sin *= (1 - 2 * ((k >> 1) & 1)).astype(np.float64)
    return cos, sin


def neg_log1m(t: _F64) -> _F64:
    """``-log(1 - t)`` for ``t`` in [0, 1), from the same operations on every CPU, accurate also for tiny ``t``.

    ``1 - t = m 2**e`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` (``frexp``, exact);
    ``log(1 - t) = e log 2 + 2 atanh(s)``, ``s = (m - 1) / (m + 1)``, ``|s| <=
    0.1716``, whose series to ``s**23`` is accurate to 1e-18. Where ``e = 0``
    ``s = -t / (2 - t)`` is computed from ``t`` itself, so that the rounding of
    ``1 - t`` costs no relative accuracy for small ``t``.
    """
    m, e = np.frexp(1.0 - t)
    low = m < _SQRT_HALF
    m *= 1.0 + low  # exact: times 2 or 1
    e -= low
    near = (e == 0).astype(np.float64)  # selected by exact 0/1 factors, as in cos_sin_2pi
    s = (m - 1.0) / (m + 1.0)
    s *= 1.0 - near
    s += (t / (t - 2.0)) * near  # where e = 0: -t / (2 - t), from t itself
    p = _horner(s * s, _ATANH)
    p *= s
    p *= -2.0
    p -= e * _LN2  # -log(1 - t) = -(e log 2 + 2 atanh(s))
    p += 0.0  # -log(1 - 0) is +0, not -0
    result: _F64 = p
    return result
