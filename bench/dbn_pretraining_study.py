"""When does DBN pretraining help? The tables of docs/dbn.md, printed as markdown.

Digits scaled to [0, 1] (float32), a 70/30 stratified split per seed; a
logistic network fine-tuned by scikit-learn's MLPClassifier (through
fastinit.DBNClassifier) from DBN pretraining (20 epochs per layer, learning
rate 0.05, momentum 0.5, batch 10) or from scikit-learn's random
initialization (``pretrain=False``), test accuracy after 1, 3, 10 and 30
fine-tuning epochs (epoch 1 by ``fit``, the others by ``mlp_.partial_fit``).

    python bench/dbn_pretraining_study.py [--seeds 5] [--quick]

Runs on one core for fine-tuning (BLAS held at one thread) and takes about
10 minutes on the 2-core development VM.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from fastinit import DBNClassifier

EPOCHS = (1, 3, 10, 30)
SGD = dict(solver="sgd", learning_rate_init=0.1, momentum=0.9, batch_size=32)
ADAM = dict(solver="adam", learning_rate_init=0.001, batch_size=32)  # scikit-learn's default step
PRETRAINING = dict(pretrain_n_iter=20, pretrain_learning_rate=0.05, pretrain_momentum=0.5, pretrain_batch_size=10)


def split(seed):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)


def accuracy_curve(hidden, pretrain, optimizer, seed, epochs=EPOCHS):
    """Test accuracy after each epoch in ``epochs`` (and the time of pretraining + fine-tuning)."""
    Xtr, Xte, ytr, yte = split(seed)
    begin = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = DBNClassifier(hidden, pretrain=pretrain, max_iter=1, random_state=seed, **PRETRAINING,
                            **optimizer).fit(Xtr, ytr)
    acc = {}
    with threadpool_limits(1):
        for epoch in range(1, max(epochs) + 1):
            if epoch > 1:
                clf.mlp_.partial_fit(Xtr, ytr)
            if epoch in epochs:
                acc[epoch] = clf.score(Xte, yte)
    return acc, time.perf_counter() - begin


def cell(values):
    v = np.asarray(values)
    return f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.3f} ({v.min():.2f}–{v.max():.2f})"


def table(title, hidden, optimizer, seeds, epochs=EPOCHS):
    rows = {True: {e: [] for e in epochs}, False: {e: [] for e in epochs}}
    seconds = {True: [], False: []}
    for seed in seeds:
        for pretrain in (True, False):
            acc, sec = accuracy_curve(hidden, pretrain, optimizer, seed, epochs)
            seconds[pretrain].append(sec)
            for e in epochs:
                rows[pretrain][e].append(acc[e])
    net = "-".join(["64", *map(str, hidden), "10"])
    print(f"\n**{title}** ({net}, {optimizer['solver']}, {len(seeds)} seeds; mean ± sd (min–max) test accuracy)\n")
    print("| fine-tuning epochs | DBN pretraining | random init (scikit-learn) |")
    print("|---|---|---|")
    for e in epochs:
        print(f"| {e} | {cell(rows[True][e])} | {cell(rows[False][e])} |")
    print(f"\n(seconds per run, pretraining included: {np.mean(seconds[True]):.1f} pretrained, "
          f"{np.mean(seconds[False]):.1f} random init)", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="only the 3-layer SGD table")
    args = parser.parse_args()
    seeds = range(args.seeds)
    table("Deep sigmoid network, SGD", (256, 256, 256), SGD, seeds)
    if args.quick:
        return
    table("Same network, Adam", (256, 256, 256), ADAM, seeds)
    print("\n**Depth** (256 units per hidden layer, SGD as above; test accuracy after 10 and 30 epochs)\n")
    print("| hidden layers | epochs | DBN pretraining | random init (scikit-learn) |")
    print("|---|---|---|---|")
    for depth in (1, 2, 3, 5):
        rows = {True: {10: [], 30: []}, False: {10: [], 30: []}}
        for seed in seeds:
            for pretrain in (True, False):
                acc, _ = accuracy_curve((256,) * depth, pretrain, SGD, seed, epochs=(10, 30))
                for e in (10, 30):
                    rows[pretrain][e].append(acc[e])
        for e in (10, 30):
            print(f"| {depth} | {e} | {cell(rows[True][e])} | {cell(rows[False][e])} |", flush=True)


if __name__ == "__main__":
    main()
