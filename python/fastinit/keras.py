"""fastinit as Keras 3 initializers: Keras's class names, arguments, configs and seeds.

Each class subclasses ``keras.initializers.Initializer`` and can be passed
wherever Keras takes an initializer, with any installed backend (jax, torch,
numpy, tensorflow)::

    import keras, fastinit.keras as fik

    layer = keras.layers.Dense(64, kernel_initializer=fik.HeNormal(seed=0))

The values are computed by fastinit on the host CPU in the requested dtype and
converted once with ``keras.ops.convert_to_tensor``. Fans are always Keras's
(``compute_fans``: kernels ``(*kernel, in, out)``, a 1-D shape ``(n,)`` has
fans ``(n, n)``, a 0-D shape ``(1, 1)``, ``input_axes``/``output_axes``
count no receptive field), never fastinit's PyTorch default layout.

**Seeds**, as Keras:

* an int gives the same values on every call (Keras's stateless seeds);
* ``None`` draws an int in [1, 1e9] from Python's ``random`` when the
  initializer is created (so ``keras.utils.set_random_seed`` fixes it), and
  ``get_config`` keeps ``None``, so a clone draws a new seed;
* a :class:`fastinit.Generator` (the counterpart of ``keras.random.SeedGenerator``)
  advances by one call per ``__call__``, so each call gives new values;
  ``get_config`` stores its current state.

The classes are registered with ``keras.saving`` under the package name
``"fastinit"``, so ``keras.initializers.serialize``/``deserialize`` and saved
models round-trip. Values are fastinit's (Philox), not the backend's: same
distributions as Keras's classes, other bits.

**Dtypes**: floating dtypes; ``Zeros``, ``Ones`` and ``Constant`` also integer,
bool and complex ones. The random and structured initializers refuse complex
dtypes (a TypeError), as Keras documents floating dtypes only for its random
functions; complex values are in :mod:`fastinit.jax` and the core functions.
"""
from __future__ import annotations

import inspect
import random as _python_random
from collections.abc import Sequence
from typing import Any, Callable, Optional, Union, cast

import keras
import numpy as np

from . import initializers as _init
from . import structured as _struct
from ._generator import Generator, _check_seed
from ._params import positive
from .fans import check_choice, compute_fans

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "IdentityInitializer",
    "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "OrthogonalInitializer", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "Zeros", "keras_fans",
    "constant", "zeros", "ones", "identity", "random_normal", "truncated_normal", "random_uniform", "variance_scaling",
    "orthogonal", "glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal", "he_uniform", "he_normal",
    "normal", "uniform", "one", "zero", "get", "STFT", "STFTInitializer", "stft",
]  # fmt: skip

KERAS_MODES = ("fan_in", "fan_out", "fan_avg")
KERAS_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

_register = keras.saving.register_keras_serializable(package="fastinit")

#: A seed as the random initializers take it (see the module docstring).
Seed = Union[int, Generator, dict[str, Any], None]
#: Keras's ``input_axes``/``output_axes``.
AxisList = Optional[Sequence[int]]


def _numpy_dtype(dtype: Any) -> tuple[str, np.dtype]:
    """``(Keras dtype name, NumPy dtype)`` of a Keras dtype (``None`` = ``keras.config.floatx()``)."""
    name = keras.backend.standardize_dtype(dtype)
    if name == "bfloat16":
        import ml_dtypes

        return name, np.dtype(ml_dtypes.bfloat16)
    return name, np.dtype(name)


def _tensor(values: np.ndarray, dtype_name: str) -> Any:
    return keras.ops.convert_to_tensor(values, dtype=dtype_name)


