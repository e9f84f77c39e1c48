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
