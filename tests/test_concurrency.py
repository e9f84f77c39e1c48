"""Concurrency and resources: many Python threads filling at once, a shared
Generator, thread-count changes during fills, RBM fits in parallel threads,
fork from a multithreaded parent, memory stability over many calls, and
absurd sizes refused before anything is allocated.

Large arrays (above the 64K-element threshold) go through fastinit's thread
pool, so these tests also exercise the pool from several submitting threads.
"""
import os
import sys
import threading
import warnings

import numpy as np
import pytest

import fastinit

pytestmark = pytest.mark.threads

#: Under AddressSanitizer/ThreadSanitizer (.ci/run preloads their runtimes)
#: freed memory sits in a quarantine, so RSS keeps growing, and a request the
#: system cannot serve aborts inside the sanitizer's allocator instead of
#: raising std::bad_alloc: the RSS and MemoryError checks need the real allocator.
UNDER_SANITIZER = any(s in os.environ.get("LD_PRELOAD", "") for s in ("asan", "tsan"))
real_allocator = pytest.mark.skipif(UNDER_SANITIZER, reason="needs the real allocator (see UNDER_SANITIZER)")

LARGE = 3 * 2**16 + 5  # several pool tasks
N_THREADS = 8


def _run_threads(target, n, *args):
    errors = []

    def wrapped(i):
        try:
            target(i, *args)
        except BaseException as exc:  # report in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]


@pytest.fixture
def restore_threads():
    n = fastinit.get_num_threads()
    yield
    fastinit.set_num_threads(n)


# --------------------------------------------------------------------------- threads
def test_many_threads_fill_distinct_arrays(restore_threads):
    """Each thread's arrays get exactly the values of the same calls made serially."""
    fastinit.set_num_threads(4)
    specs = [(size, dtype) for size in (1, 1000, LARGE) for dtype in (np.float16, np.float32, np.float64)]
    expected = {(i, k): fastinit.truncated_normal((size,), 0.0, 1.0, -1.0, 2.0, seed=i, dtype=dtype)
                for i in range(N_THREADS) for k, (size, dtype) in enumerate(specs)}
    got = {}

    def work(i):
        for _ in range(3):
            for k, (size, dtype) in enumerate(specs):
                out = np.empty(size, dtype)[::-1]  # negative strides: the strided path
                fastinit.truncated_normal_(out, 0.0, 1.0, -1.0, 2.0, seed=i)
                got[i, k] = out.copy()

    _run_threads(work, N_THREADS)
    for key, value in expected.items():
        np.testing.assert_array_equal(got[key], value)


def test_shared_generator_gives_each_call_a_distinct_stream():
    """Calls from many threads on one Generator use exactly the serial calls 0..n-1, each once."""
    calls_per_thread, size = 40, 2**16 + 3
    g = fastinit.Generator(2024)
    results = []
    lock = threading.Lock()

    def work(i):
        for _ in range(calls_per_thread):
            r = fastinit.normal((size if i % 2 else 17,), seed=g)
            with lock:
                results.append(r[:17].tobytes())  # the first 17 values identify the call

    _run_threads(work, N_THREADS)
    n = N_THREADS * calls_per_thread
    assert g.calls == n
    serial = fastinit.Generator(2024)
    expected = {fastinit.normal((17,), seed=serial).tobytes() for _ in range(n)}
    assert len(results) == n and len(set(results)) == n
    assert set(results) == expected


def test_fills_during_set_num_threads_from_another_thread(restore_threads):
    """Thread-count changes in the middle of fills change neither values nor stability."""
    ref = {dt: fastinit.uniform((LARGE,), -1.0, 1.0, seed=5, dtype=dt) for dt in (np.float32, np.float64)}
    stop = threading.Event()

    def churn():
        k = 0
        while not stop.is_set():
            fastinit.set_num_threads(1 + k % 5)
            k += 1

    t = threading.Thread(target=churn)
    t.start()
    try:
        def work(i):
            dt = (np.float32, np.float64)[i % 2]
            for _ in range(20):
                np.testing.assert_array_equal(fastinit.uniform((LARGE,), -1.0, 1.0, seed=5, dtype=dt), ref[dt])

        _run_threads(work, 4)
    finally:
        stop.set()
        t.join(60)


