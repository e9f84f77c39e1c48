"""Fans and gains: the numbers that scale the fan-based initializers.

``compute_fans`` reads ``(fan_in, fan_out)`` off a weight shape in PyTorch or
Keras/JAX layout, ``calculate_gain`` is PyTorch's table of recommended gains,
and ``resolve_fan`` turns a shape, a layout, optional explicit fans and a mode
into the single fan an initializer divides by.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Union

from ._arrays import _int_tuple, normalize_shape
from ._params import scalar
from ._typing import ShapeLike

__all__ = ["compute_fans", "calculate_gain"]

LAYOUTS = ("torch", "keras")
#: An axis or a sequence of axes (JAX's ``in_axis``/``out_axis``/``batch_axis``).
Axes = Union[int, Sequence[int]]
FAN_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")

_GAIN_ONE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
NONLINEARITIES = _GAIN_ONE + ("tanh", "relu", "leaky_relu", "selu")


def _choices(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)


def check_choice(value: object, valid: Iterable[str], name: str) -> str:
    """``value`` if it is one of the strings ``valid``, else a ValueError listing them."""
    if not isinstance(value, str) or value not in valid:
        raise ValueError(f"{name} must be one of {_choices(valid)}; got {value!r}")
    return value


def compute_fans(shape: ShapeLike, layout: str = "torch", *, in_axis: Axes | None = None,
                 out_axis: Axes | None = None, batch_axis: Axes | None = None) -> tuple[int, int]:
    """Fan-in and fan-out of a weight of the given shape.

    Parameters
    ----------
    shape : int or tuple of int
        The weight's shape; at least 2 dimensions unless ``in_axis`` and
        ``out_axis`` are both given.
    layout : {"torch", "keras"}, default "torch"
        Which axes hold the input and output units when ``in_axis``/``out_axis``
        are not given. **The default is PyTorch's layout**: a Keras, JAX or
        Flax kernel needs ``layout="keras"`` (or the adapters
        :mod:`fastinit.keras` / :mod:`fastinit.jax`, which always read fans the
        framework's way); without it a ``(64, 32)`` Dense kernel gets the fans
        of a ``Linear(32, 64)`` weight, transposed.

        * ``"torch"``: ``(out, in, *kernel)``, as in ``torch.nn.Linear`` and
          ``torch.nn.ConvNd`` weights; the same as ``in_axis=1, out_axis=0``.
          With ``rf = prod(kernel)``, ``fan_in = shape[1] * rf`` and
          ``fan_out = shape[0] * rf``.
        * ``"keras"``: ``(*kernel, in, out)``, as in Keras ``Dense``/``Conv``
          kernels and the default of JAX/Flax; the same as ``in_axis=-2,
          out_axis=-1``. ``fan_in = shape[-2] * rf`` and ``fan_out = shape[-1] * rf``.
    in_axis, out_axis : int or sequence of int, optional
        JAX's spelling: the axes of the input and of the output units (an empty
        sequence counts as size 1). Each one given replaces the layout's axis.
    batch_axis : int or sequence of int, optional
        Axes that count neither as units nor as receptive field (JAX's
        ``batch_axis``, default none).

    Returns
    -------
    (fan_in, fan_out) : tuple of int
        ``fan_in = prod(shape[in_axis]) * rf`` and ``fan_out =
        prod(shape[out_axis]) * rf``, where the receptive field ``rf`` is the
        product of the axes that are in none of in_axis, out_axis, batch_axis
        (JAX computes the same numbers as floats).

    Raises
    ------
    ValueError
        If the shape has fewer than 2 dimensions and ``in_axis``/``out_axis``
        are not both given (PyTorch and JAX do the same; Keras instead returns
        ``(1, 1)`` for 0-D and ``(n, n)`` for 1-D shapes), an axis is out of
        range, the axes overlap, or ``layout`` is not one of the choices.
        TypeError if an axis is not an int or a sequence of ints.

    Notes
    -----
    Keras's ``VarianceScaling(input_axes=I, output_axes=O)`` counts no
    receptive field: it is ``in_axis=I, out_axis=O, batch_axis=<every other
    axis>``.

    Like both frameworks, the fans of a transposed convolution's weight are
    read with the same rule, so the "fan_in" of a PyTorch ``ConvTranspose2d(3, 8, 3)``
    weight ``(3, 8, 3, 3)`` is ``8 * 9 = 72``. For a grouped convolution
    ``shape[1]`` is ``in_channels / groups``, so fan_in is per group.

    Examples
    --------
    >>> fastinit.compute_fans((16, 3, 3, 5))
    (45, 240)
    >>> fastinit.compute_fans((3, 5, 3, 16), layout="keras")
    (45, 240)
    >>> fastinit.compute_fans((512, 8, 64), in_axis=0, out_axis=(1, 2))
    (512, 512)
    """
    axes = (in_axis, out_axis, batch_axis)
    return _fans_of(normalize_shape(shape), check_choice(layout, LAYOUTS, "layout"), axes)


#: ``(in_axis, out_axis, batch_axis)`` when the caller gave none of them: the layout decides.
NO_AXES = (None, None, None)


def _axis_tuple(value: object, ndim: int, name: str) -> tuple[int, ...]:
    """An int or a sequence of ints -> a tuple of axes in [0, ndim), else an error naming ``name``."""
    items = _int_tuple(value, name, "an int or a sequence of ints")
    for a in items:
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}={value!r} is out of range for a shape with {ndim} dimensions: "
                             f"each axis must be in [{-ndim}, {ndim - 1}]")
    return tuple(a % ndim for a in items)


def _fans_of(dims: tuple[int, ...], layout: str, axes: tuple[object, object, object] = NO_AXES) -> tuple[int, int]:
    """:func:`compute_fans` of a tuple of non-negative ints, a checked layout and the axes."""
    in_axis, out_axis, batch_axis = axes
    if len(dims) < 2 and (in_axis is None or out_axis is None):
        raise ValueError(
            f"fan_in and fan_out need a shape with at least 2 dimensions, got {dims}; "
            "pass fan_in= and fan_out= (or in_axis= and out_axis=) explicitly for 0-D or 1-D arrays"
        )
    if axes == NO_AXES:  # the common case: the layout's axes, nothing to check
        if layout == "torch":
            fan_out, fan_in, kernel = dims[0], dims[1], dims[2:]
        else:
            fan_in, fan_out, kernel = dims[-2], dims[-1], dims[:-2]
        rf = math.prod(kernel)
        return fan_in * rf, fan_out * rf
    default_in, default_out = (1, 0) if layout == "torch" else (-2, -1)
    nd = len(dims)
    named = {
        "in_axis": _axis_tuple(default_in if in_axis is None else in_axis, nd, "in_axis"),
        "out_axis": _axis_tuple(default_out if out_axis is None else out_axis, nd, "out_axis"),
        "batch_axis": _axis_tuple(() if batch_axis is None else batch_axis, nd, "batch_axis"),
    }
    owner: dict[int, str] = {}
    for name, group in named.items():
        for a in group:
            if a in owner:
                raise ValueError(f"in_axis, out_axis and batch_axis must not overlap: axis {a} is in both "
                                 f"{owner[a]} and {name} (in_axis={named['in_axis']}, "
                                 f"out_axis={named['out_axis']}, batch_axis={named['batch_axis']})")
            owner[a] = name
    rf = math.prod(d for k, d in enumerate(dims) if k not in owner)
    fan_in = math.prod(dims[k] for k in named["in_axis"]) * rf
    fan_out = math.prod(dims[k] for k in named["out_axis"]) * rf
    return fan_in, fan_out


#: The largest explicit fan: a count of elements, which fastinit indexes in 64 bits.
MAX_FAN = 2**64


def _check_fan(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int or None, got {value!r}")
    if not 0 < int(value) <= MAX_FAN:
        raise ValueError(f"{name} must be a positive int or None (at most 2**64), got {value}")
    return int(value)


def resolve_fan(shape: Sequence[int], mode: str, layout: str = "torch", fan_in: int | None = None,
                fan_out: int | None = None, axes: tuple[object, object, object] = NO_AXES) -> float:
    """The fan an initializer divides by: ``fan_in``, ``fan_out``, their mean or geometric mean.

    Explicit ``fan_in``/``fan_out`` (positive ints) win; only the fans that
    ``mode`` needs and that were not given are read from ``shape`` with the
    layout and the ``axes`` (so a 1-D bias can be initialized by giving the
    fans it needs). ``mode`` must already be validated.
    """
    layout = check_choice(layout, LAYOUTS, "layout")
    fan_in = _check_fan(fan_in, "fan_in")
    fan_out = _check_fan(fan_out, "fan_out")
    needs_in = mode != "fan_out" and fan_in is None
    needs_out = mode != "fan_in" and fan_out is None
    if needs_in or needs_out:
        shape_in, shape_out = _fans_of(tuple(shape), layout, axes)
        fan_in = shape_in if fan_in is None else fan_in
        fan_out = shape_out if fan_out is None else fan_out
    fan_in_f = math.nan if fan_in is None else float(fan_in)  # nan: not needed by this mode
    fan_out_f = math.nan if fan_out is None else float(fan_out)
    if mode == "fan_in":
        return fan_in_f
    if mode == "fan_out":
        return fan_out_f
    if mode == "fan_geo_avg":
        return math.sqrt(fan_in_f * fan_out_f)
    return (fan_in_f + fan_out_f) / 2.0


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    ================================================  ==========================================
    nonlinearity                                      gain
    ================================================  ==========================================
    linear, conv1d/2d/3d, conv_transpose1d/2d/3d      1
    sigmoid                                           1
    tanh                                              5/3
    relu                                              sqrt(2)
    leaky_relu                                        sqrt(2 / (1 + negative_slope**2))
    selu                                              3/4
    ================================================  ==========================================

    Parameters
    ----------
    nonlinearity : str
        One of the names above.
    param : float, optional
        The negative slope of ``leaky_relu`` (default 0.01; a 0-d NumPy, JAX or
        PyTorch array counts as its number); ignored for the other
        nonlinearities.

    Returns
    -------
    int or float
        ``1`` (an int, as in PyTorch) for the linear family and sigmoid, a
        float otherwise.

    Raises
    ------
    ValueError
        If ``nonlinearity`` is not in the table (the message lists the valid
        names), or if the ``leaky_relu`` slope is not a finite int or float
        (``True``/``False``, strings and lists are refused, as in PyTorch;
        unlike PyTorch, NaN and infinity are refused too).

    Notes
    -----
    selu's 3/4 makes a network of SELUs keep unit variance in practice when
    combined with ``he_normal(mode="fan_in")``; for self-normalizing networks
    as in the SELU paper use ``"linear"`` (gain 1) instead. Keras and JAX have
    no gain table: pass ``scale=gain**2`` to :func:`variance_scaling`.

    Examples
    --------
    >>> fastinit.calculate_gain("leaky_relu", 0.2)
    1.3867504905630728
    """
    if nonlinearity in _GAIN_ONE:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        number = scalar(param, "negative_slope")  # a 0-d array (NumPy, JAX, PyTorch) holds its number
        if number is None:
            slope = 0.01
        elif isinstance(number, bool) or not isinstance(number, numbers.Real):  # Integral is a Real
            raise ValueError(
                f"negative_slope {param!r} is not a valid number (leaky_relu param must be an int or float)"
            )
        else:
            try:
                slope = float(number)
            except OverflowError:  # an int beyond the float range
                slope = math.inf
            if not math.isfinite(slope):
                raise ValueError(f"negative_slope {param!r} is not a valid number (leaky_relu param must be finite)")
        if abs(slope) > 1e150:  # slope**2 would overflow: same value, computed without it
            return math.sqrt(2.0) / abs(slope)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}; valid choices: {_choices(NONLINEARITIES)}")
