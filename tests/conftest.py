"""Fixtures shared by several test modules."""
import numpy as np
import pytest
import threadpoolctl
from blas_checks import blas_threads


@pytest.fixture
def two_blas_threads():
    """BLAS at 2 threads (whatever the machine), so that a leaked limit of 1 shows."""
    from fastinit._blas import blas_gemm as _blas_gemm  # loads SciPy's BLAS before threadpoolctl looks

    _blas_gemm(np.float64)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == [2]
        yield


@pytest.fixture
def random_draws(monkeypatch):
    """``[n]``: the number of random values fastinit's kernel draws from now on (constant fills not counted)."""
    from fastinit import _core, _sampling

    drawn = [0]

    def fill(arr, dist, *args):
        if dist != _sampling.CONSTANT:
            drawn[0] += arr.size
        _core.fill(arr, dist, *args)

    monkeypatch.setattr(_sampling, "_core", type("CountingCore", (), {"fill": staticmethod(fill)}))
    return drawn


@pytest.fixture
def plan_every_write(monkeypatch):
    """Every whole-tensor fill of a whole-model call through fastinit.torch's write plan.

    By default only tensors of at least ``MIN_DEFERRED`` elements wait, and a
    model without one gets no plan; with 1, the small models of the tests run
    every fill through it (which must give the bits of running each write when
    it is made).
    """
    from fastinit.torch import _write_plan

    monkeypatch.setattr(_write_plan, "MIN_DEFERRED", 1)
