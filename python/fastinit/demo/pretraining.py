"""Section 4: layer-wise RBM pretraining against random initialization.

:class:`fastinit.DBNClassifier` pretrains each hidden layer as a restricted
Boltzmann machine on the hidden probabilities of the layer below (Hinton,
Osindero & Teh 2006), then fine-tunes the stack as scikit-learn's
``MLPClassifier`` (logistic units) with a new output layer. The baseline is
the same classifier with ``pretrain=False``: the same network, the same
optimizer, scikit-learn's own Glorot-uniform start. Both are fine-tuned one
epoch at a time (``fit`` with ``max_iter=1``, then ``mlp_.partial_fit``) for
several seeds, and the test accuracy is recorded after every epoch.

Erhan et al. (2010) found the advantage of pretraining largest early in
training, with deeper networks and with fewer labels, and pretrained networks
less sensitive to the seed; it can hurt small networks.

In a build of fastinit without ``DBNClassifier`` the section says so
instead of running.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import fastinit

from . import digits
from .progress import Progress
from .section import Figure, Finding, Section, new_figure

__all__ = ["SETTINGS", "available", "run"]

SETTINGS: dict[str, dict[str, Any]] = {
    "full": {"hidden": (256, 256, 256), "seeds": (0, 1, 2), "pretrain_epochs": 10, "epochs": 20},
    "quick": {"hidden": (64, 64), "seeds": (0, 1), "pretrain_epochs": 2, "epochs": 3},
}

TITLE = "4. Layer-wise pretraining (deep belief network) against random initialization"

_CONDITIONS = (("pretrained", True, "RBM-pretrained (DBNClassifier)", "tab:purple"),
               ("random", False, "random init (pretrain=False)", "tab:gray"))


def available() -> bool:
    """Whether this build of fastinit has the DBN classifier."""
    return hasattr(fastinit, "DBNClassifier")


def _lesson(hidden: Sequence[int], n_train: int, n_test: int, pretrain_epochs: int, epochs: int,
            learning_rate: float, n_seeds: int) -> str:
    return (
        "Hinton, Osindero and Teh (2006) trained deep networks by pretraining each hidden layer as a "
        "restricted Boltzmann machine on the hidden probabilities of the layer below, then fine-tuning the "
        "whole stack with back-propagation. fastinit's DBNClassifier does exactly that (here "
        f"{len(hidden)} hidden layers {tuple(hidden)} of logistic units, {pretrain_epochs} epochs of "
        "persistent contrastive divergence per layer), then fine-tunes with scikit-learn's MLPClassifier. The "
        "baseline is the same classifier with pretrain=False: the same network and optimizer (SGD, "
        f"learning rate {learning_rate}, Nesterov momentum 0.9), from scikit-learn's random Glorot-uniform "
        f"start. Both are fine-tuned on {n_train} digits for {epochs} epochs, for {n_seeds} seeds, and "
        f"tested on {n_test}. Erhan et al. (2010) found pretraining helps most early in training, with deep "
        "networks and few labels, and makes results less dependent on the seed. A deep stack of logistic "
        "units started from small random weights typically sits on a plateau near chance for a while (each "
        "logistic layer multiplies the back-propagated gradient by at most 1/4); pretrained weights start "
        "training off that plateau. This run shows the first epochs, where the effect is largest."
    )


def run(hidden: Sequence[int] = (256, 256, 256), seeds: Sequence[int] = (0, 1, 2), pretrain_epochs: int = 10,
        epochs: int = 20, learning_rate: float = 0.1, n_train: int | None = None, seed: int = 0) -> Section:
    """Fine-tune ``DBNClassifier(hidden)`` with and without pretraining for
    ``epochs`` epochs, once per seed in ``seeds`` (each offset by ``seed``),
    on the digits (``n_train`` labelled training rows: all by default)."""
    data = digits.load(seed, n_train=n_train)
    if not available():
        return Section(
            key="pretraining", title=TITLE, available=False, numbers={"available": False},
            lesson=_lesson(hidden, len(data.y_train), len(data.y_test), pretrain_epochs, epochs,
                           learning_rate, len(seeds)),
            notes=[("Not available in this build: fastinit.DBNClassifier does not exist in this version of "
                    "fastinit, so the pretraining experiment was not run.")])
    from sklearn.exceptions import ConvergenceWarning

    from .interrupt import check, interruptible
    from .threads import one_math_thread

    t0 = time.perf_counter()
    numbers: dict[str, Any] = {
        "available": True,
        "settings": {"hidden": list(hidden), "seeds": [seed + s for s in seeds], "pretrain_epochs": pretrain_epochs,
                     "epochs": epochs, "learning_rate": learning_rate, "n_train": len(data.y_train)},
    }
    with Progress("pretraining", 2 * len(seeds) * epochs) as bar, interruptible(), one_math_thread():
        for name, pretrain, _, _ in _CONDITIONS:
            runs: dict[str, list[float]] = {}
            for s in seeds:
                clf = fastinit.DBNClassifier(
                    tuple(hidden), pretrain=pretrain, pretrain_n_iter=pretrain_epochs, solver="sgd",
                    learning_rate_init=learning_rate, max_iter=1, random_state=seed + s)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=1 "did not converge"
                    # followed by KeyboardInterrupt from check(): see fastinit.demo.interrupt
                    warnings.filterwarnings("ignore", "Training interrupted by user", UserWarning)
                    clf.fit(data.X_train, data.y_train)
                    check()  # scikit-learn's fine-tuning loop swallows Ctrl-C
                    acc = [digits.evaluate(clf.mlp_, data)[0]]
                    bar.advance()
                    for _ in range(epochs - 1):
                        clf.mlp_.partial_fit(data.X_train, data.y_train)
                        check()
                        acc.append(digits.evaluate(clf.mlp_, data)[0])
                        bar.advance()
                runs[str(seed + s)] = acc
            numbers[name] = {"runs": runs, "summary": _summary(list(runs.values()))}

    section = Section(key="pretraining", title=TITLE, numbers=numbers,
                      lesson=_lesson(hidden, len(data.y_train), len(data.y_test), pretrain_epochs, epochs,
                                     learning_rate, len(seeds)))
    section.figures = [_figure(numbers)]
    marks = sorted({0, min(4, epochs - 1), min(9, epochs - 1), epochs - 1})
    section.table = (
        ["initialization"] + [f"test accuracy after {m + 1} epoch{'s' if m else ''} (mean, min-max)"
                              for m in marks],
        [[label] + [f"{numbers[name]['summary']['mean'][m]:.3f} ({numbers[name]['summary']['min'][m]:.3f}-"
                    f"{numbers[name]['summary']['max'][m]:.3f})" for m in marks]
         for name, _, label, _ in _CONDITIONS],
    )
    section.findings = _findings(numbers, epochs)
    section.seconds = time.perf_counter() - t0
    return section


def _summary(runs: list[list[float]]) -> dict[str, list[float]]:
    """Mean, min and max over the seeds, per epoch."""
    a = np.asarray(runs, dtype=float)
    return {"mean": a.mean(axis=0).tolist(), "min": a.min(axis=0).tolist(), "max": a.max(axis=0).tolist()}


def _findings(numbers: dict[str, Any], epochs: int) -> list[Finding]:
    p, r = numbers["pretrained"]["summary"], numbers["random"]["summary"]
    n = len(numbers["settings"]["seeds"])
    return [
        Finding(f"after 1 fine-tuning epoch: pretrained {p['mean'][0]:.3f} against random init "
                f"{r['mean'][0]:.3f} (test accuracy, mean of {n} seeds)", p["mean"][0] > r["mean"][0]),
        Finding(f"after {epochs} epochs: pretrained {p['mean'][-1]:.3f} (seeds {p['min'][-1]:.3f}-"
                f"{p['max'][-1]:.3f}) against random init {r['mean'][-1]:.3f} ({r['min'][-1]:.3f}-"
                f"{r['max'][-1]:.3f})", p["mean"][-1] >= r["mean"][-1]),
    ]


def _figure(numbers: dict[str, Any]) -> Figure:
    fig = new_figure(7.5, 4.0)
    ax = fig.subplots()
    for name, _, label, color in _CONDITIONS:
        runs = numbers[name]["runs"]
        summary = numbers[name]["summary"]
        epochs = np.arange(1, len(summary["mean"]) + 1)
        for acc in runs.values():
            ax.plot(epochs, acc, color=color, alpha=0.35, lw=0.8)
        ax.fill_between(epochs, summary["min"], summary["max"], color=color, alpha=0.15, lw=0)
        ax.plot(epochs, summary["mean"], color=color, lw=2, marker=".", label=f"{label}, mean of {len(runs)} seeds")
    ax.set_xlabel("fine-tuning epoch")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center right")
    ax.set_title("Digits: fine-tuning from RBM pretraining and from random weights", fontsize=10)
    return Figure("pretraining", fig, "Test accuracy after each fine-tuning epoch; thin lines are single seeds, "
                                      "the band their range.")
