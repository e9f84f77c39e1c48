"""The RBM estimators' trainer (fastinit/_rbm_trainer.py and the C++ CD/PCD trainer it calls): exactly the
documented update, the same model on every thread count, ISA and input format, scikit-learn's initial state,
the binding's own checks, divergence and Ctrl-C inside a minibatch, and the fitted arrays it trains."""
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
import scipy.sparse as sp
from rbm_oracle import OracleRBM, random_binary, small_binary
from scipy import stats

import fastinit
import fastinit._rbm_trainer
from fastinit import BernoulliRBM, GaussianBernoulliRBM, _core
from fastinit._sampling import NORMAL, fill_

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

    proc = subprocess.run([sys.executable, "-c", _DICT_CLEARED_MID_TRAINING], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


# ---------------------------------------------------------------------------
# Divergence, Ctrl-C inside one minibatch, assigned fitted arrays.


def test_divergence_is_a_clear_error_not_silent_nans():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 50)) * 5
    rbm = GaussianBernoulliRBM(20, learning_rate=5.0, n_iter=5, random_state=0)
    with pytest.raises(ValueError, match="training diverged.*learning_rate=5.0"):
        rbm.fit(X)
    # a sane learning rate on the same data trains to finite parameters
    ok = GaussianBernoulliRBM(20, learning_rate=0.001, n_iter=5, random_state=0).fit(X / 5)
    assert np.isfinite(ok.components_).all()


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
