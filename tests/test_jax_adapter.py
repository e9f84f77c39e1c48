"""fastinit.jax against jax.nn.initializers: same parameters, same distributions, same constants; Flax."""
import inspect
import math
import os

import numpy as np
import pytest

# XLA's optimizing CPU backend takes up to a minute to compile JAX's samplers for a
# 5-D shape; the reference samples need no optimization (set before JAX starts).
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
jax = pytest.importorskip("jax")
import jax.nn.initializers as jinit  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from initializer_checks import assert_same_distribution, assert_same_variance_scaling  # noqa: E402
from jax._src.nn.initializers import _compute_fans as jax_compute_fans  # noqa: E402

import fastinit as fi  # noqa: E402
import fastinit.jax as fij  # noqa: E402

KEY, JAX_KEY = jax.random.key(0), jax.random.key(1)
SHAPES = [(2000,), (40, 50), (10, 12, 16), (4, 5, 8, 12), (2, 3, 4, 8, 10)]
SHAPE_IDS = [f"{len(s)}d" for s in SHAPES]

PRESETS = {  # name -> (scale, mode, distribution), as in jax/_src/nn/initializers.py
    "glorot_uniform": (1.0, "fan_avg", "uniform"), "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"), "lecun_normal": (1.0, "fan_in", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"), "he_normal": (2.0, "fan_in", "truncated_normal"),
}


def _denominator(fans, mode):
    fan_in, fan_out = fans
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
            "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]


def _check_variance_scaling(ours, theirs, scale, mode, distribution, fans):
    jax_name = {"normal": "untruncated_normal"}.get(distribution, distribution)
    assert_same_variance_scaling(ours, theirs, scale / _denominator(fans, mode), jax_name)


def test_every_jax_initializer_has_a_counterpart_with_the_same_parameters():
    names = [n for n in jinit.__all__ if n != "Initializer"] if hasattr(jinit, "__all__") else \
        [n for n in dir(jinit) if not n.startswith("_") and n != "Initializer"]
    for name in names:
        ours, theirs = getattr(fij, name), getattr(jinit, name)
        ours_params = list(inspect.signature(ours).parameters)
        theirs_params = [p for p in inspect.signature(theirs).parameters if p != "out_sharding"]
        assert ours_params[: len(theirs_params)] == theirs_params, name


def test_aliases_are_the_same_functions_as_in_jax():
    for alias, name in (("xavier_uniform", "glorot_uniform"), ("xavier_normal", "glorot_normal"),
                        ("kaiming_uniform", "he_uniform"), ("kaiming_normal", "he_normal")):
        assert getattr(jinit, alias) is getattr(jinit, name)
        assert getattr(fij, alias) is getattr(fij, name)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_fan_based_presets_match_jax(name, shape):
    if len(shape) < 2:  # JAX and fastinit refuse default axes on a 1-D shape
        with pytest.raises(ValueError):
            getattr(jinit, name)()(JAX_KEY, shape)
        with pytest.raises(ValueError, match="in_axis=-2 is out of range"):
            getattr(fij, name)()(KEY, shape)
        return
    ours = getattr(fij, name)()(KEY, shape)
    theirs = getattr(jinit, name)()(JAX_KEY, shape)
    assert isinstance(ours, jax.Array) and ours.dtype == theirs.dtype == jnp.float32 and ours.shape == shape
    fans = jax_compute_fans(shape)
    assert fi.compute_fans(shape, layout="keras") == fans
    _check_variance_scaling(ours, theirs, *PRESETS[name], fans)


AXES_CASES = [  # (shape, in_axis, out_axis, batch_axis)
    ((64, 8, 16), 0, (1, 2), ()),
    ((6, 40, 30), -2, -1, 0),
    ((3, 3, 20, 24), 2, 3, ()),
    ((24, 20, 3, 3), 1, 0, ()),  # a PyTorch-layout kernel, read as JAX's docs suggest
]


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
@pytest.mark.parametrize("shape, in_axis, out_axis, batch_axis", AXES_CASES)
def test_variance_scaling_with_axes_matches_jax(mode, distribution, shape, in_axis, out_axis, batch_axis):
    args = (2.0, mode, distribution, in_axis, out_axis, batch_axis)
    ours, theirs = fij.variance_scaling(*args)(KEY, shape), jinit.variance_scaling(*args)(JAX_KEY, shape)
    fans = jax_compute_fans(shape, in_axis, out_axis, batch_axis)
    assert fi.compute_fans(shape, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis) == fans
    _check_variance_scaling(ours, theirs, 2.0, mode, distribution, fans)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_plain_distributions_match_jax(shape):
    u, ju = fij.uniform(0.3)(KEY, shape), jinit.uniform(0.3)(JAX_KEY, shape)
    for x in (u, ju):
        assert float(x.min()) >= 0.0 and float(x.max()) < 0.3
    assert_same_distribution(u, ju)
    n, jn = fij.normal(0.2)(KEY, shape), jinit.normal(0.2)(JAX_KEY, shape)
    assert_same_distribution(n, jn)
    t, jt = fij.truncated_normal(0.5, lower=-1.0, upper=2.5)(KEY, shape), \
        jinit.truncated_normal(0.5, lower=-1.0, upper=2.5)(JAX_KEY, shape)
    for x in (t, jt):
        assert float(x.min()) >= -0.5 and float(x.max()) <= 1.25
    assert_same_distribution(t, jt)
    d, jd = fij.truncated_normal()(KEY, shape), jinit.truncated_normal()(JAX_KEY, shape)  # stddev 0.01, +-2
    assert float(jnp.abs(d).max()) <= 0.02
    assert_same_distribution(d, jd)


