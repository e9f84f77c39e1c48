"""Fan axes (JAX/Keras), explicit truncation, integer/bool constants, column-axis orthogonal, delta-orthogonal."""
import math

import numpy as np
import pytest
from initializer_checks import (
    as_float64,
    assert_normal,
    assert_truncated_normal,
    assert_uniform,
)

import fastinit as fi

TRUNC = 0.87962566103423978


# --------------------------------------------------------------------------
# Fan axes


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
    s = math.sqrt(1 / 512) / TRUNC
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


# --------------------------------------------------------------------------
# Truncation: the default of each name, and truncated= both ways

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
        s = std / TRUNC
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


# --------------------------------------------------------------------------
# Constants: integer and bool dtypes, array values


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
    (lambda: fi.zeros(3, dtype="complex64"), TypeError, "dtype must be one of .*or an integer or bool dtype"),
    (lambda: fi.normal(3, dtype="int32"), TypeError,
     r"dtype must be one of float16, float32, float64(, bfloat16)?; got int32"),
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


# --------------------------------------------------------------------------
# Orthogonal on a column axis, delta-orthogonal, eye(gain)


def _gram_on_axis(w, axis, gain):
    m = np.moveaxis(np.asarray(w, np.float64), axis, -1)
    m = m.reshape(-1, m.shape[-1])
    g = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(g, gain**2 * np.eye(len(g)), atol=1e-5)


@pytest.mark.parametrize("shape", [(5, 7), (7, 5), (3, 4, 6), (2, 3, 4, 30), (2, 2, 3, 4, 5)])
@pytest.mark.parametrize("column_axis", [-1, 0, 1])
def test_orthogonal_column_axis_gram(shape, column_axis):
    gain = 1.7
    w = fi.orthogonal(shape, gain, column_axis=column_axis, seed=8)
    assert w.shape == shape
    _gram_on_axis(w, column_axis, gain)


def test_orthogonal_column_axis_minus_one_is_torch_for_matrices():
    np.testing.assert_array_equal(fi.orthogonal((6, 9), 1.3, seed=2),
                                  fi.orthogonal((6, 9), 1.3, column_axis=-1, seed=2))
    np.testing.assert_array_equal(fi.orthogonal((9, 6), seed=2), fi.orthogonal((9, 6), column_axis=1, seed=2))


def test_orthogonal_column_axis_errors():
    with pytest.raises(ValueError, match=r"column_axis=3 is out of range for a shape with 3 dimensions: "
                                         r"need -3 <= column_axis <= 2"):
        fi.orthogonal((2, 3, 4), column_axis=3)
    with pytest.raises(TypeError, match="column_axis must be an int or None"):
        fi.orthogonal((2, 3), column_axis=(0,))


@pytest.mark.parametrize("shape", [(3, 4, 6), (4, 3, 5, 5), (2, 3, 3, 2, 7), (1, 6, 6)])
def test_delta_orthogonal(shape):
    w = fi.delta_orthogonal(shape, 2.0, seed=9)
    centre = tuple((k - 1) // 2 for k in shape[:-2])
    tap = w[centre].astype(np.float64)
    np.testing.assert_allclose(tap @ tap.T, 4.0 * np.eye(shape[-2]), atol=1e-5)
    rest = w.copy()
    rest[centre] = 0
    assert not np.any(rest)
    t = np.empty(shape, np.float64, order="F")
    assert fi.delta_orthogonal_(t, 2.0, seed=9) is t
    np.testing.assert_allclose(t, w, atol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda: fi.delta_orthogonal((3, 3)), "delta_orthogonal_ needs an array with 3, 4 or 5 dimensions"),
    (lambda: fi.delta_orthogonal((3, 3, 3, 3, 3, 3)), "3, 4 or 5 dimensions"),
    (lambda: fi.delta_orthogonal((3, 5, 4)), r"needs in <= out \(shape\[-2\] <= shape\[-1\]\)"),
    (lambda: fi.delta_orthogonal((3, 4, 5), column_axis=2), "column_axis=2 is out of range"),
    (lambda: fi.delta_orthogonal_(np.zeros((3, 4, 5)), full_shape=(3, 4, 5)), "does not support full_shape/offset"),
])
def test_delta_orthogonal_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_eye_gain():
    np.testing.assert_array_equal(fi.eye((3, 5), 2.5), 2.5 * np.eye(3, 5, dtype=np.float32))
    np.testing.assert_array_equal(fi.eye((4, 2), -1.0, dtype="float64"), -np.eye(4, 2))


def test_import_fastinit_imports_no_framework():
    import subprocess
    import sys

    code = ("import sys, fastinit; fastinit.he_normal((3, 4), seed=0); "
            "print(sorted(m for m in ('keras', 'jax', 'flax', 'torch', 'sklearn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
