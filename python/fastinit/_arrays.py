"""Arrays in and out: dtypes, shapes, zero-copy acceptance, logical layout.

Functions that fill an array in place write into the caller's memory and
never copy: anything that cannot be written in place is an error. Functions
that create an array get it from the C++ core (64-byte aligned, C order,
owned by NumPy through a capsule, no copy).
"""
from __future__ import annotations

import math
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
#: How to get bfloat16 when ml_dtypes is missing (named in the error messages).
BFLOAT16_HINT = (
    "bfloat16 needs the ml_dtypes package, which provides NumPy's bfloat16 dtype: "
    "pip install ml_dtypes (or install fastinit with its 'bfloat16' extra)"
)
_EXACT_DTYPES = ", or an integer or bool dtype"
#: Complex dtypes, accepted only by the initializers that define complex values (``complex_ok=True``),
#: and the real dtype of their components (the float view that the C++ core fills).
COMPLEX_COMPONENTS: dict[np.dtype[Any], np.dtype[Any]] = {
    np.dtype(np.complex64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.float64)}
_COMPLEX_DTYPES = ", complex64, complex128"
#: Named when a complex array or dtype reaches an initializer without complex values.
COMPLEX_HINT = (
    "complex64/complex128 are accepted by normal, variance_scaling, lecun_uniform, lecun_normal, orthogonal, "
    "delta_orthogonal, zeros, ones and constant; fastinit.jax accepts them where jax.nn.initializers does"
)

try:  # bfloat16 is supported when ml_dtypes provides the NumPy dtype
    import ml_dtypes as _ml_dtypes

    _DTYPE_CODES[np.dtype(_ml_dtypes.bfloat16)] = 1
    _VALID_DTYPES += ", bfloat16"
except ImportError:  # pragma: no cover - optional dependency
    _ml_dtypes = None  # type: ignore[assignment, unused-ignore]  # only with ml_dtypes installed

#: Without ml_dtypes NumPy has no bfloat16, but a torch bfloat16 tensor is still
#: filled in place: its memory is shared as this 2-byte stand-in (a one-field
#: record, distinct from every numeric dtype) and the C++ core writes bfloat16 bits
#: into it with the same kernel, hence the same bits, as with ml_dtypes.
BFLOAT16_BITS: np.dtype[Any] = np.dtype([("bfloat16", "<u2")])

#: The largest number of bytes an array may have (NumPy's limit).
MAX_BYTES = 2**63 - 1
#: The largest number of elements of a logical tensor: logical indices are
#: unsigned 64-bit and stay below 2**63, so that no index arithmetic of the
#: kernels (the end of a run, block counts) can wrap around.
MAX_LOGICAL_ELEMENTS = 2**63


#: The largest finite value of each supported dtype.
LARGEST_FINITE = {
    dt: float(np.nextafter(np.asarray(np.inf, dtype=dt), np.asarray(0, dtype=dt))) for dt in _DTYPE_CODES
}
#: Whether NumPy arrays can be bfloat16 (ml_dtypes installed).
HAS_ML_DTYPES = _ml_dtypes is not None
LARGEST_FINITE[BFLOAT16_BITS] = float.fromhex("0x1.fep127")  # bfloat16's largest finite value
#: The C++ core's dtype codes of the arrays it fills: the dtypes above and the
#: bfloat16 stand-in, which only ``as_writable_array`` makes (from a torch tensor).
_FILL_CODES = {**_DTYPE_CODES, BFLOAT16_BITS: 1}


def bfloat16_bits(values: npt.ArrayLike) -> npt.NDArray[np.uint16]:
    """The bfloat16 bits of ``values`` rounded to float32, then to nearest even.

    The rounding of torch's ``.to(torch.bfloat16)`` and ml_dtypes' casts: add
    ``0x7FFF`` plus the lowest kept bit to the float32 bits and keep the high
    16; a NaN stays a (quiet) NaN.
    """
    f = np.asarray(values, dtype=np.float32)
    u = f.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(f), ((u >> 16) | 0x40).astype(np.uint16), rounded)


