"""fastinit.BernoulliRBM / GaussianBernoulliRBM: trainer exactness, reproducibility,
scikit-learn parity and conventions, input validation, quality on digits."""
import os
import pickle
import re
import signal
import threading

import numpy as np
import pytest
import scipy.sparse as sp
from rbm_oracle import OracleRBM, random_binary, small_binary
from scipy import stats
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import BernoulliRBM as SkBernoulliRBM
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn_checks import BERNOULLI_EXPECTED_FAILURES

import fastinit
import fastinit._rbm_trainer
from fastinit import BernoulliRBM, GaussianBernoulliRBM, _core
from fastinit import rbm_evaluation as rbe
from fastinit._sampling import NORMAL, fill_


@pytest.fixture(scope="module")
def digits():
    return load_digits().data / 16.0


# ---------------------------------------------------------------------------
# The C++ trainer computes exactly the documented update (NumPy oracle with the
# same Philox counters), through its dense (BLAS) products and through its
# sparse kernel (binary rows skip their zeros; real-valued rows too) and
# dot-product kernel (the chain's v given h at small batch sizes).

# (_MAX_SPARSE_DENSITY, _MAX_DIRECT_ROWS): BLAS for every product, or
# fastinit's own kernels wherever the trainer has one.
_TRAINER_PATHS = {"dense": (-1.0, 0), "sparse": (1.0, 1 << 20)}


@pytest.fixture(params=["dense", "sparse"])
def trainer_path(request, monkeypatch):
    """Forces the trainer's BLAS products or its own kernels for every batch."""
    density, direct_rows = _TRAINER_PATHS[request.param]
    monkeypatch.setattr(fastinit._rbm_trainer, "_MAX_SPARSE_DENSITY", density)
    monkeypatch.setattr(fastinit._rbm_trainer, "_MAX_DIRECT_ROWS", direct_rows)
    return request.param


ORACLE_CONFIGS = [
    {},
    {"k": 3},
    {"persistent": False},
    {"persistent": False, "k": 2},
    {"momentum": 0.5, "weight_decay": 0.01},
    {"weight_decay": 0.02},
    {"sparsity_target": 0.1, "sparsity_cost": 0.5},
    {"momentum": 0.9, "k": 2, "sparsity_target": 0.05, "sparsity_cost": 0.1, "persistent": False},
]


