"""Docstring pieces shared by the initializers (parameters that many take).

``shared_doc`` replaces markers such as ``<<SEED>>`` in a function's
docstring by the text below, so that each common parameter is described once.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_PIECES = {
    "TENSOR": """tensor : numpy.ndarray or CPU tensor with DLPack
        A float16, bfloat16, float32 or float64 array in any memory layout
        (C, Fortran, strided view), or a CPU tensor that exports DLPack (for
        example a ``torch.Tensor`` or ``torch.nn.Parameter``; as with
        ``torch.nn.init``, the write bumps its autograd version counter). It
        is written in place, never copied: read-only memory and views whose
        elements overlap (a zero stride, or strides that make two indices
        share memory) are a ValueError, other dtypes and non-arrays are a
        TypeError.""",
    "SEED": """seed : int, Generator or None, optional
        Where the random bits come from. An int gives the same values every
        time; a :class:`Generator` is used and advanced by one call; ``None``
        uses (and advances) the default generator, see :func:`manual_seed`.""",
    "SHARD": """full_shape, offset : tuple of int, optional
        Treat ``tensor`` as the block of a larger logical tensor of shape
        ``full_shape`` that starts at ``offset`` (one entry per dimension).
        The values equal, bit for bit, the matching block of the whole tensor
        filled with the same seed. ``full_shape`` may have at most 2**63
        elements (logical indices stay below 2**63).""",
    "FANS": """layout : {"torch", "keras"}, default "torch"
        Which axes are input and output units, see :func:`compute_fans`:
        ``(out, in, *kernel)`` or ``(*kernel, in, out)``. The default is
        PyTorch's: Keras, JAX and Flax kernels need ``layout="keras"`` (the
        adapters :mod:`fastinit.keras` and :mod:`fastinit.jax` do this).
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        JAX's fan axes (see :func:`compute_fans`): each one given replaces the
        layout's input/output axis; batch axes count in neither fan.
    fan_in, fan_out : int, optional
        Positive ints that replace the fans read from the shape. Only the
        fans the formula needs are read from the shape, so a 0-D or 1-D array
        (a bias) can be filled by giving them. With ``full_shape`` the fans
        are those of ``full_shape``.""",
    "RETURNS": """Returns
    -------
    tensor
        The same object, filled in place.""",
    "NEW": """This is the out-of-place form: ``shape`` (an int or a tuple of ints)
    gives the new array's shape and ``dtype`` its element type (float32 by
    default; float16, float64, bfloat16 or their names). The array is
    C-contiguous and allocated by fastinit's C++ core (no copy). Every other
    argument means what it means in the in-place form; with ``full_shape``
    and ``offset`` the new array is the block of shape ``shape`` at
    ``offset``. Returns the new ``numpy.ndarray``.""",
}
_PIECES["XAVIER_PARAMETERS"] = """Parameters
    ----------
    <<TENSOR>>
        At least 2 dimensions unless ``fan_in`` and ``fan_out`` are given.
    gain : float, default 1
        Scale factor ``>= 0``, e.g. from :func:`calculate_gain`.<<XAVIER_TRUNCATED>>
    <<FANS>>
    <<SEED>>
    <<SHARD>>

    <<RETURNS>>

    Raises
    ------
    ValueError
        If fans cannot be computed (fewer than 2 dimensions), ``gain < 0`` or
        ``layout`` is unknown."""
_PIECES["TRUNCATED"] = """truncated : bool
        ``False``: N(0, std**2), as PyTorch. ``True``: N(0, s**2) truncated to
        ``[-2 s, 2 s]`` with ``s = std / 0.87962566103423978`` (the std of a
        standard normal truncated to (-2, 2)), so that the values still have
        std ``std``, as Keras and JAX. The default depends on the name, see
        ``docs/initializers.md``."""
_PIECES["REFUSED"] = """full_shape, offset : None
        Refused (ValueError): the values depend on the whole array.

    <<RETURNS>>"""


def shared_doc(fn: F) -> F:
    """Decorator: expand the ``<<NAME>>`` markers of ``fn.__doc__``."""
    doc = fn.__doc__ or ""
    # The Xavier parameters list ``truncated`` for the functions that take it.
    code = fn.__code__
    truncated = "truncated" in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    for _ in range(3):  # pieces may contain pieces
        for key, text in _PIECES.items():
            doc = doc.replace(f"<<{key}>>", text)
        doc = doc.replace("<<XAVIER_TRUNCATED>>", "\n    <<TRUNCATED>>" if truncated else "")
    fn.__doc__ = doc
    return fn
