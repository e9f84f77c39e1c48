"""fastinit.BernoulliRBM / GaussianBernoulliRBM (fastinit/rbm.py): scikit-learn parity and conventions
(its common checks too), input validation, gibbs, Ctrl-C between epochs, quality on digits.

The trainer (exactness against the oracle, reproducibility, the binding): test_rbm_trainer.py; the
scoring methods (score_samples, free_energy, log_partition, log_likelihood): test_rbm_evaluation.py."""
import os
import pickle
import re
import signal
import threading

import numpy as np
import pytest
import scipy.sparse as sp
from rbm_oracle import small_binary
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import BernoulliRBM as SkBernoulliRBM
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn_checks import BERNOULLI_EXPECTED_FAILURES

import fastinit
from fastinit import BernoulliRBM, GaussianBernoulliRBM
from fastinit import rbm_evaluation as rbe


@pytest.fixture(scope="module")
def digits():
    return load_digits().data / 16.0


# ---------------------------------------------------------------------------
# scikit-learn parity: parameters, attributes, dtypes, formulas.


def test_shared_parameters_match_scikit_learn():
    ours, theirs = BernoulliRBM().get_params(), SkBernoulliRBM().get_params()
    for name, value in theirs.items():
        assert ours[name] == value, name
    assert GaussianBernoulliRBM().learning_rate == 0.01
    assert set(ours) - set(theirs) == {"k", "persistent", "momentum", "weight_decay", "sparsity_target",
                                       "sparsity_cost", "n_jobs", "dtype"}


@pytest.mark.parametrize("Estimator", [BernoulliRBM, GaussianBernoulliRBM])
def test_fitted_attributes_and_dtypes(digits, Estimator):
    X = digits[:200]
    for in_dtype, model_dtype in [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float32)]:
        Xi = (X > 0.5).astype(in_dtype) if in_dtype == np.int64 else X.astype(in_dtype)
        rbm = Estimator(8, n_iter=1, random_state=0).fit(Xi)
        assert rbm.components_.shape == (8, 64) and rbm.components_.dtype == model_dtype
        assert rbm.intercept_hidden_.shape == (8,) and rbm.intercept_hidden_.dtype == model_dtype
        assert rbm.intercept_visible_.shape == (64,) and rbm.intercept_visible_.dtype == model_dtype
        assert rbm.h_samples_.shape == (10, 8)
        assert rbm.n_features_in_ == 64 and rbm.n_iter_ == 1
        out = rbm.transform(Xi)
        assert out.dtype == model_dtype and out.shape == (200, 8)
    forced = Estimator(8, n_iter=1, random_state=0, dtype="float64").fit(X.astype(np.float32))
    assert forced.components_.dtype == np.float64
    assert forced.transform(X.astype(np.float32)).dtype == np.float64
    pf = Estimator(8, random_state=0).partial_fit(X.astype(np.float32))
    assert pf.components_.dtype == np.float32  # scikit-learn would upcast to float64


def test_big_endian_input_keeps_its_width(digits):
    X = digits[:50]
    ref = BernoulliRBM(4, n_iter=1, random_state=0).fit(X)
    big = BernoulliRBM(4, n_iter=1, random_state=0).fit(X.astype(">f8"))
    assert big.components_.dtype == np.float64
    np.testing.assert_array_equal(big.components_, ref.components_)
    np.testing.assert_array_equal(big.transform(X.astype(">f8")), ref.transform(X))


def test_transform_formula_dense_and_sparse(digits):
    rbm = BernoulliRBM(12, n_iter=2, random_state=0).fit(digits)
    expected = 1.0 / (1.0 + np.exp(-(digits @ rbm.components_.T + rbm.intercept_hidden_)))
    np.testing.assert_allclose(rbm.transform(digits), expected, rtol=1e-12)
    np.testing.assert_allclose(rbm.transform(sp.csr_matrix(digits)), expected, rtol=1e-12)
    # scikit-learn's transform on our parameters gives the same numbers
    sk = SkBernoulliRBM(12)
    sk.components_, sk.intercept_hidden_ = rbm.components_, rbm.intercept_hidden_
    sk.intercept_visible_, sk.n_features_in_ = rbm.intercept_visible_, 64
    np.testing.assert_allclose(sk.transform(digits), rbm.transform(digits), rtol=1e-12)


def test_gaussian_score_samples_is_unnormalized_log_density(digits):
    X = (digits - digits.mean(0)) / (digits.std(0) + 1e-3)
    rbm = GaussianBernoulliRBM(6, n_iter=2, random_state=0).fit(X)
    W, a, b = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    expected = -(0.5 * ((X - a) ** 2).sum(axis=1) - np.logaddexp(0, X @ W.T + b).sum(axis=1))
    np.testing.assert_allclose(rbm.score_samples(X), expected, rtol=1e-10)
    log_z = rbm.log_partition("exact")
    np.testing.assert_allclose(rbm.log_likelihood(X), expected - log_z, rtol=1e-10)