def bfloat16_value(bits: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """The float32 values of bfloat16 ``bits`` (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def dtype_code(dtype: np.dtype[Any]) -> int:
    return _FILL_CODES[dtype]


def is_exact(dtype: np.dtype[Any]) -> bool:
    """Whether ``dtype`` is a native-order integer or bool dtype (constants only)."""
    return dtype.kind in "biu" and dtype.isnative


def resolve_dtype(dtype: npt.DTypeLike | None, name: str = "dtype", exact: bool = False,
                  complex_ok: bool = False) -> np.dtype[Any]:
    """``None`` -> float32; otherwise one of the supported floating dtypes.

    With ``exact=True`` (the constant initializers) integer and bool dtypes
    are accepted too, with ``complex_ok=True`` complex64 and complex128.
    """
    if dtype is None:
        return np.dtype(np.float32)
    valid = _VALID_DTYPES + (_COMPLEX_DTYPES if complex_ok else "") + (_EXACT_DTYPES if exact else "")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be one of {valid}; got {dtype!r}{_bfloat16_hint(dtype)}") from None
    if dt not in _DTYPE_CODES and not (exact and is_exact(dt)) and not (complex_ok and dt in COMPLEX_COMPONENTS):
        raise TypeError(f"{name} must be one of {valid}; got {dt}{_bfloat16_hint(dt)}{_complex_hint(dt)}")
    return dt


def _complex_hint(dtype: np.dtype[Any]) -> str:
    """Where complex values are to be had, when a complex dtype is refused; else ''."""
    return f" ({COMPLEX_HINT})" if dtype.kind == "c" else ""


def _bfloat16_hint(dtype: object) -> str:
    """The install hint when ``dtype`` names bfloat16 and ml_dtypes is missing, else ''."""
    if _ml_dtypes is not None:
        return ""
    names = {str(dtype).lower(), str(getattr(dtype, "name", "")).lower(), repr(dtype).lower()}
    return f". {BFLOAT16_HINT}" if any("bfloat16" in n for n in names) else ""


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


def check_new_size(shape: tuple[int, ...], dtype: np.dtype[Any], name: str = "shape") -> None:
    """A ValueError, before anything is allocated, if an array of ``shape``
    and ``dtype`` would have more than ``MAX_BYTES`` bytes."""
    n = math.prod(max(d, 1) for d in shape)  # NumPy refuses huge dimensions next to a zero too
    if n * dtype.itemsize > MAX_BYTES:
        raise ValueError(
            f"{name}={tuple(shape)} needs {n} elements of {dtype.itemsize} bytes (zero dimensions counted "
            "as 1): more than the 2**63 - 1 bytes an array can have"
        )


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


def as_writable_array(obj: object, name: str = "tensor", exact: bool = False,
                      complex_ok: bool = False) -> npt.NDArray[Any]:
    """A NumPy view of the caller's memory, ready to be written in place.

    Accepts NumPy arrays of a supported floating dtype (with ``exact=True``
    also integer and bool dtypes, for the constant initializers) in any memory layout
    and CPU objects that export DLPack (for example a PyTorch tensor, including
    a ``torch.nn.Parameter``, whose storage is written as ``torch.nn.init``
    does under ``no_grad``; torch bfloat16 also without ``ml_dtypes``). Never
    copies: read-only memory is a ValueError, other dtypes are a TypeError.
    ``complex_ok=True`` also accepts complex64 and complex128 (the
    initializers that define complex values).
    """
    torch_tensor = None
    if isinstance(obj, np.ndarray):
        arr = obj
    elif hasattr(obj, "__dlpack__"):
        torch_tensor = _as_torch_tensor(obj)
        if torch_tensor is not None:
            _refuse_dtensor(torch_tensor, name)
            if torch_tensor.is_neg():
                # A lazily negated view (e.g. the .imag of a conjugate view): torch exports
                # its memory as is, so every value written there would read back negated.
                raise TypeError(
                    f"{name} is a torch tensor with the negative bit set, whose memory holds the "
                    "negated values; fill the tensor it views instead"
                )
            if torch_tensor.is_conj():
                # A lazily conjugated view (tensor.conj()): its memory holds the unconjugated values.
                raise TypeError(
                    f"{name} is a torch tensor with the conjugate bit set, whose memory holds the "
                    "conjugated values; fill the tensor it views instead"
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
    if arr.dtype not in _DTYPE_CODES and not (exact and is_exact(arr.dtype)) and \
            not (torch_tensor is not None and arr.dtype == BFLOAT16_BITS) and \
            not (complex_ok and arr.dtype in COMPLEX_COMPONENTS):
        kinds = ("floating, complex" if complex_ok else "floating") + (", integer or bool" if exact else "")
        valid = _VALID_DTYPES + (_COMPLEX_DTYPES if complex_ok else "") + (_EXACT_DTYPES if exact else "")
        raise TypeError(f"{name} must have a {kinds} dtype ({valid}); got {arr.dtype}{_complex_hint(arr.dtype)}")
    if not arr.flags.writeable:
        raise ValueError(f"{name} is read-only; fastinit fills arrays in place and never copies")
    if arr.size > 1 and not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        _check_no_overlap(arr, name)
    if torch_tensor is not None:
        # A write through DLPack is invisible to autograd. Bump the version counter as
        # torch's in-place ops do (torch documents increment_version for custom kernels),
        # so that a graph that saved the old values raises in backward() instead of
        # silently computing gradients with the new ones.
        sys.modules["torch"].autograd.graph.increment_version(torch_tensor)
    return arr


def _check_no_overlap(arr: npt.NDArray[Any], name: str) -> None:
    """A ValueError if two elements of ``arr`` share memory.

    Sufficient test: with the dimensions sorted by ``|stride|``, each stride
    must step past everything the smaller dimensions span. Layouts that fail
    it but are still one-to-one (interleaved strides) are rare; they are
    accepted after an exact check of their element addresses when they have
    at most 2**20 elements, refused otherwise.
    """
    dims = sorted((abs(st), n) for st, n in zip(arr.strides, arr.shape) if n > 1)
    if any(st == 0 for st, _ in dims):
        raise ValueError(
            f"{name} has overlapping elements (a zero stride); fastinit writes each element "
            "once and needs an array whose elements have distinct memory"
        )
    span = arr.itemsize
    for st, n in dims:
        if st < span:
            break
        span += st * (n - 1)
    else:
        return
    if arr.size <= 2**20:
        offsets = np.zeros((), dtype=np.int64)
        for st, n in zip(arr.strides, arr.shape):
            offsets = np.add.outer(offsets, np.arange(n, dtype=np.int64) * st)
        offsets = np.sort(offsets, axis=None)
        if np.all(np.diff(offsets) >= arr.itemsize):
            return
    raise ValueError(
        f"{name} has overlapping elements (strides {arr.strides} for shape {arr.shape} and "
        f"{arr.itemsize}-byte items make distinct indices share memory); fastinit writes each "
        "element once and needs an array whose elements have distinct memory"
    )


def _from_dlpack(obj: Any, torch_tensor: Any) -> npt.NDArray[Any]:
    """A NumPy view of a DLPack tensor's memory.

    NumPy's DLPack import has no bfloat16, so a torch bfloat16 tensor is shared
    as int16 (same memory, same strides) and re-labelled as ml_dtypes' bfloat16,
    or without ml_dtypes as :data:`BFLOAT16_BITS`.
    """
    if torch_tensor is not None and torch_tensor.dtype == sys.modules["torch"].bfloat16:
        bits = np.from_dlpack(obj.view(sys.modules["torch"].int16))
        return bits.view(BFLOAT16_BITS if _ml_dtypes is None else _ml_dtypes.bfloat16)
    return np.from_dlpack(obj)


def _refuse_dtensor(torch_tensor: Any, name: str) -> None:
    """A DTensor's DLPack export is not its shard's memory: refuse it instead of writing elsewhere."""
    dtensor_module = sys.modules.get("torch.distributed.tensor")
    if dtensor_module is not None and isinstance(torch_tensor, dtensor_module.DTensor):
        raise TypeError(
            f"{name} is a DTensor (a sharded tensor): fill it with fastinit.torch.fill_sharded"
            "(initializer, tensor, ...) or the fastinit.torch functions, which write each rank's shard with "
            "the values of the whole tensor, or pass its local shard with full_shape=/offset= from "
            "fastinit.torch.local_block"
        )


def _as_torch_tensor(obj: object) -> Any:
    """``obj`` if it is a ``torch.Tensor`` (torch already imported), else None."""
    torch = sys.modules.get("torch")
    return obj if torch is not None and isinstance(obj, torch.Tensor) else None


def new_array(shape: tuple[int, ...], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """An uninitialized C-contiguous array allocated by the C++ core.

    Sizes beyond ``MAX_BYTES`` are a ValueError, sizes the system cannot
    provide a MemoryError, both raised before anything is allocated."""
    check_new_size(shape, dtype)
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
    if math.prod(max(f, 1) for f in full) > MAX_LOGICAL_ELEMENTS:
        raise ValueError(
            f"full_shape={full} has more than 2**63 elements; fastinit's logical indices stay "
            "below 2**63, so a tensor can have at most 2**63 elements"
        )
    lstrides = _c_strides(full)
    base = sum(o * ls for o, ls in zip(off, lstrides))
    return lstrides, base, full
