"""Section 1: never initialize with zeros (or any constant).

A small MLP is trained on the digits three times, from zero weights, from a
constant 0.05, and from Xavier-uniform weights (biases zero each time). With
zeros, every hidden activation is tanh(0) = 0 and every hidden weight gets a
zero gradient: the hidden layers never move. With a constant, all units of a
layer compute the same function and receive the same gradient, so they stay
identical: each hidden weight matrix keeps rank 1, and the layer is worth one
unit. Random weights break the symmetry.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import digits, inits
from .progress import Progress
from .section import Figure, Finding, Section, new_figure

__all__ = ["SETTINGS", "run", "unit_spread"]

#: ``run`` keyword arguments of the full demo and of ``--quick``
SETTINGS = {
    "full": {"epochs": 40},
    "quick": {"epochs": 6},
}


def unit_spread(W: np.ndarray) -> float:
    """How different the units of a layer are: the largest distance of a
    unit's incoming weights (a column of ``W``) from the layer's mean column,
    relative to the mean column's norm (0 when all units are identical)."""
    mean = W.mean(axis=1, keepdims=True)
    scale = float(np.linalg.norm(mean))
    dist = float(np.max(np.linalg.norm(W - mean, axis=0)))
    return dist / scale if scale > 0 else dist


def run(hidden: Sequence[int] = (32, 32), activation: str = "tanh", epochs: int = 40,
        learning_rate: float = 0.05, batch_size: int = 64,
        schemes: Sequence[str] = ("zeros", "constant", "xavier"), seed: int = 0) -> Section:
    """Train ``MLPClassifier(hidden)`` on the digits from each scheme of
    :mod:`fastinit.demo.inits`, SGD with momentum 0.9, and measure the rank
    and unit spread of every hidden weight matrix after training."""
    from sklearn.neural_network import MLPClassifier

    t0 = time.perf_counter()
    data = digits.load(seed, dtype=np.float64)
    sizes = [data.n_features, *hidden, data.n_classes]
    template = MLPClassifier(tuple(hidden), activation=activation, solver="sgd",
                             learning_rate_init=learning_rate, momentum=0.9,
                             batch_size=batch_size, random_state=seed)
    numbers: dict[str, Any] = {"settings": {"hidden": list(hidden), "activation": activation, "epochs": epochs,
                                  "learning_rate": learning_rate, "batch_size": batch_size, "seed": seed},
               "hidden_full_rank": [min(a, b) for a, b in zip(sizes[:-2], sizes[1:-1])]}
    models = {}
    with Progress("zeros and constants", len(schemes) * epochs) as bar:
        for scheme in schemes:
            coefs, intercepts = inits.network_weights(scheme, sizes, seed)
            curves = digits.train_epochs(template, data, coefs, intercepts, epochs, bar.advance)
            hidden_W = curves.model.coefs_[:-1]
            models[scheme] = curves.model
            numbers[scheme] = {
                "test_accuracy": curves.test_accuracy,
                "final_accuracy": curves.test_accuracy[-1],
                "hidden_rank": [int(np.linalg.matrix_rank(W)) for W in hidden_W],
                "hidden_unit_spread": [unit_spread(W) for W in hidden_W],
                "hidden_weight_max_abs": [float(np.max(np.abs(W))) for W in hidden_W],
            }

    section = Section(
        key="zeros",
        title="1. Never initialize with zeros, or with any constant",
        lesson=(
            f"An MLP with hidden layers {tuple(hidden)} ({activation}) is trained on scikit-learn's "
            f"digits for {epochs} epochs of SGD (momentum 0.9, learning rate {learning_rate}), three "
            "times: from zero weights, from the constant 0.05, and from Xavier-uniform weights (fastinit's "
            "initializers; biases start at zero in all three). With zeros every hidden activation is "
            "tanh(0) = 0, so no gradient reaches the hidden weights and they never move. With a constant, "
            "every unit of a layer computes the same function and receives the same gradient: the units "
            "stay identical, each hidden weight matrix keeps rank 1, and a layer of "
            f"{hidden[0]} units is worth one. Random weights break that symmetry. (This run trains in float64, "
            "where identical units stay bit-identical; in float32 a BLAS may round some columns of a product "
            "differently, and training slowly amplifies that rounding noise into a few distinct units.)"
        ),
        numbers=numbers,
    )
    section.figures = [_figure_weights(models, schemes, numbers), _figure_accuracy(numbers, schemes)]
    section.table = (
        ["initialization", "test accuracy", "rank of each hidden W", "unit spread (0 = identical units)"],
        [[inits.LABELS[s], f"{numbers[s]['final_accuracy']:.3f}",
          ", ".join(f"{r} of {f}" for r, f in zip(numbers[s]["hidden_rank"], numbers["hidden_full_rank"])),
          ", ".join(f"{v:.2g}" for v in numbers[s]["hidden_unit_spread"])] for s in schemes],
    )
    section.findings = _findings(numbers, schemes)
    section.seconds = time.perf_counter() - t0
    return section


