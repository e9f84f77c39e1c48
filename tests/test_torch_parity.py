"""Parity with torch.nn.init: same gains, fans, bounds and stds, same distributions (two-sample KS)."""
import math
import warnings

import numpy as np
import pytest
from initializer_checks import assert_same_distribution

import fastinit as fi

torch = pytest.importorskip("torch")
init = torch.nn.init

SHAPES = [(150, 130), (40, 30, 3, 3), (300, 60), (16, 8, 3, 4, 5)]


def _torch_draw(shape, fill, seed=0):
    t = torch.empty(shape, dtype=torch.float64)
    fill(t, torch.Generator().manual_seed(seed))
    return t.numpy()


@pytest.mark.parametrize("name", ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"])
@pytest.mark.parametrize("param", [None, 0, 0.01, 0.2, 10, math.sqrt(5)])
def test_calculate_gain_identical(name, param):
    assert fi.calculate_gain(name, param) == init.calculate_gain(name, param)
    assert type(fi.calculate_gain(name, param)) is type(init.calculate_gain(name, param))


@pytest.mark.parametrize("shape", SHAPES + [(3, 5), (5, 3), (3, 8, 3, 3), (1, 1)])
def test_fans_identical(shape):
    assert fi.compute_fans(shape) == init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 0.3, 5.0 / 3])
def test_xavier_bounds_and_std_are_torch_formulas(shape, gain):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(torch.empty(shape))
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))  # torch/nn/init.py
    bound = math.sqrt(3.0) * std
    for dtype in ("float32", "float64"):
        np.testing.assert_array_equal(fi.xavier_uniform(shape, gain, dtype=dtype, seed=1),
                                      fi.uniform(shape, -bound, bound, dtype=dtype, seed=1))
        np.testing.assert_array_equal(fi.xavier_normal(shape, gain, dtype=dtype, seed=1),
                                      fi.normal(shape, 0.0, std, dtype=dtype, seed=1))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("a, mode, nonlinearity", [(0, "fan_in", "leaky_relu"), (0.2, "fan_out", "leaky_relu"),
                                                   (math.sqrt(5), "fan_in", "leaky_relu"), (0, "fan_in", "relu"),
                                                   (0, "fan_out", "tanh"), (0, "fan_in", "linear")])
def test_kaiming_bounds_and_std_are_torch_formulas(shape, a, mode, nonlinearity):
    fan = init._calculate_correct_fan(torch.empty(shape), mode)
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    np.testing.assert_array_equal(fi.kaiming_uniform(shape, a, mode, nonlinearity, seed=2),
                                  fi.uniform(shape, -bound, bound, seed=2))
    np.testing.assert_array_equal(fi.kaiming_normal(shape, a, mode, nonlinearity, seed=2),
                                  fi.normal(shape, 0.0, std, seed=2))


