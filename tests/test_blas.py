"""fastinit._blas: the process-wide, reference-counted single-thread BLAS limit.

Overlapping limits, from one thread or several, restore BLAS's own thread
count when the last one leaves, also around concurrent RBM fits.
"""
import threading
from contextlib import ExitStack

import numpy as np
from blas_checks import blas_threads
from rbm_oracle import random_binary

import fastinit
from fastinit import _blas


def test_overlapping_blas_limits_restore_the_original_threads(two_blas_threads):
    """Issue 10, defect 1: overlapping limits (enter A, enter B, exit A, exit B) restore 2 threads, not 1."""
    with ExitStack() as a:
        a.enter_context(_blas.single_threaded_blas())
        assert blas_threads() == [1]
        b = ExitStack()
        b.enter_context(_blas.single_threaded_blas())
    assert blas_threads() == [1]  # B is still running: its limit holds
    b.close()
    assert blas_threads() == [2]


def test_blas_limit_is_restored_by_the_last_thread_to_leave(two_blas_threads):
    """Issue 10, defect 1: the main thread sets the limit and leaves first; another thread, last, restores it."""
    main = ExitStack()
    main.enter_context(_blas.single_threaded_blas())
    entered, release, seen = threading.Event(), threading.Event(), []

    def other():
        with _blas.single_threaded_blas():
            entered.set()
            release.wait(60)
            seen.append(blas_threads())
        seen.append(blas_threads())

    t = threading.Thread(target=other)
    t.start()
    entered.wait(60)
    main.close()  # the main thread (alive) leaves first
    release.set()
    t.join(60)
    assert seen == [[1], [2]]
    assert blas_threads() == [2]


def test_concurrent_rbm_fits_leave_blas_threads_unchanged(two_blas_threads, monkeypatch):
    """Issue 10, defect 1: two overlapping RBM fits (the first one finishing first) took BLAS from 2 threads to 1."""
    from fastinit import _rbm_trainer as rbm_module

    X = random_binary()
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
                inside_second.append(blas_threads())  # still one BLAS thread: a fit is running
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
    assert blas_threads() == [2]
    monkeypatch.undo()
    np.testing.assert_array_equal(results["first"], results["second"])
    np.testing.assert_array_equal(fastinit.BernoulliRBM(16, n_iter=1, random_state=3).fit(X).components_,
                                  results["first"])
    assert serial.shape == results["first"].shape


# --------------------------------------------------------------------------- 2


# --------------------------------------------------------------------------- 3


# --------------------------------------------------------------------------- 4


# --------------------------------------------------------------------------- 5


# --------------------------------------------------------------------------- 6


# --------------------------------------------------------------------------- 7


# --------------------------------------------------------------------------- 8


# --------------------------------------------------------------------------- 10


# --------------------------------------------------------------------------- 11


# --------------------------------------------------------------------------- 12


# --------------------------------------------------------------------------- 13
