"""BLAS thread discipline of the RBM code: one process-wide, reference-counted limit.

The RBM trainer runs its matrix products on fastinit's thread pool, one
single-threaded BLAS call per slice, and the evaluation code (free energy,
pseudo-likelihood, AIS) makes many small NumPy products. Both keep BLAS's own
thread pool at one thread while they run: two pools spin-waiting in turn on
the same cores slow each other down (an AIS estimate on a busy 2-core machine
took 10-20 times longer with the default BLAS threads).

threadpoolctl's limits are process-wide, so nested or concurrent users (RBM
fits in several Python threads, GridSearchCV with a threading backend) share
one limit: the first to enter saves the BLAS thread counts and sets them to 1,
the last to leave restores the saved counts. Other threads' NumPy products run
on one BLAS thread while any fit or evaluation is running.

threadpoolctl >= 3.8 lets only one "controlling" thread change OpenBLAS's
thread count (others are ignored until it lets go). The last user to leave may
be another thread than the one that set the limit, so control is released
after each change made here.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["single_threaded_blas", "blas_gemm"]

_lock = threading.Lock()
_users = 0
_limiter: Any = None
_controller: Any = None

def _make_controller() -> Any:
    """A ThreadpoolController that sees NumPy's and SciPy's BLAS, or None without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn
    except ImportError:  # rbm_evaluation used on its own without threadpoolctl: leave BLAS alone
        return None
    try:  # load SciPy's BLAS (the trainer's) first: the controller sees the libraries loaded now
        import scipy.linalg.cython_blas  # noqa: F401
    except ImportError:
        pass
    return ThreadpoolController()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Hold every BLAS library of the process at one thread inside the block.

    Re-entrant and thread-safe: the limit is set by the first user and the
    original thread counts are restored when the last user leaves.
    """
    global _users, _limiter, _controller
    with _lock:
        if _users == 0:
            if _controller is None:
                _controller = _make_controller()
            if _controller is not None:
                _limiter = _controller.limit(limits=1, user_api="blas")
                _release_openblas_control()
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _limiter is not None:
                limiter, _limiter = _limiter, None
                limiter.restore_original_limits()
                _release_openblas_control()


def _release_openblas_control() -> None:
    """Let any thread change OpenBLAS's thread count next (threadpoolctl >= 3.8)."""
    import threadpoolctl

    release = getattr(getattr(threadpoolctl, "OpenBLASController", None), "clear_controlling_thread", None)
    if release is not None:
        release()


def _after_fork_in_child() -> None:
    """A fork()ed child has only the forking thread: the other users are gone."""
    global _lock, _users, _limiter
    _lock = threading.Lock()
    if _limiter is not None:
        _limiter.restore_original_limits()
        _release_openblas_control()
    _users, _limiter = 0, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def blas_gemm(dtype: npt.DTypeLike) -> Any:
    """SciPy's BLAS ?gemm as a PyCapsule (resolved here, called by C++ without the GIL)."""
    from scipy.linalg import cython_blas

    return cython_blas.__pyx_capi__["sgemm" if dtype == np.float32 else "dgemm"]
