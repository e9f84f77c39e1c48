"""Thread pool robustness: failures to start threads must not hang or crash."""
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.threads

_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    import fastinit
    ref = fastinit.uniform((1 << 21,), seed=7)
    # 2000 threads of 8 MiB stacks cannot fit in a 3 GiB address space: the
    # pool cannot start, the fill must still finish with the same values.
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    fastinit.set_num_threads(2000)
    out = np.empty(1 << 21, np.float32)
    fastinit.uniform_(out, seed=7)
    fastinit.set_num_threads(2)
    again = fastinit.uniform((1 << 21,), seed=7)
    sys.exit(0 if np.array_equal(out, ref) and np.array_equal(again, ref) else 3)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS semantics are Linux's")
@pytest.mark.skipif(any(s in os.environ.get("LD_PRELOAD", "") for s in ("asan", "tsan")),
                    reason="a sanitizer's shadow memory needs more than the limit")
def test_fill_survives_a_pool_that_cannot_start():
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
