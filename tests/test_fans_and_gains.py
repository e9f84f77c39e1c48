"""calculate_gain and compute_fans: exact tables (PyTorch's test values) and errors."""
import math
import random
import string

import numpy as np
import pytest

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
