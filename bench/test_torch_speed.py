"""Speed of fastinit.torch on a GPT-2-like decoder (bench/torch_workloads.py).

Comparisons (same process, interleaved, medians):

- re-initialization of an allocated model: ``fastinit.torch.reset_parameters``
  vs every module's own ``reset_parameters()`` (target >= 5x), and
  ``init_module`` with ``gpt2_rules`` vs the same rules with ``torch.nn.init``
  (target >= 4x);
- per-parameter overhead: ``reset_parameters`` of 5000 ``LayerNorm(64)`` vs
  ``torch.nn.init.ones_``/``zeros_`` on each (target <= 2x the time);
- construction from scratch, each in a fresh process (time and peak memory):
  plain ``GPT2Like(n)``, ``fast_init``, ``materialize`` and the floor (build on
  meta, ``to_empty``, ``zero_`` every parameter); targets: at most 1.3x the
  floor's memory and less time than plain construction.

pytest-benchmark version (times only)::

    python -m pytest bench/test_torch_speed.py --benchmark-enable

standalone version with ratios and memory (``--layers 48`` is GPT-2 XL, 6.2 GB)::

    python bench/test_torch_speed.py [--layers 4] [--repeats 5]

No thresholds are asserted here.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import pytest

torch = pytest.importorskip("torch") if __name__ != "__main__" else __import__("torch")
from torch_workloads import (  # noqa: E402
    GPT2Like,
    build_floor,
    gpt2_rules_with_torch,
    layer_norms,
    layer_norms_with_torch,
    own_reset_parameters,
)

import fastinit.torch as ft  # noqa: E402

LAYERS = int(os.environ.get("FASTINIT_BENCH_LAYERS", "4"))


def construct(variant: str, n_layer: int):
    """Build a GPT2Like(n_layer) from scratch in one of the four ways."""
    if variant == "plain":
        return GPT2Like(n_layer)
    if variant == "fast_init":
        with ft.fast_init(seed=0):
            return GPT2Like(n_layer)
    if variant == "materialize":
        with torch.device("meta"):
            model = GPT2Like(n_layer)
        ft.materialize(model, seed=0)
        return model
    if variant == "floor":
        return build_floor(n_layer)
    raise ValueError(variant)


CASES = {
    "reset/torch": lambda m, n: own_reset_parameters(m),
    "reset/fastinit": lambda m, n: ft.reset_parameters(m, seed=0),
    "gpt2_rules/torch": lambda m, n: gpt2_rules_with_torch(m, n),
    "gpt2_rules/fastinit": lambda m, n: ft.init_module(m, ft.gpt2_rules(n), seed=0),
}


# ---------------------------------------------------------------- pytest-benchmark


@pytest.fixture(scope="module")
def gpt():
    return GPT2Like(LAYERS)


@pytest.mark.parametrize("case", list(CASES))
def test_reinitialize(benchmark, gpt, case):
    benchmark.group = case.split("/")[0]
    benchmark.pedantic(CASES[case], args=(gpt, LAYERS), rounds=3, iterations=1)


@pytest.mark.parametrize("case", ["torch.nn.init", "fastinit"])
def test_layernorm_overhead(benchmark, case):
    model = layer_norms()
    fn = layer_norms_with_torch if case == "torch.nn.init" else (lambda m: ft.reset_parameters(m, seed=0))
    benchmark.group = "5000 LayerNorm(64)"
    benchmark.pedantic(fn, args=(model,), rounds=7, iterations=1)


def _set_up_meta_device() -> None:
    """torch's one-time set-up of the meta-device ops and to_empty (5-10 s here, imports): not timed."""
    with torch.device("meta"):
        GPT2Like(1, d=8, vocab=8, positions=8).to_empty(device="cpu")


@pytest.mark.parametrize("variant", ["plain", "fast_init", "materialize", "floor"])
def test_construction(benchmark, variant):
    """In-process times (memory freed by one round is reused by the next: fewer page faults than
    in a fresh process; the standalone report runs each construction in its own process)."""
    _set_up_meta_device()
    benchmark.group = "construction"
    benchmark.pedantic(construct, args=(variant, LAYERS), rounds=2, iterations=1)


