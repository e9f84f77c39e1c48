"""fastinit.keras against Keras 3's initializers: parameters, distributions, constants, seeds, configs, models."""
import importlib.util
import inspect
import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

BACKENDS = [b for b in ("jax", "torch", "numpy") if b == "numpy" or importlib.util.find_spec(b) is not None]
if "keras" not in sys.modules and "KERAS_BACKEND" not in os.environ and BACKENDS:
    os.environ["KERAS_BACKEND"] = BACKENDS[0]  # Keras reads it once, at import
# XLA's optimizing CPU backend takes up to a minute per 5-D sampler (jax backend); no need here.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
keras = pytest.importorskip("keras")
from initializer_checks import assert_same_distribution, assert_same_variance_scaling  # noqa: E402
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans  # noqa: E402

import fastinit as fi  # noqa: E402
import fastinit.keras as fik  # noqa: E402

SHAPES = [(2000,), (40, 50), (10, 12, 16), (4, 5, 8, 12), (2, 3, 4, 8, 10)]
SHAPE_IDS = [f"{len(s)}d" for s in SHAPES]
PRESETS = {  # class -> (scale, mode, distribution), as in keras/src/initializers/random_initializers.py
    "GlorotUniform": (1.0, "fan_avg", "uniform"), "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
    "LecunUniform": (1.0, "fan_in", "uniform"), "LecunNormal": (1.0, "fan_in", "truncated_normal"),
    "HeUniform": (2.0, "fan_in", "uniform"), "HeNormal": (2.0, "fan_in", "truncated_normal"),
}


def _np(x) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x))


def _check_variance_scaling(ours, theirs, scale, mode, distribution, fans):
    """Both samples obey Keras's parameters (``max(1, fan)``) and have the same distribution."""
    fan_in, fan_out = fans
    variance = scale / max(1.0, {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode])
    assert_same_variance_scaling(_np(ours), _np(theirs), variance, distribution)


def _keras_classes():
    return sorted(n for n, c in vars(keras.initializers).items()
                  if inspect.isclass(c) and issubclass(c, keras.initializers.Initializer)
                  and n not in ("Initializer", "STFT", "STFTInitializer", "stft"))


def test_every_keras_initializer_has_a_counterpart_with_the_same_arguments():
    names = _keras_classes()
    assert {"HeNormal", "Orthogonal", "Identity", "VarianceScaling", "Constant"} <= set(names)
    for name in names:
        ours, theirs = getattr(fik, name), getattr(keras.initializers, name)
        assert issubclass(ours, keras.initializers.Initializer)
        assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters), name
        # Keras's Identity leaves its gain out of get_config (a round trip resets it to 1); ours keeps it.
        extra = {"gain"} if name in ("Identity", "IdentityInitializer", "identity") else set()
        assert set(ours().get_config()) == set(theirs().get_config()) | extra, name


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_match_keras(name, shape):
    ours = getattr(fik, name)(seed=0)(shape)
    theirs = getattr(keras.initializers, name)(seed=1)(shape)
    assert _np(ours).dtype == _np(theirs).dtype == np.float32 and tuple(ours.shape) == shape
    fans = keras_compute_fans(shape)
    assert fik.keras_fans(shape) == fans  # Keras's fans, not fastinit's PyTorch default
    _check_variance_scaling(ours, theirs, *PRESETS[name], fans)


def test_keras_fans_are_not_torch_fans():
    # The trap of the core API's default layout: a (64, 32) Dense kernel has fan_in 64 in Keras.
    x = _np(fik.HeUniform(seed=0)((64, 32)))
    assert np.abs(x).max() <= math.sqrt(6 / 64) and np.abs(x).max() > 0.3
    np.testing.assert_array_equal(x, fi.he_uniform((64, 32), layout="keras", seed=0))


