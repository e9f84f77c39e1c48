"""Regression tests for the defects of issue 10 (each test names its defect number).

Each was reproduced before the fix; the tests pin the promised behaviour:
clear ValueError/TypeError naming the argument, exact far-tail sampling, BLAS
thread counts restored after concurrent RBM work, scikit-learn compatibility.
"""
import math
import os
import subprocess
import sys
import threading
from contextlib import ExitStack

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided
from scipy import stats

import fastinit
from fastinit import _blas

threadpoolctl = pytest.importorskip("threadpoolctl")


def _python(code, env_update=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTINIT_")}
    env.update(env_update or {})
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def _blas_threads():
    return sorted({i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"})


@pytest.fixture
def two_blas_threads():
    """BLAS at 2 threads (whatever the machine), so that a leaked limit of 1 shows."""
    from fastinit._blas import blas_gemm as _blas_gemm  # loads SciPy's BLAS before threadpoolctl looks

    _blas_gemm(np.float64)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads() == [2]
        yield


def _binary(n=300, d=32, seed=0):
    return (np.random.default_rng(seed).random((n, d)) < 0.3).astype(np.float64)


# --------------------------------------------------------------------------- 1
def test_overlapping_blas_limits_restore_the_original_threads(two_blas_threads):
    """Defect 1: overlapping limits (enter A, enter B, exit A, exit B) restore 2 threads, not 1."""
    with ExitStack() as a:
        a.enter_context(_blas.single_threaded_blas())
        assert _blas_threads() == [1]
        b = ExitStack()
        b.enter_context(_blas.single_threaded_blas())
    assert _blas_threads() == [1]  # B is still running: its limit holds
    b.close()
    assert _blas_threads() == [2]


def test_blas_limit_is_restored_by_the_last_thread_to_leave(two_blas_threads):
    """Defect 1: the main thread sets the limit and leaves first; another thread, last, restores it."""
    main = ExitStack()
    main.enter_context(_blas.single_threaded_blas())
    entered, release, seen = threading.Event(), threading.Event(), []

    def other():
        with _blas.single_threaded_blas():
            entered.set()
            release.wait(60)
            seen.append(_blas_threads())
        seen.append(_blas_threads())

    t = threading.Thread(target=other)
    t.start()
    entered.wait(60)
    main.close()  # the main thread (alive) leaves first
    release.set()
    t.join(60)
    assert seen == [[1], [2]]
    assert _blas_threads() == [2]


def test_concurrent_rbm_fits_leave_blas_threads_unchanged(two_blas_threads, monkeypatch):
    """Defect 1: two overlapping RBM fits (the first one finishing first) took BLAS from 2 threads to 1."""
    from fastinit import _rbm_trainer as rbm_module

    X = _binary()
    serial = fastinit.BernoulliRBM(16, n_iter=2, random_state=3).fit(X).components_
    both_inside = threading.Barrier(2, timeout=60)
    first_done = threading.Event()
    inside_second = []
    train = rbm_module._core.rbm_train

    class Core:  # the RBM trainer's _core, with both fits held inside their BLAS limits at once
        def __getattr__(self, name):
            return getattr(_core, name)

        def rbm_train(self, *args, **kwargs):
            both_inside.wait()
            if threading.current_thread().name == "second":
                first_done.wait(60)  # the first fit leaves its limit before the second one
                inside_second.append(_blas_threads())  # still one BLAS thread: a fit is running
            return train(*args, **kwargs)

    from fastinit import _core

    monkeypatch.setattr(rbm_module, "_core", Core())
    results = {}

    def fit(name):
        results[name] = fastinit.BernoulliRBM(16, n_iter=1, random_state=3).fit(X).components_
        if name == "first":
            first_done.set()

    threads = [threading.Thread(target=fit, args=(n,), name=n) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert inside_second == [[1]]
    assert _blas_threads() == [2]
    monkeypatch.undo()
    np.testing.assert_array_equal(results["first"], results["second"])
    np.testing.assert_array_equal(fastinit.BernoulliRBM(16, n_iter=1, random_state=3).fit(X).components_,
                                  results["first"])
    assert serial.shape == results["first"].shape


# --------------------------------------------------------------------------- 2
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_truncated_normal_far_mean_puts_the_mass_at_the_near_bound(dtype):
    """Defect 2: mean -1e16 with [5, 6]: every value at 5 (was 5.5, the midpoint, everywhere)."""
    x = fastinit.truncated_normal((1000,), mean=-1e16, std=1.0, a=5.0, b=6.0, dtype=dtype, seed=0)
    assert np.all(x >= 5.0) and np.all(x <= 5.0 + 1e-12)
    y = fastinit.truncated_normal((1000,), mean=1e16, std=1.0, a=-6.0, b=-5.0, dtype=dtype, seed=0)  # mirrored
    assert np.all(y <= -5.0) and np.all(y >= -5.0 - 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_truncated_normal_extreme_mean_stays_finite_and_in_bounds(dtype):
    """Defect 2: mean -1e300 with [-2, 1.8e308] gave inf in float32; every value must be -2."""
    x = fastinit.truncated_normal((257,), mean=-1e300, std=0.5, a=-2.0, b=1.7976931348623157e308, dtype=dtype,
                                  seed=1)
    assert np.all(x == -2.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_truncated_normal_far_tail_at_an_unrepresentable_bound(dtype):
    """Defect 2: a = 0.7 is not a float32/float16 value; the far-tail mass rounds to the first value >= a."""
    x = fastinit.truncated_normal((100,), mean=-1e16, std=1.0, a=0.7, b=6.0, dtype=dtype, seed=2)
    first = np.asarray(0.7, dtype=dtype)
    if float(first) < 0.7:
        first = np.nextafter(first, np.asarray(np.inf, dtype=dtype))
    assert np.all(x == first) and float(first) >= 0.7


def test_truncated_normal_far_tail_is_exact_in_distribution():
    """Defect 2: with mean -1e9 the offset (x - a) is Exp(a - mean) (cancellation erased it before)."""
    mean, a = -1e9, 5.0
    x = fastinit.truncated_normal((4000,), mean=mean, std=1.0, a=a, b=6.0, dtype=np.float64, seed=3)
    scaled = (x - a) * (a - mean)  # the density exp(-alpha d - d^2/2) is Exp(alpha) to 1e-9
    assert stats.kstest(scaled, "expon").pvalue > 1e-3
    low = fastinit.truncated_normal((4000,), mean=-mean, std=1.0, a=-6.0, b=-a, dtype=np.float64, seed=4)
    assert stats.kstest((-a - low) * (a - mean), "expon").pvalue > 1e-3


# --------------------------------------------------------------------------- 3
@pytest.mark.parametrize("call, name", [
    (lambda a, w: fastinit.normal_(a, std=2**1100), "std"),
    (lambda a, w: fastinit.normal_(a, mean=-(2**1100)), "mean"),
    (lambda a, w: fastinit.uniform_(a, 0, 2**1100), "high"),
    (lambda a, w: fastinit.constant_(a, 2**1100), "value"),
    (lambda a, w: fastinit.truncated_normal_(a, a=-(2**1100)), "a"),
    (lambda a, w: fastinit.he_normal_(w, fan_in=2**1100), "fan_in"),
    (lambda a, w: fastinit.xavier_uniform_(w, fan_out=2**65), "fan_out"),
])
def test_huge_parameters_are_value_errors_naming_the_argument(call, name):
    """Defect 3: parameters beyond the float range raised OverflowError; now a ValueError naming them."""
    a, w = np.zeros(4, np.float32), np.zeros((4, 4), np.float32)
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        call(a, w)
    assert not a.any() and not w.any()


def test_huge_leaky_relu_slopes_give_the_exact_gain():
    """Defect 3: calculate_gain("leaky_relu", 1e200) overflowed; sqrt(2 / (1 + s**2)) is sqrt(2)/s there."""
    assert fastinit.calculate_gain("leaky_relu", 1e200) == pytest.approx(math.sqrt(2.0) / 1e200, rel=1e-15)
    assert fastinit.calculate_gain("leaky_relu", -1e200) == pytest.approx(math.sqrt(2.0) / 1e200, rel=1e-15)
    with pytest.raises(ValueError, match="negative_slope"):
        fastinit.calculate_gain("leaky_relu", 2**1100)
    w = fastinit.kaiming_uniform((64, 64), a=1e150, seed=0, dtype=np.float64)  # bound sqrt(6/64)/1e150
    bound = math.sqrt(3.0) * (math.sqrt(2.0) / 1e150) / 8.0
    assert 0 < np.abs(w).max() <= bound


@pytest.mark.parametrize("call", [
    lambda w: fastinit.xavier_uniform_(w, gain=1.7e308),
    lambda w: fastinit.variance_scaling_(w, 1e308, distribution="uniform"),
    lambda w: fastinit.xavier_uniform_(w.view(np.float16)[:, :4], gain=1e6),  # bound 8.7e5 > 65504
])
def test_derived_bounds_beyond_the_dtype_are_value_errors(call):
    """Defect 3 (same family): a gain/scale whose bound overflows gave NaN arrays; now a ValueError."""
    w = np.zeros((4, 8), np.float32)
    with pytest.raises(ValueError, match="gain/scale"):
        call(w)
    assert not w.any()


# --------------------------------------------------------------------------- 4
@pytest.mark.parametrize("shape, strides", [((4, 4), (8, 4)), ((3, 3), (-4, 8)), ((5,), (2,)), ((2, 2, 2), (8, 4, 8))])
def test_overlapping_views_are_refused(shape, strides):
    """Defect 4: views whose elements overlap without a zero stride were filled (values changing per call)."""
    buf = np.zeros(64, np.float32)
    view = as_strided(buf[8:], shape, strides)
    with pytest.raises(ValueError, match="overlapping elements"):
        fastinit.normal_(view, seed=0)
    assert not buf.any()


def test_interleaved_views_without_overlap_are_filled():
    """Defect 4: the overlap check is exact: an interleaved but one-to-one view is still accepted."""
    buf = np.zeros(16, np.float32)
    view = as_strided(buf, (2, 3), (12, 8))  # element offsets 0, 8, 16, 12, 20, 28 bytes
    fastinit.normal_(view, seed=5)
    np.testing.assert_array_equal(view, fastinit.normal((2, 3), seed=5))
    assert np.count_nonzero(buf) == 6


# --------------------------------------------------------------------------- 5
@pytest.mark.parametrize("order", ["C", "F"])
def test_full_shape_beyond_64_bit_indices_is_refused(order):
    """Defect 5: full_shape with more than 2**64 elements wrapped the logical index (C and F differed);
    logical indices now stay below 2**63."""
    block = np.zeros((8, 8), np.float32, order=order)
    with pytest.raises(ValueError, match="full_shape=.* has more than 2\\*\\*63 elements"):
        fastinit.normal_(block, seed=1, full_shape=(2**62, 8), offset=(2**61 - 1, 0))
    with pytest.raises(ValueError, match="full_shape"):
        fastinit.normal_(block, seed=1, full_shape=(2**31 + 1, 2**32), offset=(0, 0))
    assert not block.any()


def test_largest_full_shape_gives_the_same_block_in_every_order():
    """Defect 5: at the top of the index range C, F and strided blocks agree."""
    full, off = (2**31, 2**32), (2**31 - 8, 2**32 - 9)  # 2**63 elements: the largest index is 2**63 - 1
    blocks = [np.zeros((8, 9), np.float64, order=o) for o in "CF"]
    strided = np.zeros((16, 18), np.float64)[::2, ::-2]
    for b in [*blocks, strided]:
        fastinit.normal_(b, seed=9, full_shape=full, offset=off)
    np.testing.assert_array_equal(blocks[0], blocks[1])
    np.testing.assert_array_equal(blocks[0], strided)
    assert np.all(blocks[0] != 0)


def test_values_at_the_top_of_the_index_range_follow_the_stream_contract():
    """Defect 5: the last indices below 2**63 get docs/streams.md's values (checked on float64 uniforms)."""
    from stream_reference import blocks

    full, off = (2**31, 2**32), (2**31 - 2, 2**32 - 5)
    block = np.zeros((2, 5), np.float64)
    fastinit.uniform_(block, seed=77, full_shape=full, offset=off)
    rows = np.arange(2, dtype=np.uint64)[:, None] + np.uint64(off[0])
    cols = np.arange(5, dtype=np.uint64)[None, :] + np.uint64(off[1])
    i = (rows * np.uint64(full[1]) + cols).ravel()  # up to 2**63 - 1
    assert int(i.max()) == 2**63 - 1
    blk = blocks(77, 0, i // np.uint64(2))
    j = (i % np.uint64(2)).astype(np.intp)
    w = (blk[np.arange(i.size), 2 * j + 1].astype(np.uint64) << np.uint64(32)) | blk[np.arange(i.size), 2 * j]
    np.testing.assert_array_equal(block.ravel(), (w >> np.uint64(11)).astype(np.float64) * 2.0**-53)


def test_core_fill_refuses_wrapping_logical_indices():
    """Defect 5: the binding itself (the last line of defence) refuses indices from 2**63 on."""
    from fastinit import _core

    arr = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="logical indices of the block reach 2\\*\\*63"):
        _core.fill(arr, 2, 2, 0, 0, 0, 0.0, 1.0, 0.0, 0.0, [2**63, 1], 2**63)  # wraps past 2**64
    for base in (2**63 - 5, 2**64 - 6):  # the last index would be 2**63 or 2**64 - 1
        with pytest.raises(ValueError, match="logical indices"):
            _core.fill(arr, 2, 2, 0, 0, 0, 0.0, 1.0, 0.0, 0.0, [3, 1], base)
    assert not arr.any()
    _core.fill(arr, 2, 2, 0, 0, 0, 0.0, 1.0, 0.0, 0.0, [3, 1], 2**63 - 6)  # the last index is 2**63 - 1
    assert arr.all()


# --------------------------------------------------------------------------- 6
@pytest.mark.parametrize("call, message", [
    (lambda: fastinit.normal((2**63,)), r"^shape=\(9223372036854775808,\) needs"),
    (lambda: fastinit.normal((2**64, 2)), r"^shape="),
    (lambda: fastinit.set_num_threads(2**31), r"^n must be a positive int, got 2147483648"),
    (lambda: fastinit.set_num_threads(10**30), r"^n must be a positive int"),
    (lambda: fastinit.normal_(np.zeros(3), full_shape=(2**60,), offset=(2**65,)), r"^offset\[0\]"),
    (lambda: fastinit.normal_(np.zeros(3), full_shape=(2**70,), offset=(0,)), r"^full_shape="),
])
def test_out_of_range_integers_are_clear_value_errors(call, message):
    """Defect 6: pybind11's raw 'incompatible function arguments' TypeError reached users."""
    with pytest.raises(ValueError, match=message):
        call()


def test_thread_count_environment_variable_out_of_range_is_a_clear_import_error():
    """Defect 6: FASTINIT_NUM_THREADS=99999999999 broke the import with pybind11's TypeError."""
    res = _python("import fastinit", {"FASTINIT_NUM_THREADS": "99999999999"})
    assert res.returncode != 0
    assert "ValueError: FASTINIT_NUM_THREADS must be at most 4096, got '99999999999'" in res.stderr
    assert "incompatible function arguments" not in res.stderr
    ok = _python("import fastinit; print(fastinit.get_num_threads())", {"FASTINIT_NUM_THREADS": "4096"})
    assert ok.returncode == 0 and ok.stdout.strip() == "4096"


# --------------------------------------------------------------------------- 7
@pytest.mark.parametrize("shape, dtype", [((2**62,), np.float32), ((2**31, 2**31, 2), np.float16),
                                          ((2**61, 0, 2**61), np.float64)])
def test_new_arrays_check_their_size_before_allocating(shape, dtype):
    """Defect 7: the allocator multiplied the shape without an overflow check (asked for 1 byte)."""
    with pytest.raises(ValueError, match="more than the 2\\*\\*63 - 1 bytes"):
        fastinit.normal(shape, dtype=dtype)


def test_core_allocator_checks_its_products():
    """Defect 7: the binding itself refuses an overflowing product and reports memory it cannot get."""
    from fastinit import _core

    with pytest.raises(ValueError, match="too big"):
        _core.empty([2**62, 4], np.dtype(np.float32))
    if any(s in os.environ.get("LD_PRELOAD", "") for s in ("asan", "tsan")):
        pytest.skip("a sanitizer's allocator aborts instead of throwing std::bad_alloc")
    with pytest.raises(MemoryError, match="cannot allocate"):
        fastinit.normal((2**60,), dtype=np.float32)  # 2**62 bytes: more than any address space


# --------------------------------------------------------------------------- 8
def test_ctrl_c_interrupts_one_long_minibatch_and_keeps_the_model():
    """Defect 8: Ctrl-C was only checked between minibatches; one long partial_fit batch ran to its end.

    With CD-20 on 20000 rows almost all of the batch's time (about 0.8 s
    here) goes to the Gibbs steps, before the update changes the model: a
    SIGINT sent halfway through must stop it there, with every fitted array
    unchanged. (The trainer looks for signals about every 0.1 s, so the batch
    must be much longer than that.)
    """
    import copy
    import signal
    import time

    X = _binary(20000, 200, seed=4).astype(np.float32)
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


# --------------------------------------------------------------------------- 10
def test_rbm_evaluation_runs_with_one_blas_thread(two_blas_threads, monkeypatch):
    """Defect 10: AIS, free energy and pseudo-likelihood ran NumPy products on the default BLAS threads."""
    from fastinit import rbm_evaluation as ev

    seen = []
    softplus = ev._softplus

    def spy(x):
        seen.append(_blas_threads())
        return softplus(x)

    monkeypatch.setattr(ev, "_softplus", spy)
    X = _binary(60, 12)
    rbm = fastinit.BernoulliRBM(6, n_iter=2, random_state=0).fit(X)
    rbm.log_likelihood(X, method="ais", n_runs=4, betas=np.linspace(0, 1, 20))
    rbm.score_samples(X)
    rbm.free_energy(X)
    rbm.log_partition("exact")
    assert seen and all(s == [1] for s in seen)
    assert _blas_threads() == [2]


# --------------------------------------------------------------------------- 11
def test_assigned_fitted_arrays_are_converted_to_the_model_dtype():
    """Defect 11: a float64 intercept_visible_ on a float32 model failed later with an internal name."""
    X = _binary()
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
    """Defect 11: the error names the attribute and the dtype/shape it must have."""
    rbm = fastinit.BernoulliRBM(8, n_iter=1, random_state=0, dtype="float32").fit(_binary())
    setattr(rbm, name, value)
    with pytest.raises(error, match=message):
        rbm.partial_fit(_binary(10))


# --------------------------------------------------------------------------- 12
def test_bfloat16_without_ml_dtypes_names_the_install_command():
    """Defect 12: bfloat16 without ml_dtypes gave an error with no install hint."""
    code = ("import sys; sys.modules['ml_dtypes'] = None\n"
            "import fastinit\n"
            "try:\n    fastinit.normal((2,), dtype='bfloat16')\n"
            "except TypeError as e:\n    print(e)\n")
    res = _python(code)
    assert res.returncode == 0, res.stderr
    assert "pip install ml_dtypes" in res.stdout and "'bfloat16' extra" in res.stdout


def test_bfloat16_extra_installs_ml_dtypes():
    """Defect 12: the 'bfloat16' extra of pyproject.toml provides ml_dtypes."""
    tomllib = pytest.importorskip("tomllib")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        extras = tomllib.load(f)["project"]["optional-dependencies"]
    assert any(req.startswith("ml_dtypes") for req in extras["bfloat16"])


# --------------------------------------------------------------------------- 13
def test_bernoulli_rbm_declares_positive_only_input():
    """Defect 13: BernoulliRBM's tags now declare input_tags.positive_only; the sklearn check passes."""
    from sklearn.utils import get_tags
    from sklearn.utils.estimator_checks import check_positive_only_tag_during_fit

    assert get_tags(fastinit.BernoulliRBM()).input_tags.positive_only
    assert not get_tags(fastinit.GaussianBernoulliRBM()).input_tags.positive_only
    check_positive_only_tag_during_fit("BernoulliRBM", fastinit.BernoulliRBM(4, n_iter=1, random_state=0))
    check_positive_only_tag_during_fit("GaussianBernoulliRBM",
                                       fastinit.GaussianBernoulliRBM(4, n_iter=1, random_state=0))
