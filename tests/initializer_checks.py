"""Statistical checks shared by the initializer tests (KS tests as in PyTorch's test_init.py)."""
from __future__ import annotations

import numpy as np
from scipy import stats

import fastinit  # noqa: F401  (imports ml_dtypes, which registers "bfloat16")

KS_P_MIN = 1e-4

#: Every floating dtype fastinit fills, by name.
DTYPES = ["float16", "bfloat16", "float32", "float64"]


def as_float64(values) -> np.ndarray:
    """Flattened float64 copy (half precision is compared through float32)."""
    arr = np.asarray(values)
    if arr.dtype.itemsize == 2:
        arr = arr.astype(np.float32)
    return arr.astype(np.float64).ravel()


def ks_pvalue(values, dist: str, args=()) -> float:
    return stats.kstest(as_float64(values), dist, args=args).pvalue


def assert_uniform(values, low, high):
    p = ks_pvalue(values, "uniform", (low, high - low))
    assert p > KS_P_MIN, f"KS test against U[{low}, {high}) failed: p = {p:.3g}"


def assert_normal(values, mean, std):
    p = ks_pvalue(values, "norm", (mean, std))
    assert p > KS_P_MIN, f"KS test against N({mean}, {std}^2) failed: p = {p:.3g}"


def assert_truncated_normal(values, mean, std, a, b):
    z = (as_float64(values) - mean) / std
    p = stats.kstest(z, "truncnorm", args=((a - mean) / std, (b - mean) / std)).pvalue
    assert p > KS_P_MIN, f"KS test against N({mean}, {std}^2) truncated to [{a}, {b}] failed: p = {p:.3g}"


def assert_same_distribution(x, y):
    p = stats.ks_2samp(as_float64(x), as_float64(y)).pvalue
    assert p > KS_P_MIN, f"two-sample KS test failed: p = {p:.3g}"


#: Standard deviation of N(0, 1) truncated to (-2, 2) (Keras's and JAX's correction).
TRUNCATED_STD_2SIGMA = 0.87962566103423978


def assert_same_variance_scaling(ours, theirs, variance, distribution):
    """Two variance-scaling samples obey the same parameters and have the same distribution.

    ``distribution``: "uniform" (both within +-sqrt(3 variance), reaching near it),
    "truncated_normal" (both within +-2 s, s = sqrt(variance) / 0.8796, reaching near
    it) or anything else for an untruncated normal (ours reaches beyond 2.5 std).
    """
    ours, theirs = as_float64(ours), as_float64(theirs)
    if distribution == "uniform":
        limit = np.sqrt(3 * variance)
        for x in (ours, theirs):
            assert np.abs(x).max() <= limit * (1 + 1e-6) and np.abs(x).max() > 0.98 * limit
    elif distribution == "truncated_normal":
        s = np.sqrt(variance) / TRUNCATED_STD_2SIGMA
        for x in (ours, theirs):
            assert np.abs(x).max() <= 2 * s * (1 + 1e-6) and np.abs(x).max() > 1.9 * s
    else:
        assert np.abs(ours).max() > 2.5 * np.sqrt(variance)
    assert_same_distribution(ours, theirs)


def bits(arr) -> np.ndarray:
    """The raw bits of an array, for bit-for-bit comparisons (NaN-safe)."""
    arr = np.ascontiguousarray(arr)
    return arr.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[arr.dtype.itemsize])


def empty(shape, dtype="float32", order="C") -> np.ndarray:
    return np.empty(shape, dtype=np.dtype(dtype), order=order)  # bfloat16 is registered by ml_dtypes