# ---------------------------------------------------------------- standalone report


def _peak_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def _child(variant: str, n_layer: int) -> None:
    """Runs in a fresh process: one construction, prints time and peak memory as JSON."""
    _set_up_meta_device()  # every variant, so that the baselines are comparable
    base = _peak_mib()
    t0 = time.perf_counter()
    model = construct(variant, n_layer)
    elapsed = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"time": elapsed, "peak_mib": _peak_mib(), "base_mib": base, "params": params}))


def _timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--construction-repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="threads of fastinit and of torch (default: their own)")
    parser.add_argument("--no-construction", action="store_true", help="skip the construction processes")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        __import__("fastinit").set_num_threads(args.threads)
        torch.set_num_threads(args.threads)
    if args.child:
        return _child(args.child, args.layers)
    n = args.layers
    rows = []

    model = GPT2Like(n)
    print(f"GPT2Like({n}): {sum(p.numel() for p in model.parameters()) / 1e6:.0f} M parameters, "
          f"fastinit threads {__import__('fastinit').get_num_threads()}, torch threads {torch.get_num_threads()}")
    for group in ("reset", "gpt2_rules"):
        times: dict = {"torch": [], "fastinit": []}
        cpu: dict = {"torch": [], "fastinit": []}
        for _ in range(args.repeats):
            for who in times:
                c0 = time.process_time()
                times[who].append(_timed(CASES[f"{group}/{who}"], model, n))
                cpu[who].append(time.process_time() - c0)
        t, f = statistics.median(times["torch"]), statistics.median(times["fastinit"])
        rows.append((f"{group}: torch / fastinit", f"{f:.3f} s", f"{t:.3f} s", f"{t / f:.2f}x"))
        # CPU time of the process (all threads): with --threads 1 the ratio of the work done, which the
        # machine's load hardly changes (wall-clock time on a shared machine includes waiting for a core).
        t, f = statistics.median(cpu["torch"]), statistics.median(cpu["fastinit"])
        rows.append((f"{group}: torch / fastinit (CPU time)", f"{f:.3f} s", f"{t:.3f} s", f"{t / f:.2f}x"))
    del model

    lns = layer_norms()
    times = {"torch": [], "fastinit": []}
    for _ in range(max(args.repeats, 7)):
        times["torch"].append(_timed(layer_norms_with_torch, lns))
        times["fastinit"].append(_timed(lambda: ft.reset_parameters(lns, seed=0)))
    t, f = statistics.median(times["torch"]), statistics.median(times["fastinit"])
    rows.append(("5000 LayerNorm(64): fastinit / torch.nn.init", f"{f * 1e3:.1f} ms", f"{t * 1e3:.1f} ms",
                 f"{f / t:.2f}x the time"))

    results: dict = {v: [] for v in ("floor", "plain", "fast_init", "materialize")}
    for _ in range(0 if args.no_construction else args.construction_repeats):
        for variant in results:
            threads = ["--threads", str(args.threads)] if args.threads else []
            out = subprocess.run([sys.executable, __file__, "--child", variant, "--layers", str(n), *threads],
                                 capture_output=True, text=True, check=True)
            results[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {v: {k: statistics.median(r[k] for r in rs) for k in ("time", "peak_mib", "base_mib")}
           for v, rs in results.items() if rs}
    floor_mem = med["floor"]["peak_mib"] - med["floor"]["base_mib"] if med else 0
    for v in med:
        mem = med[v]["peak_mib"] - med[v]["base_mib"]
        rows.append((f"construction {v}: time, model memory (x floor)", f"{med[v]['time']:.2f} s",
                     f"{mem:.0f} MiB", f"{mem / floor_mem:.2f}x"))
    for v in ("fast_init", "materialize") if med else ():
        rows.append((f"construction plain / {v} (time)", f"{med[v]['time']:.2f} s", f"{med['plain']['time']:.2f} s",
                     f"{med['plain']['time'] / med[v]['time']:.2f}x"))
    width = max(len(r[0]) for r in rows)
    for r in rows:
        print(f"{r[0]:<{width}}  {r[1]:>10}  {r[2]:>10}  {r[3]:>14}")


if __name__ == "__main__":
    main()
