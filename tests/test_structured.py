"""fastinit.structured: orthogonal (any column axis), delta-orthogonal and eye(gain)."""

import numpy as np
import pytest

import fastinit as fi


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
