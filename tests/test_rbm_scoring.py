"""RBM estimator methods that use fastinit.rbm_evaluation: score_samples,
free_energy, log_partition, log_likelihood, verbose monitoring, the
scikit-learn common checks, and model quality on digits."""
import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.neural_network import BernoulliRBM as SkBernoulliRBM
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn_checks import BERNOULLI_EXPECTED_FAILURES

from fastinit import BernoulliRBM, GaussianBernoulliRBM

ev = pytest.importorskip("fastinit.rbm_evaluation")


@pytest.fixture(scope="module")
def digits():
    return load_digits().data / 16.0


# ---------------------------------------------------------------------------
# score_samples and the evaluation methods.


def test_verbose_output(capsys, digits):
    BernoulliRBM(5, n_iter=2, verbose=1, random_state=0).fit(sp.csc_matrix(digits[:100]))
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert re.match(r"\[BernoulliRBM\] Iteration 1, pseudo-likelihood = -?\d+\.\d\d, time = \d+\.\d\ds$", lines[0])
    BernoulliRBM(5, n_iter=1, verbose=2, random_state=0).fit(digits[:100])
    out = capsys.readouterr().out
    assert "10/10 batches" in out and "[BernoulliRBM] Iteration 1, pseudo-likelihood" in out
    GaussianBernoulliRBM(5, n_iter=1, verbose=1, random_state=0).fit(digits[:100])
    assert re.search(r"\[GaussianBernoulliRBM\] Iteration 1, mean -F\(v\) = -?\d+\.\d\d", capsys.readouterr().out)


def test_gaussian_score_samples_is_unnormalized_log_density(digits):
    X = (digits - digits.mean(0)) / (digits.std(0) + 1e-3)
    rbm = GaussianBernoulliRBM(6, n_iter=2, random_state=0).fit(X)
    W, a, b = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    expected = -(0.5 * ((X - a) ** 2).sum(axis=1) - np.logaddexp(0, X @ W.T + b).sum(axis=1))
    np.testing.assert_allclose(rbm.score_samples(X), expected, rtol=1e-10)
    log_z = rbm.log_partition("exact")
    np.testing.assert_allclose(rbm.log_likelihood(X), expected - log_z, rtol=1e-10)


# ---------------------------------------------------------------------------
# scikit-learn common checks.


class _RangeUncheckedBernoulliRBM(BernoulliRBM):
    """BernoulliRBM without the [0, 1] check: shows that the checks listed as
    expected failures below fail only because of their data's range."""

    def _check_values(self, X):
        pass

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = False  # it accepts any values
        return tags


def _expected_failures(estimator):
    return BERNOULLI_EXPECTED_FAILURES if type(estimator) is BernoulliRBM else {}


@parametrize_with_checks(
    [BernoulliRBM(4, n_iter=2, random_state=0), _RangeUncheckedBernoulliRBM(4, n_iter=2, random_state=0),
     GaussianBernoulliRBM(4, n_iter=2, random_state=0)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------
# Quality on digits (scikit-learn's reference settings).


def test_digits_pseudo_likelihood_at_least_sklearn(digits):
    ours = BernoulliRBM(100, n_iter=20, random_state=0).fit(digits)
    theirs = SkBernoulliRBM(100, n_iter=20, random_state=0).fit(digits)
    flip = ours._flip_indices(digits)  # score both models on the same flipped bits
    pl_ours = ev.pseudo_likelihood(digits, ours.components_, ours.intercept_visible_, ours.intercept_hidden_,
                                   flip).mean()
    pl_theirs = ev.pseudo_likelihood(digits, theirs.components_, theirs.intercept_visible_,
                                     theirs.intercept_hidden_, flip).mean()
    assert pl_ours >= pl_theirs - 1.0
    assert pl_ours > -20.5  # scikit-learn reaches about -19.4 at epoch 20


def _mean_exact_ll(model, X):
    return model.log_likelihood(X, method="exact").mean()


def test_binarized_digits_exact_log_likelihood(digits):
    X = (digits > 0.5).astype(np.float64)
    seeds = range(3)
    sk = []
    for s in seeds:
        m = SkBernoulliRBM(16, n_iter=20, random_state=s).fit(X)
        log_z = ev.exact_log_partition(m.components_, m.intercept_visible_, m.intercept_hidden_)
        sk.append((-ev.free_energy(X, m.components_, m.intercept_visible_, m.intercept_hidden_) - log_z).mean())
    pcd1 = [_mean_exact_ll(BernoulliRBM(16, n_iter=20, random_state=s).fit(X), X) for s in seeds]
    pcd5 = [_mean_exact_ll(BernoulliRBM(16, n_iter=20, k=5, random_state=s).fit(X), X) for s in seeds]
    assert np.mean(pcd1) >= np.mean(sk) - 0.5
    assert np.mean(pcd5) > np.mean(pcd1) + 0.5  # more Gibbs steps: a better density model


def test_gaussian_rbm_learns_standardized_digits(digits):
    from sklearn.preprocessing import StandardScaler

    X = StandardScaler().fit_transform(digits)
    start = GaussianBernoulliRBM(16, n_iter=0, random_state=0).fit(X).log_likelihood(X).mean()
    trained = GaussianBernoulliRBM(16, n_iter=20, random_state=0).fit(X).log_likelihood(X).mean()
    assert trained > start + 4.0  # exact log-density per row, nats (about -89.3 -> -83.4)