def keras_fans(shape: Sequence[int], input_axes: AxisList = None, output_axes: AxisList = None) -> tuple[int, int]:
    """Keras 3's ``compute_fans``: ``(fan_in, fan_out)`` as ints.

    With ``input_axes`` and ``output_axes`` both given, ``fan_in`` and
    ``fan_out`` are the products of those axes (no receptive field; they must
    be in range and must not overlap). Otherwise a 0-D shape gives
    ``(1, 1)``, a 1-D shape ``(n, n)`` and anything else the ``(*kernel, in,
    out)`` rule. Giving only one of the two is a ValueError (Keras ignores it).
    """
    shape = tuple(int(d) for d in shape)
    if (input_axes is None) != (output_axes is None):
        raise ValueError("input_axes and output_axes must be given together (Keras ignores one without the other), "
                         f"got input_axes={input_axes!r}, output_axes={output_axes!r}")
    nd = len(shape)
    if input_axes is not None and output_axes is not None:
        named = [a for a in (*input_axes, *output_axes) if isinstance(a, int) and -nd <= a < nd]
        rest = tuple(k for k in range(nd) if k not in {a % nd for a in named})
        return compute_fans(shape, in_axis=tuple(input_axes), out_axis=tuple(output_axes), batch_axis=rest)
    if nd == 0:
        return 1, 1
    if nd == 1:
        return shape[0], shape[0]
    return compute_fans(shape, layout="keras")


class _Initializer(keras.initializers.Initializer):
    """A Keras initializer whose values come from ``self._values(shape, numpy dtype)``."""

    #: Whether complex dtypes are filled: only by the constants. Keras documents floating dtypes only for its
    #: random functions ("Only floating point types are supported", keras.random.normal).
    _complex_ok = False

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        name, np_dtype = _numpy_dtype(dtype)
        if np_dtype.kind == "c" and not self._complex_ok:
            raise TypeError(f"dtype must be a floating dtype for fastinit.keras.{type(self).__name__}, got {name}: "
                            "Keras's random and structured initializers take floating dtypes only; complex values "
                            "are in fastinit.jax and fastinit.normal/variance_scaling/orthogonal")
        return _tensor(self._values(tuple(int(d) for d in shape), np_dtype), name)

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"fastinit.keras.{type(self).__name__}({args})"


class _RandomInitializer(_Initializer):
    """Seed handling shared by the random initializers (Keras's ``RandomInitializer``)."""

    def __init__(self, seed: Seed = None) -> None:
        self._init_seed = seed
        resolved: int | Generator
        if seed is None:
            resolved = _python_random.randint(1, int(1e9))  # Keras's make_default_seed
        elif isinstance(seed, dict):
            if set(seed) != {"fastinit_generator"}:
                raise ValueError(f"a seed dict must be a serialized fastinit.Generator, got {seed!r}")
            resolved = self._init_seed = Generator().set_state(seed["fastinit_generator"])
        elif isinstance(seed, Generator):
            resolved = seed
        elif isinstance(seed, int) and not isinstance(seed, bool):
            resolved = _check_seed(seed)
        else:
            raise TypeError("seed must be an int in [0, 2**64), a fastinit.Generator or None "
                            f"(use fastinit.Generator instead of keras.random.SeedGenerator), got {seed!r}")
        self.seed = resolved

    def get_config(self) -> dict[str, Any]:
        seed = self._init_seed
        if isinstance(seed, Generator):
            seed = {"fastinit_generator": seed.get_state()}
        return {"seed": seed}


