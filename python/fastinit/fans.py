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

from ._arrays import normalize_shape
from ._typing import ShapeLike

__all__ = ["compute_fans", "calculate_gain"]

LAYOUTS = ("torch", "keras")
FAN_MODES = ("fan_in", "fan_out", "fan_avg")

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


def compute_fans(shape: ShapeLike, layout: str = "torch") -> tuple[int, int]:
    """Fan-in and fan-out of a weight of the given shape.

    Parameters
    ----------
    shape : int or tuple of int
        The weight's shape; at least 2 dimensions.
    layout : {"torch", "keras"}, default "torch"
        Which axes hold the input and output units:

        * ``"torch"``: ``(out, in, *kernel)``, as in ``torch.nn.Linear`` and
          ``torch.nn.ConvNd`` weights. With ``rf = prod(kernel)``,
          ``fan_in = shape[1] * rf`` and ``fan_out = shape[0] * rf``.
        * ``"keras"``: ``(*kernel, in, out)``, as in Keras ``Dense``/``Conv``
          kernels and the default of JAX/Flax (``in_axis=-2, out_axis=-1``).
          ``fan_in = shape[-2] * rf`` and ``fan_out = shape[-1] * rf``.

    Returns
    -------
    (fan_in, fan_out) : tuple of int

    Raises
    ------
    ValueError
        If the shape has fewer than 2 dimensions (PyTorch does the same;
        Keras instead returns ``(1, 1)`` for 0-D and ``(n, n)`` for 1-D shapes)
        or ``layout`` is not one of the choices.

    Notes
    -----
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
    """
    return _fans_of(normalize_shape(shape), check_choice(layout, LAYOUTS, "layout"))


def _fans_of(dims: tuple[int, ...], layout: str) -> tuple[int, int]:
    """:func:`compute_fans` of a tuple of non-negative ints and a checked layout."""
    if len(dims) < 2:
        raise ValueError(
            f"fan_in and fan_out need a shape with at least 2 dimensions, got {dims}; "
            "pass fan_in= and fan_out= explicitly for 0-D or 1-D arrays"
        )
    if layout == "torch":
        fan_out, fan_in, kernel = dims[0], dims[1], dims[2:]
    else:
        fan_in, fan_out, kernel = dims[-2], dims[-1], dims[:-2]
    rf = math.prod(kernel)
    return fan_in * rf, fan_out * rf


def _check_fan(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int or None, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int or None, got {value}")
    return int(value)


def resolve_fan(shape: Sequence[int], mode: str, layout: str = "torch", fan_in: int | None = None,
                fan_out: int | None = None) -> float:
    """The fan an initializer divides by: ``fan_in``, ``fan_out`` or their mean.

    Explicit ``fan_in``/``fan_out`` (positive ints) win; only the fans that
    ``mode`` needs and that were not given are read from ``shape`` (so a 1-D
    bias can be initialized by giving the fans it needs). ``mode`` must already
    be validated.
    """
    layout = check_choice(layout, LAYOUTS, "layout")
    fan_in = _check_fan(fan_in, "fan_in")
    fan_out = _check_fan(fan_out, "fan_out")
    needs_in = mode in ("fan_in", "fan_avg") and fan_in is None
    needs_out = mode in ("fan_out", "fan_avg") and fan_out is None
    if needs_in or needs_out:
        shape_in, shape_out = _fans_of(tuple(shape), layout)
        fan_in = shape_in if fan_in is None else fan_in
        fan_out = shape_out if fan_out is None else fan_out
    fan_in_f = math.nan if fan_in is None else float(fan_in)  # nan: not needed by this mode
    fan_out_f = math.nan if fan_out is None else float(fan_out)
    if mode == "fan_in":
        return fan_in_f
    if mode == "fan_out":
        return fan_out_f
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
        The negative slope of ``leaky_relu`` (default 0.01); ignored for the
        other nonlinearities.

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
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, numbers.Real):  # Integral is a Real
            raise ValueError(
                f"negative_slope {param!r} is not a valid number (leaky_relu param must be an int or float)"
            )
        else:
            slope = float(param)
            if not math.isfinite(slope):
                raise ValueError(f"negative_slope {param!r} is not a valid number (leaky_relu param must be finite)")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}; valid choices: {_choices(NONLINEARITIES)}")
