"""fastinit.fans: calculate_gain and compute_fans (exact tables, PyTorch's test values, fan axes) and errors."""
import math
import random
import string

import numpy as np
import pytest
from initializer_checks import TRUNCATED_STD_2SIGMA, assert_normal, assert_truncated_normal, assert_uniform

import fastinit
import fastinit as fi

GAIN_ONE = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
            "sigmoid"]


@pytest.mark.parametrize("name", GAIN_ONE)
def test_gain_is_int_one_for_linear_family(name):
    gain = fi.calculate_gain(name)
    assert gain == 1 and type(gain) is int


@pytest.mark.parametrize(
    "name, expected",
    [("tanh", 1.6666666666666667), ("relu", 1.4142135623730951), ("leaky_relu", 1.4141428569978354),
     ("selu", 0.75)],
)
def test_gain_nonlinear_exact(name, expected):
    assert fi.calculate_gain(name) == expected


@pytest.mark.parametrize(
    "param, expected",
    [(None, 1.4141428569978354), (0, 1.4142135623730951), (0.01, 1.4141428569978354),
     (10, 0.14071950894605836), (math.sqrt(5), 0.5773502691896257), (np.float32(0.0), math.sqrt(2.0))],
)
def test_gain_leaky_relu_slopes(param, expected):
    assert fi.calculate_gain("leaky_relu", param) == expected


def test_gain_ignores_param_of_other_nonlinearities():
    assert fi.calculate_gain("relu", "anything") == math.sqrt(2.0)
    assert fi.calculate_gain("tanh", 3) == 5.0 / 3


@pytest.mark.parametrize("param", [True, False, [1], {"a": "b"}, "0.1", float("nan"), float("inf")])
def test_gain_leaky_relu_rejects_non_numbers(param):
    with pytest.raises(ValueError, match="negative_slope .* not a valid number"):
        fi.calculate_gain("leaky_relu", param)


def test_gain_rejects_unknown_nonlinearities_and_lists_valid_ones():
    rng = random.Random(123)
    for length in (2, 5, 25):
        name = "".join(rng.choice(string.ascii_lowercase) for _ in range(length))
        with pytest.raises(ValueError, match=f"Unsupported nonlinearity '{name}'.*'leaky_relu'.*'selu'"):
            fi.calculate_gain(name)
    for bad in ("ReLU", "gelu", None, 3):
        with pytest.raises(ValueError, match="Unsupported nonlinearity"):
            fi.calculate_gain(bad)


@pytest.mark.parametrize(
    "shape, fans",
    [((3, 5), (5, 3)), ((8, 4, 3), (12, 24)), ((16, 3, 3, 5), (45, 240)), ((4, 2, 3, 4, 5), (120, 240)),
     ((3, 8, 3, 3), (72, 27)), ((0, 3), (3, 0)), ((1, 1), (1, 1))],
)
def test_compute_fans_torch_layout(shape, fans):
    assert fi.compute_fans(shape) == fans
    assert fi.compute_fans(shape, layout="torch") == fans
    assert all(type(f) is int for f in fi.compute_fans(shape))


@pytest.mark.parametrize(
    "shape, fans",
    [((3, 5), (3, 5)), ((3, 4, 8), (12, 24)), ((3, 5, 3, 16), (45, 240)), ((2, 3, 4, 5, 6), (120, 144))],
)
def test_compute_fans_keras_layout(shape, fans):
    assert fi.compute_fans(shape, layout="keras") == fans


def test_compute_fans_layouts_are_mirror_images():
    torch_shape = (16, 3, 3, 5)
    keras_shape = (3, 5, 3, 16)  # (*kernel, in, out)
    assert fi.compute_fans(torch_shape) == fi.compute_fans(keras_shape, layout="keras")


def test_compute_fans_accepts_int_sequences():
    assert fi.compute_fans([np.int64(4), 6]) == (6, 4)


@pytest.mark.parametrize("shape", [(), (5,), 7])
def test_compute_fans_needs_two_dimensions(shape):
    with pytest.raises(ValueError, match="at least 2 dimensions.*fan_in= and fan_out="):
        fi.compute_fans(shape)


def test_compute_fans_unknown_layout_lists_choices():
    with pytest.raises(ValueError, match="layout must be one of 'torch', 'keras'; got 'jax'"):
        fi.compute_fans((3, 4), layout="jax")


def test_compute_fans_bad_shapes():
    with pytest.raises(ValueError, match="negative dimensions"):
        fi.compute_fans((3, -1))
    with pytest.raises(TypeError, match="shape must be an int or a tuple of ints"):
        fi.compute_fans((3, 2.5))


