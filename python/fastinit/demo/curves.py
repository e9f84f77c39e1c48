"""Section 3: training curves of a deep MLP from each initialization.

The same deep network (``depth`` hidden layers of ``width`` units, tanh or
ReLU) is trained on the digits with the same optimizer (scikit-learn's SGD
with Nesterov momentum 0.9, one learning rate, one batch size), starting from
each initialization of :mod:`fastinit.demo.inits`; the test accuracy and the
test log-loss are recorded after every epoch. Depth turns the per-layer
factors of section 2 into whether anything trains at all: a signal that
vanishes on the way up has no gradient on the way down.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from . import digits, inits
from .progress import Progress
from .section import Figure, Finding, Section, new_figure

__all__ = ["SETTINGS", "run"]

SETTINGS = {
    "full": {"epochs": 20, "target": 0.9},
    "quick": {"epochs": 3, "target": 0.5},
}

SCHEMES = ("normal_1", "normal_0.01", "torch_default", "xavier", "he")
ACTIVATIONS = ("tanh", "relu")
#: the scheme each activation's lesson recommends
RECOMMENDED = {"tanh": "xavier", "relu": "he", "logistic": "xavier"}

#: why a recommended scheme may not come first (said only when it does not)
_REASONS = {
    ("tanh", "xavier"): ("as in section 2, He's larger scale keeps tanh's signal from shrinking over depth "
                         "(Xavier's n_in·Var(W) = 1 preserves it only in tanh's linear part near 0), and "
                         "Glorot & Bengio's comparison was with U(±1/√n_in), not with He"),
}


def run(depth: int = 10, width: int = 64, activations: Sequence[str] = ACTIVATIONS,
        schemes: Sequence[str] = SCHEMES, epochs: int = 20, learning_rate: float = 0.01,
        target: float = 0.9,
        batch_size: int = 64, seed: int = 0) -> Section:
    """Train ``MLPClassifier((width,) * depth)`` on the digits from every
    scheme, for each activation, ``epochs`` epochs of ``partial_fit``."""
    from sklearn.neural_network import MLPClassifier

    t0 = time.perf_counter()
    data = digits.load(seed)
    sizes = [data.n_features, *([width] * depth), data.n_classes]
    numbers: dict[str, Any] = {"settings": {"depth": depth, "width": width, "epochs": epochs, "target": target,
                                            "learning_rate": learning_rate, "batch_size": batch_size,
                                            "seed": seed, "optimizer": "sgd, nesterov momentum 0.9"}}
    with Progress("training curves", len(activations) * len(schemes) * epochs) as bar:
        for activation in activations:
            template = MLPClassifier((width,) * depth, activation=activation, solver="sgd",
                                     learning_rate_init=learning_rate, momentum=0.9, batch_size=batch_size,
                                     random_state=seed)
            numbers[activation] = {}
            for scheme in schemes:
                coefs, intercepts = inits.network_weights(scheme, sizes, seed)
                curves = digits.train_epochs(template, data, coefs, intercepts, epochs, bar.advance)
                numbers[activation][scheme] = curves.as_dict()
                numbers[activation][scheme]["epochs_to_target"] = epochs_to(curves.test_accuracy, target)

    section = Section(
        key="curves",
        title="3. Training curves of a deep network",
        lesson=(
            f"An MLP with {depth} hidden layers of {width} units is trained on the digits "
            f"({data.X_train.shape[0]} training, {data.X_test.shape[0]} test images) with the same optimizer "
            f"every time: SGD with Nesterov momentum 0.9, learning rate {learning_rate}, batches of "
            f"{batch_size}, {epochs} epochs; only the initial weights differ (biases start at zero). Where "
            "section 2's signal vanishes on the way up, no gradient comes back down and the network stays "
            "at chance; where it explodes, the first updates overflow. The lesson predicts that Xavier (tanh) "
            f"and He (ReLU) train fastest: the findings count the epochs each start needs to reach {target:.0%} "
            "test accuracy, and compare Xavier with U(±1/√n_in), the initialization Glorot & Bengio (2010) "
            "proposed it against. A claim the run contradicts is marked so, with the reason."
        ),
        numbers=numbers,
    )
    section.figures = [_figure(numbers, activations, schemes)]
    section.table = (
        ["activation", "initialization", "test accuracy after 1 epoch", f"after {epochs} epochs",
         f"epochs to {target:.0%}", "final test log-loss"],
        [[a, inits.LABELS[s], _fmt(numbers[a][s]["test_accuracy"], 1), _final(numbers[a][s], "test_accuracy"),
          _epochs(numbers[a][s]["epochs_to_target"]), _final(numbers[a][s], "test_loss")]
         for a in activations for s in schemes],
    )
    section.findings = _findings(numbers, activations, schemes)
    section.seconds = time.perf_counter() - t0
    return section


def epochs_to(accuracy: Sequence[float], target: float) -> int | None:
    """The first epoch whose test accuracy reaches ``target`` (None: never)."""
    return next((epoch for epoch, acc in enumerate(accuracy) if acc >= target), None)


def _epochs(n: int | None) -> str:
    return "never" if n is None else str(n)


def final_accuracy(curves: dict[str, Any]) -> float:
    """The test accuracy after the last epoch; 0.0 for a run whose weights overflowed."""
    return 0.0 if curves["diverged_at"] is not None else float(curves["test_accuracy"][-1])


def _final(curves: dict[str, Any], key: str) -> str:
    if curves["diverged_at"] is not None:
        return f"overflowed in epoch {curves['diverged_at']}"
    return f"{curves[key][-1]:.3f}"


def _fmt(values: list[float], epoch: int) -> str:
    return f"{values[epoch]:.3f}" if len(values) > epoch else "-"


def _describe(scheme: str, curves: dict[str, Any]) -> str:
    if curves["diverged_at"] is not None:
        return f"{inits.LABELS[scheme]} overflowed in epoch {curves['diverged_at']}"
    return f"{inits.LABELS[scheme]} {curves['test_accuracy'][-1]:.3f}"


def _findings(numbers: dict[str, Any], activations: Sequence[str], schemes: Sequence[str]) -> list[Finding]:
    out = []
    epochs, target = numbers["settings"]["epochs"], numbers["settings"]["target"]
    for a in activations:
        reach = {s: numbers[a][s]["epochs_to_target"] for s in schemes}
        rec = RECOMMENDED.get(a)
        if rec is not None and rec in schemes:
            if "torch_default" in schemes and rec == "xavier":
                base = reach["torch_default"]
                out.append(Finding(
                    f"{a}: Xavier reaches {target:.0%} test accuracy before U(±1/√n_in), the baseline Glorot & "
                    f"Bengio compared it with: epoch {_epochs(reach[rec])} against {_epochs(base)}",
                    reach[rec] is not None and (base is None or reach[rec] < base)))
            reached = [n for n in reach.values() if n is not None]
            first = min(reached) if reached else None
            winners = [s for s, n in reach.items() if n is not None and n == first]
            holds = reach[rec] is not None and reach[rec] == first
            text = (f"{a}: {inits.LABELS[rec]} is the first to reach {target:.0%} test accuracy: epochs "
                    + ", ".join(f"{inits.LABELS[s]} {_epochs(n)}" for s, n in reach.items()))
            if not holds:
                text += (". Not here: " + " and ".join(inits.LABELS[s] for s in winners) + " got there first"
                         + (f" ({_final(numbers[a][winners[0]], 'test_accuracy')} after {epochs} epochs, "
                            f"{inits.LABELS[rec]} {_final(numbers[a][rec], 'test_accuracy')})" if winners else "")
                         + (f"; {_REASONS[(a, rec)]}" if (a, rec) in _REASONS else ""))
            out.append(Finding(text, holds))
        stuck = [s for s in ("normal_0.01", "normal_1") if s in schemes]
        if stuck:
            out.append(Finding(
                f"{a}: " + " and ".join(inits.LABELS[s] for s in stuck) + " do not train: "
                + ", ".join(_describe(s, numbers[a][s]) for s in stuck)
                + f" after {epochs} epochs (chance is 0.1)",
                all(final_accuracy(numbers[a][s]) < 0.2 for s in stuck)))
    return out


#: line style and marker per scheme: the runs that stay at chance lie on top of each other
_STYLES = {"normal_1": (":", "x"), "normal_0.01": ("--", "v"), "torch_default": ("-.", "^"),
           "xavier": ("-", "o"), "he": ("-", "s")}


def _figure(numbers: dict[str, Any], activations: Sequence[str], schemes: Sequence[str]) -> Figure:
    fig = new_figure(5.2 * len(activations), 7.0)
    axes = fig.subplots(2, len(activations), squeeze=False, sharex=True)
    notes: dict[str, list[str]] = {s: [] for s in schemes}  # said in the legend, where nothing overlaps
    for col, a in enumerate(activations):
        where = f"{a}: " if len(activations) > 1 else ""
        for k, scheme in enumerate(schemes):
            c = numbers[a][scheme]
            acc, loss = c["test_accuracy"], c["test_loss"]
            style, marker = _STYLES.get(scheme, ("-", "."))
            line, = axes[0][col].plot(range(len(acc)), acc, style, marker=marker, ms=4, markevery=(k % 3, 3),
                                      color=f"C{k}")
            axes[1][col].plot(range(len(loss)), loss, style, marker=marker, ms=4, markevery=(k % 3, 3),
                              color=line.get_color())
            if c["diverged_at"] is not None:
                axes[0][col].plot([len(acc) - 1], [acc[-1]], "X", color=line.get_color(), ms=10)
                notes[scheme].append(f"{where}overflowed in epoch {c['diverged_at']} (X), no later epochs")
            elif max(acc[1:], default=1.0) < 0.2:
                notes[scheme].append(f"{where}at chance throughout")
        axes[0][col].set_title(f"{a}: test accuracy", fontsize=10)
        axes[0][col].set_ylim(0, 1)
        axes[0][col].set_ylabel("test accuracy (fraction)", fontsize=8)
        axes[1][col].set_title(f"{a}: test log-loss", fontsize=10)
        axes[1][col].set_yscale("log")
        axes[1][col].set_ylabel("test log-loss (nats, log scale)", fontsize=8)
        axes[1][col].set_xlabel("epoch")
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
    for ax in axes.ravel():
        ax.xaxis.get_major_locator().set_params(integer=True)
    handles = [h for h in axes[0][0].get_lines() if h.get_marker() != "X"][:len(schemes)]
    for scheme, said in notes.items():
        if len(said) == len(activations) > 1 and all(n.endswith("at chance throughout") for n in said):
            notes[scheme] = ["at chance throughout"]
    labels = [inits.LABELS[s] + (f" ({'; '.join(notes[s])})" if notes[s] else "") for s in schemes]
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8)
    return Figure("curves", fig,
                  "Test accuracy and test log-loss after every epoch (epoch 0: before training). Runs at chance "
                  "lie on top of each other (line styles and markers tell them apart; the legend names them). "
                  "A curve that ends early with an X overflowed: its weights became non-finite, which "
                  "scikit-learn refuses, so it has no later epochs (and its log-loss only the epoch-0 point).")