def _findings(numbers: dict[str, Any], schemes: Sequence[str]) -> list[Finding]:
    out = []
    chance = 0.2  # ten classes: a net that learned nothing scores about 0.1
    if "zeros" in schemes:
        z = numbers["zeros"]
        out.append(Finding(
            f"zeros: the hidden weights never moved (largest |w| {max(z['hidden_weight_max_abs']):.2g}, "
            f"ranks {z['hidden_rank']}); test accuracy {z['final_accuracy']:.3f}, chance level",
            max(z["hidden_weight_max_abs"]) == 0.0 and z["final_accuracy"] < chance))
    if "constant" in schemes:
        c = numbers["constant"]
        ref = numbers.get("xavier", {}).get("final_accuracy", float("nan"))
        out.append(Finding(
            f"constant 0.05: after training every hidden weight matrix still has rank "
            f"{c['hidden_rank']} (unit spread {max(c['hidden_unit_spread']):.1g}); test accuracy "
            f"{c['final_accuracy']:.3f} against Xavier's {ref:.3f}",
            all(r == 1 for r in c["hidden_rank"]) and c["final_accuracy"] < ref - 0.2))
    if "xavier" in schemes:
        x = numbers["xavier"]
        full = numbers["hidden_full_rank"]
        out.append(Finding(
            f"Xavier: full-rank hidden layers (ranks {x['hidden_rank']} of {full}), test accuracy "
            f"{x['final_accuracy']:.3f}",
            x["hidden_rank"] == full and x["final_accuracy"] > 0.9))
    return out


def _figure_weights(models: dict[str, Any], schemes: Sequence[str], numbers: dict[str, Any]) -> Figure:
    fig = new_figure(11, 3.2)
    axes = fig.subplots(1, len(schemes), squeeze=False)[0]
    for ax, scheme in zip(axes, schemes):
        W = models[scheme].coefs_[0].T  # one row per hidden unit
        lim = float(np.max(np.abs(W))) or 1.0
        im = ax.imshow(W, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
        ax.set_title(f"{inits.LABELS[scheme]}: rank {numbers[scheme]['hidden_rank'][0]}", fontsize=10)
        if not np.any(W):
            ax.text(0.5, 0.5, "every weight is 0", transform=ax.transAxes, ha="center", va="center")
        ax.set_xlabel("input pixel")
        fig.colorbar(im, ax=ax, shrink=0.85)
    axes[0].set_ylabel("hidden unit")
    fig.suptitle("First hidden layer's weights after training (one row per unit)", fontsize=11)
    return Figure("zeros_weights", fig,
                  "Each row is one hidden unit's incoming weights after training. From zeros nothing moved; "
                  "from a constant every row is the same row; from Xavier every unit learned its own filter.")


def _figure_accuracy(numbers: dict[str, Any], schemes: Sequence[str]) -> Figure:
    fig = new_figure(6, 3.4)
    ax = fig.subplots()
    for scheme in schemes:
        acc = numbers[scheme]["test_accuracy"]
        ax.plot(range(len(acc)), acc, marker=".", label=inits.LABELS[scheme])
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Digits, test accuracy per epoch", fontsize=11)
    return Figure("zeros_accuracy", fig, "Test accuracy after each epoch (epoch 0: before training).")
