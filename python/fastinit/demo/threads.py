"""One BLAS / PyTorch thread for the experiments' small matrix products.

The demo's products are small (a 64-unit layer on a batch of 64 digits, a
512-unit layer on a batch of 128), and on a 2-core machine two BLAS threads
spin-wait for each other, which was up to 7x slower than one thread when
the machine was busy. The experiments therefore run inside
:func:`one_math_thread`; fastinit's own thread count (used by the speed
section) is not changed.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["one_math_thread"]


@contextmanager
def one_math_thread() -> Iterator[None]:
    """Limit BLAS (fastinit's re-entrant, thread-safe limit, the one the RBM
    trainer uses) and, if it is imported, PyTorch to one thread inside the
    ``with`` block; restore both afterwards."""
    from .._blas import single_threaded_blas

    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(1)
        with single_threaded_blas():
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(torch_threads)
