"""scikit-learn's digits and the epoch loop sections 1, 3 and 4 train with.

The data: the 1797 8x8 handwritten digits of :func:`sklearn.datasets.load_digits`,
pixels scaled to [0, 1], split 75/25 into train and test, stratified by class.

The training: :func:`train_epochs` starts scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier` from given weights (through
:func:`fastinit.mlp_warm_start.warm_start_mlp`) and runs ``partial_fit`` one
epoch at a time, recording the test accuracy and the test log-loss after each
epoch. A network whose weights overflow stops there; its curves end at the
last finite epoch.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..mlp_warm_start import warm_start_mlp
from .interrupt import check, interruptible
from .threads import one_math_thread

__all__ = ["Curves", "Digits", "evaluate", "load", "train_epochs"]


@dataclass
class Digits:
    """Train/test split of the digits, pixels in [0, 1] (scikit-learn trains
    in their dtype)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(np.unique(self.y_train).size)


def load(seed: int = 0, n_train: int | None = None, dtype: Any = np.float32) -> Digits:
    """The digits split 75/25 (stratified, ``random_state=seed``), pixels as ``dtype``.

    ``n_train`` keeps only the first ``n_train`` training rows (fewer labels:
    the regime in which pretraining is said to help most).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        (X / 16.0).astype(dtype), y, test_size=0.25, stratify=y, random_state=seed)
    if n_train is not None:
        X_train, y_train = X_train[:n_train], y_train[:n_train]
    return Digits(X_train, y_train, X_test, y_test)


@dataclass
class Curves:
    """Per-epoch results of one training run (index 0 is before training)."""

    test_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    diverged_at: int | None = None  # the epoch whose update overflowed, if any
    model: Any = None  # the trained MLPClassifier

    def as_dict(self) -> dict[str, Any]:
        return {"test_accuracy": self.test_accuracy, "test_loss": self.test_loss,
                "train_loss": self.train_loss, "diverged_at": self.diverged_at}


def evaluate(model: Any, data: Digits) -> tuple[float, float]:
    """Test accuracy and test log-loss of a fitted classifier (NaN, NaN if its
    probabilities are not finite)."""
    from sklearn.metrics import log_loss

    proba = model.predict_proba(data.X_test)
    if not np.all(np.isfinite(proba)):
        return float("nan"), float("nan")
    acc = float(np.mean(model.classes_[np.argmax(proba, axis=1)] == data.y_test))
    return acc, float(log_loss(data.y_test, proba, labels=model.classes_))


def train_epochs(template: Any, data: Digits, coefs: Sequence[np.ndarray],
                 intercepts: Sequence[np.ndarray], epochs: int,
                 on_epoch: Callable[[], None] | None = None) -> Curves:
    """Train ``template`` (an unfitted ``MLPClassifier``, solver sgd or adam)
    from the given weights for ``epochs`` epochs of ``partial_fit``.

    Returns the test accuracy and log-loss before training and after every
    epoch, and the training loss of every epoch. ``on_epoch`` is called after
    each epoch (a progress bar's ``advance``). Ctrl-C raises
    ``KeyboardInterrupt`` (scikit-learn's own loop would swallow it: see
    :mod:`fastinit.demo.interrupt`).
    """
    with interruptible(), one_math_thread():
        return _train(template, data, coefs, intercepts, epochs, on_epoch)


def _train(template: Any, data: Digits, coefs: Sequence[np.ndarray], intercepts: Sequence[np.ndarray],
           epochs: int, on_epoch: Callable[[], None] | None) -> Curves:
    model = warm_start_mlp(template, data.X_train, data.y_train, coefs, intercepts)
    curves = Curves(model=model)
    acc, loss = evaluate(model, data)
    curves.test_accuracy.append(acc)
    curves.test_loss.append(loss)
    for epoch in range(1, epochs + 1):
        if curves.diverged_at is None:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    model.partial_fit(data.X_train, data.y_train)
                check()
                finite = all(np.all(np.isfinite(c)) for c in model.coefs_)
            except ValueError:  # scikit-learn refuses non-finite weights
                finite = False
            if finite and np.isfinite(model.loss_curve_[-1]):
                acc, loss = evaluate(model, data)
                curves.test_accuracy.append(acc)
                curves.test_loss.append(loss)
                curves.train_loss.append(float(model.loss_curve_[-1]))
            else:
                curves.diverged_at = epoch
        if on_epoch is not None:
            on_epoch()
    return curves
