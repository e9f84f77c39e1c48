"""Start scikit-learn's MLP from weights of your choice.

scikit-learn's :class:`~sklearn.neural_network.MLPClassifier` and
:class:`~sklearn.neural_network.MLPRegressor` always draw their first weights
themselves (Glorot-uniform weights *and* biases, bound ``sqrt(6/(fan_in +
fan_out))``, or ``sqrt(2/(fan_in + fan_out))`` for ``activation="logistic"``).
Their maintainers point users who want another start (pretrained RBM weights,
a different initializer, the zero initialization that cannot learn) to
``warm_start=True``: a warm-started ``fit`` continues from ``coefs_`` and
``intercepts_``. Those attributes exist only after a first fit, and that first
fit also creates the estimator's bookkeeping (``n_layers_``,
``out_activation_``, the loss curve, the early-stopping state, ...).

:func:`warm_start_mlp` does that once, in one place: it primes a clone of the
estimator with one solver step on one row per class (for a regressor: one
row), writes the given weights over the primed ones, and resets the
bookkeeping to the state scikit-learn's own first pass creates, so that

* ``mlp.fit(X, y)`` fine-tunes for ``max_iter`` epochs from exactly the given
  weights with a fresh optimizer, its ``loss_curve_`` and ``n_iter_`` counting
  from zero, as a cold ``fit`` would;
* ``mlp.partial_fit(X, y)`` (solvers "sgd" and "adam") runs one epoch at a
  time from the same start, keeping its optimizer between calls.

Weights are given in scikit-learn's layout: ``coefs[i]`` of shape
``(fan_in, fan_out)`` (the transpose of PyTorch's ``Linear.weight`` and of an
RBM's ``components_``), ``intercepts[i]`` of shape ``(fan_out,)``, one pair per
layer including the output layer.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["warm_start_mlp"]

_STOCHASTIC_SOLVERS = ("sgd", "adam")


def warm_start_mlp(
    mlp: Any,
    X: Any,
    y: Any,
    coefs: Sequence[Any],
    intercepts: Sequence[Any],
) -> Any:
    """Return a clone of ``mlp`` that will train from ``coefs``/``intercepts``.

    Parameters
    ----------
    mlp : MLPClassifier or MLPRegressor
        The template; it is cloned, never modified. Its ``hidden_layer_sizes``
        must match the given weights.
    X, y : array-like
        The training data the estimator will be fitted on (the classes of
        ``y`` fix the output layer; only one row per class is used here).
    coefs : sequence of arrays, ``coefs[i]`` of shape (fan_in, fan_out)
    intercepts : sequence of arrays, ``intercepts[i]`` of shape (fan_out,)
        One pair per layer, the output layer included, in scikit-learn's
        layout. They are copied into the estimator (cast to the dtype
        scikit-learn trains in, that of ``X`` after its validation).

    Returns
    -------
    estimator
        A clone of ``mlp`` with ``warm_start=True`` whose next ``fit`` or
        ``partial_fit`` starts from the given weights.

    Raises
    ------
    ValueError
        If the number of layers or any weight's shape does not match the
        network ``mlp`` builds on ``X`` and ``y``, or a weight is not finite.
    """
    from sklearn.base import clone, is_classifier
    from sklearn.exceptions import ConvergenceWarning

    coefs = list(coefs)
    intercepts = list(intercepts)
    if len(coefs) != len(intercepts):
        raise ValueError(
            f"coefs and intercepts must have one entry per layer; got {len(coefs)} coefs "
            f"and {len(intercepts)} intercepts"
        )

    est = clone(mlp)
    params = est.get_params(deep=False)
    y_arr = np.asarray(y)
    X_arr = X
    if is_classifier(est):
        # One row per class: the output layer gets every class of y.
        _, rows = np.unique(y_arr, return_index=True)
    else:
        rows = np.array([0])
    X_prime = X_arr[rows]
    y_prime = y_arr[rows]

    # The priming step: max_iter=1, no validation split (one row per class
    # cannot be split), no warm start (a first pass), one batch.
    est.set_params(max_iter=1, early_stopping=False, warm_start=False, batch_size="auto")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_prime, y_prime)
    est.set_params(
        max_iter=params["max_iter"],
        early_stopping=params["early_stopping"],
        batch_size=params["batch_size"],
        warm_start=True,
    )

    if len(coefs) != len(est.coefs_):
        raise ValueError(
            f"coefs has {len(coefs)} layers but the network has {len(est.coefs_)} "
            f"(hidden_layer_sizes={params['hidden_layer_sizes']!r} plus the output layer)"
        )
    for i, (given_w, given_b) in enumerate(zip(coefs, intercepts)):
        for name, given, target in (
            ("coefs", given_w, est.coefs_[i]),
            ("intercepts", given_b, est.intercepts_[i]),
        ):
            given = np.asarray(given)
            if given.shape != target.shape:
                raise ValueError(
                    f"{name}[{i}] has shape {given.shape}; layer {i} of this network needs "
                    f"{target.shape} (scikit-learn layout: (fan_in, fan_out))"
                )
            if not np.all(np.isfinite(given)):
                raise ValueError(f"{name}[{i}] contains NaN or infinity")
            target[...] = given

    # Forget the priming step: the bookkeeping scikit-learn's first pass
    # (MLP._initialize) creates, with the given weights as the best so far.
    est.n_iter_ = 0
    est.t_ = 0
    est._best_coefs = [c.copy() for c in est.coefs_]
    est._best_intercepts = [b.copy() for b in est.intercepts_]
    if est.solver in _STOCHASTIC_SOLVERS:
        est.loss_curve_ = []
        est._no_improvement_count = 0
        if est.early_stopping:
            est.validation_scores_ = []
            est.best_validation_score_ = -np.inf
            est.best_loss_ = None
        else:
            est.best_loss_ = np.inf
            est.validation_scores_ = None
            est.best_validation_score_ = None
        # A fresh optimizer for partial_fit too (fit always makes one).
        if hasattr(est, "_optimizer"):
            del est._optimizer
    else:
        # lbfgs keeps only the final loss; it has no curve to reset.
        for attr in ("loss_curve_", "best_loss_"):
            if hasattr(est, attr):
                delattr(est, attr)
    return est