AXES_CASES = [((2000,), None, None), ((30, 40), None, None), ((32, 4, 16), [0], [1, 2]),
              ((512, 8, 6), [0, 1], [2]), ((6, 5, 4, 3), [-2], [-1])]


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "untruncated_normal", "uniform"])
@pytest.mark.parametrize("shape, input_axes, output_axes", AXES_CASES)
def test_variance_scaling_matches_keras(mode, distribution, shape, input_axes, output_axes):
    kw = {"scale": 3.0, "mode": mode, "distribution": distribution, "input_axes": input_axes,
          "output_axes": output_axes}
    ours, theirs = fik.VarianceScaling(seed=0, **kw), keras.initializers.VarianceScaling(seed=1, **kw)
    assert ours.get_config() == {**theirs.get_config(), "seed": 0}
    fans = keras_compute_fans(shape, input_axes, output_axes)
    assert fik.keras_fans(shape, input_axes, output_axes) == fans
    _check_variance_scaling(ours(shape), theirs(shape), 3.0, mode, ours.distribution, fans)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_plain_distributions_match_keras(shape):
    for cls, kw in (("RandomNormal", {"mean": 0.3, "stddev": 0.2}), ("RandomUniform", {"minval": -0.2, "maxval": 0.7}),
                    ("TruncatedNormal", {"mean": -0.1, "stddev": 0.3}), ("RandomNormal", {}), ("TruncatedNormal", {}),
                    ("RandomUniform", {})):
        ours = _np(getattr(fik, cls)(seed=0, **kw)(shape))
        theirs = _np(getattr(keras.initializers, cls)(seed=1, **kw)(shape))
        if cls == "RandomUniform":
            lo, hi = kw.get("minval", -0.05), kw.get("maxval", 0.05)
            for x in (ours, theirs):
                assert x.min() >= np.float32(lo) and x.max() < np.float32(hi)
        if cls == "TruncatedNormal":
            mean, std = kw.get("mean", 0.0), kw.get("stddev", 0.05)
            for x in (ours, theirs):  # relative bounds mean +- 2 stddev
                assert x.min() >= np.float32(mean - 2 * std) and x.max() <= np.float32(mean + 2 * std)
        assert_same_distribution(ours, theirs)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_orthogonal_matches_keras(shape):
    if len(shape) < 2:
        with pytest.raises(ValueError):
            keras.initializers.Orthogonal(seed=1)(shape)
        with pytest.raises(ValueError, match="at least 2 dimensions"):
            fik.Orthogonal(seed=0)(shape)
        return
    ours = _np(fik.Orthogonal(gain=2.0, seed=0)(shape)).astype(np.float64)
    theirs = _np(keras.initializers.Orthogonal(gain=2.0, seed=1)(shape)).astype(np.float64)
    for w in (ours, theirs):  # Keras's axis: the last one holds the columns
        m = w.reshape(-1, shape[-1])
        g = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(g, 4.0 * np.eye(len(g)), atol=1e-4)
    assert_same_distribution(ours, theirs)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_constants_are_bit_equal_to_keras(shape, dtype):
    value = True if dtype == "bool" else 3
    for cls, args in (("Zeros", ()), ("Ones", ()), ("Constant", (value,))):
        ours, theirs = getattr(fik, cls)(*args)(shape, dtype), getattr(keras.initializers, cls)(*args)(shape, dtype)
        assert _np(ours).dtype == _np(theirs).dtype
        np.testing.assert_array_equal(_np(ours), _np(theirs))
    if dtype == "float32":
        np.testing.assert_array_equal(_np(fik.Constant(0.37)(shape)), _np(keras.initializers.Constant(0.37)(shape)))
    if len(shape) == 2 and dtype == "float32":
        for gain in (1.0, -2.5):
            np.testing.assert_array_equal(_np(fik.Identity(gain)(shape)), _np(keras.initializers.Identity(gain)(shape)))
        np.testing.assert_array_equal(_np(fik.Identity()((3, 5))), np.eye(3, 5, dtype=np.float32))
    elif len(shape) != 2:
        with pytest.raises(ValueError):
            keras.initializers.Identity()(shape)
        with pytest.raises(ValueError, match="eye_ needs a 2-D array"):
            fik.Identity()(shape)


