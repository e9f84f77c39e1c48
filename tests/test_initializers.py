"""Distributions and properties of the element-wise and fan-based initializers (KS tests, formulas, seeds)."""
import math

import numpy as np
import pytest
from initializer_checks import (
    DTYPES,
    TRUNCATED_STD_2SIGMA,
    as_float64,
    assert_normal,
    assert_same_distribution,
    assert_truncated_normal,
    assert_uniform,
    bits,
    empty,
    ks_pvalue,
)
from scipy import stats

import fastinit
import fastinit as fi

SHAPES = [(20000,), (150, 133), (40, 25, 3, 7), (7, 9, 11, 13)]
HALF = ["float16", "bfloat16"]


# --------------------------------------------------------------------------
# The KS helpers can fail


def test_ks_helpers_reject_wrong_parameters():
    x = fi.normal(100000, 0.0, 1.0, seed=0)
    assert ks_pvalue(x, "norm", (0.0, 1.03)) < 1e-4
    assert ks_pvalue(x, "norm", (0.02, 1.0)) < 1e-4
    u = fi.uniform(100000, -1.0, 1.0, seed=0)
    assert ks_pvalue(u, "uniform", (-1.0, 2.04)) < 1e-4
    with pytest.raises(AssertionError):
        assert_truncated_normal(fi.normal(20000, seed=1), 0.0, 1.0, -2.0, 2.0)


# --------------------------------------------------------------------------
# Constants


@pytest.mark.parametrize("dtype", DTYPES)
def test_constants(dtype):
    for shape in [(3,), (2, 5), (2, 3, 4, 5), (0, 4)]:
        assert np.all(fi.zeros(shape, dtype=dtype) == 0) and fi.zeros(shape, dtype=dtype).dtype == np.dtype(dtype)
        assert np.all(fi.ones(shape, dtype=dtype) == 1)
        assert np.all(fi.constant(shape, 2.5, dtype=dtype) == 2.5)
        assert fi.constant(shape, -7.25, dtype=dtype).shape == shape
    t = empty((4, 6), dtype)
    assert fi.constant_(t, 3.0) is t and np.all(t == 3)


def test_default_dtype_is_float32_and_int_shape_works():
    assert fi.normal(5, seed=1).dtype == np.float32 and fi.normal(5, seed=1).shape == (5,)
    assert fi.zeros((2, 3)).dtype == np.float32


# --------------------------------------------------------------------------
# Plain distributions


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("low, high", [(0.0, 1.0), (-3.0, -1.5), (-0.05, 0.05), (2.0, 7.0)])
def test_uniform_ks_and_bounds(dtype, low, high):
    for k, shape in enumerate(SHAPES[:3]):
        x = fi.uniform(shape, low, high, dtype=dtype, seed=10 + k)
        assert x.shape == shape and x.dtype == np.dtype(dtype)
        v = as_float64(x)
        low_in_dtype = float(np.asarray(low).astype(np.dtype(dtype)))  # low itself may not be representable
        assert v.min() >= min(low, low_in_dtype) and v.max() < high
        if dtype not in HALF:  # half precision is checked below with wider bins
            assert_uniform(v, low, high)


@pytest.mark.parametrize("dtype", HALF)
def test_uniform_half_precision_matches_rounded_float32(dtype):
    # float16/bfloat16 values are the float32 draws rounded (then kept in [low, high)).
    x = fi.uniform(50000, -1.0, 1.0, dtype=dtype, seed=4)
    ref = fi.uniform(50000, -1.0, 1.0, dtype="float32", seed=4).astype(np.dtype(dtype))
    ref[as_float64(ref) >= 1.0] = -1.0
    np.testing.assert_array_equal(bits(x), bits(ref))
    if dtype == "float16":  # fine enough for a KS test against the continuous distribution
        assert_uniform(x, -1.0, 1.0)


