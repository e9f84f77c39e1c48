"""Arrays in and out: dtypes, shapes, zero-copy acceptance, logical layout.

Functions that fill an array in place write into the caller's memory and
never copy: anything that cannot be written in place is an error. Functions
that create an array get it from the C++ core (64-byte aligned, C order,
owned by NumPy through a capsule, no copy).
"""
from __future__ import annotations

import numbers
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core

__all__ = ["resolve_dtype", "normalize_shape", "as_writable_array", "new_array", "logical_layout", "LARGEST_FINITE"]

_DTYPE_CODES: dict[np.dtype[Any], int] = {np.dtype(np.float16): 0, np.dtype(np.float32): 2, np.dtype(np.float64): 3}
_VALID_DTYPES = "float16, float32, float64"

try:  # bfloat16 is supported when ml_dtypes provides the NumPy dtype
    import ml_dtypes as _ml_dtypes

    _DTYPE_CODES[np.dtype(_ml_dtypes.bfloat16)] = 1
    _VALID_DTYPES += ", bfloat16"
except ImportError:  # pragma: no cover - optional dependency
    _ml_dtypes = None  # type: ignore[assignment, unused-ignore]  # only with ml_dtypes installed


#: The largest finite value of each supported dtype.
LARGEST_FINITE = {
    dt: float(np.nextafter(np.asarray(np.inf, dtype=dt), np.asarray(0, dtype=dt))) for dt in _DTYPE_CODES
}


def dtype_code(dtype: np.dtype[Any]) -> int:
    return _DTYPE_CODES[dtype]


def resolve_dtype(dtype: npt.DTypeLike | None, name: str = "dtype") -> np.dtype[Any]:
    """``None`` -> float32; otherwise one of the supported floating dtypes."""
    if dtype is None:
        return np.dtype(np.float32)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be one of {_VALID_DTYPES}; got {dtype!r}") from None
    if dt not in _DTYPE_CODES:
        raise TypeError(f"{name} must be one of {_VALID_DTYPES}; got {dt}")
    return dt


def normalize_shape(shape: object, name: str = "shape") -> tuple[int, ...]:
    """An int or a sequence of ints -> a tuple of non-negative ints."""
    if type(shape) is int and shape >= 0:  # fast paths for the common cases
        return (shape,)
    if type(shape) is tuple and all(type(d) is int and d >= 0 for d in shape):
        return shape
    dims = _int_tuple(shape, name)
    if any(d < 0 for d in dims):
        raise ValueError(f"negative dimensions are not allowed in {name}: {dims}")
    return dims


def _int_tuple(value: object, name: str, expected: str = "an int or a tuple of ints") -> tuple[int, ...]:
    """An int or a sequence of ints (not bools) -> a tuple of Python ints, else a TypeError."""
    items: Any = (value,) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__}") from None
    if any(isinstance(d, bool) or not isinstance(d, numbers.Integral) for d in items):
        raise TypeError(f"{name} must be {expected}, got {value!r}")
    return tuple(int(d) for d in items)


