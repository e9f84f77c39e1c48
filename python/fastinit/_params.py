"""Checks of scalar parameters shared by the initializers.

Each check returns the parameter as a Python float (or int) or raises an error
that names the argument: ``TypeError`` for a value that is not a number,
``ValueError`` for a number outside the valid range.
"""
from __future__ import annotations

import math
import numbers


def real(value: object, name: str) -> float:
    """A real number (not a bool) as a float; NaN and infinity pass."""
    if type(value) is float:  # the common case, without the slower ABC check below
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def finite(value: object, name: str) -> float:
    """A finite real number as a float."""
    x = real(value, name)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x}")
    return x


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
