"""Tests for fastinit.rbm_evaluation: free energy, log Z (exact and AIS), likelihoods, and the estimators'
methods that use them (RBMScoring: score_samples, free_energy, log_partition, log_likelihood)."""
import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from blas_checks import blas_threads
from rbm_oracle import random_binary
from scipy import integrate, stats
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.datasets import load_digits

import fastinit
from fastinit import BernoulliRBM
from fastinit import rbm_evaluation as rbe
from fastinit.rbm_evaluation import (
    ais_log_partition,
    ais_schedule,
    base_rate_visible_bias,
    exact_log_partition,
    free_energy,
    log_likelihood,
    pseudo_likelihood,
)

GOLDEN_LOG_Z = 17.397337304820027  # docs: /work/shared/reference/rbm.md §5.1


# ----------------------------------------------------------------------------- helpers
def all_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def random_rbm(n_hidden, n_visible, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, scale, (n_hidden, n_visible)), rng.normal(0, 1, n_visible),
            rng.normal(0, 1, n_hidden))


def golden_rbm():
    rs = np.random.RandomState(0)
    W = rs.normal(0, 1, (4, 6))
    a = rs.normal(0, 1, 6)
    b = rs.normal(0, 1, 4)
    return W, a, b


def brute_force_log_z(W, a, b):
    """log sum over all (v, h) of exp(a.v + b.h + h.W v)."""
    V = all_states(W.shape[1])
    H = all_states(W.shape[0])
    neg_energy = (V @ a)[:, None] + (H @ b)[None, :] + V @ W.T @ H.T
    return logsumexp(neg_energy)


def gaussian_neg_energy(v, H, W, a, b):
    """-E(v, h) for one visible vector v and every row h of H."""
    return -0.5 * np.sum((v - a) ** 2) + H @ b + H @ (W @ v)


@pytest.fixture(scope="module")
def digits_binary():
    from sklearn.datasets import load_digits

    return (load_digits().data / 16.0 > 0.5).astype(np.float64)


def trained_rbm(X, n_hidden):
    from sklearn.neural_network import BernoulliRBM

    rbm = BernoulliRBM(n_components=n_hidden, learning_rate=0.05, n_iter=20, random_state=0).fit(X)
    return rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_


# ----------------------------------------------------------------------------- exact log Z
def test_golden_log_partition_by_hidden_visible_and_brute_force():
    W, a, b = golden_rbm()
    # 4 hidden < 6 visible: enumerates h
    assert abs(exact_log_partition(W, a, b) - GOLDEN_LOG_Z) < 1e-10
    # transposed RBM (6 hidden, 4 visible) has the same Z and enumerates v
    assert abs(exact_log_partition(W.T, b, a) - GOLDEN_LOG_Z) < 1e-10
    assert abs(brute_force_log_z(W, a, b) - GOLDEN_LOG_Z) < 1e-10


@pytest.mark.parametrize("shape", [(3, 9), (9, 3), (7, 7), (1, 5), (5, 1)])
@pytest.mark.parametrize("block_elements", [1 << 20, 8])
def test_exact_log_partition_matches_brute_force(shape, block_elements, monkeypatch):
    # a small block size forces the low/high-bit split over many blocks
    monkeypatch.setattr(rbe, "_BLOCK_ELEMENTS", block_elements)
    W, a, b = random_rbm(*shape, scale=1.5, seed=sum(shape))
    assert exact_log_partition(W, a, b) == pytest.approx(brute_force_log_z(W, a, b), abs=1e-10)


def test_exact_log_partition_large_weights_no_overflow():
    W, a, b = random_rbm(5, 8, scale=200.0, seed=3)
    expected = brute_force_log_z(W, a, b)
    assert np.isfinite(expected)
    assert exact_log_partition(W, a, b) == pytest.approx(expected, rel=1e-12)


