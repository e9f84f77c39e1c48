"""Structured initializers: orthogonal, delta-orthogonal, sparse, identity (eye) and Dirac delta.

Their values depend on the whole array (a QR factorization, a per-column
zero pattern, positions of ones), so unlike the element-wise initializers they
cannot fill one block of a larger tensor: ``full_shape``/``offset`` are refused.
The random ones draw their numbers from fastinit's samplers (same seed, same
draws on every machine) and work in float64 before writing into the caller's
array, whatever its dtype and memory layout.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from . import _complex, _sampling
from ._arrays import as_writable_array, is_exact
from ._docs import shared_doc
from ._generator import resolve_generator
from ._params import exact_values, finite, non_negative, refuse_sharding
from ._typing import Array, DTypeLike, OptionalShape, Seed, ShapeLike, TensorT

__all__ = ["orthogonal", "orthogonal_", "delta_orthogonal", "delta_orthogonal_", "sparse", "sparse_", "eye", "eye_",
           "dirac", "dirac_"]


def _zero(arr: Array) -> None:
    """Zero an array already accepted by ``as_writable_array`` (a complex one through its component view)."""
    _sampling.fill_array(_complex.component_view(arr) if arr.dtype.kind == "c" else arr, _sampling.CONSTANT, (0.0,))


def _haar(rows: int, cols: int, seed: Any, complex_values: bool = False) -> np.ndarray | None:
    """A (rows, cols) float64 (complex128) matrix with orthonormal rows (rows <= cols) or columns, Haar distributed.

    Draws a (rows, cols) matrix of N(0, 1) values (one generator call, also
    for an empty matrix; with ``complex_values`` standard complex normals,
    see :func:`fastinit.normal_`), transposes it if ``rows < cols``, factors
    it ``A = QR`` and multiplies Q's columns by the phases ``d / |d|`` of ``d
    = diag(R)`` (``sign(d)`` for real values: Mezzadri's recipe, as PyTorch,
    Keras and JAX), which makes Q Haar distributed on the orthogonal (unitary)
    group. The transpose back is a plain transpose, as JAX's. Returns None
    for an empty matrix.
    """
    draws = _sampling.new((rows, cols), np.complex128 if complex_values else np.float64, complex_ok=True)
    if complex_values:
        _complex.fill_normal(draws, 0.0, 1.0, seed)
    else:
        _sampling.fill_(draws, _sampling.NORMAL, (0.0, 1.0), seed)
    if draws.size == 0:
        return None
    wide = rows < cols
    q, r = np.linalg.qr(draws.T if wide else draws)
    d = np.diag(r)
    if complex_values:  # |d| > 0 with probability 1; a zero keeps its column as QR gave it
        magnitude = np.abs(d)
        q *= np.where(magnitude > 0, d / np.where(magnitude > 0, magnitude, 1.0), 1.0)
    else:
        q *= np.sign(d)
    return q.T if wide else q


def _column_axis(column_axis: Any, ndim: int) -> int:
    if isinstance(column_axis, bool) or not isinstance(column_axis, numbers.Integral):
        raise TypeError(f"column_axis must be an int or None, got {column_axis!r}")
    if not -ndim <= int(column_axis) < ndim:
        raise ValueError(f"column_axis={column_axis} is out of range for a shape with {ndim} dimensions: "
                         f"need {-ndim} <= column_axis <= {ndim - 1}")
    return int(column_axis) % ndim


def _orthogonal_values(shape: tuple[int, ...], gain: float, column_axis: int | None,
                       seed: Any, complex_values: bool = False) -> np.ndarray | None:
    """The orthogonal array of ``shape`` in float64 or complex128 (None if empty); ``column_axis`` checked or None."""
    if column_axis is None:  # PyTorch: rows = shape[0], columns = everything else
        q = _haar(shape[0], math.prod(shape[1:]), seed, complex_values)
        return None if q is None else (q * gain).reshape(shape)
    cols = shape[column_axis]
    rest = shape[:column_axis] + shape[column_axis + 1:]
    q = _haar(math.prod(rest), cols, seed, complex_values)
    return None if q is None else np.moveaxis((q * gain).reshape(rest + (cols,)), -1, column_axis)


@shared_doc
def orthogonal_(tensor: TensorT, gain: float = 1.0, *, column_axis: int | None = None, seed: Seed = None,
                full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain``.

    The array is viewed as a matrix. By default (``column_axis=None``) it has
    ``rows = shape[0]`` and ``cols = prod(shape[1:])``, as in
    ``torch.nn.init.orthogonal_``; with ``column_axis=k`` it has ``cols =
    shape[k]`` and ``rows`` = the product of the other axes (in their order),
    as JAX's ``orthogonal(column_axis=k)``; Keras's ``Orthogonal`` is
    ``column_axis=-1``. A (rows, cols) matrix of N(0, 1) values is drawn
    (float64, from fastinit's normal sampler), transposed if ``rows <
    cols``, factored ``A = QR`` (reduced QR, ``numpy.linalg.qr``), ``Q``'s
    columns multiplied by ``sign(diag(R))`` so that the result is uniformly
    (Haar) distributed, transposed back and multiplied by ``gain``. If ``rows
    <= cols`` the rows are orthonormal (``W W^T = gain**2 I``), otherwise the
    columns are (``W^T W = gain**2 I``). The product is computed in float64
    and rounded once to the array's dtype.

    A complex64/complex128 array gets a Haar-distributed unitary (or
    semi-unitary) matrix, as JAX's ``orthogonal`` for complex dtypes: the
    matrix of standard complex normals (real and imaginary parts N(0, 1/2),
    see :func:`normal_`) is factored in complex128, Q's columns are multiplied
    by the phases ``d / |d|`` of ``d = diag(R)``, and a wide matrix is
    transposed back (not conjugated, as JAX), so that ``W W^H = gain**2 I``
    (rows <= cols) or ``W^H W = gain**2 I``. PyTorch's ``orthogonal_`` raises
    for complex tensors (it calls ``torch.sign``, which refuses complex
    numbers); Keras documents floating dtypes only.

    Parameters
    ----------
    <<TENSOR>>
        At least 2 dimensions. The caller's array is written in place (its
        identity and layout do not change).
    gain : float, default 1
        A finite scale factor (JAX calls it ``scale``).
    column_axis : int or None, default None
        The axis that indexes the columns; None is PyTorch's matrix view.
        For a 2-D array ``None`` and ``-1`` are the same matrix (and the same
        values for the same seed). Use ``-1`` for Keras/JAX/Flax kernels
        ``(*kernel, in, out)``.
    <<SEED>>
    <<REFUSED>>

    Raises
    ------
    ValueError
        Fewer than 2 dimensions, a non-finite gain, ``column_axis`` out of
        range, or full_shape/offset given. TypeError if ``column_axis`` is
        not an int.

    Notes
    -----
    A zero-element array is returned unchanged (the generator still advances
    by one call; JAX returns zeros, which is the same thing). The normal
    draws are reproducible bit for bit; the QR factorization comes from the
    LAPACK that NumPy uses, so results can differ in the last bits between
    LAPACK builds.
    """
    refuse_sharding("orthogonal_", full_shape, offset)
    gain = finite(gain, "gain")
    arr = as_writable_array(tensor, complex_ok=True)
    if arr.ndim < 2:
        raise ValueError(f"orthogonal_ needs an array with at least 2 dimensions, got shape {arr.shape}")
    axis = None if column_axis is None else _column_axis(column_axis, arr.ndim)
    values = _orthogonal_values(arr.shape, gain, axis, seed, arr.dtype.kind == "c")
    if values is not None:
        arr[...] = values
    return tensor