def test_uniform_low_equal_high_is_constant():
    assert np.all(fi.uniform(100, 1.5, 1.5, seed=0) == 1.5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mean, std", [(0.0, 1.0), (-3.0, 0.5), (2.5, 4.0), (0.0, 0.02)])
def test_normal_ks(dtype, mean, std):
    for k, shape in enumerate(SHAPES[:3]):
        x = fi.normal(shape, mean, std, dtype=dtype, seed=20 + k)
        assert x.shape == shape and x.dtype == np.dtype(dtype)
        assert_normal(x, mean, std)


def test_normal_std_zero_is_constant_mean():
    assert np.all(fi.normal((10, 10), 0.75, 0.0, seed=0) == 0.75)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "mean, std, a, b",
    [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0), (1.0, 0.3, 0.7, 1.2), (0.0, 1.0, 0.0, 1.0),
     (-1.0, 0.5, -5.0, -1.2), (0.0, 1.0, -np.inf, 0.5), (3.0, 1.0, 0.0, np.inf)],
)
def test_truncated_normal_ks_and_bounds(dtype, mean, std, a, b):
    x = fi.truncated_normal((130, 150), mean, std, a, b, dtype=dtype, seed=30)
    v = as_float64(x)
    assert np.all(np.isfinite(v))
    assert v.min() >= a and v.max() <= b
    if dtype in HALF:
        # Few representable values: compare with float32 draws (another seed) rounded to the dtype.
        ref = fi.truncated_normal(200000, mean, std, a, b, seed=300).astype(np.dtype(dtype))
        ref = as_float64(ref)
        assert_same_distribution(v, ref[(ref >= a) & (ref <= b)])
    else:
        assert_truncated_normal(v, mean, std, a, b)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("a, b", [(2.0, 3.0), (-3.0, -2.0), (4.0, 4.5), (-6.0, -5.0)])