def test_exact_log_partition_refuses_large_models():
    W = np.zeros((25, 30))
    with pytest.raises(ValueError, match=r"at most 24 units.*method=\"ais\""):
        exact_log_partition(W, np.zeros(30), np.zeros(25))
    with pytest.raises(ValueError, match=r"at most 24 hidden units.*method=\"ais\""):
        exact_log_partition(np.zeros((25, 2)), np.zeros(2), np.zeros(25), visible="gaussian")
    # 25 hidden units but only 3 visible: the visible layer is enumerated
    W, a, b = random_rbm(25, 3, seed=1)
    V = all_states(3)
    expected = logsumexp(V @ a + np.logaddexp(0, V @ W.T + b).sum(axis=1))
    assert exact_log_partition(W, a, b) == pytest.approx(expected, abs=1e-10)


def test_gaussian_log_partition_one_visible_by_quadrature():
    W, a, b = random_rbm(3, 1, scale=1.0, seed=11)
    H = all_states(3)

    def unnormalized(x):
        return math.exp(logsumexp(gaussian_neg_energy(np.array([x]), H, W, a, b)))

    z, err = integrate.quad(unnormalized, -40, 40, epsabs=0, epsrel=1e-12, limit=200)
    assert exact_log_partition(W, a, b, visible="gaussian") == pytest.approx(math.log(z), abs=1e-9)


def test_gaussian_log_partition_two_visible_by_grid_quadrature():
    # the integrand is smooth and decays like a Gaussian: the trapezoid rule on a
    # uniform grid converges faster than any power of the step
    W, a, b = random_rbm(2, 2, scale=0.8, seed=12)
    H = all_states(2)
    step = 0.05
    axis = np.arange(-12, 12 + step / 2, step)
    V = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    neg_energy = -0.5 * np.sum((V - a) ** 2, axis=1)[:, None] + (H @ b)[None, :] + V @ W.T @ H.T
    log_z = logsumexp(neg_energy) + 2 * math.log(step)
    assert exact_log_partition(W, a, b, visible="gaussian") == pytest.approx(log_z, abs=1e-10)


# ----------------------------------------------------------------------------- free energy
def test_bernoulli_free_energy_is_minus_log_sum_over_hidden():
    W, a, b = random_rbm(5, 7, seed=4)
    V = np.random.default_rng(0).random((6, 7))  # real-valued v is allowed
    H = all_states(5)
    expected = -logsumexp((V @ a)[:, None] + (H @ b)[None, :] + V @ W.T @ H.T, axis=1)
    np.testing.assert_allclose(free_energy(V, W, a, b), expected, rtol=1e-13, atol=1e-12)


def test_gaussian_free_energy_is_minus_log_sum_over_hidden():
    W, a, b = random_rbm(5, 7, seed=5)
    V = np.random.default_rng(1).normal(0, 2, (6, 7))
    H = all_states(5)
    expected = [-logsumexp(gaussian_neg_energy(v, H, W, a, b)) for v in V]
    np.testing.assert_allclose(free_energy(V, W, a, b, visible="gaussian"), expected, rtol=1e-13)


def test_free_energy_matches_sklearn_private_formula():
    from sklearn.neural_network import BernoulliRBM

    W, a, b = random_rbm(8, 12, seed=6)
    rbm = BernoulliRBM(n_components=8)
    rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_ = W, a, b
    X = (np.random.default_rng(2).random((30, 12)) < 0.4).astype(float)
    np.testing.assert_allclose(free_energy(X, W, a, b), rbm._free_energy(X), rtol=1e-14)