def as_writable_array(obj: object, name: str = "tensor") -> npt.NDArray[Any]:
    """A NumPy view of the caller's memory, ready to be written in place.

    Accepts NumPy arrays of a supported floating dtype in any memory layout
    and CPU objects that export DLPack (for example a PyTorch tensor, including
    a ``torch.nn.Parameter``, whose storage is written as ``torch.nn.init``
    does under ``no_grad``; torch bfloat16 needs ``ml_dtypes``). Never
    copies: read-only memory is a ValueError, other dtypes are a TypeError.
    """
    torch_tensor = None
    if isinstance(obj, np.ndarray):
        arr = obj
    elif hasattr(obj, "__dlpack__"):
        torch_tensor = _as_torch_tensor(obj)
        if torch_tensor is not None:
            if torch_tensor.is_neg():
                # A lazily negated view (e.g. the .imag of a conjugate view): torch exports
                # its memory as is, so every value written there would read back negated.
                raise TypeError(
                    f"{name} is a torch tensor with the negative bit set, whose memory holds the "
                    "negated values; fill the tensor it views instead"
                )
            if torch_tensor.requires_grad:
                # A Parameter: like torch.nn.init (which works under no_grad), write
                # into its storage through a detached view of the same memory.
                obj = torch_tensor.detach()
        try:
            arr = _from_dlpack(obj, torch_tensor)
        except (BufferError, RuntimeError, TypeError) as exc:
            raise TypeError(f"{name} could not be shared through DLPack without a copy: {exc}") from exc
    else:
        raise TypeError(
            f"{name} must be a NumPy array or a CPU tensor that supports DLPack, got {type(obj).__name__}"
        )
    if arr.dtype not in _DTYPE_CODES:
        raise TypeError(f"{name} must have a floating dtype ({_VALID_DTYPES}); got {arr.dtype}")
    if not arr.flags.writeable:
        raise ValueError(f"{name} is read-only; fastinit fills arrays in place and never copies")
    if arr.size > 1 and 0 in arr.strides and any(st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape)):
        raise ValueError(
            f"{name} has overlapping elements (a zero stride); fastinit writes each element "
            "once and needs an array whose elements have distinct memory"
        )
    if torch_tensor is not None:
        # A write through DLPack is invisible to autograd. Bump the version counter as
        # torch's in-place ops do (torch documents increment_version for custom kernels),
        # so that a graph that saved the old values raises in backward() instead of
        # silently computing gradients with the new ones.
        sys.modules["torch"].autograd.graph.increment_version(torch_tensor)
    return arr


def _from_dlpack(obj: Any, torch_tensor: Any) -> npt.NDArray[Any]:
    """A NumPy view of a DLPack tensor's memory.

    NumPy's DLPack import has no bfloat16, so a torch bfloat16 tensor is shared
    as int16 (same memory, same strides) and re-labelled as ml_dtypes' bfloat16;
    without ml_dtypes, NumPy's own refusal surfaces as the TypeError below.
    """
    if torch_tensor is not None and torch_tensor.dtype == sys.modules["torch"].bfloat16 and _ml_dtypes is not None:
        return np.from_dlpack(obj.view(sys.modules["torch"].int16)).view(_ml_dtypes.bfloat16)
    return np.from_dlpack(obj)


def _as_torch_tensor(obj: object) -> Any:
    """``obj`` if it is a ``torch.Tensor`` (torch already imported), else None."""
    torch = sys.modules.get("torch")
    return obj if torch is not None and isinstance(obj, torch.Tensor) else None


def new_array(shape: tuple[int, ...], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """An uninitialized C-contiguous array allocated by the C++ core."""
    return _core.empty(list(shape), dtype)


def _c_strides(shape: tuple[int, ...]) -> list[int]:
    strides, s = [], 1
    for d in reversed(shape):
        strides.append(s)
        s *= max(int(d), 1)
    return strides[::-1]


def logical_layout(shape: tuple[int, ...], full_shape: object = None,
                   offset: object = None) -> tuple[Sequence[int], int, tuple[int, ...]]:
    """Logical (row-major) index strides and base index of an array.

    Without ``full_shape``/``offset`` the array is the whole tensor: returns
    ``((), 0, shape)``, and the empty ``lstrides`` tells the C++ core to use
    the C-order strides of the array's own shape. With them the array is the
    block of the ``full_shape`` tensor that starts at ``offset``.
    Returns ``(lstrides, base, full_shape)``.
    """
    shape = tuple(shape)
    if full_shape is None and offset is None:
        return (), 0, shape
    nd = len(shape)
    full = normalize_shape(shape if full_shape is None else full_shape, "full_shape")
    off = (0,) * nd if offset is None else _int_tuple(offset, "offset", "a tuple of ints")
    if len(full) != nd:
        raise ValueError(f"full_shape must have one entry per dimension of the array ({nd}), got {full}")
    if len(off) != nd:
        raise ValueError(f"offset must have one entry per dimension of the array ({nd}), got {off}")
    for k, (o, s, f) in enumerate(zip(off, shape, full)):
        if o < 0 or o + s > f:
            raise ValueError(
                f"offset[{k}] = {o} with block size {s} does not fit in full_shape[{k}] = {f}: "
                f"need 0 <= offset[{k}] and offset[{k}] + {s} <= {f}"
            )
    lstrides = _c_strides(full)
    base = sum(o * ls for o, ls in zip(off, lstrides))
    return lstrides, base, full
