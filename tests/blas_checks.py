"""BLAS thread counts as threadpoolctl reports them, for the tests of fastinit's BLAS limit."""
import threadpoolctl


def blas_threads():
    """The sorted distinct thread counts of the loaded BLAS libraries."""
    return sorted({i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"})