def test_free_energy_stable_for_huge_inputs():
    W, a, b = random_rbm(4, 5, seed=7)
    X = np.arange(5.0)[None, :] * 1e4
    f = free_energy(X, W, a, b)
    assert np.isfinite(f).all()
    pre = X @ W.T + b
    expected = -(X @ a) - np.sum(np.where(pre > 0, pre, 0.0), axis=1)  # softplus ~ relu here
    np.testing.assert_allclose(f, expected, rtol=1e-12)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_dense_and_csr_agree(visible, monkeypatch):
    monkeypatch.setattr(rbe, "_BLOCK_ELEMENTS", 64)  # several row blocks
    W, a, b = random_rbm(6, 10, seed=8)
    X = np.random.default_rng(3).random((40, 10))
    X[X < 0.6] = 0.0
    if visible == "bernoulli":
        X = (X > 0).astype(np.float64)
    X32 = X.astype(np.float32).astype(np.float64)
    for csr, dense in ((sp.csr_matrix(X), X), (sp.csr_array(X), X), (sp.csr_matrix(X.astype(np.float32)), X32)):
        np.testing.assert_allclose(free_energy(csr, W, a, b, visible=visible),
                                   free_energy(dense, W, a, b, visible=visible), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(base_rate_visible_bias(csr, visible=visible),
                                   base_rate_visible_bias(dense, visible=visible), rtol=1e-14)
    np.testing.assert_allclose(free_energy(X.astype(np.float32), W, a, b, visible=visible),
                               free_energy(X.astype(np.float32).astype(np.float64), W, a, b, visible=visible),
                               rtol=1e-14)
    assert free_energy(X, W, a, b, visible=visible).dtype == np.float64


# ----------------------------------------------------------------------------- likelihoods
@pytest.mark.parametrize("shape", [(5, 8), (9, 6)])
def test_bernoulli_likelihood_sums_to_one(shape):
    W, a, b = random_rbm(*shape, seed=9)
    V = all_states(shape[1])
    log_p = log_likelihood(V, W, a, b, exact_log_partition(W, a, b))
    assert abs(np.exp(log_p).sum() - 1.0) < 1e-10
    assert abs(logsumexp(log_p)) < 1e-10


def test_gaussian_likelihood_integrates_to_one():
    W, a, b = random_rbm(3, 1, seed=10)
    log_z = exact_log_partition(W, a, b, visible="gaussian")
    mass, _ = integrate.quad(
        lambda x: math.exp(log_likelihood([[x]], W, a, b, log_z, visible="gaussian")[0]), -40, 40,
        epsabs=0, epsrel=1e-12, limit=200)
    assert mass == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("make_sparse", [None, sp.csr_matrix, sp.csr_array])
def test_pseudo_likelihood_matches_sklearn_score_samples(make_sparse, monkeypatch):
    from sklearn.neural_network import BernoulliRBM

    monkeypatch.setattr(rbe, "_BLOCK_ELEMENTS", 256)  # several row blocks
    W, a, b = random_rbm(7, 11, scale=2.0, seed=13)
    X = (np.random.default_rng(4).random((50, 11)) < 0.3).astype(np.float64)
    rbm = BernoulliRBM(n_components=7, random_state=123)
    rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_ = W, a, b
    rbm.n_features_in_ = 11
    Xin = X if make_sparse is None else make_sparse(X)
    flips = np.random.RandomState(123).randint(0, 11, 50)  # the indices score_samples draws
    expected = rbm.score_samples(Xin)
    np.testing.assert_allclose(pseudo_likelihood(Xin, W, a, b, flips), expected, rtol=1e-12)
    # a different flip changes the value: the indices are really used
    assert not np.allclose(pseudo_likelihood(Xin, W, a, b, (flips + 1) % 11), expected)


def test_pseudo_likelihood_manual_flip():
    W, a, b = random_rbm(4, 6, seed=14)
    X = (np.random.default_rng(5).random((9, 6)) < 0.5).astype(np.float64)
    flips = np.arange(9) % 6
    Xf = X.copy()
    Xf[np.arange(9), flips] = 1 - Xf[np.arange(9), flips]
    gap = free_energy(Xf, W, a, b) - free_energy(X, W, a, b)
    np.testing.assert_allclose(pseudo_likelihood(X, W, a, b, flips), 6 * -np.log1p(np.exp(-gap)), rtol=1e-12)
    X_before = X.copy()
    pseudo_likelihood(X, W, a, b, flips)
    np.testing.assert_array_equal(X, X_before)


# ----------------------------------------------------------------------------- base rate
def test_base_rate_formula_single_and_multi_batch():
    X = np.array([[0, 1, 1, 0.5], [0, 0, 1, 0.5], [0, 0, 1, 1.0], [0, 1, 1, 0.0]])
    n = 4
    got = base_rate_visible_bias(X)
    counts = np.array([0.0, 2.0, 4.0 - 0.5, 2.0])  # the always-on column counts as N - 1/2
    p = (counts + 5) / (n + 5)
    np.testing.assert_allclose(got, np.log(p / (1 - p)), rtol=1e-14)
    assert got[0] == pytest.approx(math.log(5 / 4))  # never on: p = 5 / (N + 5)
    # base_rate.m with 2 batches of 2 cases: (count + 5*2) / (2*2 + 5*2) == pseudo_count=10
    p_multi = (np.array([0.0, 2.0, 2.0]) + 5 * 2) / (2 * 2 + 5 * 2)
    np.testing.assert_allclose(base_rate_visible_bias(X[:, [0, 1, 3]], pseudo_count=10),
                               np.log(p_multi / (1 - p_multi)), rtol=1e-14)


def test_base_rate_gaussian_is_mean():
    X = np.random.default_rng(6).normal(3, 2, (100, 5))
    np.testing.assert_allclose(base_rate_visible_bias(X, visible="gaussian"), X.mean(axis=0), rtol=1e-13)


def test_base_rate_from_sums_matches_data_version():
    X = (np.random.default_rng(7).random((300, 9)) < 0.2).astype(np.float64)
    X[:, 4] = 1.0
    for visible in ("bernoulli", "gaussian"):
        np.testing.assert_array_equal(rbe.base_rate_from_sums(X.sum(axis=0), 300, visible=visible),
                                      base_rate_visible_bias(X, visible=visible))
    with pytest.raises(ValueError, match="n_samples must be an int >= 1"):
        rbe.base_rate_from_sums(X.sum(axis=0), 0)
    with pytest.raises(ValueError, match="X needs at least one row"):
        base_rate_visible_bias(np.zeros((0, 3)))


# ----------------------------------------------------------------------------- AIS
def test_ais_schedule_default_is_salakhutdinov_murray():
    betas = ais_schedule()
    assert betas.shape == (14501,) and betas[0] == 0.0 and betas[-1] == 1.0
    steps = np.diff(betas)
    np.testing.assert_allclose(steps[:500], 1e-3, rtol=1e-9)
    np.testing.assert_allclose(steps[500:4500], 1e-4, rtol=1e-7)
    np.testing.assert_allclose(steps[4500:], 1e-5, rtol=1e-6)
    assert betas[500] == 0.5 and betas[4500] == 0.9
    for n in (4, 29, 1001, 3000):
        b = ais_schedule(n)
        assert b.shape == (n,) and b[0] == 0.0 and b[-1] == 1.0 and np.all(np.diff(b) > 0)
    with pytest.raises(ValueError, match="n_betas must be an int >= 4"):
        ais_schedule(3)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_ais_exact_without_weights(visible):
    # W = 0 and base = a: every importance weight is the same, so AIS is exact
    _, a, b = random_rbm(5, 8, seed=15)
    W = np.zeros((5, 8))
    log_z, (lo, hi) = ais_log_partition(W, a, b, base_visible_bias=a, n_runs=10, betas=50, seed=0,
                                        visible=visible)
    if visible == "bernoulli":
        expected = np.logaddexp(0, a).sum() + np.logaddexp(0, b).sum()
    else:
        expected = 4 * math.log(2 * math.pi) + np.logaddexp(0, b).sum()
    assert log_z == pytest.approx(expected, abs=1e-10)
    assert lo == pytest.approx(expected, abs=1e-10) and hi == pytest.approx(expected, abs=1e-10)
    assert exact_log_partition(W, a, b, visible=visible) == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("n_hidden", [16, 20])
def test_ais_matches_exact_on_digits_rbm(digits_binary, n_hidden):
    W, a, b = trained_rbm(digits_binary, n_hidden)
    exact = exact_log_partition(W, a, b)
    base = base_rate_visible_bias(digits_binary)
    log_z, (lo, hi) = ais_log_partition(W, a, b, base_visible_bias=base, seed=0)
    assert abs(log_z - exact) < 0.05
    assert lo < exact < hi
    assert 0 < hi - lo < 0.2
    # sanity of the model: mean log-likelihood of the training data in a plausible range
    assert -40 < np.mean(log_likelihood(digits_binary, W, a, b, exact)) < -10


def test_ais_matches_exact_on_random_model_short_schedule():
    W, a, b = random_rbm(20, 64, scale=0.15, seed=16)
    exact = exact_log_partition(W, a, b)
    log_z, (lo, hi) = ais_log_partition(W, a, b, betas=3001, seed=1)
    assert abs(log_z - exact) < 0.05
    assert lo < exact < hi


def test_ais_gaussian_matches_exact():
    W, a, b = random_rbm(12, 16, scale=0.2, seed=17)
    exact = exact_log_partition(W, a, b, visible="gaussian")
    for base in (a, None):  # None: N(0, I), far from N(a, I)
        log_z, (lo, hi) = ais_log_partition(W, a, b, base_visible_bias=base, betas=4001, seed=2,
                                            visible="gaussian")
        assert abs(log_z - exact) < 0.05
        assert lo < exact < hi


def test_ais_error_bars_are_three_standard_errors():
    w = np.array([1.0, 2.0, 3.0, 4.0])
    log_mean, lo, hi = rbe._log_mean_exp_with_bars(np.log(w) + 700.0)  # shifted: no overflow
    three_se = 3 * w.std(ddof=1) / 2
    assert log_mean == pytest.approx(700 + math.log(2.5), abs=1e-12)
    assert lo == pytest.approx(700 + math.log(2.5 - three_se), abs=1e-12)
    assert hi == pytest.approx(700 + math.log(2.5 + three_se), abs=1e-12)
    # 3 standard errors above the mean: no lower bound
    log_mean, lo, hi = rbe._log_mean_exp_with_bars(np.log([1.0, 1.0, 100.0]))
    assert lo == -math.inf and hi > log_mean


def test_ais_seeds_are_reproducible():
    W, a, b = random_rbm(6, 10, scale=0.5, seed=18)
    first = ais_log_partition(W, a, b, n_runs=20, betas=200, seed=7)
    assert ais_log_partition(W, a, b, n_runs=20, betas=200, seed=7) == first
    assert ais_log_partition(W, a, b, n_runs=20, betas=200, seed=8) != first
    # numpy Generators are used as is and advanced
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    r1 = ais_log_partition(W, a, b, n_runs=20, betas=200, seed=g1)
    assert ais_log_partition(W, a, b, n_runs=20, betas=200, seed=g2) == r1
    assert ais_log_partition(W, a, b, n_runs=20, betas=200, seed=g1) != r1
    # a fastinit Generator spends one call; the same state replays it
    g = fastinit.Generator(5)
    r_first = ais_log_partition(W, a, b, n_runs=20, betas=200, seed=g)
    assert g.calls == 1
    assert ais_log_partition(W, a, b, n_runs=20, betas=200, seed=fastinit.Generator(5)) == r_first
    assert ais_log_partition(W, a, b, n_runs=20, betas=200, seed=g) != r_first
    # an explicit schedule equal to the int one gives the same result
    assert ais_log_partition(W, a, b, n_runs=20, betas=ais_schedule(200), seed=7) == first


# ----------------------------------------------------------------------------- validation
def test_parameter_shape_errors():
    W, a, b = random_rbm(3, 4)
    X = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"visible_bias must have shape \(4,\)"):
        free_energy(X, W, np.zeros(3), b)
    with pytest.raises(ValueError, match=r"hidden_bias must have shape \(3,\)"):
        exact_log_partition(W, a, np.zeros(4))
    with pytest.raises(ValueError, match=r"W must be a 2-D array"):
        free_energy(X, W.ravel(), a, b)
    with pytest.raises(ValueError, match=r"X has 5 columns but the RBM has n_visible = 4"):
        free_energy(np.zeros((2, 5)), W, a, b)
    with pytest.raises(ValueError, match=r"X must be a 2-D array"):
        free_energy(np.zeros(4), W, a, b)
    with pytest.raises(ValueError, match=r"base_visible_bias must have shape \(4,\)"):
        ais_log_partition(W, a, b, base_visible_bias=np.zeros(3))
    with pytest.raises(ValueError, match="W contains NaN"):
        free_energy(X, np.full((3, 4), np.nan), a, b)
    with pytest.raises(ValueError, match="X contains NaN"):
        free_energy(np.full((2, 4), np.inf), W, a, b)
    with pytest.raises(TypeError, match=r"scipy.sparse CSR matrix, got CSC"):
        free_energy(sp.csc_matrix(X), W, a, b)