def test_rbm_fits_in_parallel_threads_match_serial_and_restore_blas():
    """RBM fits in 4 threads give the serial models; BLAS thread counts are restored (defect 1)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from fastinit._blas import blas_gemm as _blas_gemm

    _blas_gemm(np.float32)  # SciPy's BLAS loaded before threadpoolctl looks

    def blas():
        return sorted({i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"})

    X = (np.random.default_rng(0).random((400, 40)) < 0.3).astype(np.float32)
    configs = [dict(n_components=12, n_iter=4, random_state=s, n_jobs=j)
               for s, j in [(0, 1), (1, 2), (2, None), (3, 1)]]
    serial = [fastinit.BernoulliRBM(**c).fit(X).components_ for c in configs]
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        got = [None] * len(configs)

        def work(i):
            for _ in range(2):
                got[i] = fastinit.BernoulliRBM(**configs[i]).fit(X).components_

        _run_threads(work, len(configs))
        assert blas() == [2]
    for a, b in zip(got, serial):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_fork_from_a_multithreaded_parent(restore_threads):
    """A child forked while other threads fill (and the pool runs) fills correctly on its own pool."""
    fastinit.set_num_threads(3)
    ref = fastinit.normal((LARGE,), seed=11)
    stop = threading.Event()

    def busy(i):
        while not stop.is_set():
            fastinit.normal((LARGE,), seed=i)

    threads = [threading.Thread(target=busy, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads (Python >= 3.12)
                pid = os.fork()
            if pid == 0:  # the child: only this thread exists
                code = 1
                try:
                    ok = np.array_equal(fastinit.normal((LARGE,), seed=11), ref)
                    fastinit.set_num_threads(2)
                    ok = ok and np.array_equal(fastinit.normal((LARGE,), seed=11), ref)
                    code = 0 if ok else 1
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        stop.set()
        for t in threads:
            t.join(60)


# --------------------------------------------------------------------------- resources
def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
@real_allocator
def test_no_memory_growth_over_many_small_and_large_calls():
    """10^5 small calls and 10^3 large ones (in place and new arrays) leave RSS where it was."""
    small = np.empty((4, 5), np.float32)
    g = fastinit.Generator(1)

    def small_calls(n):
        for i in range(n):
            fastinit.normal_(small, seed=i)
            fastinit.uniform_(small, seed=g)
            fastinit.xavier_uniform((3, 3), seed=i)

    def large_calls(n):
        for i in range(n):
            fastinit.truncated_normal((LARGE,), seed=i)

    small_calls(2000)
    large_calls(20)  # warm-up: allocator pools, pool threads, caches
    before = _rss_bytes()
    small_calls(100_000 // 3)
    large_calls(1000)
    growth = _rss_bytes() - before
    # A leak of one array per large call would be ~780 MB, one small object per call ~3 MB+.
    assert growth < 2 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB"



@pytest.mark.parametrize("call, error", [
    (lambda: fastinit.normal((2**62,)), ValueError),
    (lambda: fastinit.zeros((2**31, 2**31, 4)), ValueError),
    pytest.param(lambda: fastinit.normal((2**40,)), MemoryError, marks=real_allocator),  # 4 TiB
    pytest.param(lambda: fastinit.uniform((2**20, 2**20, 2**10), dtype=np.float16), MemoryError,  # 2 PiB
                 marks=real_allocator),
    pytest.param(lambda: fastinit.orthogonal((2**31, 2**31)), (MemoryError, ValueError), marks=real_allocator),
    pytest.param(lambda: fastinit.BernoulliRBM(2**40, n_iter=1).fit(np.zeros((2, 3))), (MemoryError, ValueError),
                 marks=real_allocator),
])
def test_absurd_sizes_are_refused_before_allocating(call, error):
    rss = _rss_bytes() if sys.platform.startswith("linux") else 0
    with pytest.raises(error):
        call()
    if sys.platform.startswith("linux"):
        assert _rss_bytes() - rss < 64 * 2**20
