"""``python -m fastinit``: build facts, a self-check and a small timing table."""
from __future__ import annotations

import argparse
import functools
import sys
import time
from typing import Callable

import numpy as np

from . import _core, _sampling, info, philox4x32

_KAT = ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
        [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1])

_DISTRIBUTIONS = [
    ("uniform", _sampling.UNIFORM, (0.0, 1.0)),
    ("normal", _sampling.NORMAL, (0.0, 1.0)),
    ("truncated_normal", _sampling.TRUNCATED_NORMAL, (0.0, 1.0, -2.0, 2.0)),
]


def _self_check() -> list[tuple[str, bool]]:
    """(name, ok) pairs: Philox known answer; every kernel equals the generic one."""
    checks = []
    out = philox4x32(np.array([_KAT[0]], dtype=np.uint32), np.array(_KAT[1], dtype=np.uint32))
    checks.append(("philox4x32 known-answer vector", out[0].tolist() == _KAT[2]))
    active = _core.isa()
    vector_isas = [isa for isa in _core.available_isas() if isa != "generic"]
    for name, dist, params in _DISTRIBUTIONS:
        for dtype in (np.float16, np.float32, np.float64):
            res = {}
            try:
                for isa in ["generic"] + vector_isas:
                    _core.select_isa(isa)
                    a = np.empty(4099, dtype=dtype)
                    res[isa] = _sampling.fill_(a, dist, params, seed=12345).tobytes()
            finally:
                _core.select_isa(active)
            for isa in vector_isas:
                checks.append((f"{name} {np.dtype(dtype).name}: {isa} == generic", res[isa] == res["generic"]))
    return checks


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _timing_table(n: int, repeat: int) -> list[tuple[str, float, float, float]]:
    rng = np.random.default_rng(0)
    rows = []
    a = np.empty(n, dtype=np.float32)
    baselines = {
        "uniform": lambda: rng.random(out=a, dtype=np.float32),
        "normal": lambda: rng.standard_normal(out=a, dtype=np.float32),
        "truncated_normal": None,
    }
    for name, dist, params in _DISTRIBUTIONS:
        t = _median_time(functools.partial(_sampling.fill_, a, dist, params, seed=1), repeat)
        base = baselines[name]
        tb = _median_time(base, repeat) if base is not None else float("nan")
        rows.append((name, n / t / 1e9, n / tb / 1e9 if base else float("nan"), tb / t if base else float("nan")))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastinit", description=__doc__)
    parser.add_argument("--size", type=int, default=1 << 24, help="elements per timed fill (default 2**24)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per entry; the median is shown")
    args = parser.parse_args(argv)

    facts = info()
    print(f"fastinit {facts['version']}")
    print(f"  kernels (isa):  {facts['isa']}")
    print(f"  threads:        {facts['threads']} (CPUs usable: {facts['default_threads']})")
    print(f"  cpu features:   {' '.join(facts['cpu_features']) or '(none detected)'}")
    print()
    ok_all = True
    print("self-check")
    for name, ok in _self_check():
        ok_all &= ok
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    print()
    print(f"float32 fill of {args.size:,} elements, median of {args.repeat} (G elements/s)")
    print(f"  {'distribution':<18}{'fastinit':>10}{'numpy':>10}{'ratio':>8}")
    for name, g, gb, ratio in _timing_table(args.size, args.repeat):
        nb = "-" if np.isnan(gb) else f"{gb:.3f}"
        rt = "-" if np.isnan(ratio) else f"{ratio:.1f}x"
        print(f"  {name:<18}{g:>10.3f}{nb:>10}{rt:>8}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