def test_option_errors():
    W, a, b = random_rbm(3, 4)
    X = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"visible must be one of \('bernoulli', 'gaussian'\)"):
        free_energy(X, W, a, b, visible="binary")
    with pytest.raises(ValueError, match=r"flip_index must have shape \(2,\)"):
        pseudo_likelihood(X, W, a, b, [0])
    with pytest.raises(ValueError, match=r"flip_index values must be in \[0, 4\)"):
        pseudo_likelihood(X, W, a, b, [0, 4])
    with pytest.raises(TypeError, match="flip_index must hold integers"):
        pseudo_likelihood(X, W, a, b, [0.0, 1.0])
    with pytest.raises(ValueError, match="log_z must be a finite real number"):
        log_likelihood(X, W, a, b, float("nan"))
    with pytest.raises(ValueError, match="n_runs must be an int >= 2"):
        ais_log_partition(W, a, b, n_runs=1)
    with pytest.raises(ValueError, match="betas must be non-decreasing from exactly 0.0 to exactly 1.0"):
        ais_log_partition(W, a, b, betas=[0.0, 0.7, 0.5, 1.0])
    with pytest.raises(ValueError, match="betas must be non-decreasing"):
        ais_log_partition(W, a, b, betas=[0.1, 1.0])
    with pytest.raises(TypeError, match="seed must be an int"):
        ais_log_partition(W, a, b, betas=10, seed="zero")
    with pytest.raises(ValueError, match="pseudo_count must be a real number > 0"):
        base_rate_visible_bias(X, pseudo_count=0)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_plain_importance_sampling_from_the_base_model(visible):
    # betas = [0, 1]: no annealing, v is drawn from p_A only; the weights must still
    # average to Z / Z_A, which checks the base sampler and log Z_A
    W, a, b = random_rbm(3, 4, scale=0.5, seed=19)
    base = a + 0.7
    exact = exact_log_partition(W, a, b, visible=visible)
    log_z, (lo, hi) = ais_log_partition(W, a, b, base_visible_bias=base, betas=[0.0, 1.0], n_runs=20000,
                                        seed=3, visible=visible)
    assert lo < exact < hi
    assert hi - lo < 0.25


