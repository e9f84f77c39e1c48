"""Speed and memory of building Hugging Face transformers models with their own initialization.

A GPT-2 built from its config (``AutoModelForCausalLM.from_config``), four ways:

- ``plain``: transformers as is (torch's generator, module defaults then ``_init_weights``);
- ``fast_init``: built under ``fastinit.torch.fast_init(seed=0)``;
- ``materialize``: built on the meta device, then ``fastinit.torch.materialize(model, seed=0)``;
- ``floor``: built on meta, ``to_empty``, ``zero_`` every parameter (allocation and one write, no
  initialization at all).

``fast_init`` and ``materialize`` give the model's own initialization (tests/test_torch_hf.py checks
it tensor by tensor). Targets: GPT-2 medium shape (24 layers, width 1024, 355M parameters):
plain / fastinit >= 3x; GPT-2 XL shape (48 layers, width 1600, 1.56B): peak memory <= 1.3x the
floor's and time <= 1.5x the floor's.

pytest-benchmark version (times only, in one process; FASTINIT_BENCH_HF_LAYERS/_WIDTH set the shape,
default 24 x 1024)::

    python -m pytest bench/test_hf_speed.py --benchmark-enable

standalone version, each construction in a fresh process (time and peak memory), medians of
interleaved runs::

    python bench/test_hf_speed.py [--layers 24 --width 1024] [--repeats 3] [--threads 2]
    python bench/test_hf_speed.py --layers 48 --width 1600 --repeats 1   # XL: ~6.2 GB per process

No thresholds are asserted here.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import pytest

if __name__ == "__main__":
    import torch
    import transformers
else:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
from test_torch_speed import _peak_mib  # noqa: E402

import fastinit.torch as ft  # noqa: E402

LAYERS = int(os.environ.get("FASTINIT_BENCH_HF_LAYERS", "24"))
WIDTH = int(os.environ.get("FASTINIT_BENCH_HF_WIDTH", "1024"))
VARIANTS = ("floor", "plain", "fast_init", "materialize")


def config(n_layer: int, width: int):
    return transformers.GPT2Config(n_layer=n_layer, n_embd=width, n_head=width // 64)


def construct(variant: str, n_layer: int, width: int):
    """GPT-2 of the given shape, built in one of the four ways."""
    cfg = config(n_layer, width)
    build = transformers.AutoModelForCausalLM.from_config
    if variant == "plain":
        torch.manual_seed(0)
        return build(cfg)
    if variant == "fast_init":
        with ft.fast_init(seed=0):
            return build(cfg)
    with torch.device("meta"):
        model = build(cfg)
    if variant == "materialize":
        ft.materialize(model, seed=0)
        return model
    if variant == "floor":
        model.to_empty(device="cpu")
        with torch.no_grad():
            for p in model.parameters():
                p.zero_()
        return model
    raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")


def _set_up() -> None:
    """transformers' lazy imports and torch's meta-device set-up, once per process: not timed."""
    warnings.simplefilter("ignore")
    transformers.logging.set_verbosity_error()
    for variant in VARIANTS:
        construct(variant, 1, 64)


# ---------------------------------------------------------------- pytest-benchmark


@pytest.mark.parametrize("variant", VARIANTS)
def test_from_config(benchmark, variant):
    _set_up()
    benchmark.group = f"GPT-2 {LAYERS} x {WIDTH} from_config"
    benchmark.pedantic(construct, args=(variant, LAYERS, WIDTH), rounds=3, iterations=1)


# ---------------------------------------------------------------- standalone report


def _child(variant: str, n_layer: int, width: int) -> None:
    """In a fresh process: one construction; prints time and peak memory as JSON."""
    _set_up()
    base = _peak_mib()
    t0 = time.perf_counter()
    model = construct(variant, n_layer, width)
    elapsed = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"time": elapsed, "peak_mib": _peak_mib(), "base_mib": base, "params": params}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=24)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="threads of fastinit and of torch (default: their own)")
    parser.add_argument("--skip", nargs="*", default=[], choices=VARIANTS, help="variants not run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        __import__("fastinit").set_num_threads(args.threads)
        torch.set_num_threads(args.threads)
    if args.child:
        return _child(args.child, args.layers, args.width)
    runs: dict = {v: [] for v in VARIANTS if v not in args.skip}
    threads = ["--threads", str(args.threads)] if args.threads else []
    for _ in range(args.repeats):
        for variant in runs:  # interleaved: a slow spell of the machine hits every variant
            out = subprocess.run([sys.executable, __file__, "--child", variant, "--layers", str(args.layers),
                                  "--width", str(args.width), *threads], capture_output=True, text=True, check=True)
            runs[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {v: {k: statistics.median(r[k] for r in rs) for k in ("time", "peak_mib", "base_mib", "params")}
           for v, rs in runs.items()}
    first = next(iter(med.values()))
    print(f"GPT-2 {args.layers} layers x {args.width}: {first['params'] / 1e6:.0f} M parameters, ISA "
          f"{__import__('fastinit').info()['isa']}, medians of {args.repeats} fresh processes per variant")
    floor = med.get("floor")
    for v, m in med.items():
        mem = m["peak_mib"] - m["base_mib"]
        line = f"  {v:12s} {m['time']:7.2f} s  {mem:8.0f} MiB"
        if floor:
            line += (f"   time {m['time'] / floor['time']:.2f}x floor, "
                     f"memory {mem / (floor['peak_mib'] - floor['base_mib']):.2f}x floor")
        if "plain" in med and v in ("fast_init", "materialize"):
            line += f", plain / {v} = {med['plain']['time'] / m['time']:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
