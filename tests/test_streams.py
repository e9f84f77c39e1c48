"""The stream mapping of docs/streams.md, checked against an independent
re-implementation (tests/stream_reference.py) and pinned by golden values."""
import numpy as np
import pytest
import stream_reference as ref

import fastinit
from fastinit import _sampling


def fill(dist, params, dtype, n, seed, order="C"):
    out = np.empty(n, dtype=dtype, order=order)
    return _sampling.fill_(out, dist, params, seed=seed)


@pytest.mark.parametrize("seed", [0, 1, 0x0123456789ABCDEF, 2**64 - 1])
@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-0.25, 0.75), (-3.0, 1e-3)])
def test_uniform_float32_is_exactly_the_documented_mapping(seed, low, high):
    n = 1029  # not a multiple of the 4 words per block
    expected = ref.uniform_f32(seed, 0, n, low, high)
    np.testing.assert_array_equal(fill(_sampling.UNIFORM, (low, high), np.float32, n, seed), expected)


@pytest.mark.parametrize("seed", [0, 42, 2**63 + 5])
@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-2.0, 3.5)])
def test_uniform_float64_is_exactly_the_documented_mapping(seed, low, high):
    n = 1031
    expected = ref.uniform_f64(seed, 0, n, low, high)
    np.testing.assert_array_equal(fill(_sampling.UNIFORM, (low, high), np.float64, n, seed), expected)


def test_later_calls_use_the_call_number_in_the_counter():
    g = fastinit.Generator(9)
    fill(_sampling.UNIFORM, (0.0, 1.0), np.float32, 10, g)
    fill(_sampling.UNIFORM, (0.0, 1.0), np.float32, 10, g)
    third = fill(_sampling.UNIFORM, (0.0, 1.0), np.float32, 100, g)
    np.testing.assert_array_equal(third, ref.uniform_f32(9, 2, 100))


def test_normal_float32_follows_the_documented_box_muller_mapping():
    n = 4099
    got = fill(_sampling.NORMAL, (0.0, 1.0), np.float32, n, 31).astype(np.float64)
    want = ref.normal_f32_approx(31, 0, n)
    # fastinit's own float32 polynomials vs. NumPy's float64 libm: a few float32 ulps.
    np.testing.assert_allclose(got, want, rtol=0, atol=4e-6 * np.maximum(1, np.abs(want)).max())


def test_normal_float64_follows_the_documented_box_muller_mapping():
    n = 2051
    got = fill(_sampling.NORMAL, (0.0, 1.0), np.float64, n, 77)
    want = ref.normal_f64_approx(77, 0, n)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)


def test_truncated_normal_accepts_exactly_the_normal_stream():
    n = 20000
    z = fill(_sampling.NORMAL, (0.0, 1.0), np.float32, n, 5)
    t = fill(_sampling.TRUNCATED_NORMAL, (0.0, 1.0, -2.0, 2.0), np.float32, n, 5)
    inside = (z >= -2) & (z <= 2)
    np.testing.assert_array_equal(t[inside], z[inside])
    assert (~inside).sum() > 0.02 * n  # about 4.6% are redrawn
    assert np.all((t[~inside] >= -2) & (t[~inside] <= 2))