def test_explicit_fans_replace_the_shape():
    # he_uniform with fan_in=100 on a (10, 7) weight: bound sqrt(6/100), not sqrt(6/7).
    w = fi.he_uniform((10, 7), fan_in=100, seed=3)
    ref = fi.uniform((10, 7), -math.sqrt(3.0) * (math.sqrt(2.0) / math.sqrt(100)),
                     math.sqrt(3.0) * (math.sqrt(2.0) / math.sqrt(100)), seed=3)
    np.testing.assert_array_equal(w, ref)


def test_explicit_fans_allow_a_bias():
    # A 1-D bias only needs the fan its formula reads.
    b = fi.he_uniform(50, a=math.sqrt(5), fan_in=400, seed=1)
    assert np.abs(b).max() <= 1 / math.sqrt(400)
    fi.xavier_normal(50, fan_in=30, fan_out=20, seed=1)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fi.xavier_normal(50, fan_in=30, seed=1)  # fan_out is still needed
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fi.he_normal(50, mode="fan_out", fan_in=30, seed=1)


def test_explicit_fan_in_only_changes_fan_in():
    # fan_avg with fan_in overridden: fan_out still comes from the shape.
    a = fi.xavier_uniform((6, 4), fan_in=10, seed=9)  # fan_out = 6
    b = fi.xavier_uniform((6, 4), fan_in=10, fan_out=6, seed=9)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-3, ValueError), (2.0, TypeError), (True, TypeError),
                                        ("8", TypeError)])
def test_explicit_fans_must_be_positive_ints(bad, error):
    with pytest.raises(error, match="fan_in must be a positive int or None"):
        fi.lecun_uniform((4, 4), fan_in=bad)
    with pytest.raises(error, match="fan_out must be a positive int or None"):
        fi.variance_scaling((4, 4), mode="fan_out", fan_out=bad)


def test_layout_changes_the_fans_initializers_use():
    # (kernel 3, in 4, out 8) in keras layout: fan_in 12; in torch layout fan_in = 4 * 8 = 32.
    keras = fi.lecun_uniform((3, 4, 8), layout="keras", seed=2)
    torch_ = fi.lecun_uniform((3, 4, 8), seed=2)
    bound_keras, bound_torch = math.sqrt(3.0 * (1.0 / 12)), math.sqrt(3.0 * (1.0 / 32))
    np.testing.assert_array_equal(keras, fi.uniform((3, 4, 8), -bound_keras, bound_keras, seed=2))
    np.testing.assert_array_equal(torch_, fi.uniform((3, 4, 8), -bound_torch, bound_torch, seed=2))


def test_huge_leaky_relu_slopes_give_the_exact_gain():
    """Issue 10, defect 3: calculate_gain("leaky_relu", 1e200) overflowed; sqrt(2 / (1 + s**2)) is sqrt(2)/s there."""
    assert fastinit.calculate_gain("leaky_relu", 1e200) == pytest.approx(math.sqrt(2.0) / 1e200, rel=1e-15)
    assert fastinit.calculate_gain("leaky_relu", -1e200) == pytest.approx(math.sqrt(2.0) / 1e200, rel=1e-15)
    with pytest.raises(ValueError, match="negative_slope"):
        fastinit.calculate_gain("leaky_relu", 2**1100)
    w = fastinit.kaiming_uniform((64, 64), a=1e150, seed=0, dtype=np.float64)  # bound sqrt(6/64)/1e150
    bound = math.sqrt(3.0) * (math.sqrt(2.0) / 1e150) / 8.0
    assert 0 < np.abs(w).max() <= bound


# Fan axes (JAX/Keras)
@pytest.mark.parametrize("shape, kwargs, expected", [
    ((16, 3, 3, 5), {}, (45, 240)),
    ((16, 3, 3, 5), {"in_axis": 1, "out_axis": 0}, (45, 240)),           # == layout="torch"
    ((3, 5, 3, 16), {"layout": "keras"}, (45, 240)),
    ((3, 5, 3, 16), {"in_axis": -2, "out_axis": -1}, (45, 240)),         # == layout="keras"
    ((512, 8, 64), {"in_axis": 0, "out_axis": (1, 2)}, (512, 512)),      # Keras's compute_fans test
    ((512, 8, 64), {"in_axis": (0, 1), "out_axis": 2}, (4096, 64)),
    ((32, 4, 16), {"in_axis": 0, "out_axis": 1, "batch_axis": 2}, (32, 4)),
    ((32, 4, 16), {"in_axis": 0, "out_axis": 1}, (32 * 16, 4 * 16)),    # axis 2 is receptive field
    ((7, 2, 3, 5), {"layout": "keras", "batch_axis": 0}, (6, 10)),       # only batch_axis: rf = 2
    ((6,), {"in_axis": 0, "out_axis": ()}, (6, 1)),                      # 1-D with explicit axes
    ((4, 5), {"in_axis": (), "out_axis": ()}, (20, 20)),                 # everything is receptive field
])
def test_compute_fans_with_axes(shape, kwargs, expected):
    assert fi.compute_fans(shape, **kwargs) == expected


