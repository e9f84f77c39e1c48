"""What DBN.fit's stacking costs over fitting its RBMs by hand with transform between them.

Workload: 5000 x 784 binary inputs (about 13% ones), a 784-256-256-256 stack,
two epochs per layer, batch 10, float32. ``by_hand`` fits
``fastinit.BernoulliRBM``s one by one on ``transform`` of the previous
layer, with the seeds ``DBN`` derives, so both build the same stack; ``dbn``
is ``fastinit.DBN.fit`` (its layer loop, parameter checks and in-place
propagation buffer). Target: dbn / by_hand <= 1.05.

    python -m pytest bench/test_dbn_stacking_overhead.py --benchmark-enable -s
    python bench/test_dbn_stacking_overhead.py [--repeats 7]     # interleaved medians
"""
import argparse
import time

import numpy as np
import pytest

N_SAMPLES, N_FEATURES, DENSITY = 5000, 784, 0.13
SIZES, PARAMS = (256, 256, 256), dict(n_iter=2, batch_size=10, learning_rate=0.05, momentum=0.5)


def make_data():
    rng = np.random.default_rng(0)
    return (rng.random((N_SAMPLES, N_FEATURES)) < DENSITY).astype(np.float32)


def dbn_fit(X):
    from fastinit import DBN

    return DBN(SIZES, random_state=0, **PARAMS).fit(X)


def by_hand(X):
    from fastinit import BernoulliRBM
    from fastinit.dbn import derive_layer_seeds

    data, rbms = X, []
    for size, seed in zip(SIZES, derive_layer_seeds(0, len(SIZES))):
        rbm = BernoulliRBM(size, random_state=seed, **PARAMS).fit(data)
        rbms.append(rbm)
        if len(rbms) < len(SIZES):
            data = rbm.transform(data)
    return rbms


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.mark.benchmark(group="dbn-stacking")
def test_dbn_fit(benchmark, data):
    benchmark.pedantic(dbn_fit, args=(data,), rounds=3, iterations=1)


@pytest.mark.benchmark(group="dbn-stacking")
def test_rbms_by_hand(benchmark, data):
    benchmark.pedantic(by_hand, args=(data,), rounds=3, iterations=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    X = make_data()
    dbn, hand = dbn_fit(X), by_hand(X)  # warm-up; both build the same stack (to BLAS rounding:
    assert np.array_equal(dbn.rbms_[0].components_, hand[0].components_)  # DBN propagates in row chunks)
    diff = max(float(np.abs(a.components_ - b.components_).max()) for a, b in zip(dbn.rbms_, hand))
    print(f"max |W_dbn - W_by_hand| over the layers: {diff:.2e}")
    times = {"dbn": [], "by_hand": []}
    for _ in range(args.repeats):  # interleaved
        for name, fn in (("dbn", dbn_fit), ("by_hand", by_hand)):
            begin = time.perf_counter()
            fn(X)
            times[name].append(time.perf_counter() - begin)
    med = {k: float(np.median(v)) for k, v in times.items()}
    ratios = np.array(times["dbn"]) / np.array(times["by_hand"])
    print(f"DBN.fit {med['dbn']:.3f} s, RBMs by hand {med['by_hand']:.3f} s (medians of {args.repeats}); "
          f"ratio of medians {med['dbn'] / med['by_hand']:.3f}, median of paired ratios {np.median(ratios):.3f}")


if __name__ == "__main__":
    main()