def test_rbm_evaluation_runs_with_one_blas_thread(two_blas_threads, monkeypatch):
    """Issue 10, defect 10: AIS, free energy and pseudo-likelihood ran NumPy products on the default BLAS threads."""
    from fastinit import rbm_evaluation as ev

    seen = []
    softplus = ev._softplus

    def spy(x):
        seen.append(blas_threads())
        return softplus(x)

    monkeypatch.setattr(ev, "_softplus", spy)
    X = random_binary(60, 12)
    rbm = fastinit.BernoulliRBM(6, n_iter=2, random_state=0).fit(X)
    rbm.log_likelihood(X, method="ais", n_runs=4, betas=np.linspace(0, 1, 20))
    rbm.score_samples(X)
    rbm.free_energy(X)
    rbm.log_partition("exact")
    assert seen and all(s == [1] for s in seen)
    assert blas_threads() == [2]


# ----------------------------------------------------------------------------- the estimators' methods (RBMScoring)
@pytest.fixture(scope="module")
def digits():
    return load_digits().data / 16.0


def test_score_samples_is_sklearn_pseudo_likelihood(digits):
    rbm = BernoulliRBM(20, n_iter=2, random_state=0).fit(digits)
    scores = rbm.score_samples(digits)
    idx = rbm._flip_indices(digits)
    assert idx.min() >= 0 and idx.max() < 64
    # n_features * log sigmoid(F(v~) - F(v)) with v~ = v with bit idx flipped to 1 - v
    flipped = digits.copy()
    rows = np.arange(len(digits))
    flipped[rows, idx] = 1 - flipped[rows, idx]
    gap = rbe.free_energy(flipped, rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_) - \
        rbe.free_energy(digits, rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_)
    np.testing.assert_allclose(scores, 64 * -np.logaddexp(0, -gap), rtol=1e-9)
    # the flipped bits are spread uniformly over the features
    counts = np.bincount(idx, minlength=64)
    assert stats.chisquare(counts).pvalue > 1e-4