@pytest.mark.parametrize("kwargs, error, match", [
    ({"in_axis": 2}, ValueError,
     r"in_axis=2 is out of range for a shape with 2 dimensions: each axis must be in \[-2, 1\]"),
    ({"out_axis": -3}, ValueError, "out_axis=-3 is out of range"),
    ({"batch_axis": (0, 5)}, ValueError, r"batch_axis=\(0, 5\) is out of range"),
    ({"in_axis": 0, "out_axis": 0}, ValueError, "must not overlap: axis 0 is in both in_axis and out_axis"),
    ({"in_axis": -2, "out_axis": 1, "batch_axis": 0}, ValueError, "axis 0 is in both in_axis and batch_axis"),
    ({"in_axis": (1, 1), "out_axis": 0}, ValueError, "axis 1 is in both in_axis and in_axis"),
    ({"in_axis": 1.0}, TypeError, "in_axis must be an int or a sequence of ints"),
    ({"out_axis": "1"}, TypeError, "out_axis must be an int or a sequence of ints"),
])
def test_bad_axes_are_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        fi.compute_fans((3, 4), **kwargs)
    with pytest.raises(error, match=match):
        fi.variance_scaling((3, 4), **kwargs)


def test_default_axes_need_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions.*in_axis= and out_axis="):
        fi.compute_fans((5,), in_axis=0)


def test_layout_equals_its_axes_bit_for_bit():
    for layout, axes in (("torch", {"in_axis": 1, "out_axis": 0}), ("keras", {"in_axis": -2, "out_axis": -1})):
        shape = (6, 5, 3, 4)
        np.testing.assert_array_equal(fi.he_uniform(shape, layout=layout, seed=3), fi.he_uniform(shape, seed=3, **axes))
        np.testing.assert_array_equal(fi.variance_scaling(shape, 2.0, "fan_avg", layout=layout, seed=3),
                                      fi.variance_scaling(shape, 2.0, "fan_avg", seed=3, **axes))


def test_axes_are_used_by_every_fan_based_initializer():
    shape = (512, 8, 16)
    kw = {"in_axis": 0, "out_axis": (1, 2)}  # fans (512, 128)
    bound = math.sqrt(6 / (512 + 128))
    assert np.abs(fi.xavier_uniform(shape, seed=1, **kw)).max() <= bound
    assert np.abs(fi.xavier_uniform(shape, seed=1, **kw)).max() > 0.99 * bound
    assert_uniform(fi.he_uniform(shape, seed=2, **kw), -math.sqrt(6 / 512), math.sqrt(6 / 512))
    assert_uniform(fi.lecun_uniform(shape, seed=2, **kw), -math.sqrt(3 / 512), math.sqrt(3 / 512))
    assert_normal(fi.kaiming_normal(shape, mode="fan_out", seed=3, **kw), 0.0, math.sqrt(2 / 128))
    assert_normal(fi.xavier_normal(shape, seed=3, **kw), 0.0, math.sqrt(2 / 640))
    s = math.sqrt(1 / 512) / TRUNCATED_STD_2SIGMA
    assert_truncated_normal(fi.lecun_normal(shape, seed=4, **kw), 0.0, s, -2 * s, 2 * s)


def test_fan_geo_avg():
    shape = (200, 50)  # torch layout: fan_in 50, fan_out 200, geometric mean 100
    x = fi.variance_scaling(shape, 3.0, "fan_geo_avg", "untruncated_normal", seed=5)
    assert_normal(x, 0.0, math.sqrt(3.0 / 100))
    y = fi.variance_scaling(shape, 3.0, "fan_geo_avg", "uniform", fan_in=4, fan_out=9, seed=5)
    limit = math.sqrt(3 * 3.0 / 6)
    assert np.abs(y).max() <= limit
    assert_uniform(y, -limit, limit)
    with pytest.raises(ValueError, match="fan_in and fan_out need a shape with at least 2 dimensions"):
        fi.variance_scaling(7, 1.0, "fan_geo_avg", fan_in=3)  # needs both fans