@shared_doc
def delta_orthogonal_(tensor: TensorT, gain: float = 1.0, *, column_axis: int = -1, seed: Seed = None,
                      full_shape: None = None, offset: None = None) -> TensorT:
    """Fill a convolution kernel with an orthogonal matrix at its centre tap and zeros elsewhere.

    The kernel has the Keras/JAX layout ``(*kernel, in, out)`` with 1 to 3
    spatial axes and ``in <= out``. The ``(in, out)`` matrix at the centre
    tap ``(k1 - 1) // 2, (k2 - 1) // 2, ...`` is :func:`orthogonal_` of shape
    ``(in, out)`` with ``gain`` and ``column_axis`` (so its rows are
    orthonormal times ``gain``), as JAX's ``delta_orthogonal`` (Xiao et al.,
    2018): a convolution with it is norm-preserving at initialization.

    Parameters
    ----------
    <<TENSOR>>
        3, 4 or 5 dimensions with ``shape[-2] <= shape[-1]``.
    gain : float, default 1
        A finite scale factor (JAX: ``scale``).
    column_axis : int, default -1
        The column axis of the ``(in, out)`` matrix: -2, -1, 0 or 1.
    <<SEED>>
    <<REFUSED>>

    Raises
    ------
    ValueError
        Not 3-5 dimensions, ``shape[-2] > shape[-1]``, a non-finite gain,
        ``column_axis`` out of range, or full_shape/offset given.

    Notes
    -----
    The centre is ``(k - 1) // 2``, as JAX; PyTorch's :func:`dirac_` uses
    ``k // 2`` (they differ for even kernel sizes) and the identity instead
    of an orthogonal matrix, in the layout ``(out, in, *kernel)``. A complex
    array gets a unitary centre tap, as JAX (see :func:`orthogonal_`).
    """
    refuse_sharding("delta_orthogonal_", full_shape, offset)
    gain = finite(gain, "gain")
    arr = as_writable_array(tensor, complex_ok=True)
    if arr.ndim not in (3, 4, 5):
        raise ValueError(f"delta_orthogonal_ needs an array with 3, 4 or 5 dimensions, got shape {arr.shape}")
    n_in, n_out = arr.shape[-2:]
    if n_in > n_out:
        raise ValueError(f"delta_orthogonal_ needs in <= out (shape[-2] <= shape[-1]), got shape {arr.shape}")
    axis = _column_axis(column_axis, 2)
    values = _orthogonal_values((n_in, n_out), gain, axis, seed, arr.dtype.kind == "c")
    _zero(arr)
    if values is not None and arr.size:
        arr[tuple((k - 1) // 2 for k in arr.shape[:-2])] = values
    return tensor


@shared_doc
def sparse_(tensor: TensorT, sparsity: float, std: float = 0.01, *, seed: Seed = None,
            full_shape: OptionalShape = None, offset: OptionalShape = None) -> TensorT:
    """Fill a 2-D ``tensor`` with N(0, std**2) values and zero a fraction of each column.

    Each of the ``cols`` columns gets exactly ``ceil(sparsity * rows)`` zeros
    at rows chosen uniformly at random (Martens, 2010); the other entries are
    N(0, std**2), as in ``torch.nn.init.sparse_``.

    Parameters
    ----------
    <<TENSOR>>
        Exactly 2 dimensions.
    sparsity : float
        The fraction of each column set to zero, in [0, 1].
    std : float, default 0.01
        Standard deviation of the non-zero values, ``>= 0``.
    <<SEED>>
        The values use one call of the generator and the zero pattern the
        next, so an int seed fixes both and a Generator advances by two.
    full_shape, offset : None
        Refused (ValueError): the zero pattern is per whole column.

    <<RETURNS>>

    Raises
    ------
    ValueError
        Not 2-D, ``sparsity`` outside [0, 1], ``std < 0``, a non-finite
        parameter, or full_shape/offset given.

    Notes
    -----
    Unlike PyTorch, whose ``sparse_`` draws the zero pattern with
    ``torch.randperm`` from the *global* RNG even when a ``generator`` is
    given, fastinit draws both the values and the pattern from ``seed``, so
    the result is reproducible from the seed alone. Keras and JAX have no
    sparse initializer.
    """
    refuse_sharding("sparse_", full_shape, offset)
    sparsity = finite(sparsity, "sparsity")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    std = non_negative(std, "std")
    arr = as_writable_array(tensor)
    if arr.ndim != 2:
        raise ValueError(f"sparse_ needs a 2-D array, got {arr.ndim} dimensions (shape {arr.shape})")
    rows, cols = arr.shape
    generator = resolve_generator(seed)
    _sampling.fill_(arr, _sampling.NORMAL, (0.0, std), generator)
    keys = _sampling.new((cols, rows), np.float64)  # one row of keys per column of the array
    _sampling.fill_(keys, _sampling.UNIFORM, (0.0, 1.0), generator)
    num_zeros = math.ceil(sparsity * rows)
    if arr.size == 0 or num_zeros == 0:
        return tensor
    # In each column, the rows with the num_zeros smallest keys: a uniform random subset.
    zero_rows = np.argpartition(keys, num_zeros - 1, axis=1)[:, :num_zeros]
    arr[zero_rows, np.arange(cols)[:, None]] = 0
    return tensor


@shared_doc
def eye_(tensor: TensorT, gain: float = 1.0, *, full_shape: OptionalShape = None,
         offset: OptionalShape = None) -> TensorT:
    """Fill a 2-D ``tensor`` with ``gain`` times the identity: ``gain`` on the main diagonal, zeros elsewhere.

    Non-square shapes get ``min(rows, cols)`` diagonal entries at ``(i, i)``,
    as ``torch.nn.init.eye_`` and ``numpy.eye``. In a linear layer it preserves
    the identity of the inputs (as many as possible).

    Parameters
    ----------
    tensor : numpy.ndarray or CPU tensor with DLPack
        Exactly 2 dimensions; a floating, integer or bool array (as Keras
        allows), written in place.
    gain : float, default 1
        The diagonal value (Keras ``Identity(gain)``); PyTorch's ``eye_`` is
        ``gain=1``. Must be storable exactly as for :func:`constant_`
        (finite and in range; whole for integer arrays, 0/1 for bool).
    <<REFUSED>>

    Raises
    ------
    ValueError
        Not 2-D, a gain the dtype cannot hold, or full_shape/offset given.

    Notes
    -----
    JAX has no identity initializer.
    """
    refuse_sharding("eye_", full_shape, offset)
    arr = as_writable_array(tensor, exact=True)
    if arr.ndim != 2:
        raise ValueError(f"eye_ needs a 2-D array, got {arr.ndim} dimensions (shape {arr.shape})")
    diagonal_value = exact_values(gain, arr.dtype, "gain")
    if diagonal_value.ndim:
        raise TypeError(f"gain must be a number, got an array of shape {diagonal_value.shape}")
    if is_exact(arr.dtype):
        arr[...] = 0
    else:
        _zero(arr)
    diagonal = np.arange(min(arr.shape))
    arr[diagonal, diagonal] = diagonal_value
    return tensor


@shared_doc
def dirac_(tensor: TensorT, groups: int = 1, *, full_shape: OptionalShape = None,
           offset: OptionalShape = None) -> TensorT:
    """Fill a 3-, 4- or 5-D ``tensor`` with the Dirac delta: an identity convolution.

    The weight has PyTorch's convolution layout ``(out, in, *kernel)``. It is
    zeroed, and for each group ``g`` and each ``d < min(out // groups, in)``
    the centre tap ``tensor[g * (out // groups) + d, d, k1 // 2, ...]`` is set
    to 1, so that a convolution with it copies the first input channels of
    each group (as many as fit) to its outputs, as ``torch.nn.init.dirac_``.

    Parameters
    ----------
    <<TENSOR>>
        3, 4 or 5 dimensions (Conv1d, Conv2d, Conv3d weights).
    groups : int, default 1
        Number of groups of the convolution; must divide ``shape[0]``.
    <<REFUSED>>

    Raises
    ------
    ValueError
        Not 3-5 dimensions, ``groups`` not a positive divisor of ``shape[0]``,
        or full_shape/offset given. TypeError if ``groups`` is not an int.

    Notes
    -----
    The centre index is ``k // 2``, as in PyTorch; for an even kernel size
    (e.g. 4) that is index 2, one past the middle. JAX's
    ``delta_orthogonal`` uses ``(k - 1) // 2``, puts an orthogonal matrix
    (not the identity) at the centre and uses the layout ``(*kernel, in,
    out)``; Keras has no Dirac initializer.
    """
    refuse_sharding("dirac_", full_shape, offset)
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral):
        raise TypeError(f"groups must be a positive int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups}")
    arr = as_writable_array(tensor)
    if arr.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_ needs an array with 3, 4 or 5 dimensions, got shape {arr.shape}")
    out_per_group, rest = divmod(arr.shape[0], groups)
    if rest:
        raise ValueError(f"groups={groups} must divide dim 0 of the array, got shape {arr.shape}")
    _zero(arr)
    if arr.size == 0:
        return tensor
    channels = np.arange(min(out_per_group, arr.shape[1]))
    outputs = (np.arange(groups)[:, None] * out_per_group + channels).ravel()
    inputs = np.tile(channels, groups)
    centre = tuple(k // 2 for k in arr.shape[2:])
    arr[(outputs, inputs) + centre] = 1
    return tensor


@shared_doc
def orthogonal(shape: ShapeLike, gain: float = 1.0, *, column_axis: int | None = None, dtype: DTypeLike = None,
               seed: Seed = None, full_shape: OptionalShape = None, offset: OptionalShape = None) -> Array:
    """A new (semi-)orthogonal array; see :func:`orthogonal_`.

    <<NEW>>
    """
    return orthogonal_(_sampling.new(shape, dtype, complex_ok=True), gain, column_axis=column_axis, seed=seed,
                       full_shape=full_shape,
                       offset=offset)


@shared_doc
def delta_orthogonal(shape: ShapeLike, gain: float = 1.0, *, column_axis: int = -1, dtype: DTypeLike = None,
                     seed: Seed = None, full_shape: None = None, offset: None = None) -> Array:
    """A new delta-orthogonal convolution kernel; see :func:`delta_orthogonal_`.

    <<NEW>>
    """
    out: Array = delta_orthogonal_(_sampling.new(shape, dtype, complex_ok=True), gain, column_axis=column_axis,
                                   seed=seed,
                                   full_shape=full_shape, offset=offset)
    return out


@shared_doc
def sparse(shape: ShapeLike, sparsity: float, std: float = 0.01, *, dtype: DTypeLike = None, seed: Seed = None,
           full_shape: OptionalShape = None, offset: OptionalShape = None) -> Array:
    """A new sparse normal array; see :func:`sparse_`.

    <<NEW>>
    """
    return sparse_(_sampling.new(shape, dtype), sparsity, std, seed=seed, full_shape=full_shape, offset=offset)


@shared_doc
def eye(shape: ShapeLike, gain: float = 1.0, *, dtype: DTypeLike = None, full_shape: OptionalShape = None,
        offset: OptionalShape = None) -> Array:
    """A new identity matrix times ``gain``; see :func:`eye_`.

    <<NEW>> Integer and bool dtypes are allowed too.
    """
    return eye_(_sampling.new(shape, dtype, exact=True), gain, full_shape=full_shape, offset=offset)


@shared_doc
def dirac(shape: ShapeLike, groups: int = 1, *, dtype: DTypeLike = None, full_shape: OptionalShape = None,
          offset: OptionalShape = None) -> Array:
    """A new Dirac-delta convolution weight; see :func:`dirac_`.

    <<NEW>>
    """
    return dirac_(_sampling.new(shape, dtype), groups, full_shape=full_shape, offset=offset)