def test_score_samples_does_not_depend_on_order_or_batch(digits):
    rbm = BernoulliRBM(20, n_iter=1, random_state=0).fit(digits)
    scores = rbm.score_samples(digits)
    perm = np.random.default_rng(0).permutation(len(digits))
    np.testing.assert_allclose(rbm.score_samples(digits[perm]), scores[perm], rtol=1e-12)
    np.testing.assert_allclose(rbm.score_samples(digits[100:110]), scores[100:110], rtol=1e-12)
    np.testing.assert_allclose(rbm.score_samples(sp.csr_matrix(digits)), scores, rtol=1e-12)
    # the same rows in float32 flip the same bits
    np.testing.assert_array_equal(rbm._flip_indices((digits * 16).astype(np.float32) / 16), rbm._flip_indices(digits))
    # another random_state flips other bits
    other = clone(rbm).set_params(random_state=1).fit(digits)
    assert np.mean(other._flip_indices(digits) == rbm._flip_indices(digits)) < 0.2


def test_score_samples_no_clipping_and_no_overflow():
    # scikit-learn's test_score_samples: a model of all-zero / all-one rows
    X = np.vstack([np.zeros(1000), np.ones(1000)])
    rbm = BernoulliRBM(10, batch_size=2, n_iter=10, random_state=42).fit(X)
    assert (rbm.score_samples(X) < -300).all()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        rbm.score_samples(np.arange(1000)[None, :] * 100.0)