def test_feature_names_out():
    X = small_binary(d=4)
    rbm = BernoulliRBM(3, n_iter=1, random_state=0).fit(X)
    np.testing.assert_array_equal(rbm.get_feature_names_out(), ["bernoullirbm0", "bernoullirbm1", "bernoullirbm2"])
    g = GaussianBernoulliRBM(2, random_state=0).partial_fit(X)
    np.testing.assert_array_equal(g.get_feature_names_out(), ["gaussianbernoullirbm0", "gaussianbernoullirbm1"])
    assert not hasattr(rbm, "feature_names_in_")


def test_feature_names_in():
    pd = pytest.importorskip("pandas")
    names = ["a", "b", "c", "d"]
    X = pd.DataFrame(small_binary(d=4), columns=names)
    rbm = BernoulliRBM(3, n_iter=1, random_state=0).fit(X)
    np.testing.assert_array_equal(rbm.feature_names_in_, names)
    with pytest.raises(ValueError, match="feature names"):
        rbm.transform(X.rename(columns={"c": "x"}))


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


# ---------------------------------------------------------------------------
# Input validation.


@pytest.mark.parametrize("Estimator", [BernoulliRBM, GaussianBernoulliRBM])
def test_bad_input_raises(Estimator):
    X = small_binary()
    for bad, pattern in [
        (np.where(X > 0.5, np.nan, X), "NaN"),
        (np.where(X > 0.5, np.inf, X), "infinity"),
        (np.zeros((0, 17)), "0 sample"),
        (np.zeros((5, 0)), "0 feature"),
        (np.ones(17), "Expected 2D array"),
        (np.array([["a", "b"]]), "could not convert|numeric"),
    ]:
        with pytest.raises(ValueError, match=pattern):
            Estimator(3).fit(bad)
    rbm = Estimator(3, n_iter=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="17 features"):
        rbm.transform(X[:, :5])
    with pytest.raises(ValueError, match="17 features"):
        rbm.partial_fit(X[:, :5])
    with pytest.raises(ValueError, match="NaN"):
        rbm.transform(np.full((2, 17), np.nan))


def test_bernoulli_rejects_values_outside_unit_interval():
    X = small_binary()
    for bad in (X * 2, X - 0.5, sp.csr_matrix(X * 3)):
        with pytest.raises(ValueError, match=re.escape("[0, 1]")):
            BernoulliRBM(3).fit(bad)
        with pytest.raises(ValueError, match=re.escape("[0, 1]")):
            BernoulliRBM(3).partial_fit(bad)
    GaussianBernoulliRBM(3, n_iter=1).fit(X * 2 - 5)  # real values are fine there


@pytest.mark.parametrize("param, value, pattern", [
    ("n_components", 0, "n_components"),
    ("learning_rate", 0.0, "learning_rate"),
    ("learning_rate", -1.0, "learning_rate"),
    ("batch_size", 0, "batch_size"),
    ("n_iter", -1, "n_iter"),
    ("k", 0, "'k'"),
    ("momentum", 1.0, "momentum"),
    ("weight_decay", -0.1, "weight_decay"),
    ("sparsity_target", 1.5, "sparsity_target"),
    ("sparsity_cost", -1.0, "sparsity_cost"),
    ("dtype", "int8", "dtype"),
    pytest.param("n_jobs", 1.5, "n_jobs", marks=pytest.mark.threads),
    pytest.param("n_jobs", 0, "n_jobs", marks=pytest.mark.threads),
    ("persistent", "yes", "persistent"),
    ("random_state", "seed", "random_state"),
])
def test_invalid_parameters_raise_at_fit(param, value, pattern):
    rbm = BernoulliRBM(**{"n_components": 3, param: value})  # stored untouched
    assert rbm.get_params()[param] == value
    with pytest.raises(ValueError, match=pattern):
        rbm.fit(small_binary())


def test_malformed_csr_raises_instead_of_crashing():
    Xs = sp.csr_matrix(small_binary())
    Xs.indices = Xs.indices.copy()
    Xs.indices[3] = 10_000
    with pytest.raises((ValueError, IndexError), match="index|indices|column"):
        BernoulliRBM(3, n_iter=1).fit(Xs)


def test_not_fitted():
    from sklearn.exceptions import NotFittedError

    for method in ("transform", "score_samples", "gibbs", "free_energy"):
        with pytest.raises(NotFittedError):
            getattr(BernoulliRBM(), method)(small_binary())


# ---------------------------------------------------------------------------
# gibbs.


def test_gibbs(digits):
    rbm = BernoulliRBM(42, batch_size=40, n_iter=5, random_state=42).fit(digits)
    v1 = rbm.gibbs(digits[:50])
    v2 = rbm.gibbs(digits[:50])
    assert v1.dtype == bool and v1.shape == (50, 64)
    assert (v1 != v2).any(axis=1).all()  # successive calls differ in every row
    again = BernoulliRBM(42, batch_size=40, n_iter=5, random_state=42).fit(digits)
    np.testing.assert_array_equal(again.gibbs(digits[:50]), v1)
    g = GaussianBernoulliRBM(5, n_iter=1, random_state=0).fit(digits - 0.5)
    out = g.gibbs(digits[:20] - 0.5)
    assert out.dtype == np.float64 and np.isfinite(out).all()
    # v | h ~ N(a + W^T h, I): the noise is standard normal
    h = g.transform(digits[:20] - 0.5)
    assert abs(np.std(out - (h @ g.components_ + g.intercept_visible_))) > 0.5


