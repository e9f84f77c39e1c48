"""Speed of greedy DBN pretraining: fastinit vs a stack of scikit-learn RBMs.

Workload: a 784-500-500-2000 stack on 20000 x 784 binary rows (about 13%
ones, MNIST-like; the data of bench/test_rbm_speed.py), one epoch per layer,
float32, the same batch size and learning rate for every layer.

- ``sklearn_stack``: ``sklearn.neural_network.BernoulliRBM`` layer by layer,
  layer i + 1 fitted on layer i's ``transform`` (what a scikit-learn user
  writes by hand; scikit-learn has no DBN). Like ``DBN.fit``, the loops do
  not transform through the top layer.
- ``fastinit_by_hand``: the same loop with ``fastinit.BernoulliRBM``, seeded
  with the seeds ``DBN`` derives (``fastinit.dbn.derive_layer_seeds``), so it
  builds the same stack as ``fastinit_dbn`` (to BLAS rounding: the DBN
  propagates in row chunks).
- ``fastinit_dbn``: ``fastinit.DBN(...).fit(X)`` (timed when this fastinit has
  ``DBN``): its layer loop, parameter checks and in-place propagation buffer.

Ratios: scikit-learn's stack / fastinit's, and ``fastinit_dbn /
fastinit_by_hand``, the cost of the stacking itself (target <= 1.05: the DBN
adds no work of its own to its layers' fits and transforms). This is the one
measurement of the stacking overhead; time just those two cases with
``--cases fastinit_dbn fastinit_by_hand``.

Run the interleaved standalone version (robust on a shared machine)::

    python bench/test_dbn_speed.py [--repeats 3] [--batch-size 10] [--threads 1]

or the pytest-benchmark version (ratios printed at the end)::

    python -m pytest bench/test_dbn_speed.py --benchmark-enable -s

No thresholds are asserted here.
"""
import argparse
import os
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_rbm_speed import limit_threads, make_data, report

HIDDEN = (500, 500, 2000)
LEARNING_RATE = 0.1
BATCH_SIZE = 10


def sklearn_stack(X, batch_size):
    from sklearn.neural_network import BernoulliRBM

    for i, n in enumerate(HIDDEN):
        rbm = BernoulliRBM(n, learning_rate=LEARNING_RATE, batch_size=batch_size, n_iter=1, random_state=i)
        rbm.fit(X)
        if i + 1 < len(HIDDEN):  # the next layer's input (the top layer's is not needed)
            X = rbm.transform(X)


def fastinit_by_hand(X, batch_size):
    import fastinit
    from fastinit.dbn import derive_layer_seeds

    for i, (n, seed) in enumerate(zip(HIDDEN, derive_layer_seeds(0, len(HIDDEN)))):  # fastinit_dbn's seeds
        rbm = fastinit.BernoulliRBM(n, learning_rate=LEARNING_RATE, batch_size=batch_size, n_iter=1,
                                    random_state=seed)
        rbm.fit(X)
        if i + 1 < len(HIDDEN):
            X = rbm.transform(X)


def fastinit_dbn(X, batch_size):
    import fastinit

    fastinit.DBN(hidden_layer_sizes=HIDDEN, learning_rate=LEARNING_RATE, batch_size=batch_size, n_iter=1,
                 random_state=0).fit(X)


def has_dbn():
    import fastinit

    return hasattr(fastinit, "DBN")


CASES = {
    "sklearn_stack": sklearn_stack,
    "fastinit_by_hand": fastinit_by_hand,
    "fastinit_dbn": fastinit_dbn,
}

RATIOS = [
    ("sklearn stack / fastinit DBN", "sklearn_stack", "fastinit_dbn"),
    ("sklearn stack / fastinit RBMs by hand", "sklearn_stack", "fastinit_by_hand"),
    ("fastinit DBN / fastinit RBMs by hand (stacking overhead, target <= 1.05)", "fastinit_dbn", "fastinit_by_hand"),
]


# ---------------------------------------------------------------- pytest-benchmark
_MEDIANS = {}


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.mark.parametrize("case", list(CASES))
def test_stack(benchmark, data, case):
    if case == "fastinit_dbn" and not has_dbn():
        pytest.skip("this fastinit has no DBN")
    benchmark.group = f"784-500-500-2000 stack, one epoch per layer, batch {BATCH_SIZE}"
    benchmark.pedantic(CASES[case], args=(data, BATCH_SIZE), rounds=3, iterations=1, warmup_rounds=0)
    if benchmark.stats is not None:
        _MEDIANS[case] = benchmark.stats.stats.median


def test_print_ratios():
    if _MEDIANS:
        print("\n" + report(_MEDIANS, RATIOS))


# ---------------------------------------------------------------- standalone
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--cases", nargs="*", default=None)
    parser.add_argument("--threads", type=int, default=None,
                        help="limit every BLAS (threadpoolctl) and fastinit to this many threads")
    args = parser.parse_args()
    cases = args.cases or [c for c in CASES if c != "fastinit_dbn" or has_dbn()]
    if args.threads is not None:
        limit_threads(args.threads)
    X = make_data()
    times = {c: [] for c in cases}
    for _ in range(args.repeats):  # interleaved, so load changes hit every case alike
        for case in cases:
            start = time.perf_counter()
            CASES[case](X, args.batch_size)
            times[case].append(time.perf_counter() - start)
    print(f"batch size {args.batch_size}, threads: {args.threads or 'default'}")
    print(report({c: float(np.median(t)) for c, t in times.items()}, RATIOS))


if __name__ == "__main__":
    main()