@pytest.mark.parametrize("config", ORACLE_CONFIGS,
                         ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_bernoulli_fit_matches_oracle(config, trainer_path):
    X = small_binary()  # 23 rows, batch 5: the last batch has 3 rows
    rbm = BernoulliRBM(6, batch_size=5, n_iter=2, random_state=7, **config).fit(X)
    oracle = OracleRBM(6, 17, 5, 7, **config)
    for _ in range(2):
        oracle.epoch(X, 5)
    np.testing.assert_allclose(rbm.components_, oracle.W, rtol=0, atol=1e-13)
    np.testing.assert_allclose(rbm.intercept_hidden_, oracle.b, rtol=0, atol=1e-13)
    np.testing.assert_allclose(rbm.intercept_visible_, oracle.a, rtol=0, atol=1e-13)
    if rbm.persistent:
        np.testing.assert_array_equal(rbm.h_samples_, oracle.chain)
    assert rbm.n_iter_ == 2


@pytest.mark.parametrize("config", [{}, {"k": 2, "momentum": 0.5}, {"persistent": False}])
def test_gaussian_fit_matches_oracle(config, trainer_path):
    X = np.random.default_rng(3).standard_normal((23, 17))
    rbm = GaussianBernoulliRBM(6, batch_size=5, n_iter=2, random_state=11, **config).fit(X)
    oracle = OracleRBM(6, 17, 5, 11, gaussian=True, learning_rate=0.01, **config)
    for _ in range(2):
        oracle.epoch(X, 5)
    np.testing.assert_allclose(rbm.components_, oracle.W, rtol=0, atol=1e-12)
    np.testing.assert_allclose(rbm.intercept_visible_, oracle.a, rtol=0, atol=1e-12)
    np.testing.assert_allclose(rbm.intercept_hidden_, oracle.b, rtol=0, atol=1e-12)


def test_float32_fit_matches_oracle(trainer_path):
    X = small_binary().astype(np.float32)
    rbm = BernoulliRBM(6, batch_size=5, n_iter=2, random_state=7).fit(X)
    assert rbm.components_.dtype == np.float32
    oracle = OracleRBM(6, 17, 5, 7, dtype=np.float32)
    for _ in range(2):
        oracle.epoch(X, 5)
    np.testing.assert_allclose(rbm.components_, oracle.W, rtol=0, atol=2e-6)
    np.testing.assert_array_equal(rbm.h_samples_, oracle.chain)


def test_partial_fit_is_one_minibatch_update(trainer_path):
    X = small_binary(n=12)
    rbm = BernoulliRBM(5, batch_size=4, random_state=2)
    oracle = OracleRBM(5, 17, 4, 2)
    for rows in (X[:12], X[3:5], X[:7]):  # any number of rows: one update each
        rbm.partial_fit(rows)
        oracle.update(rows)
    np.testing.assert_allclose(rbm.components_, oracle.W, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(rbm.h_samples_, oracle.chain)
    assert rbm.h_samples_.shape == (4, 5)  # the chain keeps batch_size rows, as scikit-learn
    assert rbm.n_samples_seen_ == 21
    np.testing.assert_allclose(rbm.visible_marginals_, np.vstack([X[:12], X[3:5], X[:7]]).mean(0))


# ---------------------------------------------------------------------------
# Reproducibility: seed, threads, ISA, memory format.


def _fit_bits(X, **kw):
    params = dict(n_components=40, batch_size=50, n_iter=2, random_state=123)
    params.update(kw)
    rbm = BernoulliRBM(**params).fit(X)
    return rbm.components_.copy(), rbm.intercept_hidden_.copy(), rbm.intercept_visible_.copy(), rbm.h_samples_.copy()


@pytest.fixture(scope="module")
def medium_binary():
    # 50 x 400 per visible phase: large enough for the elementwise phases to use the pool
    return (np.random.default_rng(5).random((300, 400)) < 0.2).astype(np.float32)


@pytest.mark.parametrize("n_jobs", [1, 2, 3, -1])
@pytest.mark.threads
def test_same_model_for_any_n_jobs(medium_binary, n_jobs, trainer_path):
    ref = _fit_bits(medium_binary, n_jobs=None)
    for a, b in zip(ref, _fit_bits(medium_binary, n_jobs=n_jobs)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.threads
def test_same_model_with_fastinit_threads(medium_binary, trainer_path):
    ref = _fit_bits(medium_binary)
    old = fastinit.get_num_threads()
    try:
        fastinit.set_num_threads(1)
        one = _fit_bits(medium_binary)
    finally:
        fastinit.set_num_threads(old)
    for a, b in zip(ref, one):
        np.testing.assert_array_equal(a, b)


def _fit_gaussian_bits(dtype):
    # Gaussian visible units: v- is the chain's pre-activation plus noise, so
    # every bit of the v-given-h product reaches the model. Odd sizes leave
    # remainders in every blocking of the products (7 chain rows, 37 visible
    # units, 13 hidden units).
    X = np.random.default_rng(3).standard_normal((61, 37)).astype(dtype)
    rbm = GaussianBernoulliRBM(n_components=13, batch_size=7, n_iter=2, random_state=5).fit(X)
    return rbm.components_.copy(), rbm.intercept_hidden_.copy(), rbm.intercept_visible_.copy(), rbm.h_samples_.copy()


@pytest.mark.skipif(len(_core.available_isas()) < 2, reason="needs an AVX2 CPU to compare paths")
@pytest.mark.parametrize("model", ["bernoulli", "gaussian_f32", "gaussian_f64"])
def test_every_kernel_isa_trains_the_same_model(medium_binary, trainer_path, model):
    current = _core.isa()
    fits = {}
    try:
        for isa in _core.available_isas():
            _core.select_isa(isa)
            if model == "bernoulli":
                fits[isa] = _fit_bits(medium_binary)
            else:
                fits[isa] = _fit_gaussian_bits(np.float32 if model == "gaussian_f32" else np.float64)
    finally:
        _core.select_isa(current)
    for isa, bits in fits.items():
        for a, b in zip(fits["generic"], bits):
            np.testing.assert_array_equal(a, b, err_msg=isa)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_sparse_input_gives_the_same_model(medium_binary, dtype, index_dtype, trainer_path):
    X = medium_binary.astype(dtype)
    Xs = sp.csr_matrix(X)
    Xs.indices = Xs.indices.astype(index_dtype)
    Xs.indptr = Xs.indptr.astype(index_dtype)
    for a, b in zip(_fit_bits(X), _fit_bits(Xs)):
        np.testing.assert_array_equal(a, b)
    # Fortran-ordered and CSC input too
    for a, b in zip(_fit_bits(X), _fit_bits(np.asfortranarray(X))):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_fit_bits(X), _fit_bits(sp.csc_matrix(X))):
        np.testing.assert_array_equal(a, b)


def test_seed_controls_the_model():
    X = small_binary()
    a = BernoulliRBM(6, n_iter=3, random_state=1).fit(X).components_
    b = BernoulliRBM(6, n_iter=3, random_state=1).fit(X).components_
    c = BernoulliRBM(6, n_iter=3, random_state=2).fit(X).components_
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    rs = np.random.RandomState(0)
    d = BernoulliRBM(6, n_iter=3, random_state=rs).fit(X).components_
    e = BernoulliRBM(6, n_iter=3, random_state=np.random.RandomState(0)).fit(X).components_
    np.testing.assert_array_equal(d, e)


def test_initial_state_follows_scikit_learn():
    X = small_binary(d=300)
    rbm = BernoulliRBM(50, batch_size=7, n_iter=0, random_state=9).fit(X)
    expected = fill_(np.empty((50, 300)), NORMAL, (0.0, 0.01), seed=9)  # call 0 of Generator(9)
    np.testing.assert_array_equal(rbm.components_, expected)
    assert stats.kstest(rbm.components_.ravel() / 0.01, "norm").pvalue > 1e-4
    np.testing.assert_array_equal(rbm.intercept_hidden_, np.zeros(50))
    np.testing.assert_array_equal(rbm.intercept_visible_, np.zeros(300))
    np.testing.assert_array_equal(rbm.h_samples_, np.zeros((7, 50)))
    assert rbm.n_iter_ == 0


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
# The binding's last line of defence: a wrong BLAS capsule is refused before
# anything is called (the Python layer always passes the right one).

def _raw_model(dtype, nh=40, nv=50):
    return dict(weights=np.full((nh, nv), 0.5, dtype), hidden_bias=np.zeros(nh, dtype),
                visible_bias=np.zeros(nv, dtype), chain=np.zeros((3, nh), dtype), weights_velocity=None,
                hidden_bias_velocity=None, visible_bias_velocity=None, hidden_activity=None)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_trainer_writes_the_weights_back_before_python_sees_them(momentum):
    # The trainer works on a transposed copy of the weights (and velocity):
    # the caller's arrays must hold the trained values whenever Python runs.
    from fastinit._blas import blas_gemm as _blas_gemm

    f8 = np.float64
    model = _raw_model(f8)
    if momentum:
        model.update(weights_velocity=np.zeros((40, 50)), hidden_bias_velocity=np.zeros(40),
                     visible_bias_velocity=np.zeros(50))
    X = small_binary(n=30, d=50)
    seen = []
    _core.rbm_train(model, X, None, None, 3, 0, np.zeros(1, np.int64), _blas_gemm(np.dtype(f8)), 0, 0.1, momentum,
                    0.0, None, 0.0, 0.9, 1, True, 0, 1, 2,
                    lambda done, total: seen.append((done, model["weights"].copy())), 0.3, 32)
    assert seen[-1][0] == 10
    np.testing.assert_array_equal(seen[-1][1], model["weights"])
    assert not np.array_equal(model["weights"], np.full((40, 50), 0.5))
    if momentum:  # W - W0 = the sum of the velocities; the last one is written back too
        assert np.abs(model["weights_velocity"]).max() > 0


@pytest.mark.parametrize("dtype, capsule, expected", [
    (np.float64, "sgemm", "dgemm"),
    (np.float32, "dgemm", "sgemm"),
    (np.float32, "saxpy", "sgemm"),
])
def test_rbm_train_binding_refuses_a_wrong_gemm_capsule(dtype, capsule, expected):
    from scipy.linalg import cython_blas

    from fastinit import _core

    model = _raw_model(dtype)
    before = model["weights"].copy()
    with pytest.raises(TypeError, match=f"gemm must be scipy.linalg.cython_blas's {expected} capsule"):
        _core.rbm_train(model, np.ones((6, 50), dtype), None, None, 3, 0, np.zeros(1, np.int64),
                        cython_blas.__pyx_capi__[capsule], 0, 0.1, 0.0, 0.0, None, 0.0, 0.9, 1, True, 0, 1, 2, None,
                        0.3, 32)
    np.testing.assert_array_equal(model["weights"], before)


_DICT_CLEARED_MID_TRAINING = """
import gc
import numpy as np
from fastinit import _core
from fastinit._blas import blas_gemm as _blas_gemm
nh, nv, rows = 4, 4, 400000
f4 = np.float32
model = dict(weights=np.zeros((nh, nv), f4), hidden_bias=np.zeros(nh, f4), visible_bias=np.zeros(nv, f4),
             chain=np.zeros((rows, nh), f4), weights_velocity=None, hidden_bias_velocity=None,
             visible_bias_velocity=None, hidden_activity=None)
calls = []
def callback(done, total):
    calls.append(done)
    if len(calls) == 1:  # drop the caller's references to the arrays being trained
        model.clear()
        gc.collect()
        for _ in range(20):
            np.ones(rows * nh, f4)  # reuse the freed memory
_core.rbm_train(model, np.ones((40, nv), f4), None, None, 1, 0, np.zeros(1, np.int64), _blas_gemm(np.dtype(f4)),
                0, 0.1, 0.0, 0.0, None, 0.0, 0.9, 1, True, 1, 1, 2, callback, 0.3, 32)
assert len(calls) >= 2 and calls[-1] == 40, calls
"""


def test_rbm_train_binding_keeps_the_model_arrays_alive():
    # The binding must own references to the arrays it writes while the GIL is
    # released: clearing the caller's dict from the progress callback used to
    # free the 6 MB chain under the trainer (segfault).
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _DICT_CLEARED_MID_TRAINING], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_divergence_is_a_clear_error_not_silent_nans():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 50)) * 5
    rbm = GaussianBernoulliRBM(20, learning_rate=5.0, n_iter=5, random_state=0)
    with pytest.raises(ValueError, match="training diverged.*learning_rate=5.0"):
        rbm.fit(X)
    # a sane learning rate on the same data trains to finite parameters
    ok = GaussianBernoulliRBM(20, learning_rate=0.001, n_iter=5, random_state=0).fit(X / 5)
    assert np.isfinite(ok.components_).all()