def test_free_energy_and_exact_log_likelihood_methods(digits):
    X = (digits > 0.5).astype(np.float64)
    rbm = BernoulliRBM(8, n_iter=3, random_state=0).fit(X)
    W, a, b = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    expected_f = -X @ a - np.logaddexp(0, X @ W.T + b).sum(axis=1)
    np.testing.assert_allclose(rbm.free_energy(X), expected_f, rtol=1e-10)
    np.testing.assert_allclose(rbm.free_energy(sp.csr_matrix(X)), expected_f, rtol=1e-10)
    # brute force over the 2^8 hidden states
    states = ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(float)
    log_z = np.logaddexp.reduce(states @ b + np.logaddexp(0, states @ W + a).sum(axis=1))
    assert rbm.log_partition("exact") == pytest.approx(log_z, rel=1e-12)
    np.testing.assert_allclose(rbm.log_likelihood(X), -expected_f - log_z, rtol=1e-10)
    # probabilities of all 2^n_visible states cannot exceed 1
    assert np.logaddexp.reduce(np.unique(rbm.log_likelihood(X))) < 0
    with pytest.raises(ValueError, match="method"):
        rbm.log_partition("bogus")


def test_ais_log_partition_method_uses_data_base_rate(digits):
    X = (digits > 0.5).astype(np.float64)
    rbm = BernoulliRBM(10, n_iter=5, random_state=0).fit(X)
    exact = rbm.log_partition("exact")
    log_z, (lo, hi) = rbm.log_partition("ais", n_runs=50, betas=2000)
    assert lo <= log_z <= hi
    assert abs(log_z - exact) < 0.5
    # the default base model is the base rate of the training data
    np.testing.assert_allclose(rbm.visible_marginals_, X.mean(axis=0))
    np.testing.assert_allclose(rbm._base_rate(), rbe.base_rate_visible_bias(X), rtol=1e-12)
    ll = rbm.log_likelihood(X[:20], method="ais", n_runs=50, betas=2000)
    np.testing.assert_allclose(ll, -rbm.free_energy(X[:20]) - log_z, rtol=1e-12)