# ---------------------------------------------------------------------------
# scikit-learn machinery: pipeline, clone, grid search, pickling, check_estimator.


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_gridsearch_and_stacking(digits):
    y = load_digits().target
    pipe = Pipeline([("rbm", BernoulliRBM(64, n_iter=3, random_state=0)),
                     ("clf", LogisticRegression(max_iter=100))])
    search = GridSearchCV(pipe, {"rbm__learning_rate": [0.05, 0.1]}, cv=2).fit(digits, y)
    assert search.best_score_ > 0.6  # RBM features are informative (chance: 0.1)
    assert clone(pipe).named_steps["rbm"].get_params() == pipe.named_steps["rbm"].get_params()
    # a 2-layer DBN: the first layer's probabilities are the second layer's data
    dbn = Pipeline([("rbm1", BernoulliRBM(32, n_iter=2, random_state=0)),
                    ("rbm2", GaussianBernoulliRBM(8, n_iter=2, random_state=1))]).fit(digits)
    codes = dbn.transform(digits)
    assert codes.shape == (len(digits), 8) and dbn.named_steps["rbm2"].n_features_in_ == 32
    np.testing.assert_allclose(codes, dbn.named_steps["rbm2"].transform(dbn.named_steps["rbm1"].transform(digits)))


def test_pickle_round_trip_continues_identically(digits):
    rbm = BernoulliRBM(10, n_iter=2, random_state=0, momentum=0.5).fit(digits)
    copy = pickle.loads(pickle.dumps(rbm))
    np.testing.assert_array_equal(copy.transform(digits), rbm.transform(digits))
    rbm.partial_fit(digits[:30])
    copy.partial_fit(digits[:30])
    np.testing.assert_array_equal(copy.components_, rbm.components_)
    np.testing.assert_array_equal(copy.gibbs(digits[:5]), rbm.gibbs(digits[:5]))


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
# Ctrl-C.


@pytest.mark.native_only
def test_keyboard_interrupt_leaves_a_usable_model():
    X = (np.random.default_rng(0).random((4000, 400)) < 0.2).astype(np.float32)
    rbm = BernoulliRBM(300, batch_size=10, n_iter=1000, random_state=0)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            rbm.fit(X)
    finally:
        timer.cancel()
    assert rbm.n_iter_ < 1000
    out = rbm.transform(X[:5])
    assert np.isfinite(out).all() and out.shape == (5, 300)
    rbm.partial_fit(X[:10])  # still trainable
    assert np.isfinite(rbm.components_).all()


# ---------------------------------------------------------------------------
# The Gibbs-step bound and the input tags.


def test_gibbs_steps_are_bounded():
    with pytest.raises(ValueError, match="'k' parameter"):
        BernoulliRBM(3, k=2**20 + 1).fit(small_binary())


def test_bernoulli_rbm_declares_positive_only_input():
    """Issue 10, defect 13: BernoulliRBM's tags now declare input_tags.positive_only; the sklearn check passes."""
    from sklearn.utils import get_tags
    from sklearn.utils.estimator_checks import check_positive_only_tag_during_fit

    assert get_tags(fastinit.BernoulliRBM()).input_tags.positive_only
    assert not get_tags(fastinit.GaussianBernoulliRBM()).input_tags.positive_only
    check_positive_only_tag_during_fit("BernoulliRBM", fastinit.BernoulliRBM(4, n_iter=1, random_state=0))
    check_positive_only_tag_during_fit("GaussianBernoulliRBM",
                                       fastinit.GaussianBernoulliRBM(4, n_iter=1, random_state=0))


# ---------------------------------------------------------------------------
# Quality on digits (scikit-learn's reference settings).


def test_digits_pseudo_likelihood_at_least_sklearn(digits):
    ours = BernoulliRBM(100, n_iter=20, random_state=0).fit(digits)
    theirs = SkBernoulliRBM(100, n_iter=20, random_state=0).fit(digits)
    flip = ours._flip_indices(digits)  # score both models on the same flipped bits
    pl_ours = rbe.pseudo_likelihood(digits, ours.components_, ours.intercept_visible_, ours.intercept_hidden_,
                                    flip).mean()
    pl_theirs = rbe.pseudo_likelihood(digits, theirs.components_, theirs.intercept_visible_,
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
        log_z = rbe.exact_log_partition(m.components_, m.intercept_visible_, m.intercept_hidden_)
        sk.append((-rbe.free_energy(X, m.components_, m.intercept_visible_, m.intercept_hidden_) - log_z).mean())
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
