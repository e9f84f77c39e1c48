"""The kernel instruction sets this CPU runs, and a context that selects one and a thread count (not a test
module; shared by test_reproducibility.py and test_runtime.py)."""
import contextlib

import fastinit
from fastinit import _core

ISAS = _core.available_isas()[::-1]  # generic first: the reference


@contextlib.contextmanager
def runtime(isa=None, threads=None):
    """Temporarily select a kernel ISA and a thread count."""
    old_isa, old_threads = _core.isa(), fastinit.get_num_threads()
    try:
        if isa is not None:
            _core.select_isa(isa)
        if threads is not None:
            fastinit.set_num_threads(threads)
        yield
    finally:
        _core.select_isa(old_isa)
        fastinit.set_num_threads(old_threads)
