"""warm_start_mlp: scikit-learn's MLP started from given weights.

The reference is scikit-learn itself: started from the very weights a cold
fit draws, a primed estimator must train to bit-identical weights, loss curve
and iteration count (with shuffle=False, the random state's only other use).
"""
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402

from fastinit.mlp_warm_start import warm_start_mlp  # noqa: E402


def _data(n=120, d=6, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    y = (X[:, 0] * n_classes).astype(int) % n_classes
    return X, y


def _cold_weights(mlp, layer_units, dtype=np.float64):
    """The weights MLP._init_coef draws on a cold fit (Glorot-uniform, logistic factor 2)."""
    rs = np.random.RandomState(mlp.random_state)
    factor = 2.0 if mlp.activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rs.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        intercepts.append(rs.uniform(-bound, bound, fan_out).astype(dtype))
    return coefs, intercepts


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("activation", ["logistic", "relu"])
def test_fit_from_cold_weights_equals_cold_fit(solver, activation):
    X, y = _data()
    mlp = MLPClassifier((7, 5), activation=activation, solver=solver, max_iter=6,
                        shuffle=False, random_state=3, batch_size=16)
    coefs, intercepts = _cold_weights(mlp, [6, 7, 5, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold = MLPClassifier(**mlp.get_params()).fit(X, y)
        warm = warm_start_mlp(mlp, X, y, coefs, intercepts)
        assert warm.n_iter_ == 0
        warm.fit(X, y)
    assert warm.n_iter_ == cold.n_iter_
    for a, b in zip(warm.coefs_ + warm.intercepts_, cold.coefs_ + cold.intercepts_):
        np.testing.assert_array_equal(a, b)
    if solver != "lbfgs":
        assert warm.loss_curve_ == cold.loss_curve_
    assert warm.warm_start is True and mlp.warm_start is False  # the template is untouched


def test_partial_fit_epochs_equal_cold_partial_fit():
    X, y = _data()
    mlp = MLPClassifier((8,), solver="sgd", momentum=0.9, shuffle=False, random_state=1, batch_size=20)
    coefs, intercepts = _cold_weights(mlp, [6, 8, 3])
    cold = MLPClassifier(**mlp.get_params())
    warm = warm_start_mlp(mlp, X, y, coefs, intercepts)
    for _ in range(3):
        cold.partial_fit(X, y, classes=np.unique(y))
        warm.partial_fit(X, y)
        np.testing.assert_array_equal(warm.coefs_[0], cold.coefs_[0])
    assert warm.loss_curve_ == cold.loss_curve_


def test_early_stopping_state_is_a_first_pass():
    X, y = _data(n=200)
    mlp = MLPClassifier((8,), early_stopping=True, max_iter=5, random_state=0)
    coefs, intercepts = _cold_weights(mlp, [6, 8, 3])
    warm = warm_start_mlp(mlp, X, y, coefs, intercepts)
    assert warm.validation_scores_ == [] and warm.best_validation_score_ == -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, y)
    assert len(warm.validation_scores_) == warm.n_iter_ == len(warm.loss_curve_)


def test_zero_weights_keep_hidden_units_identical():
    """The study note's first lesson, through this function: zeros never break symmetry."""
    X, y = _data()
    mlp = MLPClassifier((5,), activation="tanh", solver="sgd", max_iter=20, random_state=0)
    zeros_w = [np.zeros((6, 5)), np.zeros((5, 3))]
    zeros_b = [np.zeros(5), np.zeros(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = warm_start_mlp(mlp, X, y, zeros_w, zeros_b).fit(X, y)
    assert np.linalg.matrix_rank(est.coefs_[0]) <= 1
    assert np.ptp(est.coefs_[0], axis=1).max() == 0.0  # every hidden unit has the same weights


def test_regressor():
    X, _ = _data()
    y = X @ np.arange(6.0)
    mlp = MLPRegressor(hidden_layer_sizes=(4,), solver="adam", max_iter=3, shuffle=False, random_state=2)
    coefs, intercepts = _cold_weights(mlp, [6, 4, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold = MLPRegressor(**mlp.get_params()).fit(X, y)
        warm = warm_start_mlp(mlp, X, y, coefs, intercepts).fit(X, y)
    np.testing.assert_array_equal(warm.coefs_[1], cold.coefs_[1])


def test_bad_weights_are_refused_with_the_layer_named():
    X, y = _data()
    mlp = MLPClassifier((7,))
    with pytest.raises(ValueError, match=r"coefs\[0\] has shape \(7, 6\).*\(6, 7\)"):
        warm_start_mlp(mlp, X, y, [np.zeros((7, 6)), np.zeros((7, 3))], [np.zeros(7), np.zeros(3)])
    with pytest.raises(ValueError, match="coefs has 1 layers but the network has 2"):
        warm_start_mlp(mlp, X, y, [np.zeros((6, 7))], [np.zeros(7)])
    with pytest.raises(ValueError, match="one entry per layer"):
        warm_start_mlp(mlp, X, y, [np.zeros((6, 7)), np.zeros((7, 3))], [np.zeros(7)])
    bad = np.zeros((6, 7))
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"coefs\[0\] contains NaN"):
        warm_start_mlp(mlp, X, y, [bad, np.zeros((7, 3))], [np.zeros(7), np.zeros(3)])
