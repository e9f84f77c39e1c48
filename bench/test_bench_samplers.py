"""fastinit's samplers against NumPy and PyTorch (see bench/workloads.py)."""
import pytest
from workloads import SLOW, WORKLOADS


@pytest.mark.parametrize("group,name,make", WORKLOADS, ids=[f"{g}|{n}" for g, n, _ in WORKLOADS])
def test_workload(benchmark, arrays, group, name, make):
    fn = make(arrays)
    if fn is None:
        pytest.skip(f"{name}: not available (library missing or initializer not merged yet)")
    benchmark.group = group
    benchmark.name = name
    if name in SLOW:
        benchmark.pedantic(fn, rounds=3, iterations=1, warmup_rounds=0)
    else:
        benchmark(fn)