class _MeanStddev(_RandomInitializer):
    """The arguments and config of RandomNormal and TruncatedNormal (Keras's defaults: mean 0, stddev 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Seed = None) -> None:
        self.mean, self.stddev = mean, stddev
        super().__init__(seed=seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@_register
class RandomNormal(_MeanStddev):
    """N(mean, stddev**2) (Keras's defaults: mean 0, stddev 0.05)."""

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return _init.normal(shape, self.mean, self.stddev, dtype=dtype, seed=self.seed)


@_register
class TruncatedNormal(_MeanStddev):
    """N(mean, stddev**2) truncated to ``mean +- 2 * stddev`` (relative bounds, no variance correction)."""

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        if self.stddev == 0:
            return _init.normal(shape, self.mean, 0.0, dtype=dtype, seed=self.seed)
        a, b = self.mean - 2 * self.stddev, self.mean + 2 * self.stddev
        return _init.truncated_normal(shape, self.mean, self.stddev, a, b, dtype=dtype, seed=self.seed)


@_register
class RandomUniform(_RandomInitializer):
    """U[minval, maxval) (Keras's defaults: -0.05 and 0.05)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Seed = None) -> None:
        self.minval, self.maxval = minval, maxval
        super().__init__(seed=seed)

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return _init.uniform(shape, self.minval, self.maxval, dtype=dtype, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


@_register
class VarianceScaling(_RandomInitializer):
    """Variance ``scale / max(1, fan)`` with Keras's fans, modes and distributions.

    ``mode`` is ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"`` (case-sensitive,
    as Keras); ``distribution`` is lower-cased and ``"normal"`` means
    ``"truncated_normal"`` (2-sigma, rescaled by 1/0.8796), as Keras. See
    :func:`fastinit.variance_scaling`.
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: Seed = None, input_axes: AxisList = None, output_axes: AxisList = None) -> None:
        self.scale = positive(scale, "scale")
        self.mode = check_choice(mode, KERAS_MODES, "mode")
        if not isinstance(distribution, str):
            raise TypeError(f"distribution must be one of {KERAS_DISTRIBUTIONS} or 'normal'; got {distribution!r}")
        dist = distribution.lower()
        self.distribution = check_choice("truncated_normal" if dist == "normal" else dist,
                                         KERAS_DISTRIBUTIONS, "distribution")
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed=seed)

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        fan_in, fan_out = keras_fans(shape, self.input_axes, self.output_axes)
        # Keras divides by max(1, fan); a zero fan only occurs for an empty array.
        return _init.variance_scaling(shape, self.scale, self.mode, self.distribution, fan_in=max(1, fan_in),
                                      fan_out=max(1, fan_out), dtype=dtype, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed scale, mode and distribution (config: seed and axes only)."""

    _preset: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: Seed = None, input_axes: AxisList = None, output_axes: AxisList = None) -> None:
        scale, mode, distribution = self._preset
        super().__init__(scale, mode, distribution, seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": super().get_config()["seed"], "input_axes": self.input_axes, "output_axes": self.output_axes}


@_register
class GlorotUniform(_Preset):
    """U(+-sqrt(6 / (fan_in + fan_out))): VarianceScaling(1, "fan_avg", "uniform")."""

    _preset = (1.0, "fan_avg", "uniform")


@_register
class GlorotNormal(_Preset):
    """Truncated normal with std sqrt(2 / (fan_in + fan_out)): VarianceScaling(1, "fan_avg", "truncated_normal")."""

    _preset = (1.0, "fan_avg", "truncated_normal")


@_register
class LecunUniform(_Preset):
    """U(+-sqrt(3 / fan_in)): VarianceScaling(1, "fan_in", "uniform")."""

    _preset = (1.0, "fan_in", "uniform")


@_register
class LecunNormal(_Preset):
    """Truncated normal with std sqrt(1 / fan_in): VarianceScaling(1, "fan_in", "truncated_normal")."""

    _preset = (1.0, "fan_in", "truncated_normal")


@_register
class HeUniform(_Preset):
    """U(+-sqrt(6 / fan_in)): VarianceScaling(2, "fan_in", "uniform")."""

    _preset = (2.0, "fan_in", "uniform")


@_register
class HeNormal(_Preset):
    """Truncated normal with std sqrt(2 / fan_in): VarianceScaling(2, "fan_in", "truncated_normal")."""

    _preset = (2.0, "fan_in", "truncated_normal")


@_register
class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``; the last axis holds the columns, the others are flattened.

    :func:`fastinit.orthogonal` with ``column_axis=-1``, as Keras.
    """

    def __init__(self, gain: float = 1.0, seed: Seed = None) -> None:
        self.gain = gain
        super().__init__(seed=seed)

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return _struct.orthogonal(shape, self.gain, column_axis=-1, dtype=dtype, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


@_register
class Constant(_Initializer):
    """``value`` everywhere; any numeric or bool dtype. Unlike Keras, an array ``value`` is broadcast."""

    _complex_ok = True

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return _init.constant(shape, self.value, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        value = self.value.tolist() if isinstance(self.value, np.ndarray) else self.value
        return {"value": value}


@_register
class Zeros(_Initializer):
    """Zeros; any numeric or bool dtype."""

    _complex_ok = True

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return _init.zeros(shape, dtype=dtype)


@_register
class Ones(_Initializer):
    """Ones; any numeric or bool dtype."""

    _complex_ok = True

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return _init.ones(shape, dtype=dtype)


@_register
class Identity(_Initializer):
    """``gain`` times the identity matrix (2-D shapes only, non-square allowed); see :func:`fastinit.eye`."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return _struct.eye(shape, self.gain, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


@_register
class STFT(_Initializer):
    """Keras's STFT kernel: a fixed windowed Fourier basis for ``(frame_length, channels, fft_length // 2 + 1)``.

    With ``T = frame_length``, ``F`` the last dimension, ``N = 2 (F - 1)``,
    ``t = 0..T-1`` and ``f = 0..F-1``: ``kernel[t, :, f] = cos(-2 pi t f / N)``
    (``side="real"``) or ``sin(...)`` (``"imag"``), times ``window[t]`` divided by
    ``sqrt(sum window^2)`` (``scaling="density"``), ``sum |window|``
    (``"spectrum"``) or 1 (``None``). ``window`` is a ``scipy.signal.get_window``
    name (``periodic`` gives the periodic, FFT-bin form), an array of ``T``
    values, or ``None``. Deterministic: no seed. Computed in ``dtype`` in
    Keras's order of operations, so float32 values are Keras's bit for bit with
    the NumPy backend (other backends' ``cos``/``sin`` may differ by an ulp).
    float64 is float64 throughout; Keras 3.15's ops fall back to float32 on the
    way (``divide`` by an int, ``arccos``), so its float64 kernel is off by up to
    ~3e-6. Unlike Keras,
    a channel dimension above 1 is filled (Keras returns ``(T, 1, F)`` whatever
    it is), and ``F < 2`` (no frequency step) is refused. Needs SciPy for a
    named window.
    """

    def __init__(self, side: str = "real", window: Any = "hann", scaling: str | None = "density",
                 periodic: bool = False) -> None:
        check_choice(side, ("real", "imag"), "side")
        if scaling is not None:
            check_choice(scaling, ("density", "spectrum"), "scaling")
        if isinstance(window, str):
            _named_window(window, 1, bool(periodic))  # refuses an unknown name now, as Keras
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def _values(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        if len(shape) != 3 or shape[2] < 2:
            raise ValueError(f"STFT needs a shape (frame_length, channels, fft_length // 2 + 1) with the last "
                             f"dimension at least 2, got {shape}")
        frames, channels, bins = shape
        freq = np.arange(bins, dtype=dtype).reshape(1, 1, bins) / np.asarray((bins - 1) * 2, dtype=dtype)
        time = np.arange(frames, dtype=dtype).reshape(frames, 1, 1)
        args = (np.asarray(-2, dtype=dtype) * time) * freq * np.arccos(np.asarray(-1, dtype=dtype))
        kernel = np.cos(args) if self.side == "real" else np.sin(args)
        if self.window is not None:
            win = self.window
            if isinstance(win, str):
                win = _named_window(win, frames, bool(self.periodic))
            win = np.asarray(win, dtype=dtype)
            if win.shape != (frames,):
                raise ValueError(f"window must have shape ({frames},) (frame_length), got {win.shape}")
            win = win.reshape(frames, 1, 1)
            scale: Any = 1
            if self.scaling == "density":
                scale = np.sqrt(np.sum(np.square(win)))
            elif self.scaling == "spectrum":
                scale = np.sum(np.abs(win))
            kernel = (kernel * win) / scale
        return np.ascontiguousarray(np.broadcast_to(kernel.astype(dtype, copy=False), shape))

    def get_config(self) -> dict[str, Any]:
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic, "scaling": self.scaling}


def _named_window(name: str, length: int, periodic: bool) -> np.ndarray:
    try:
        import scipy.signal
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"STFT(window={name!r}) needs SciPy (pip install scipy) for scipy.signal.get_window") from exc
    return np.asarray(scipy.signal.get_window(name, length, fftbins=periodic))


OrthogonalInitializer, IdentityInitializer, STFTInitializer = Orthogonal, Identity, STFT

# Keras's snake_case names of the same classes (keras.initializers.glorot_uniform is the class).
stft = STFT
constant, zeros, ones, identity = Constant, Zeros, Ones, Identity
random_normal, truncated_normal, random_uniform = RandomNormal, TruncatedNormal, RandomUniform
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, lecun_uniform, lecun_normal = GlorotUniform, GlorotNormal, LecunUniform, LecunNormal
he_uniform, he_normal = HeUniform, HeNormal

normal, uniform, one, zero = RandomNormal, RandomUniform, Ones, Zeros  # Keras's short aliases

#: The names ``get`` resolves, as ``keras.initializers.get`` does (class names and snake_case aliases).
NAMES: dict[str, type[_Initializer]] = {
    cls_name: obj for cls_name, obj in sorted(globals().items())
    if isinstance(obj, type) and issubclass(obj, _Initializer) and not cls_name.startswith("_")
}


def get(identifier: Any) -> Callable[..., Any] | None:
    """The initializer ``identifier`` names, as ``keras.initializers.get`` resolves it.

    * ``None`` gives ``None``;
    * a name, case-sensitive: a class name (``"GlorotUniform"``) or Keras's
      snake_case alias (``"glorot_uniform"``, ``"he_normal"``, ``"zeros"``,
      ``"normal"``, ``"one"``, ...), gives an instance with default arguments;
    * a config dict ``{"class_name": ..., "config": {...}}`` (what
      ``keras.initializers.serialize`` writes; ``module`` and
      ``registered_name`` are ignored) gives ``cls.from_config(config)``;
    * a class gives a new instance of it, any other callable (an initializer
      instance, a function ``f(shape, dtype=None)``) is returned as is;
    * a NumPy array or backend tensor gives a function returning it cast to the
      requested dtype, refusing another shape (as Keras).

    Differs from Keras: names resolve to fastinit's classes. Anything else raises ``ValueError`` naming the
    identifier and the valid names.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if not isinstance(identifier.get("class_name"), str):
            raise ValueError(f"an initializer config dict needs a 'class_name' string, got {identifier!r}")
        config = identifier.get("config", {})
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise ValueError(f"an initializer config's 'config' must be a dict, got {config!r}")
        restored: _Initializer = _by_name(identifier["class_name"], identifier).from_config(config)
        return restored
    if isinstance(identifier, str):
        return _by_name(identifier, identifier)()
    if isinstance(identifier, (np.ndarray, np.generic)) or keras.ops.is_tensor(identifier):
        return _fixed_values(identifier)
    if inspect.isclass(identifier):
        return cast(Callable[..., Any], identifier())
    if callable(identifier):
        return cast(Callable[..., Any], identifier)
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}; expected None, "
                     f"one of {sorted(NAMES)}, a config dict, a class, a callable or an array")


def _by_name(name: str, identifier: object) -> type[_Initializer]:
    cls = NAMES.get(name)
    if cls is None:
        raise ValueError(f"Could not interpret initializer identifier: {identifier!r}; "
                         f"valid names are {sorted(NAMES)}")
    return cls


def _fixed_values(values: Any) -> Callable[..., Any]:
    """Keras's tensor identifier: ``f(shape, dtype=None)`` returning ``values`` in ``dtype``."""
    want = tuple(int(d) for d in values.shape)

    def initialize(shape: Sequence[int], dtype: Any = None) -> Any:
        if tuple(int(d) for d in shape) != want:
            raise ValueError(f"Expected `shape` to be {want} for direct tensor as initializer. Received shape={shape}")
        return keras.ops.cast(values, keras.backend.standardize_dtype(dtype))

    return initialize