def test_int_seed_is_stateless_and_generator_advances():
    init = fik.HeNormal(seed=5)
    np.testing.assert_array_equal(_np(init((6, 7))), _np(init((6, 7))))
    assert not np.array_equal(_np(init((6, 7))), _np(fik.HeNormal(seed=6)((6, 7))))
    np.testing.assert_array_equal(_np(init.clone()((6, 7))), _np(init((6, 7))))
    unseeded = fik.GlorotNormal()
    np.testing.assert_array_equal(_np(unseeded((6, 7))), _np(unseeded((6, 7))))  # None: fixed at creation
    assert unseeded.get_config()["seed"] is None
    assert not np.array_equal(_np(unseeded.clone()((6, 7))), _np(unseeded((6, 7))))  # a clone draws a new seed
    keras.utils.set_random_seed(11)
    a = _np(fik.RandomNormal()((4, 4)))
    keras.utils.set_random_seed(11)
    np.testing.assert_array_equal(_np(fik.RandomNormal()((4, 4))), a)
    g = fi.Generator(9)
    init = fik.Orthogonal(seed=g)
    first, second = _np(init((5, 5))), _np(init((5, 5)))
    assert not np.array_equal(first, second) and g.calls == 2
    restored = keras.initializers.deserialize(json.loads(json.dumps(keras.initializers.serialize(init))))
    np.testing.assert_array_equal(_np(restored((5, 5))), _np(init((5, 5))))  # continues from the saved state
    np.testing.assert_array_equal(first, fi.orthogonal((5, 5), column_axis=-1, seed=fi.Generator(9)))


@pytest.mark.parametrize("init", [
    fik.RandomNormal(0.1, 0.2, seed=1), fik.TruncatedNormal(stddev=0.3, seed=2), fik.RandomUniform(-1, 2, seed=3),
    fik.VarianceScaling(2.0, "fan_avg", "uniform", seed=4, input_axes=[0], output_axes=[1, 2]),
    fik.GlorotUniform(seed=5), fik.GlorotNormal(seed=5), fik.LecunUniform(seed=6), fik.LecunNormal(seed=6),
    fik.HeUniform(seed=7), fik.HeNormal(seed=7), fik.Orthogonal(1.5, seed=8), fik.Constant(2.5), fik.Zeros(),
    fik.Ones(), fik.Identity(3.0),
], ids=lambda i: type(i).__name__)
def test_serialization_round_trip(init):
    config = keras.initializers.serialize(init)
    assert config["registered_name"] == f"fastinit>{type(init).__name__}"
    restored = keras.initializers.deserialize(json.loads(json.dumps(config)))
    assert type(restored) is type(init) and restored.get_config() == init.get_config()
    assert type(keras.initializers.get(config)) is type(init)
    assert type(type(init).from_config(init.get_config())) is type(init)
    shape = (8, 6, 10) if type(init).__name__ not in ("Identity",) else (8, 6)
    np.testing.assert_array_equal(_np(restored(shape)), _np(init(shape)))


