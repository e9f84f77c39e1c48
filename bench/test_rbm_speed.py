"""Speed of one RBM training epoch: fastinit vs scikit-learn vs the GEMM floor.

Workload: 20000 x 784 binary inputs (about 13% ones, MNIST-like), 500 hidden
units, one epoch of PCD-1 with scikit-learn's update, float32.

- ``sklearn_f32`` / ``sklearn_f64``: ``sklearn.neural_network.BernoulliRBM.fit``
  on float32 / float64 copies of the data.
- ``gemm_floor``: the five float32 matrix products per minibatch that PCD-1
  needs (v+ W^T, h W, v- W^T, v+^T h+, v-^T h-), timed with NumPy on the
  same shapes: what an implementation pays that does them densely in BLAS
  (fastinit skips the zeros of sparse visible rows and can go below it).

Run the pytest-benchmark version (ratios are printed at the end)::

    python -m pytest bench/test_rbm_speed.py --benchmark-enable -s

or the interleaved standalone version (more robust on a shared machine)::

    python bench/test_rbm_speed.py [--repeats 5] [--blas-threads 1]

Targets: batch 100: >= 2.0x sklearn_f32, >= 3.5x sklearn_f64, <= 1.15x
gemm_floor; batch 10: >= 4x sklearn_f32. No thresholds are asserted here.
"""
import argparse
import os
import time

import numpy as np
import pytest

N_SAMPLES, N_FEATURES, N_HIDDEN, DENSITY = 20000, 784, 500, 0.13


def make_data():
    rng = np.random.default_rng(0)
    return (rng.random((N_SAMPLES, N_FEATURES)) < DENSITY).astype(np.float32)


def fastinit_epoch(X, batch_size):
    import fastinit

    fastinit.BernoulliRBM(N_HIDDEN, batch_size=batch_size, n_iter=1, random_state=0).fit(X)


def sklearn_epoch(X, batch_size):
    from sklearn.neural_network import BernoulliRBM

    BernoulliRBM(N_HIDDEN, batch_size=batch_size, n_iter=1, random_state=0).fit(X)


def gemm_floor_epoch(X, batch_size):
    rng = np.random.default_rng(1)
    W = (rng.standard_normal((N_HIDDEN, N_FEATURES)) * 0.01).astype(np.float32)
    h = (rng.random((batch_size, N_HIDDEN)) < 0.5).astype(np.float32)
    v_neg = (rng.random((batch_size, N_FEATURES)) < DENSITY).astype(np.float32)
    for start in range(0, N_SAMPLES, batch_size):
        v_pos = X[start : start + batch_size]
        h_pos = v_pos @ W.T
        v_mean = h @ W
        h_neg = v_neg @ W.T
        pos = v_pos.T @ h_pos
        neg = v_neg.T @ h_neg
    return v_mean, pos, neg


CASES = {
    # name: (function, dtype of the data, batch size)
    "fastinit_f32_b100": (fastinit_epoch, np.float32, 100),
    "sklearn_f32_b100": (sklearn_epoch, np.float32, 100),
    "sklearn_f64_b100": (sklearn_epoch, np.float64, 100),
    "gemm_floor_f32_b100": (gemm_floor_epoch, np.float32, 100),
    "fastinit_f32_b10": (fastinit_epoch, np.float32, 10),
    "sklearn_f32_b10": (sklearn_epoch, np.float32, 10),
    "gemm_floor_f32_b10": (gemm_floor_epoch, np.float32, 10),
}

RATIOS = [
    ("sklearn f32 / fastinit, batch 100 (target >= 2.0)", "sklearn_f32_b100", "fastinit_f32_b100"),
    ("sklearn f64 / fastinit, batch 100 (target >= 3.5)", "sklearn_f64_b100", "fastinit_f32_b100"),
    ("fastinit / GEMM floor, batch 100 (target <= 1.15)", "fastinit_f32_b100", "gemm_floor_f32_b100"),
    ("sklearn f32 / fastinit, batch 10 (target >= 4.0)", "sklearn_f32_b10", "fastinit_f32_b10"),
    # scikit-learn against the GEMM floor: the most an implementation that
    # does all five products densely through BLAS can gain over scikit-learn
    # (fastinit's sparse products go below the floor).
    ("sklearn f32 / GEMM floor, batch 100", "sklearn_f32_b100", "gemm_floor_f32_b100"),
    ("sklearn f64 / GEMM floor, batch 100", "sklearn_f64_b100", "gemm_floor_f32_b100"),
    ("fastinit / GEMM floor, batch 10", "fastinit_f32_b10", "gemm_floor_f32_b10"),
    ("sklearn f32 / GEMM floor, batch 10", "sklearn_f32_b10", "gemm_floor_f32_b10"),
]


def report(medians, ratios=None):
    """The medians and the ratios (label, numerator case, denominator case) among them."""
    lines = [f"load average: {os.getloadavg()}"]
    for name, t in medians.items():
        lines.append(f"  {name:24s} median {t:8.3f} s")
    for label, num, den in RATIOS if ratios is None else ratios:
        if num in medians and den in medians:
            lines.append(f"  {label}: {medians[num] / medians[den]:.2f}")
    return "\n".join(lines)


def limit_threads(n):
    """Limits every BLAS (threadpoolctl) and fastinit to n threads for the rest of the process."""
    # threadpoolctl only limits libraries already loaded: load SciPy's
    # OpenBLAS (fastinit's BLAS) and scikit-learn first.
    import scipy.linalg.cython_blas  # noqa: F401
    import sklearn.neural_network  # noqa: F401
    from threadpoolctl import threadpool_limits

    import fastinit

    threadpool_limits(n)
    fastinit.set_num_threads(n)


# ---------------------------------------------------------------- pytest-benchmark
_MEDIANS = {}


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.mark.parametrize("case", list(CASES))
def test_epoch(benchmark, data, case):
    fn, dtype, batch_size = CASES[case]
    X = data.astype(dtype)
    benchmark.group = f"RBM epoch, batch {batch_size}"
    benchmark.pedantic(fn, args=(X, batch_size), rounds=3, iterations=1, warmup_rounds=0)
    if benchmark.stats is not None:
        _MEDIANS[case] = benchmark.stats.stats.median


def test_print_ratios():
    if _MEDIANS:
        print("\n" + report(_MEDIANS))


# ---------------------------------------------------------------- standalone
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit every BLAS (threadpoolctl) and fastinit to this many threads")
    args = parser.parse_args()
    if args.blas_threads is not None:
        limit_threads(args.blas_threads)
    X = make_data()
    copies = {np.float32: X, np.float64: X.astype(np.float64)}
    times = {c: [] for c in args.cases}
    for _ in range(args.repeats):  # interleaved, so load changes hit every case alike
        for case in args.cases:
            fn, dtype, batch_size = CASES[case]
            start = time.perf_counter()
            fn(copies[dtype], batch_size)
            times[case].append(time.perf_counter() - start)
    print(f"BLAS threads: {args.blas_threads or 'default'}")
    print(report({c: float(np.median(t)) for c, t in times.items()}))


if __name__ == "__main__":
    main()