def test_gibbs_steps_are_bounded():
    with pytest.raises(ValueError, match="'k' parameter"):
        BernoulliRBM(3, k=2**20 + 1).fit(small_binary())


# Ctrl-C inside one minibatch, assigned fitted arrays, input tags
@pytest.mark.native_only
def test_ctrl_c_interrupts_one_long_minibatch_and_keeps_the_model():
    """Issue 10, defect 8: Ctrl-C was only checked between minibatches; one long partial_fit batch ran to its end.

    With CD-20 on 20000 rows almost all of the batch's time (about 0.8 s
    here) goes to the Gibbs steps, before the update changes the model: a
    SIGINT sent halfway through must stop it there, with every fitted array
    unchanged. (The trainer looks for signals about every 0.1 s, so the batch
    must be much longer than that.)
    """
    import copy
    import signal
    import time

    X = random_binary(20000, 200, seed=4).astype(np.float32)
    rbm = fastinit.BernoulliRBM(100, k=20, persistent=False, random_state=0).partial_fit(X[:10])
    timing = copy.deepcopy(rbm)
    start = time.perf_counter()
    timing.partial_fit(X)
    elapsed = time.perf_counter() - start
    names = ("components_", "intercept_hidden_", "intercept_visible_", "h_samples_")
    before = {k: np.copy(getattr(rbm, k)) for k in names}
    # On a loaded machine a batch can run faster than the timing run did, and
    # the signal then lands after it: such an attempt proves nothing and is
    # repeated with an earlier signal. An attempt whose signal arrived while
    # the batch ran must end inside it, with the model unchanged.
    for fraction in (0.5, 0.25, 0.1, 0.05):
        model = copy.deepcopy(rbm)
        returned = []
        timer = threading.Timer(fraction * elapsed, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                model.partial_fit(X)
                returned.append(True)
                time.sleep(10 * elapsed + 5)  # the batch ended first: wait for the signal here
        finally:
            timer.cancel()
        if not returned:
            break
    else:
        pytest.fail("the batch always finished before its SIGINT arrived")
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(model, name), value, err_msg=name)
    model.partial_fit(X[:10])  # still trainable
    assert np.isfinite(model.components_).all()


