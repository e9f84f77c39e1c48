"""Benchmarks for fastinit.rbm_evaluation (run: pytest bench/ --benchmark-only).

Each group puts fastinit next to scikit-learn's own computation of the same
quantity (ratios measured in the same run). AIS and exact log Z have no
scikit-learn counterpart: their groups give absolute times for digits-sized
models (64 visible units, 100 runs, 14,501 betas).
"""
import numpy as np
import pytest

from fastinit.rbm_evaluation import ais_log_partition, exact_log_partition, free_energy, pseudo_likelihood

N_SAMPLES, N_VISIBLE = 1797, 64  # load_digits


@pytest.fixture(scope="module")
def model():
    from sklearn.neural_network import BernoulliRBM

    rng = np.random.default_rng(0)
    X = (rng.random((N_SAMPLES, N_VISIBLE)) < 0.3).astype(np.float64)
    rbm = BernoulliRBM(n_components=256, random_state=0)
    rbm.components_ = rng.normal(0, 0.1, (256, N_VISIBLE))
    rbm.intercept_visible_ = rng.normal(0, 1, N_VISIBLE)
    rbm.intercept_hidden_ = rng.normal(0, 1, 256)
    rbm.n_features_in_ = N_VISIBLE
    return X, rbm


@pytest.mark.benchmark(group="free_energy 1797x64, 256 hidden")
def test_free_energy_fastinit(benchmark, model):
    X, rbm = model
    benchmark(free_energy, X, rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_)


@pytest.mark.benchmark(group="free_energy 1797x64, 256 hidden")
def test_free_energy_sklearn(benchmark, model):
    X, rbm = model
    benchmark(rbm._free_energy, X)


@pytest.mark.benchmark(group="pseudo-likelihood 1797x64, 256 hidden")
def test_pseudo_likelihood_fastinit(benchmark, model):
    X, rbm = model
    flips = np.random.RandomState(0).randint(0, N_VISIBLE, N_SAMPLES)
    benchmark(pseudo_likelihood, X, rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_, flips)


@pytest.mark.benchmark(group="pseudo-likelihood 1797x64, 256 hidden")
def test_pseudo_likelihood_sklearn(benchmark, model):
    X, rbm = model
    benchmark(rbm.score_samples, X)


@pytest.mark.parametrize("n_hidden", [20, 64])
@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
@pytest.mark.benchmark(group="AIS 64 visible, 100 runs, 14501 betas")
def test_ais(benchmark, n_hidden, visible):
    rng = np.random.default_rng(1)
    W, a, b = rng.normal(0, 0.1, (n_hidden, N_VISIBLE)), rng.normal(0, 1, N_VISIBLE), rng.normal(0, 1, n_hidden)
    benchmark.pedantic(ais_log_partition, args=(W, a, b), kwargs={"seed": 0, "visible": visible},
                       rounds=3, iterations=1)


@pytest.mark.parametrize("n_hidden", [16, 20])
@pytest.mark.benchmark(group="exact log Z, 64 visible")
def test_exact_log_partition(benchmark, n_hidden):
    rng = np.random.default_rng(2)
    W, a, b = rng.normal(0, 0.1, (n_hidden, N_VISIBLE)), rng.normal(0, 1, N_VISIBLE), rng.normal(0, 1, n_hidden)
    benchmark.pedantic(exact_log_partition, args=(W, a, b), rounds=3, iterations=1)