# Same distributions as torch (two-sample KS against torch's draws, float64).
PAIRS = {
    "uniform": (lambda s: fi.uniform(s, -0.7, 1.9, dtype="float64", seed=3),
                lambda t, g: init.uniform_(t, -0.7, 1.9, generator=g)),
    "normal": (lambda s: fi.normal(s, 0.4, 2.5, dtype="float64", seed=3),
               lambda t, g: init.normal_(t, 0.4, 2.5, generator=g)),
    "trunc_normal": (lambda s: fi.truncated_normal(s, 0.2, 1.5, -1.0, 2.0, dtype="float64", seed=3),
                     lambda t, g: init.trunc_normal_(t, 0.2, 1.5, -1.0, 2.0, generator=g)),
    "trunc_normal_narrow": (lambda s: fi.truncated_normal(s, 0.0, 1.0, 2.0, 3.0, dtype="float64", seed=3),
                            lambda t, g: init.trunc_normal_(t, 0.0, 1.0, 2.0, 3.0, generator=g)),
    "xavier_uniform": (lambda s: fi.xavier_uniform(s, 1.3, dtype="float64", seed=3),
                       lambda t, g: init.xavier_uniform_(t, 1.3, generator=g)),
    "xavier_normal": (lambda s: fi.xavier_normal(s, 0.8, dtype="float64", seed=3),
                      lambda t, g: init.xavier_normal_(t, 0.8, generator=g)),
    "kaiming_uniform": (lambda s: fi.kaiming_uniform(s, 0.1, "fan_out", dtype="float64", seed=3),
                        lambda t, g: init.kaiming_uniform_(t, 0.1, "fan_out", generator=g)),
    "kaiming_normal": (lambda s: fi.kaiming_normal(s, 0.0, "fan_in", "relu", dtype="float64", seed=3),
                       lambda t, g: init.kaiming_normal_(t, 0.0, "fan_in", "relu", generator=g)),
    "lecun_normal_vs_kaiming_linear": (lambda s: fi.lecun_normal(s, truncated=False, dtype="float64", seed=3),
                                       lambda t, g: init.kaiming_normal_(t, nonlinearity="linear", generator=g)),
    "orthogonal": (lambda s: fi.orthogonal(s, 1.7, dtype="float64", seed=3),
                   lambda t, g: init.orthogonal_(t, 1.7, generator=g)),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
@pytest.mark.parametrize("shape", [(150, 130), (40, 30, 3, 3)])
def test_same_distribution_as_torch(name, shape):
    ours, theirs = PAIRS[name]
    assert_same_distribution(ours(shape), _torch_draw(shape, theirs))


def test_two_sample_check_can_fail():
    with pytest.raises(AssertionError, match="two-sample KS test failed"):
        assert_same_distribution(fi.xavier_normal((150, 130), 1.2, dtype="float64", seed=3),
                                 _torch_draw((150, 130), lambda t, g: init.xavier_normal_(t, generator=g)))


def test_sparse_matches_torch_structure_and_values():
    shape, sparsity, std = (200, 150), 0.15, 0.05
    ours = fi.sparse(shape, sparsity, std, dtype="float64", seed=4)
    torch.manual_seed(0)  # torch's zero pattern comes from the global RNG
    theirs = _torch_draw(shape, lambda t, g: init.sparse_(t, sparsity, std, generator=g))
    np.testing.assert_array_equal(np.count_nonzero(ours == 0, axis=0), np.count_nonzero(theirs == 0, axis=0))
    assert_same_distribution(ours[ours != 0], theirs[theirs != 0])


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (6, 1)])
def test_eye_identical(shape):
    np.testing.assert_array_equal(fi.eye(shape), init.eye_(torch.empty(shape)).numpy())


@pytest.mark.parametrize("shape, groups", [((6, 2, 3), 1), ((6, 2, 3, 3), 3), ((4, 4, 4, 2), 2), ((8, 3, 3, 5, 4), 2),
                                           ((3, 5, 2, 2, 2), 1)])
def test_dirac_identical(shape, groups):
    np.testing.assert_array_equal(fi.dirac(shape, groups), init.dirac_(torch.empty(shape), groups).numpy())


def test_linear_default_init_is_he_uniform_a_sqrt5():
    lin = torch.nn.Linear(300, 40)
    w = lin.weight.detach().numpy().astype(np.float64)
    ours = fi.he_uniform((40, 300), a=math.sqrt(5), dtype="float64", seed=5)
    bound = 1 / math.sqrt(300)
    assert np.abs(ours).max() <= bound and np.abs(w).max() <= bound
    assert_same_distribution(ours, w)


def test_zero_element_warning_like_torch():
    with warnings.catch_warnings(record=True) as torch_warnings:
        warnings.simplefilter("always")
        init.kaiming_uniform_(torch.empty(0, 1))
    with pytest.warns(UserWarning) as ours:
        fi.kaiming_uniform_(np.empty((0, 1), dtype=np.float32))
    assert str(ours[0].message) == str(torch_warnings[0].message)