@pytest.mark.parametrize("shape", SHAPES[1:], ids=SHAPE_IDS[1:])
@pytest.mark.parametrize("column_axis", [-1, 0])
def test_orthogonal_matches_jax(shape, column_axis):
    ours = np.asarray(fij.orthogonal(1.5, column_axis)(KEY, shape), np.float64)
    theirs = np.asarray(jinit.orthogonal(1.5, column_axis)(JAX_KEY, shape), np.float64)
    for w in (ours, theirs):
        m = np.moveaxis(w, column_axis, -1).reshape(-1, shape[column_axis])
        g = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(g, 2.25 * np.eye(len(g)), atol=1e-5)
    assert_same_distribution(ours, theirs)


def test_orthogonal_needs_two_dimensions_like_jax():
    with pytest.raises(ValueError):
        jinit.orthogonal()(JAX_KEY, (5,))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fij.orthogonal()(KEY, (5,))


@pytest.mark.parametrize("shape", [(3, 30, 40), (4, 3, 20, 24), (2, 3, 3, 10, 12)])
def test_delta_orthogonal_matches_jax(shape):
    ours = np.asarray(fij.delta_orthogonal(0.5)(KEY, shape), np.float64)
    theirs = np.asarray(jinit.delta_orthogonal(0.5)(JAX_KEY, shape), np.float64)
    np.testing.assert_array_equal(ours != 0, theirs != 0)  # same centre tap (k - 1) // 2
    centre = tuple((k - 1) // 2 for k in shape[:-2])
    np.testing.assert_allclose(ours[centre] @ ours[centre].T, 0.25 * np.eye(shape[-2]), atol=1e-5)
    assert_same_distribution(ours[centre], theirs[centre])


@pytest.mark.parametrize("shape", [(5,), (3, 4), (4, 5, 3)])
def test_delta_orthogonal_refuses_what_jax_refuses(shape):
    with pytest.raises(ValueError):
        jinit.delta_orthogonal()(JAX_KEY, shape)
    with pytest.raises(ValueError):
        fij.delta_orthogonal()(KEY, shape)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.int32, jnp.bool_])
def test_constants_are_bit_equal_to_jax(shape, dtype):
    for name in ("zeros", "ones"):
        ours, theirs = getattr(fij, name)(KEY, shape, dtype), getattr(jinit, name)(JAX_KEY, shape, dtype)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    value = np.arange(shape[-1]) % 2  # an array value, broadcast as jnp.full does
    for v in (1, value):
        ours, theirs = fij.constant(v, dtype)(KEY, shape), jinit.constant(v, dtype)(JAX_KEY, shape)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_dtypes_and_keys():
    x = fij.he_normal(dtype=jnp.bfloat16)(KEY, (8, 9))
    assert x.dtype == jnp.bfloat16
    assert fij.he_normal(dtype=jnp.bfloat16)(KEY, (8, 9), jnp.float16).dtype == jnp.float16  # call dtype wins
    raw = jax.random.PRNGKey(7)  # legacy uint32[2] key
    np.testing.assert_array_equal(fij.normal()(raw, (4, 5)), fij.normal()(jax.random.wrap_key_data(raw), (4, 5)))
    assert fij.seed_from_key(raw) == (int(raw[0]) << 32) | int(raw[1])
    k1, k2 = jax.random.split(KEY)
    assert not np.array_equal(fij.normal()(k1, (4, 5)), fij.normal()(k2, (4, 5)))
    np.testing.assert_array_equal(fij.lecun_normal()(k1, (6, 7)),
                                  fi.lecun_normal((6, 7), layout="keras", seed=fij.seed_from_key(k1)))