def test_truncated_normal_narrow_tail_intervals(dtype, a, b):
    x = fi.truncated_normal(10000, 0.0, 1.0, a, b, dtype=dtype, seed=31)
    v = as_float64(x)
    assert v.min() >= a and v.max() <= b
    assert_truncated_normal(v, 0.0, 1.0, a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("std", [0.1, 0.002])
def test_truncated_normal_small_std_absolute_bounds(dtype, std):
    # PyTorch's erfinv regression: nothing may be clamped onto +-2 and the std must be right.
    x = as_float64(fi.truncated_normal(100000, 0.0, std, -2.0, 2.0, dtype=dtype, seed=32))
    assert np.count_nonzero(np.abs(x) == 2.0) == 0
    assert abs(x.std() / std - 1) < 0.01
    assert abs(stats.kurtosis(x, fisher=False) - 3.0) < 0.15
    if dtype not in HALF:
        assert_normal(x, 0.0, std)  # bounds at 20 and 1000 std: effectively untruncated


@pytest.mark.parametrize("dtype, floor", [("float64", 5000), ("float32", 5000), ("float16", 3000),
                                          ("bfloat16", 1000)])
def test_truncated_normal_unique_value_floors(dtype, floor):
    x = as_float64(fi.truncated_normal(10000, dtype=dtype, seed=33))
    assert np.all(np.isfinite(x)) and x.min() >= -2 and x.max() <= 2
    assert np.unique(x).size > floor


def test_truncated_normal_accepts_exactly_the_normal_stream_when_wide():
    # Wide intervals containing the mean reject from the plain normal stream: accepted values are unchanged.
    t = fi.truncated_normal(20000, seed=34)
    n = fi.normal(20000, seed=34)
    inside = np.abs(n) <= 2
    np.testing.assert_array_equal(t[inside], n[inside])
    assert 0.03 < 1 - inside.mean() < 0.06


def test_truncated_normal_std_zero():
    assert np.all(fi.truncated_normal(50, 0.5, 0.0, 0.0, 1.0, seed=1) == 0.5)
    assert np.all(fi.truncated_normal(50, 1.0, 0.0, 0.0, 1.0, seed=1) == 1.0)  # mean on a bound


def test_truncated_normal_bounds_checked_after_rounding():
    # bfloat16 near 1 has a spacing of 1/128: every stored value must still lie in [a, b].
    a, b = 1.001, 1.05
    x = as_float64(fi.truncated_normal(20000, 1.0, 0.05, a, b, dtype="bfloat16", seed=35))
    assert x.min() >= a and x.max() <= b


# --------------------------------------------------------------------------
# Fan-based initializers: formulas and distributions


def _std_xavier(shape, gain, layout="torch"):
    fan_in, fan_out = fi.compute_fans(shape, layout)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


XAVIER_CASES = [((150, 130), 1.0), ((40, 30, 3, 3), 0.37), ((300, 60), 1.9), ((3, 3, 30, 40), 5.0 / 3)]


@pytest.mark.parametrize("shape, gain", XAVIER_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_xavier_uniform(shape, gain, dtype):
    bound = math.sqrt(3.0) * _std_xavier(shape, gain)
    x = fi.xavier_uniform(shape, gain, dtype=dtype, seed=40)
    v = as_float64(x)
    assert np.abs(v).max() <= bound * (1 + 1e-2)
    if dtype not in HALF:
        assert np.abs(v).max() < bound
        assert_uniform(v, -bound, bound)
    assert fi.glorot_uniform is fi.xavier_uniform and fi.glorot_uniform_ is fi.xavier_uniform_


@pytest.mark.parametrize("shape, gain", XAVIER_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_xavier_normal_is_untruncated(shape, gain, dtype):
    std = _std_xavier(shape, gain)
    x = fi.xavier_normal(shape, gain, dtype=dtype, seed=41)
    assert_normal(x, 0.0, std)
    # glorot_normal is the same function with truncated=True by default (Keras/JAX).
    np.testing.assert_array_equal(fi.glorot_normal(shape, gain, truncated=False, dtype=dtype, seed=41), x)


def test_xavier_keras_layout():
    shape = (3, 3, 30, 40)  # (*kernel, in, out)
    std = _std_xavier(shape, 1.0, "keras")
    assert_normal(fi.xavier_normal(shape, layout="keras", seed=42), 0.0, std)


HE_CASES = [((150, 130), 0.0, "fan_in", "leaky_relu"), ((150, 130), 0.0, "fan_out", "leaky_relu"),
            ((40, 30, 3, 3), 0.7, "fan_in", "leaky_relu"), ((40, 30, 3, 3), 1.6, "fan_out", "leaky_relu"),
            ((100, 200), 0.0, "fan_in", "relu"), ((100, 200), 0.0, "fan_in", "tanh"),
            ((100, 200), math.sqrt(5), "fan_in", "leaky_relu"), ((100, 200), 0.0, "fan_out", "selu")]


def _std_he(shape, a, mode, nonlinearity):
    fan_in, fan_out = fi.compute_fans(shape)
    return fi.calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)


@pytest.mark.parametrize("shape, a, mode, nonlinearity", HE_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_he_uniform(shape, a, mode, nonlinearity, dtype):
    bound = math.sqrt(3.0) * _std_he(shape, a, mode, nonlinearity)
    x = fi.he_uniform(shape, a, mode, nonlinearity, dtype=dtype, seed=43)
    v = as_float64(x)
    assert np.abs(v).max() <= bound * (1 + 1e-3)
    if dtype != "float16":
        assert_uniform(v, -bound, bound)
    assert fi.kaiming_uniform is fi.he_uniform and fi.kaiming_uniform_ is fi.he_uniform_


@pytest.mark.parametrize("shape, a, mode, nonlinearity", HE_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
def test_kaiming_normal_is_untruncated(shape, a, mode, nonlinearity, dtype):
    std = _std_he(shape, a, mode, nonlinearity)
    x = fi.kaiming_normal(shape, a, mode, nonlinearity, dtype=dtype, seed=44)
    assert_normal(x, 0.0, std)
    # he_normal is the same function with truncated=True by default (Keras/JAX).
    np.testing.assert_array_equal(fi.he_normal(shape, a, mode, nonlinearity, truncated=False, dtype=dtype,
                                               seed=44), x)


def test_he_default_is_relu_he_init():
    x = fi.he_uniform((64, 300), seed=45)
    np.testing.assert_array_equal(x, fi.he_uniform((64, 300), nonlinearity="relu", seed=45))
    assert abs(np.abs(x).max() - math.sqrt(6 / 300)) < 1e-3


def test_he_zero_elements_warns_like_pytorch_and_is_a_no_op():
    t = np.full((0, 5), 7.0, dtype=np.float32)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert fi.he_uniform_(t, seed=1) is t
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert fi.kaiming_normal((5, 0, 3), seed=1).shape == (5, 0, 3)


@pytest.mark.parametrize("shape", [(150, 130), (40, 30, 3, 3)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_lecun(shape, dtype):
    fan_in, _ = fi.compute_fans(shape)
    limit = math.sqrt(3.0 / fan_in)
    u = as_float64(fi.lecun_uniform(shape, dtype=dtype, seed=46))
    assert np.abs(u).max() <= limit * (1 + 1e-2)
    n = fi.lecun_normal(shape, truncated=False, dtype=dtype, seed=47)
    assert_normal(n, 0.0, math.sqrt(1.0 / fan_in))
    if dtype not in HALF:
        assert_uniform(u, -limit, limit)


# Keras 3 VarianceScaling: std after truncation must equal sqrt(scale / n).
VS_CASES = [(1.0, "fan_in"), (2.0, "fan_out"), (0.5, "fan_avg"), (3.0, "fan_in")]


@pytest.mark.parametrize("scale, mode", VS_CASES)
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal"])
def test_variance_scaling_truncated_std_and_truncation(scale, mode, distribution):
    shape = (256, 512)
    fan_in, fan_out = fi.compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    target = math.sqrt(scale / n)
    pre = target / 0.87962566103423978
    x = as_float64(fi.variance_scaling(shape, scale, mode, distribution, seed=48))
    assert abs(x.std() / target - 1) < 0.01
    assert np.abs(x).max() <= 2 * pre and np.abs(x).max() > 1.95 * pre
    assert_truncated_normal(x, 0.0, pre, -2 * pre, 2 * pre)


def test_variance_scaling_normal_is_truncated_alias():
    a = fi.variance_scaling((60, 70), 2.0, "fan_avg", "normal", seed=49)
    b = fi.variance_scaling((60, 70), 2.0, "fan_avg", "truncated_normal", seed=49)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("scale, mode", VS_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_variance_scaling_untruncated_and_uniform(scale, mode, dtype):
    shape = (30, 20, 3, 3)
    fan_in, fan_out = fi.compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    assert_normal(fi.variance_scaling(shape, scale, mode, "untruncated_normal", dtype=dtype, seed=50), 0.0,
                  math.sqrt(scale / n))
    limit = math.sqrt(3 * scale / n)
    u = as_float64(fi.variance_scaling(shape, scale, mode, "uniform", dtype=dtype, seed=51))
    assert np.abs(u).max() <= limit * (1 + 1e-2)
    if dtype not in HALF:
        assert_uniform(u, -limit, limit)


def test_variance_scaling_presets_match_named_initializers():
    shape = (70, 90)
    np.testing.assert_array_equal(fi.lecun_normal(shape, seed=5),
                                  fi.variance_scaling(shape, 1.0, "fan_in", "truncated_normal", seed=5))
    np.testing.assert_array_equal(fi.lecun_normal(shape, truncated=False, seed=5),
                                  fi.variance_scaling(shape, 1.0, "fan_in", "untruncated_normal", seed=5))
    np.testing.assert_array_equal(fi.lecun_uniform(shape, seed=5),
                                  fi.variance_scaling(shape, 1.0, "fan_in", "uniform", seed=5))


def test_variance_scaling_max_one_guard():
    # A fan can only be 0 for an array without elements: the max(1, fan) guard keeps that a no-op.
    for mode in ("fan_in", "fan_out", "fan_avg"):
        for distribution in ("truncated_normal", "untruncated_normal", "uniform"):
            assert fi.variance_scaling((0, 5), 1.0, mode, distribution, seed=6).shape == (0, 5)
            assert fi.variance_scaling((5, 0, 3), 1.0, mode, distribution, seed=6).shape == (5, 0, 3)


# --------------------------------------------------------------------------
# Seeds and generators


RANDOM_FORMS = {
    "uniform": lambda shape, seed: fi.uniform(shape, -1, 2, seed=seed),
    "normal": lambda shape, seed: fi.normal(shape, 1, 3, seed=seed),
    "truncated_normal": lambda shape, seed: fi.truncated_normal(shape, 0, 1, 1.5, 4, seed=seed),
    "xavier_uniform": lambda shape, seed: fi.xavier_uniform(shape, seed=seed),
    "xavier_normal": lambda shape, seed: fi.xavier_normal(shape, seed=seed),
    "he_uniform": lambda shape, seed: fi.he_uniform(shape, seed=seed),
    "he_normal": lambda shape, seed: fi.he_normal(shape, seed=seed),
    "lecun_uniform": lambda shape, seed: fi.lecun_uniform(shape, seed=seed),
    "lecun_normal": lambda shape, seed: fi.lecun_normal(shape, seed=seed),
    "variance_scaling": lambda shape, seed: fi.variance_scaling(shape, seed=seed),
    "orthogonal": lambda shape, seed: fi.orthogonal(shape, seed=seed),
    "sparse": lambda shape, seed: fi.sparse(shape, 0.2, seed=seed),
}


@pytest.mark.parametrize("name", sorted(RANDOM_FORMS))
def test_same_int_seed_same_bits_and_generators_advance(name):
    make = RANDOM_FORMS[name]
    shape = (37, 41)
    first = make(shape, 123)
    np.testing.assert_array_equal(bits(first), bits(make(shape, 123)))
    assert not np.array_equal(first, make(shape, 124))
    g = fi.Generator(123)
    a, b = make(shape, g), make(shape, g)
    np.testing.assert_array_equal(bits(a), bits(first))  # an int seed is a fresh Generator(seed)
    assert not np.array_equal(a, b)
    replay = fi.Generator(123)
    make(shape, replay)
    np.testing.assert_array_equal(bits(make(shape, replay)), bits(b))


@pytest.mark.parametrize("name", sorted(RANDOM_FORMS))
def test_seed_none_uses_and_advances_the_default_generator(name):
    make = RANDOM_FORMS[name]
    fi.manual_seed(77)
    calls_before = fi.default_generator().calls
    a = make((9, 11), None)
    assert fi.default_generator().calls > calls_before
    b = make((9, 11), None)
    assert not np.array_equal(a, b)
    fi.manual_seed(77)
    np.testing.assert_array_equal(bits(make((9, 11), None)), bits(a))
    g = fi.Generator(77)
    np.testing.assert_array_equal(bits(make((9, 11), g)), bits(a))


def test_in_place_and_out_of_place_forms_agree():
    pairs = [
        (fi.uniform_, fi.uniform, (0.5, 2.0)), (fi.normal_, fi.normal, (1.0, 0.5)),
        (fi.truncated_normal_, fi.truncated_normal, (0.0, 1.0, -1.0, 3.0)),
        (fi.xavier_uniform_, fi.xavier_uniform, (0.8,)),
        (fi.xavier_normal_, fi.xavier_normal, (1.2,)), (fi.he_uniform_, fi.he_uniform, (0.1, "fan_out")),
        (fi.he_normal_, fi.he_normal, (0.0, "fan_in", "relu")), (fi.lecun_uniform_, fi.lecun_uniform, ()),
        (fi.lecun_normal_, fi.lecun_normal, ()), (fi.variance_scaling_, fi.variance_scaling, (2.0, "fan_avg")),
        (fi.orthogonal_, fi.orthogonal, (1.3,)), (fi.sparse_, fi.sparse, (0.4, 0.1)),
    ]
    for inplace, new, args in pairs:
        for dtype in DTYPES:
            t = empty((12, 10), dtype)
            assert inplace(t, *args, seed=8) is t
            expected = new((12, 10), *args, dtype=dtype, seed=8)
            np.testing.assert_array_equal(bits(t), bits(expected), err_msg=new.__name__)
    for inplace, new, args in [(fi.constant_, fi.constant, (4.5,)), (fi.zeros_, fi.zeros, ()), (fi.ones_, fi.ones, ()),
                               (fi.eye_, fi.eye, ()), (fi.dirac_, fi.dirac, ())]:
        shape = (4, 2, 3) if inplace is fi.dirac_ else (4, 3)
        t = empty(shape)
        assert inplace(t, *args) is t
        np.testing.assert_array_equal(t, new(shape, *args))


# Far tails of the truncated normal, parameters beyond the float range
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_truncated_normal_far_mean_puts_the_mass_at_the_near_bound(dtype):
    """Issue 10, defect 2: mean -1e16 with [5, 6]: every value at 5 (was 5.5, the midpoint, everywhere)."""
    x = fastinit.truncated_normal((1000,), mean=-1e16, std=1.0, a=5.0, b=6.0, dtype=dtype, seed=0)
    assert np.all(x >= 5.0) and np.all(x <= 5.0 + 1e-12)
    y = fastinit.truncated_normal((1000,), mean=1e16, std=1.0, a=-6.0, b=-5.0, dtype=dtype, seed=0)  # mirrored
    assert np.all(y <= -5.0) and np.all(y >= -5.0 - 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_truncated_normal_extreme_mean_stays_finite_and_in_bounds(dtype):
    """Issue 10, defect 2: mean -1e300 with [-2, 1.8e308] gave inf in float32; every value must be -2."""
    x = fastinit.truncated_normal((257,), mean=-1e300, std=0.5, a=-2.0, b=1.7976931348623157e308, dtype=dtype,
                                  seed=1)
    assert np.all(x == -2.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_truncated_normal_far_tail_at_an_unrepresentable_bound(dtype):
    """Issue 10, defect 2: a = 0.7 is not a float32/float16 value; the far-tail mass rounds to the first value >= a."""
    x = fastinit.truncated_normal((100,), mean=-1e16, std=1.0, a=0.7, b=6.0, dtype=dtype, seed=2)
    first = np.asarray(0.7, dtype=dtype)
    if float(first) < 0.7:
        first = np.nextafter(first, np.asarray(np.inf, dtype=dtype))
    assert np.all(x == first) and float(first) >= 0.7


def test_truncated_normal_far_tail_is_exact_in_distribution():
    """Issue 10, defect 2: with mean -1e9 the offset (x - a) is Exp(a - mean) (cancellation erased it before)."""
    mean, a = -1e9, 5.0
    x = fastinit.truncated_normal((4000,), mean=mean, std=1.0, a=a, b=6.0, dtype=np.float64, seed=3)
    scaled = (x - a) * (a - mean)  # the density exp(-alpha d - d^2/2) is Exp(alpha) to 1e-9
    assert stats.kstest(scaled, "expon").pvalue > 1e-3
    low = fastinit.truncated_normal((4000,), mean=-mean, std=1.0, a=-6.0, b=-a, dtype=np.float64, seed=4)
    assert stats.kstest((-a - low) * (a - mean), "expon").pvalue > 1e-3


@pytest.mark.parametrize("call, name", [
    (lambda a, w: fastinit.normal_(a, std=2**1100), "std"),
    (lambda a, w: fastinit.normal_(a, mean=-(2**1100)), "mean"),
    (lambda a, w: fastinit.uniform_(a, 0, 2**1100), "high"),
    (lambda a, w: fastinit.constant_(a, 2**1100), "value"),
    (lambda a, w: fastinit.truncated_normal_(a, a=-(2**1100)), "a"),
    (lambda a, w: fastinit.he_normal_(w, fan_in=2**1100), "fan_in"),
    (lambda a, w: fastinit.xavier_uniform_(w, fan_out=2**65), "fan_out"),
])
def test_huge_parameters_are_value_errors_naming_the_argument(call, name):
    """Issue 10, defect 3: parameters beyond the float range raised OverflowError; now a ValueError naming them."""
    a, w = np.zeros(4, np.float32), np.zeros((4, 4), np.float32)
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        call(a, w)
    assert not a.any() and not w.any()


@pytest.mark.parametrize("call", [
    lambda w: fastinit.xavier_uniform_(w, gain=1.7e308),
    lambda w: fastinit.variance_scaling_(w, 1e308, distribution="uniform"),
    lambda w: fastinit.xavier_uniform_(w.view(np.float16)[:, :4], gain=1e6),  # bound 8.7e5 > 65504
])
def test_derived_bounds_beyond_the_dtype_are_value_errors(call):
    """Issue 10, defect 3 (same family): a gain/scale whose bound overflows gave NaN arrays; now a ValueError."""
    w = np.zeros((4, 8), np.float32)
    with pytest.raises(ValueError, match="gain/scale"):
        call(w)
    assert not w.any()


# Truncation: the default of each name, and truncated= both ways; constants of every dtype


# name -> (function, default truncated?, std of the values for shape (300, 200) in torch layout)
NORMAL_FANS = {
    "xavier_normal": (fi.xavier_normal, False, math.sqrt(2 / 500)),
    "glorot_normal": (fi.glorot_normal, True, math.sqrt(2 / 500)),
    "kaiming_normal": (fi.kaiming_normal, False, math.sqrt(2 / 200)),
    "he_normal": (fi.he_normal, True, math.sqrt(2 / 200)),
    "lecun_normal": (fi.lecun_normal, True, math.sqrt(1 / 200)),
}


@pytest.mark.parametrize("name", sorted(NORMAL_FANS))
@pytest.mark.parametrize("truncated", [None, True, False])
def test_truncation_defaults_and_choice(name, truncated):
    fn, default, std = NORMAL_FANS[name]
    kw = {} if truncated is None else {"truncated": truncated}
    x = as_float64(fn((300, 200), seed=6, **kw))
    is_truncated = default if truncated is None else truncated
    if is_truncated:
        s = std / TRUNCATED_STD_2SIGMA
        assert np.abs(x).max() <= 2 * s and np.abs(x).max() > 1.9 * s
        assert_truncated_normal(x, 0.0, s, -2 * s, 2 * s)
        assert abs(x.std() / std - 1) < 0.02  # the rescaling keeps the std
    else:
        assert np.abs(x).max() > 2.6 * std  # 60000 untruncated draws reach beyond 2.6 sigma
        assert_normal(x, 0.0, std)


@pytest.mark.parametrize("fn", [fi.xavier_normal, fi.glorot_normal, fi.kaiming_normal, fi.he_normal,
                                fi.lecun_normal], ids=lambda f: f.__name__)
def test_truncated_must_be_a_bool(fn):
    with pytest.raises(TypeError, match="truncated must be True or False, got 'yes'"):
        fn((3, 4), truncated="yes")


def test_truncated_works_in_place_and_sharded():
    whole = fi.he_normal((20, 6, 3), seed=4)
    block = np.empty((5, 6, 3), np.float32)
    fi.he_normal_(block, seed=4, full_shape=(20, 6, 3), offset=(10, 0, 0))
    np.testing.assert_array_equal(block, whole[10:15])
    t = np.empty((8, 9), np.float64)
    assert fi.glorot_normal_(t, truncated=False, seed=2) is t
    np.testing.assert_array_equal(t, fi.xavier_normal((8, 9), dtype="float64", seed=2))


def test_zero_gain_truncated_is_zero():
    assert not np.any(fi.glorot_normal((4, 5), gain=0.0, seed=1))


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64", "uint64", "bool"])
def test_integer_and_bool_constants(dtype):
    np.testing.assert_array_equal(fi.zeros((3, 4), dtype=dtype), np.zeros((3, 4), dtype))
    np.testing.assert_array_equal(fi.ones((3, 4), dtype=dtype), np.ones((3, 4), dtype))
    assert fi.zeros((3, 4), dtype=dtype).dtype == np.dtype(dtype)
    value = True if dtype == "bool" else 7
    np.testing.assert_array_equal(fi.constant((2, 5), value, dtype=dtype), np.full((2, 5), value, dtype))
    np.testing.assert_array_equal(fi.eye((3, 4), dtype=dtype), np.eye(3, 4, dtype=dtype))
    t = np.full((4, 4), 9 if dtype != "bool" else True, dtype=dtype, order="F")
    assert fi.eye_(t, 1) is t
    np.testing.assert_array_equal(t, np.eye(4, dtype=dtype))


def test_integer_constants_in_torch_tensors():
    torch = pytest.importorskip("torch")
    t = torch.full((3, 3), 5, dtype=torch.int64)
    assert fi.constant_(t, -2) is t
    assert torch.equal(t, torch.full((3, 3), -2, dtype=torch.int64))
    b = torch.zeros(2, 3, dtype=torch.bool)
    fi.ones_(b)
    assert bool(b.all())


@pytest.mark.parametrize("call, error, match", [
    (lambda: fi.constant(3, 2.5, dtype="int32"), ValueError, "value must hold whole numbers for an int32 array"),
    (lambda: fi.constant(3, 300, dtype="uint8"), ValueError,
     r"value=300 is outside the range of uint8: need 0 <= value <= 255"),
    (lambda: fi.constant(3, -1, dtype="uint32"), ValueError, "outside the range of uint32"),
    (lambda: fi.constant(3, 2, dtype="bool"), ValueError, "value must be 0, 1, False or True for a bool array"),
    (lambda: fi.constant(3, float("nan"), dtype="int64"), ValueError, "value must be finite"),
    (lambda: fi.constant(3, True, dtype="int64"), TypeError, "value must be a real number, got bool"),
    (lambda: fi.constant(3, [1.0, 1e6], dtype="float16"), ValueError, "outside the finite range of float16"),
    (lambda: fi.constant(3, ["a"]), TypeError, "value must be a number or an array of numbers"),
    (lambda: fi.constant((2, 3), [1, 2]), ValueError,
     r"value of shape \(2,\) cannot be broadcast to the shape \(2, 3\)"),
    (lambda: fi.eye((2, 2), 0.5, dtype="int8"), ValueError, "gain must hold whole numbers for an int8 array"),
    (lambda: fi.eye((2, 2), [1, 2]), TypeError, r"gain must be a number, got an array of shape \(2,\)"),
    (lambda: fi.eye((2, 2), float("inf")), ValueError, "gain must be finite"),
    (lambda: fi.zeros(3, dtype="complex256"), TypeError,
     "dtype must be one of .*complex64, complex128, or an integer or bool dtype; got complex256"),
    (lambda: fi.normal(3, dtype="int32"), TypeError,
     r"dtype must be one of float16, float32, float64(, bfloat16)?, complex64, complex128; got int32"),
    (lambda: fi.he_uniform((3, 3), dtype="bool"), TypeError, "dtype must be one of"),
])
def test_bad_constant_values(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "bool"])
def test_array_value_broadcasts(dtype):
    value = np.array([[1], [0], [1]])
    expected = np.broadcast_to(value, (3, 4)).astype(dtype)
    np.testing.assert_array_equal(fi.constant((3, 4), value, dtype=dtype), expected)
    np.testing.assert_array_equal(fi.constant((2, 3, 4), value.tolist(), dtype=dtype),
                                  np.broadcast_to(expected, (2, 3, 4)))


def test_array_value_sharded_is_the_block_of_the_whole():
    value = np.arange(6.0)
    whole = fi.constant((4, 6), value, dtype="float64")
    block = np.empty((2, 3))
    fi.constant_(block, value, full_shape=(4, 6), offset=(1, 3))
    np.testing.assert_array_equal(block, whole[1:3, 3:6])


def test_float_scalar_constant_is_unchanged():
    np.testing.assert_array_equal(fi.constant((3, 3), 0.1), np.full((3, 3), 0.1, np.float32))
    np.testing.assert_array_equal(fi.constant((3, 3), np.float64(2.0), dtype="float16"), np.full((3, 3), 2, np.float16))
