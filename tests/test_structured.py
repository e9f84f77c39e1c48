"""fastinit.structured: orthogonal (any column axis), sparse, eye, Dirac and delta-orthogonal."""

import math

import numpy as np
import pytest
from initializer_checks import DTYPES, as_float64, assert_normal, empty

import fastinit as fi

# --------------------------------------------------------------------------
# Orthogonal


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (20, 2, 3, 4), (2, 3, 4, 5), (4, 4), (1, 7), (64, 1)])
@pytest.mark.parametrize("gain", [1.0, 0.37, 1.9])
@pytest.mark.parametrize("order", ["C", "F"])
def test_orthogonal_float32_to_1e6(shape, gain, order):
    t = empty(shape, "float32", order)
    assert fi.orthogonal_(t, gain, seed=60) is t
    w = t.reshape(shape[0], -1).astype(np.float64)
    rows, cols = w.shape
    gram = w.T @ w if rows > cols else w @ w.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-6, rtol=0)


@pytest.mark.parametrize("dtype, atol", [("float64", 1e-12), ("float16", 4e-3), ("bfloat16", 3e-2)])
def test_orthogonal_other_dtypes(dtype, atol):
    w = as_float64(fi.orthogonal((6, 10), dtype=dtype, seed=61)).reshape(6, 10)
    np.testing.assert_allclose(w @ w.T, np.eye(6), atol=atol, rtol=0)


def test_orthogonal_follows_pytorch_algorithm_on_fastinit_draws():
    for shape in [(4, 9), (9, 4), (3, 2, 2, 2)]:
        rows, cols = shape[0], int(np.prod(shape[1:]))
        a = fi.normal((rows, cols), dtype="float64", seed=62)
        if rows < cols:
            a = a.T
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        np.testing.assert_allclose(fi.orthogonal(shape, 1.5, dtype="float64", seed=62), 1.5 * q.reshape(shape),
                                   rtol=0, atol=1e-13)


def test_orthogonal_entries_are_haar_distributed():
    # Entries of a Haar-random n x n orthogonal matrix are close to N(0, 1/n) for large n.
    n = 200
    w = fi.orthogonal((n, n), seed=63)
    assert_normal(w, 0.0, 1 / math.sqrt(n))


def test_orthogonal_zero_elements_unchanged_and_advances_generator():
    g = fi.Generator(1)
    t = np.empty((0, 4), dtype=np.float32)
    assert fi.orthogonal_(t, seed=g) is t and g.calls == 1


# --------------------------------------------------------------------------
# Sparse


@pytest.mark.parametrize("rows, cols, sparsity", [(30, 40, 0.1), (33, 35, 0.17), (10, 5, 0.0), (10, 5, 1.0),
                                                  (7, 300, 0.5), (300, 7, 0.333)])
@pytest.mark.parametrize("std", [0.01, 0.2])
def test_sparse_zero_counts_and_values(rows, cols, sparsity, std):
    w = fi.sparse((rows, cols), sparsity, std, seed=70)
    zeros_per_column = np.count_nonzero(w == 0, axis=0)
    np.testing.assert_array_equal(zeros_per_column, math.ceil(sparsity * rows))
    nonzero = w[w != 0]
    if nonzero.size > 500:
        assert_normal(nonzero, 0.0, std)


def test_sparse_values_are_the_normal_stream_and_pattern_is_seeded():
    w = fi.sparse((50, 60), 0.3, 0.05, seed=71)
    n = fi.normal((50, 60), 0.0, 0.05, seed=71)
    kept = w != 0
    np.testing.assert_array_equal(w[kept], n[kept])
    np.testing.assert_array_equal(w, fi.sparse((50, 60), 0.3, 0.05, seed=71))
    assert not np.array_equal(w, fi.sparse((50, 60), 0.3, 0.05, seed=72))
    # The pattern comes from the seed: the global default generator does not matter.
    fi.manual_seed(1)
    a = fi.sparse((50, 60), 0.3, seed=71)
    fi.manual_seed(2)
    np.testing.assert_array_equal(a, fi.sparse((50, 60), 0.3, seed=71))


def test_sparse_zero_rows_are_uniform_over_positions():
    # Over many columns each row is zeroed with probability num_zeros / rows.
    w = fi.sparse((10, 20000), 0.3, seed=73)
    freq = np.count_nonzero(w == 0, axis=1) / 20000
    np.testing.assert_allclose(freq, 0.3, atol=0.015)


def test_sparse_uses_two_generator_calls():
    g = fi.Generator(3)
    fi.sparse((4, 5), 0.5, seed=g)
    assert g.calls == 2


# --------------------------------------------------------------------------
# Eye and Dirac


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4), (5, 2), (0, 3)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_eye(shape, dtype):
    t = np.full(shape, 9, dtype=np.dtype(dtype))
    assert fi.eye_(t) is t
    np.testing.assert_array_equal(as_float64(t).reshape(shape), np.eye(*shape))
    np.testing.assert_array_equal(as_float64(fi.eye(shape, dtype=dtype)).reshape(shape), np.eye(*shape))


@pytest.mark.parametrize("dims", [3, 4, 5])
@pytest.mark.parametrize("groups", [1, 2, 3])
def test_dirac_properties(dims, groups):
    rng = np.random.default_rng(dims * 10 + groups)
    for _ in range(5):
        a, c, d, e = rng.integers(1, 6, size=4)
        b = int(rng.integers(1, 5 * groups + 1))
        shape = (int(a) * groups, b, int(c), int(d), int(e))[:dims]
        t = fi.normal(shape, seed=1)
        fi.dirac_(t, groups)
        expected = min(shape[0] // groups, shape[1]) * groups
        assert np.count_nonzero(t) == expected and t.sum() == expected


def test_dirac_positions_match_pytorch_example():
    w = fi.dirac((6, 2, 3, 3), groups=3)
    nz = sorted(zip(*np.nonzero(w)))
    assert nz == [(0, 0, 1, 1), (1, 1, 1, 1), (2, 0, 1, 1), (3, 1, 1, 1), (4, 0, 1, 1), (5, 1, 1, 1)]


def test_dirac_even_kernel_centre_is_k_over_2():
    w = fi.dirac((2, 2, 4))
    assert w[0, 0, 2] == 1 and w[1, 1, 2] == 1 and np.count_nonzero(w) == 2


@pytest.mark.parametrize("dims", [3, 4, 5])
@pytest.mark.parametrize("groups", [1, 3])
def test_dirac_is_identity_convolution(dims, groups):
    torch = pytest.importorskip("torch")
    conv = {3: torch.nn.functional.conv1d, 4: torch.nn.functional.conv2d, 5: torch.nn.functional.conv3d}[dims]
    batch, in_c, out_c, size, k = 8, 3, 9, 5, 3
    eff = out_c // groups  # output channels per group; the first in_c of each copy the input
    x = torch.randn((batch, in_c * groups) + (size,) * (dims - 2), generator=torch.Generator().manual_seed(0))
    w = torch.zeros((out_c, in_c) + (k,) * (dims - 2))
    assert fi.dirac_(w, groups) is w
    y = conv(x, w, groups=groups)
    inner = (slice(None), slice(None)) + (slice(1, -1),) * (dims - 2)
    for g in range(groups):
        torch.testing.assert_close(y[:, g * eff:g * eff + in_c], x[:, g * in_c:(g + 1) * in_c][inner],
                                   rtol=0, atol=0)
        assert torch.count_nonzero(y[:, g * eff + in_c:(g + 1) * eff]) == 0


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