@pytest.mark.parametrize("call, error, match", [
    (lambda: fik.VarianceScaling(scale=0.0), ValueError, "scale must be > 0"),
    (lambda: fik.VarianceScaling(mode="FAN_IN"), ValueError, "mode must be one of 'fan_in', 'fan_out', 'fan_avg'"),
    (lambda: fik.VarianceScaling(mode="fan_geo_avg"), ValueError, "mode must be one of"),  # JAX only
    (lambda: fik.VarianceScaling(distribution="gaussian"), ValueError, "distribution must be one of"),
    (lambda: fik.HeNormal(seed=0)((3, 3), "int32"), TypeError, "dtype must be one of float16, float32, float64"),
    (lambda: fik.RandomUniform(seed=0)((3, 3), "bool"), TypeError, "dtype must be one of"),
    (lambda: fik.HeNormal(seed="x"), TypeError, "seed must be an int in \\[0, 2\\*\\*64\\), a fastinit.Generator"),
    (lambda: fik.HeNormal(seed=-1), ValueError, "seed must be an int in \\[0, 2\\*\\*64\\)"),
    (lambda: fik.HeNormal(seed=keras.random.SeedGenerator(1)), TypeError, "use fastinit.Generator"),
    (lambda: fik.HeNormal(input_axes=[0])((3, 4)), ValueError, "input_axes and output_axes must be given together"),
    (lambda: fik.HeNormal(input_axes=[0], output_axes=[0, 1])((3, 4)), ValueError, "must not overlap"),
    (lambda: fik.HeNormal(input_axes=[0], output_axes=[2])((3, 4)), ValueError, "out_axis=\\(2,\\) is out of range"),
    (lambda: fik.Constant(2.5)((2,), "int32"), ValueError, "value must hold whole numbers"),
    # Keras documents floating dtypes only for its random functions; the constants take complex (below).
    (lambda: fik.RandomNormal(seed=0)((3, 3), "complex64"), TypeError,
     "dtype must be a floating dtype for fastinit.keras.RandomNormal, got complex64"),
    (lambda: fik.VarianceScaling(seed=0)((3, 3), "complex64"), TypeError, "floating dtype"),
    (lambda: fik.Orthogonal(seed=0)((3, 3), "complex64"), TypeError, "floating dtype"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_constants_take_complex_dtypes():
    for init, value in ((fik.Zeros(), 0), (fik.Ones(), 1), (fik.Constant(1 - 2j), 1 - 2j)):
        x = _np(init((2, 3), "complex64"))
        assert x.dtype == np.complex64 and np.all(x == value)


def _build_and_train(x, y, epochs):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((x.shape[1],)),
        keras.layers.Dense(16, activation="relu", kernel_initializer=fik.HeNormal(seed=0),
                           bias_initializer=fik.Zeros()),
        keras.layers.Dense(8, activation="tanh", kernel_initializer=fik.Orthogonal(seed=1),
                           bias_initializer=fik.Constant(0.1)),
        keras.layers.Dense(1, kernel_initializer=fik.GlorotUniform(seed=2)),
    ])
    initial = [_np(w).copy() for w in model.get_weights()]
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    history = model.fit(x, y, epochs=epochs, batch_size=16, shuffle=False, verbose=0)
    return initial, [_np(w) for w in model.get_weights()], history.history["loss"]


def test_keras_model_trains_and_reproduces():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 10)).astype(np.float32)
    y = rng.normal(size=(64, 1)).astype(np.float32)
    initial, final, losses = _build_and_train(x, y, 4)
    np.testing.assert_array_equal(initial[0], fi.he_normal((10, 16), layout="keras", seed=0))
    assert initial[0].dtype == np.float32 and not np.any(initial[1])
    np.testing.assert_array_equal(initial[3], np.full(8, 0.1, np.float32))
    np.testing.assert_allclose(initial[2].T.astype(np.float64) @ initial[2], np.eye(8), atol=1e-5)
    assert losses[-1] < losses[0] and all(map(math.isfinite, losses))
    initial_b, final_b, losses_b = _build_and_train(x, y, 4)
    for a, b in zip(initial + final, initial_b + final_b):
        np.testing.assert_array_equal(a, b)
    assert losses == losses_b


