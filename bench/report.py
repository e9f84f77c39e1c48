"""Time fastinit against NumPy / PyTorch in one process and print the README ratio table.

Usage: python bench/report.py [--repeats 7]

Every workload of bench/workloads.py is timed ``repeats`` times (3 for the
multi-second ones) after one warm-up call, round-robin over the workloads so
that load from other processes spreads evenly; the table shows medians and the
ratios the project tracks, with their targets, from the medians and from the
minima (the minimum is the uncontended time when other processes compete for
the cores). The machine's load average is printed too: on a shared machine,
rerun when it is high.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from workloads import SLOW, WORKLOADS, Arrays  # noqa: E402

import fastinit  # noqa: E402

# (label, numerator (group, name), denominator (group, name), target, higher_is_better)
# ratio = time(numerator) / time(denominator)
RATIOS = [
    ("uniform f32: x numpy random(out, f32)", ("uniform-f32-64M", "numpy Generator.random(out, float32)"),
     ("uniform-f32-64M", "fastinit"), 4.0),
    ("uniform f32: x torch uniform_", ("uniform-f32-64M", "torch uniform_"), ("uniform-f32-64M", "fastinit"), 6.0),
    ("uniform f32: x ndarray.fill(0.0)", ("uniform-f32-64M", "numpy ndarray.fill(0.0)"),
     ("uniform-f32-64M", "fastinit"), 0.75),
    ("normal f32: x numpy standard_normal(f32)", ("normal-f32-64M", "numpy standard_normal(out, float32)"),
     ("normal-f32-64M", "fastinit"), 8.0),
    ("normal f32: x torch normal_", ("normal-f32-64M", "torch normal_"), ("normal-f32-64M", "fastinit"), 4.0),
    ("trunc normal +-2: x torch trunc_normal_", ("truncnormal-f32-64M", "torch trunc_normal_"),
     ("truncnormal-f32-64M", "fastinit"), 30.0),
    ("trunc normal +-2: x fastinit normal", ("normal-f32-64M", "fastinit"), ("truncnormal-f32-64M", "fastinit"), 0.5),
    ("uniform f64: x numpy random(out)", ("uniform-f64-64M", "numpy Generator.random(out)"),
     ("uniform-f64-64M", "fastinit"), 3.0),
    ("uniform f64: x ndarray.fill(0.0)", ("uniform-f64-64M", "numpy ndarray.fill(0.0)"),
     ("uniform-f64-64M", "fastinit"), None),
    ("normal f64: x numpy standard_normal", ("normal-f64-64M", "numpy standard_normal(out)"),
     ("normal-f64-64M", "fastinit"), None),
    ("xavier_uniform_ 8192^2: x torch", ("xavier-uniform-8192x8192", "torch xavier_uniform_"),
     ("xavier-uniform-8192x8192", "fastinit xavier_uniform_"), None),
    ("kaiming_normal_ 8192^2: x torch", ("he-normal-8192x8192", "torch kaiming_normal_"),
     ("he-normal-8192x8192", "fastinit kaiming_normal_"), None),
    ("complex64 uniform disk: x jax (jit)", ("complex-disk-c64-2048x2048", "jax variance_scaling (jit)"),
     ("complex-disk-c64-2048x2048", "fastinit variance_scaling_"), None),
    ("complex64 trunc normal: x jax (jit)", ("complex-truncnormal-c64-2048x2048", "jax variance_scaling (jit)"),
     ("complex-truncnormal-c64-2048x2048", "fastinit variance_scaling_"), None),
    ("complex64 normal: x jax (jit)", ("complex-normal-c64-2048x2048", "jax variance_scaling (jit)"),
     ("complex-normal-c64-2048x2048", "fastinit variance_scaling_"), None),
    ("normal f32: 2 threads speedup", ("threads-normal-f32-64M", "fastinit 1 thread"),
     ("threads-normal-f32-64M", "fastinit 2 threads"), 1.6),
    # inverted: cost relative to numpy, lower is better
    ("1000 elems out-of-place xavier: cost / numpy random(1000)",
     ("small-1000", "fastinit xavier_uniform (out of place)"),
     ("small-1000", "numpy rng.random(1000, float32)"), -2.0),
]


def time_once(fn, inner):
    t = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t) / inner


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    load_before = os.getloadavg()
    arrays = Arrays()
    runnable = []
    for group, name, make in WORKLOADS:
        fn = make(arrays)
        if fn is not None:
            fn()  # warm-up (first touch, lazy initialization)
            runnable.append((group, name, fn))
    # Round-robin: every round times each workload once, so a burst of load
    # from other processes hits all of them alike instead of a few.
    times = {(g, n): [] for g, n, _ in runnable}
    for rnd in range(args.repeats):
        for group, name, fn in runnable:
            if name in SLOW and rnd >= 3:
                continue
            inner = 2000 if group.startswith("small") else 1
            times[(group, name)].append(time_once(fn, inner))
    medians, minima = {}, {}
    for (group, name), ts in times.items():
        medians[(group, name)] = statistics.median(ts)
        minima[(group, name)] = min(ts)
        unit, scale = ("us", 1e6) if group.startswith("small") else ("ms", 1e3)
        print(f"{group:26s} {name:42s} {medians[(group, name)] * scale:10.2f} {unit}"
              f"  (min {min(ts) * scale:.2f}, max {max(ts) * scale:.2f}, n={len(ts)})")
    info = fastinit.info()
    print()
    print(f"fastinit {info['version']}, isa={info['isa']}, threads={info['threads']}, "
          f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    print()
    print("| comparison (64M elements unless noted) | ratio of medians | ratio of minima | target | met (medians) |")
    print("|---|---|---|---|---|")
    for label, num, den, target in RATIOS:
        if num not in medians or den not in medians:
            print(f"| {label} | n/a | n/a | | |")
            continue
        r = medians[num] / medians[den]
        rmin = minima[num] / minima[den]
        if target is None:
            goal, met = "", ""
        elif target < 0:
            goal, met = f"<= {-target:g}x", "yes" if r <= -target else "NO"
        else:
            goal, met = f">= {target:g}x", "yes" if r >= target else "NO"
        print(f"| {label} | {r:.2f}x | {rmin:.2f}x | {goal} | {met} |")

if __name__ == "__main__":
    main()