def test_assigned_fitted_arrays_are_converted_to_the_model_dtype():
    """Issue 10, defect 11: a float64 intercept_visible_ on a float32 model failed later with an internal name."""
    X = random_binary()
    rbm = fastinit.BernoulliRBM(8, n_iter=1, random_state=0, dtype="float32").fit(X)
    p = X.mean(axis=0).clip(0.01, 0.99)
    rbm.intercept_visible_ = np.log(p / (1 - p))  # docs/rbm.md's recipe, in float64
    rbm.components_ = np.asfortranarray(rbm.components_)  # e.g. copied from scikit-learn (Fortran order)
    ref = fastinit.BernoulliRBM(8, n_iter=1, random_state=0, dtype="float32").fit(X)
    ref.intercept_visible_ = np.log(p / (1 - p)).astype(np.float32)
    rbm.partial_fit(X[:10])
    ref.partial_fit(X[:10])
    assert rbm.intercept_visible_.dtype == np.float32 and rbm.components_.flags.c_contiguous
    np.testing.assert_array_equal(rbm.components_, ref.components_)
    np.testing.assert_array_equal(rbm.intercept_visible_, ref.intercept_visible_)


@pytest.mark.parametrize("name, value, error, message", [
    ("intercept_visible_", np.zeros(31), ValueError, r"intercept_visible_ must have shape \(32,\)"),
    ("intercept_hidden_", np.zeros(8, complex), TypeError, "intercept_hidden_ must be a float32 array"),
    ("h_samples_", np.array([["a"] * 8] * 10), TypeError, "h_samples_ must be a float32 array of shape"),
])
def test_unusable_fitted_arrays_are_named(name, value, error, message):
    """Issue 10, defect 11: the error names the attribute and the dtype/shape it must have."""
    rbm = fastinit.BernoulliRBM(8, n_iter=1, random_state=0, dtype="float32").fit(random_binary())
    setattr(rbm, name, value)
    with pytest.raises(error, match=message):
        rbm.partial_fit(random_binary(10))


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