_OTHER_BACKEND_SCRIPT = textwrap.dedent("""
    import numpy as np, keras, fastinit as fi, fastinit.keras as fik
    dense = keras.layers.Dense(4, kernel_initializer=fik.HeNormal(seed=3), bias_initializer=fik.Ones())
    model = keras.Sequential([keras.Input((5,)), dense])
    kernel = model.layers[0].kernel
    assert keras.backend.standardize_dtype(kernel.dtype) == "float32", kernel.dtype
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(kernel), fi.he_normal((5, 4), layout="keras", seed=3))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.layers[0].bias), np.ones(4, np.float32))
    if keras.backend.backend() != "numpy":  # the numpy backend cannot train
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((8, 5), np.float32), np.zeros((8, 4), np.float32), epochs=1, verbose=0)
    print("ok", keras.backend.backend())
""")


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != keras.backend.backend()])
def test_dense_layer_with_other_backends(backend):
    env = {**os.environ, "KERAS_BACKEND": backend}
    out = subprocess.run([sys.executable, "-c", _OTHER_BACKEND_SCRIPT], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["ok", backend]


# --- fastinit.keras.get: keras.initializers.get's lookup ---

def _keras_names():
    from keras.src.initializers import ALL_OBJECTS_DICT
    return sorted(n for n, c in ALL_OBJECTS_DICT.items() if c.__name__ != "Initializer")


def test_get_knows_every_name_keras_knows():
    assert sorted(fik.NAMES) == _keras_names()


@pytest.mark.parametrize("name", _keras_names())
def test_get_by_name_gives_kerass_class_and_config(name):
    ours = fik.get(name)
    if name.lower() == "constant":  # Keras 3.15's get("constant") raises KeyError 'value' (from_config({}))
        with pytest.raises(KeyError):
            keras.initializers.get(name)
        assert type(ours) is fik.Constant and ours.get_config() == {"value": 0.0}  # Keras's default value
        return
    theirs = keras.initializers.get(name)
    assert type(ours) is getattr(fik, type(theirs).__name__)
    assert ours.get_config().items() >= theirs.get_config().items()
    if isinstance(theirs, keras.initializers.Identity):  # Keras's get_config drops gain; ours keeps it
        assert ours.get_config() == {"gain": theirs.gain}
    else:
        assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("name", ["GlorotUniform", "HeNormal", "RandomNormal", "Constant", "Orthogonal", "Identity",
                                  "VarianceScaling", "TruncatedNormal"])
def test_get_from_kerass_serialized_config(name):
    kwargs = {"Constant": {"value": 0.5}, "Identity": {"gain": 2.0}, "RandomNormal": {"mean": 1.0, "seed": 3},
              "VarianceScaling": {"scale": 3.0, "mode": "fan_out", "distribution": "uniform", "seed": 9}}
    theirs = getattr(keras.initializers, name)(**kwargs.get(name, {}))
    config = keras.initializers.serialize(theirs)
    ours = fik.get(config)
    assert type(ours) is getattr(fik, name) and ours.get_config().items() >= theirs.get_config().items()
    if name == "Identity":  # Keras's config has no gain, so the default comes back
        assert theirs.get_config() == {} and ours.gain == 1.0
    else:
        assert ours.get_config() == theirs.get_config()
    assert fik.get({"class_name": name, "config": ours.get_config()}).get_config() == ours.get_config()
    assert type(fik.get({"class_name": name})) is getattr(fik, name)  # config may be omitted


def test_get_class_instance_callable_and_none():
    assert fik.get(None) is None and keras.initializers.get(None) is None
    assert type(fik.get(fik.HeUniform)) is fik.HeUniform
    inst = fik.Zeros()
    assert fik.get(inst) is inst

    def fn(shape, dtype=None):
        return np.ones(shape)

    assert fik.get(fn) is fn
    values = np.arange(6.0).reshape(2, 3)
    init = fik.get(values)
    np.testing.assert_array_equal(_np(init((2, 3), "float32")), values.astype(np.float32))
    assert str(_np(init((2, 3), "float32")).dtype) == "float32"
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(2, 3\)"):
        init((3, 2))


@pytest.mark.parametrize("bad", ["glorotuniform", "Glorot_Uniform", {"class_name": "Nope", "config": {}}, 3,
                                 {"config": {}}])
def test_get_unknown_names_the_identifier_and_the_valid_names(bad):
    with pytest.raises(ValueError, match="initializer") as info:
        fik.get(bad)
    if not isinstance(bad, dict) or "class_name" in bad:
        assert repr(bad) in str(info.value) and "glorot_uniform" in str(info.value)
    with pytest.raises(ValueError):
        keras.initializers.get(bad)  # Keras refuses them too


# --- STFT: Keras's fixed Fourier-basis kernel ---

STFT_WINDOWS = ["hann", "hamming", "blackman", None, "array"]


@pytest.mark.parametrize("side", ["real", "imag"])
@pytest.mark.parametrize("window", STFT_WINDOWS)
@pytest.mark.parametrize("scaling", ["density", "spectrum", None])
@pytest.mark.parametrize("periodic", [False, True])
def test_stft_float32_is_kerass(side, window, scaling, periodic):
    pytest.importorskip("scipy")
    win = np.linspace(0.1, 1.0, 24) if window == "array" else window
    shape = (24, 1, 13)
    ours = _np(fik.STFT(side, win, scaling, periodic)(shape, "float32"))
    theirs = _np(keras.initializers.STFT(side, win, scaling, periodic)(shape, "float32"))
    assert ours.dtype == theirs.dtype == np.float32 and ours.shape == theirs.shape
    if keras.backend.backend() == "numpy":
        np.testing.assert_array_equal(ours, theirs)
    else:  # the backend's own float32 cos/sin: within an ulp of the largest angle, pi (frames - 1)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=np.finfo(np.float32).eps * np.pi * (shape[0] - 1))


@pytest.mark.parametrize("side", ["real", "imag"])
@pytest.mark.parametrize("scaling", ["density", "spectrum", None])
@pytest.mark.parametrize("periodic", [False, True])
def test_stft_float64_is_the_formula(side, scaling, periodic):
    signal = pytest.importorskip("scipy.signal")
    frames, bins = 32, 17
    t, f = np.arange(frames)[:, None, None], np.arange(bins)[None, None, :]
    angle = -2.0 * np.pi * t * f / (2 * (bins - 1))
    win = signal.get_window("hamming", frames, fftbins=periodic)[:, None, None]
    scale = {"density": np.sqrt((win ** 2).sum()), "spectrum": np.abs(win).sum(), None: 1.0}[scaling]
    want = (np.cos(angle) if side == "real" else np.sin(angle)) * win / scale
    got = np.asarray(fik.STFT(side, "hamming", scaling, periodic)._values((frames, 1, bins), np.dtype(np.float64)))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)


