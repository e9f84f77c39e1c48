"""Section 5: how fast fastinit fills weights, against NumPy and PyTorch.

Each fill writes a preallocated float32 matrix in place (allocation is not
timed); fastinit, NumPy and PyTorch take turns in every round, on the same
memory (the PyTorch tensor shares the NumPy array's buffer), and the best
(shortest) time of the rounds is kept: on a shared machine other processes
only ever add time, so the minimum is the most stable estimate.

Every row draws one distribution on every side: the Kaiming row is PyTorch's
untruncated ``kaiming_normal_`` (``fastinit.kaiming_normal_``, not the
2-sigma truncated ``fastinit.he_normal_``). NumPy's Generator has no in-place
scaled fills, so its Xavier/Kaiming rows are a standard draw followed by an
in-place scaling, as one would write them; it has no truncated normal.
Timings on a shared machine vary by tens of percent between runs; ``bench/``
has the careful benchmarks.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import fastinit

from .progress import Progress
from .section import Figure, Finding, Section, new_figure

__all__ = ["SETTINGS", "run"]

SETTINGS = {
    "full": {"shape": (1024, 1024), "rounds": 5},
    "quick": {"shape": (512, 512), "rounds": 3},
}

#: what the speedups are relative to: fastinit on one thread, like NumPy's Generator
BASE = "fastinit, 1 thread"

#: The two ratios of the section, each defined once and used as is in the terminal, the
#: figure, the HTML table and results.json (above 1 always means the fastinit side is faster).
SPEEDUP = "speedup = the peer's best time / fastinit's best time on 1 thread (above 1x: fastinit is faster)"
THREAD_SPEEDUP = ("thread speedup = fastinit's best time on 1 thread / its best time on all its threads "
                  "(above 1x: the extra threads help)")

#: The He/Kaiming row: N(0, 2/fan_in), untruncated on every side (fastinit.kaiming_normal_,
#: torch.nn.init.kaiming_normal_, NumPy's standard normal scaled); fastinit.he_normal_ would
#: be the 2-sigma truncated Keras variant, which PyTorch does not offer.
KAIMING = "kaiming_normal_ N(0, 2/fan_in)"


def _threads_label(n: int) -> str:
    return f"fastinit, {n} threads"


def _with_threads(n: int, fill: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> None:
        old = fastinit.get_num_threads()
        fastinit.set_num_threads(n)
        try:
            fill()
        finally:
            fastinit.set_num_threads(old)

    return run


def _fills(a: np.ndarray, seed: int) -> dict[str, dict[str, Callable[[], Any] | None]]:
    """fill name -> library -> a zero-argument callable filling ``a`` (None: not offered)."""
    rng = np.random.default_rng(seed)
    fan_in, fan_out = a.shape[1], a.shape[0]  # PyTorch layout (out, in)
    xavier_bound = math.sqrt(6.0 / (fan_in + fan_out))
    he_std = math.sqrt(2.0 / fan_in)

    def np_xavier() -> None:
        rng.random(out=a, dtype=np.float32)
        a[...] *= 2 * xavier_bound
        a[...] -= xavier_bound

    def np_he() -> None:
        rng.standard_normal(out=a, dtype=np.float32)
        a[...] *= he_std

    ours: dict[str, Callable[[], Any]] = {
        "uniform U(0, 1)": lambda: fastinit.uniform_(a, seed=seed),
        "normal N(0, 1)": lambda: fastinit.normal_(a, seed=seed),
        "truncated normal (±2σ)": lambda: fastinit.truncated_normal_(a, seed=seed),
        "xavier_uniform_": lambda: fastinit.xavier_uniform_(a, seed=seed),
        KAIMING: lambda: fastinit.kaiming_normal_(a, nonlinearity="relu", seed=seed),
    }
    numpy_fills = {"uniform U(0, 1)": lambda: rng.random(out=a, dtype=np.float32),
                   "normal N(0, 1)": lambda: rng.standard_normal(out=a, dtype=np.float32),
                   "xavier_uniform_": np_xavier, KAIMING: np_he}
    threads = fastinit.get_num_threads()
    fills: dict[str, dict[str, Callable[[], Any] | None]] = {}
    for name, fill in ours.items():
        fills[name] = {BASE: _with_threads(1, fill)}
        if threads > 1:
            fills[name][_threads_label(threads)] = fill
        fills[name]["NumPy"] = numpy_fills.get(name)
    try:
        import torch
    except ImportError:
        for row in fills.values():
            row["PyTorch"] = None
        return fills
    t = torch.from_numpy(a)
    init = torch.nn.init
    fills["uniform U(0, 1)"]["PyTorch"] = t.uniform_
    fills["normal N(0, 1)"]["PyTorch"] = t.normal_
    fills["truncated normal (±2σ)"]["PyTorch"] = lambda: init.trunc_normal_(t)
    fills["xavier_uniform_"]["PyTorch"] = lambda: init.xavier_uniform_(t)
    fills[KAIMING]["PyTorch"] = lambda: init.kaiming_normal_(t, nonlinearity="relu")
    return fills


def run(shape: tuple[int, int] = (1024, 1024), rounds: int = 5, seed: int = 0) -> Section:
    """Best seconds of each fill of a float32 ``shape`` matrix over
    ``rounds`` interleaved rounds (after one warm-up round)."""
    t0 = time.perf_counter()
    a = np.ones(shape, np.float32)  # written once: the pages exist before timing
    fills = _fills(a, seed)
    times: dict[str, dict[str, list[float]]] = {f: {lib: [] for lib, fn in row.items() if fn}
                                                for f, row in fills.items()}
    with Progress("speed", rounds + 1) as bar:
        for r in range(rounds + 1):
            for name, row in fills.items():
                for lib, fn in row.items():
                    if fn is None:
                        continue
                    start = time.perf_counter()
                    fn()
                    elapsed = time.perf_counter() - start
                    if r > 0:  # round 0 warms up caches and lazy initialization
                        times[name][lib].append(elapsed)
            bar.advance()
    torch_threads = _torch_threads()
    numbers: dict[str, Any] = {
        "settings": {"shape": list(shape), "rounds": rounds, "seed": seed, "dtype": "float32"},
        "threads": {"fastinit": fastinit.get_num_threads(), "NumPy": 1, "PyTorch": torch_threads},
        "base": BASE,
        "isa": fastinit.info()["isa"],
        "best_ms": {f: {lib: 1e3 * float(np.min(v)) for lib, v in row.items()} for f, row in times.items()},
    }
    numbers["definitions"] = {"speedup": SPEEDUP, "thread_speedup": THREAD_SPEEDUP}
    numbers["speedup"] = {f: {lib: row[lib] / row[BASE] for lib in row if not lib.startswith("fastinit")}
                          for f, row in numbers["best_ms"].items()}
    many = _threads_label(numbers["threads"]["fastinit"])
    if numbers["threads"]["fastinit"] > 1:
        numbers["thread_speedup"] = {f: row[BASE] / row[many] for f, row in numbers["best_ms"].items()}
    n = shape[0] * shape[1]
    section = Section(
        key="speed",
        title="5. Speed: fastinit against NumPy and PyTorch",
        lesson=(
            f"Each fill writes a preallocated {shape[0]}×{shape[1]} float32 matrix ({n / 1e6:.1f} M values) "
            f"in place. The libraries take turns in each of {rounds} rounds on the same memory; the bars "
            f"show the best time of each. fastinit runs its {numbers['isa']} kernels on one thread, like "
            f"NumPy's Generator, and on its default {numbers['threads']['fastinit']} thread(s)"
            + (f"; PyTorch may use {torch_threads}" if torch_threads else "")
            + f". The {SPEEDUP}; the {THREAD_SPEEDUP}. Every row draws the same distribution "
            "in each library; the Kaiming row is the untruncated N(0, 2/fan_in) of PyTorch's "
            "kaiming_normal_ (fastinit.kaiming_normal_; fastinit.he_normal_ would truncate at ±2σ, as "
            "Keras). NumPy has no in-place Xavier or Kaiming fill: its rows draw and then scale in place, "
            "as one would write it; it has no truncated normal. A shared machine makes single timings "
            "noisy; bench/ has the careful benchmarks."
        ),
        numbers=numbers,
    )
    if torch_threads is None:
        section.notes.append("PyTorch is not installed: only NumPy is compared.")
    section.figures = [_figure(numbers, n)]
    libs = list(next(iter(numbers["best_ms"].values())))
    peers = [lib for lib in libs if not lib.startswith("fastinit")]
    threads = "thread_speedup" in numbers
    section.table = (
        ["fill"] + [f"{lib} (ms)" for lib in libs] + [f"speedup against {lib}" for lib in peers]
        + (["thread speedup"] if threads else []),
        [[f] + [f"{row[lib]:.2f}" if lib in row else "n/a" for lib in libs]
         + [_times(numbers["speedup"][f][lib]) if lib in row else "n/a" for lib in peers]
         + ([_times(numbers["thread_speedup"][f])] if threads else [])
         for f, row in numbers["best_ms"].items()],
    )
    section.findings = findings(numbers)
    section.seconds = time.perf_counter() - t0
    return section


def findings(numbers: dict[str, Any]) -> list[Finding]:
    """The section's findings from its ``numbers``: fastinit on one thread beats
    each peer on every fill (speedup above 1x), and all its threads beat one
    (thread speedup above 1x); the busy-machine caveat only where a thread
    speedup is below 1x."""
    out: list[Finding] = []
    for lib in ("NumPy", "PyTorch"):
        ratios = {f: s[lib] for f, s in numbers["speedup"].items() if lib in s}
        if ratios:
            out.append(Finding(
                f"fastinit (1 thread) against {lib}: speedup ({lib}'s time / fastinit's) "
                + ", ".join(f"{f} {_times(r)}" for f, r in ratios.items()),
                all(r > 1.0 for r in ratios.values())))
    if "thread_speedup" in numbers:
        many = _threads_label(numbers["threads"]["fastinit"])
        ratios = numbers["thread_speedup"]
        holds = all(r > 1.0 for r in ratios.values())
        out.append(Finding(
            f"{many} against 1 thread: thread speedup (1-thread time / {numbers['threads']['fastinit']}-thread "
            "time) " + ", ".join(f"{f} {_times(r)}" for f, r in ratios.items())
            + ("" if holds else "; below 1x the extra threads cost more than they saved, as happens when "
               "other processes occupy the cores"),
            holds))
    return out


def _times(ratio: float) -> str:
    """A speedup or thread speedup as printed everywhere: 0.93x, 1.00x, 6.25x."""
    return f"{ratio:.2f}x"


def _torch_threads() -> int | None:
    try:
        import torch
    except ImportError:
        return None
    return int(torch.get_num_threads())


def _figure(numbers: dict[str, Any], n: int) -> Figure:
    """One row of points per fill on a log axis of values per second; each
    peer's point is labelled with its speedup, the all-threads point with the
    thread speedup (the definitions of :data:`SPEEDUP` and :data:`THREAD_SPEEDUP`)."""
    ms = numbers["best_ms"]
    names = list(ms)
    libs = list(ms[names[0]])
    shape = numbers["settings"]["shape"]
    fig = new_figure(9, 0.8 * len(names) + 2.2)
    ax = fig.subplots()
    y = np.arange(len(names))
    markers = {BASE: "o", "NumPy": "s", "PyTorch": "D"}
    for k, lib in enumerate(libs):
        rate = [n / (ms[f][lib] * 1e-3) / 1e9 if lib in ms[f] else float("nan") for f in names]
        pos = y + (k - (len(libs) - 1) / 2) * 0.8 / len(libs)
        ax.plot(rate, pos, linestyle="none", marker=markers.get(lib, "^"), ms=7, label=lib)
        for f, p, value in zip(names, pos, rate):
            if lib not in ms[f]:
                ax.annotate(f"{lib}: not offered", (0.01, p), va="center", fontsize=7, color="gray",
                            xycoords=("axes fraction", "data"))
            elif lib in numbers["speedup"][f]:
                ax.annotate(f"  speedup {_times(numbers['speedup'][f][lib])}", (value, p), va="center",
                            fontsize=7)
            elif lib != BASE and "thread_speedup" in numbers:
                ax.annotate(f"  thread speedup {_times(numbers['thread_speedup'][f])}", (value, p),
                            va="center", fontsize=7)
    ax.set_yticks(y, names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.set_xlabel("G values written per second (log scale; further right is faster)")
    ax.grid(axis="x", which="both", alpha=0.3)
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo, hi * 4)  # room for the labels right of the fastest points
    title = (f"Filling a {shape[0]}×{shape[1]} float32 matrix in place, best of {numbers['settings']['rounds']} "
             "rounds\nspeedup = the peer's time / fastinit's 1-thread time (above 1x: fastinit is faster)")
    if "thread_speedup" in numbers:
        title += (f"\nthread speedup = fastinit's 1-thread time / its {numbers['threads']['fastinit']}-thread time "
                  "(above 1x: the threads help)")
    ax.set_title(title, fontsize=9)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=len(libs), fontsize=8)
    return Figure("speed", fig, "Values written per second, best of the rounds, one point per library; "
                                f"the labels are the {SPEEDUP} and the {THREAD_SPEEDUP}.")