def test_jit_gives_the_eager_values():
    init = fij.glorot_normal()
    eager = init(KEY, (16, 12))
    jitted = jax.jit(lambda k: init(k, (16, 12)))(KEY)
    np.testing.assert_array_equal(eager, jitted)
    with pytest.raises(ValueError, match="must not overlap"):  # argument errors surface at trace time
        jax.jit(lambda k: fij.glorot_normal(in_axis=0, out_axis=0)(k, (4, 5)))(KEY)


def test_out_sharding_places_the_result():
    sharding = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    x = fij.he_uniform()(KEY, (4, 6), out_sharding=sharding)
    assert x.sharding == sharding
    np.testing.assert_array_equal(x, fij.he_uniform()(KEY, (4, 6)))


@pytest.mark.parametrize("call, error, match", [
    (lambda: fij.variance_scaling(1.0, "fan_sum", "uniform"), ValueError,
     "mode must be one of 'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'; got 'fan_sum'"),
    (lambda: fij.variance_scaling(1.0, "fan_in", "untruncated_normal"), ValueError,
     "distribution must be one of 'truncated_normal', 'normal', 'uniform'; got 'untruncated_normal'"),
    (lambda: fij.variance_scaling(0.0, "fan_in", "uniform"), ValueError, "scale must be > 0"),
    (lambda: fij.normal()(KEY, (3, 3), jnp.int32), TypeError, "dtype must be one of float16, float32, float64"),
    (lambda: fij.uniform()(KEY, (3, 3), jnp.complex64), TypeError, "dtype must be one of"),
    (lambda: fij.he_normal(in_axis=3)(KEY, (3, 3)), ValueError, "in_axis=3 is out of range"),
    (lambda: fij.he_normal(in_axis=0, out_axis=(1, 0))(KEY, (3, 3)), ValueError, "must not overlap"),
    (lambda: fij.he_normal(batch_axis=-1)(KEY, (3, 3)), ValueError, "axis 1 is in both out_axis and batch_axis"),
    (lambda: fij.constant(2.5, jnp.int32)(KEY, (2,)), ValueError, "value must hold whole numbers"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_flax_model_trains_and_reproduces():
    nn = pytest.importorskip("flax.linen")
    optax = pytest.importorskip("optax")

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Dense(32, kernel_init=fij.he_normal(), bias_init=fij.zeros)(x))
            x = nn.tanh(nn.Dense(16, kernel_init=fij.orthogonal(), bias_init=fij.constant(0.1))(x))
            return nn.Dense(1, kernel_init=fij.lecun_normal(), bias_init=fij.zeros)(x)

    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(64, 10)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(64, 1)), jnp.float32)
    model = MLP()

    def train(seed):
        params = model.init(jax.random.key(seed), x)
        opt = optax.sgd(0.05)
        state = opt.init(params)

        def loss_fn(p):
            return jnp.mean((model.apply(p, x) - y) ** 2)

        @jax.jit
        def step(p, s):
            loss, grads = jax.value_and_grad(loss_fn)(p)
            updates, s = opt.update(grads, s)
            return optax.apply_updates(p, updates), s, loss

        losses = []
        for _ in range(5):
            params, state, loss = step(params, state)
            losses.append(float(loss))
        return model.init(jax.random.key(seed), x), params, losses

    init_a, final_a, losses_a = train(3)
    init_b, final_b, losses_b = train(3)
    kernel = init_a["params"]["Dense_0"]["kernel"]
    assert isinstance(kernel, jax.Array) and kernel.dtype == jnp.float32 and kernel.shape == (10, 32)
    np.testing.assert_array_equal(init_a["params"]["Dense_1"]["bias"], np.full(16, 0.1, np.float32))
    w = np.asarray(init_a["params"]["Dense_1"]["kernel"], np.float64)
    np.testing.assert_allclose(w.T @ w, np.eye(16), atol=1e-5)
    assert losses_a[-1] < losses_a[0] and all(map(math.isfinite, losses_a))
    assert losses_a == losses_b
    jax.tree_util.tree_map(np.testing.assert_array_equal, init_a, init_b)
    jax.tree_util.tree_map(np.testing.assert_array_equal, final_a, final_b)
    jitted_init = jax.jit(model.init)(jax.random.key(3), x)  # jit (pure_callback) gives the same weights
    jax.tree_util.tree_map(np.testing.assert_array_equal, jitted_init, init_a)
    other = model.init(jax.random.key(4), x)
    assert not np.array_equal(other["params"]["Dense_0"]["kernel"], kernel)