def test_stft_get_config_and_lookup_and_refusals():
    pytest.importorskip("scipy")
    init = fik.STFT("imag", "hamming", "spectrum", True)
    theirs = keras.initializers.STFT("imag", "hamming", "spectrum", True)
    assert init.get_config() == theirs.get_config()
    for name in ("stft", "STFT", "STFTInitializer"):
        assert type(fik.get(name)) is fik.STFT
        assert fik.get(name).get_config() == keras.initializers.get(name).get_config()
    assert fik.get(keras.initializers.serialize(theirs)).get_config() == theirs.get_config()
    assert fik.STFT(window=np.ones(4)).get_config()["window"] == [1.0, 1.0, 1.0, 1.0]  # JSON-ready
    with pytest.raises(ValueError, match="side must be one of"):
        fik.STFT(side="both")
    with pytest.raises(ValueError, match="scaling must be one of"):
        fik.STFT(scaling="l2")
    with pytest.raises(ValueError):
        fik.STFT(window="no-such-window")
    with pytest.raises(ValueError, match=r"window must have shape \(8,\)"):
        fik.STFT(window=np.ones(5))((8, 1, 5))
    with pytest.raises(ValueError, match="STFT needs a shape"):
        fik.STFT()((8, 5))
    with pytest.raises(ValueError, match="STFT needs a shape"):
        fik.STFT()((8, 1, 1))
    kernel = _np(fik.STFT()((8, 3, 5)))  # every channel filled (Keras: (8, 1, 5) whatever the channels)
    assert kernel.shape == (8, 3, 5) and np.array_equal(kernel[:, 0], kernel[:, 2])
