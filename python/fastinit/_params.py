"""Checks of scalar parameters shared by the initializers.

Each check returns the parameter as a Python float (or int) or raises an error
that names the argument: ``TypeError`` for a value that is not a number,
``ValueError`` for a number outside the valid range. A scalar may be a Python
or NumPy number or a 0-d array of any library (NumPy, JAX, PyTorch: what
``torch.nn.init`` and ``jax.nn.initializers`` accept); arrays with elements are
not scalars.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ._arrays import COMPLEX_COMPONENTS, LARGEST_FINITE


def scalar(value: object, name: str) -> object:
    """The Python number held by a 0-d array (``shape == ()`` and ``.item()``:
    NumPy, JAX and PyTorch arrays, NumPy scalars); any other value unchanged.

    A 0-d array whose value cannot be read (a JAX tracer inside ``jit``, a
    PyTorch meta tensor) is a TypeError naming ``name``.
    """
    item = getattr(value, "item", None)
    if getattr(value, "shape", None) != () or not callable(item):
        return value
    try:
        return item()
    except Exception as e:  # the library's own error says why (tracer, meta tensor)
        raise TypeError(f"{name} must be a real number; the 0-d {type(value).__name__} given has no "
                        f"value to read ({type(e).__name__}: {e})") from e


def real(value: object, name: str) -> float:
    """A real number (not a bool), or a 0-d array holding one, as a float; NaN and infinity pass."""
    if type(value) is float:  # the common case, without the slower ABC check below
        return value
    number = scalar(value, name)
    if isinstance(number, bool) or not isinstance(number, numbers.Real):
        got, shape = type(value).__name__, getattr(value, "shape", None)
        if isinstance(value, np.generic) or shape is None:
            pass
        elif number is not value:
            got = f"a 0-d {got} holding {type(number).__name__}"
        else:
            got = f"{got} of shape {tuple(shape)} (a scalar or a 0-d array is needed)"
        raise TypeError(f"{name} must be a real number, got {got}")
    try:
        return float(number)
    except OverflowError:  # an int (or Fraction) beyond the float range
        raise ValueError(f"{name} must be a finite number, got {number!r:.40}... (beyond the float range)") from None


def finite(value: object, name: str) -> float:
    """A finite real number as a float."""
    x = real(value, name)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x}")
    return x


def finite_number(value: object, name: str) -> float | complex:
    """A finite real number as a float, or a complex number (Python, NumPy, 0-d array) with finite parts."""
    number = scalar(value, name)
    if isinstance(number, numbers.Complex) and not isinstance(number, numbers.Real):
        z = complex(number)
        if not (math.isfinite(z.real) and math.isfinite(z.imag)):
            raise ValueError(f"{name} must be a finite number, got {z}")
        return z
    return finite(value, name)


def non_negative(value: object, name: str) -> float:
    """A finite real number >= 0 as a float."""
    x = finite(value, name)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return x


def positive(value: object, name: str) -> float:
    """A finite real number > 0 as a float."""
    x = finite(value, name)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {x}")
    return x


def refuse_sharding(function: str, full_shape: object, offset: object) -> None:
    """``full_shape``/``offset`` are refused by initializers that are not element-wise."""
    if full_shape is not None or offset is not None:
        raise ValueError(
            f"{function} does not support full_shape/offset: its values depend on the whole "
            "array, so a block cannot be filled on its own; fill the whole array and slice it"
        )


def exact_values(value: object, dtype: np.dtype[Any], name: str) -> np.ndarray[Any, Any]:
    """``value`` (a number or an array of numbers) as an array of ``dtype``, or an error naming ``name``.

    Nothing is rounded away silently: a float dtype needs finite values within
    its range (rounded to the dtype as usual), a complex dtype real or complex
    values whose parts are finite and within its components' range, an integer dtype integral
    values within its range, bool the values 0/1 (or False/True). Bools are
    accepted only for a bool dtype.
    """
    v = np.asarray(scalar(value, name))  # a 0-d array of any library as its number (NumPy has no bfloat16)
    if v.dtype.kind == "c" and dtype.kind != "c":
        raise TypeError(f"{name} must be a real number or an array of real numbers for a {dtype} array, got "
                        f"{type(value).__name__} of dtype {v.dtype} (complex values fill only complex64 and "
                        "complex128 arrays)")
    if v.dtype.kind not in "biufc":
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(value).__name__} "
                        f"of dtype {v.dtype}")
    if v.dtype.kind == "b" and dtype.kind != "b":
        raise TypeError(f"{name} must be a real number, got bool (bool values fill only bool arrays)")
    if v.size == 0:
        return v.astype(dtype)
    if v.dtype.kind in "fc" and not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if dtype.kind == "b":
        if not np.all((v == 0) | (v == 1)):
            raise ValueError(f"{name} must be 0, 1, False or True for a bool array, got {value!r}")
    elif dtype.kind in "iu":
        if v.dtype.kind == "f" and not np.all(v == np.round(v)):
            raise ValueError(f"{name} must hold whole numbers for an {dtype} array, got {value!r}")
        info = np.iinfo(dtype)
        lo, hi = v.min(), v.max()
        if lo < info.min or hi > info.max:
            raise ValueError(f"{name}={value!r} is outside the range of {dtype}: "
                             f"need {info.min} <= {name} <= {info.max}")
    elif dtype.kind == "c":  # each part within the finite range of the component dtype
        big = LARGEST_FINITE[COMPLEX_COMPONENTS[dtype]]
        parts = v.astype(np.complex128)
        if np.any(np.abs(parts.real) > big) or np.any(np.abs(parts.imag) > big):
            raise ValueError(f"{name}={value!r} is outside the finite range of {dtype}: need |real part| and "
                             f"|imaginary part| <= {big:.9g}")
    else:
        big = LARGEST_FINITE[dtype]
        if np.any(np.abs(v.astype(np.float64)) > big):
            raise ValueError(f"{name}={value!r} is outside the finite range of {dtype}: need |{name}| <= {big:.9g}")
    return v.astype(dtype)
