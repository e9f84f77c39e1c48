"""Speed and memory of fastinit.torch on Hugging Face GPT-2 and Llama (transformers, from a config; issue 15).

Each construction runs in a fresh process (time of the construction; peak resident memory from
``resource.getrusage`` minus the process's peak before it, so imports and torch's meta set-up are not
counted), the variants interleaved, medians over the repeats:

- ``plain``: ``AutoModelForCausalLM.from_config(cfg)`` (transformers' own initialization);
- ``fast_init``: the same under ``fastinit.torch.fast_init(seed=0)``;
- ``materialize``: built under ``torch.device("meta")``, then ``fastinit.torch.materialize(model, seed=0)``;
- ``floor``: built on meta, ``to_empty`` and ``zero_`` of every parameter (the least any
  initialization of allocated memory can cost; the issue's floor);
- ``fill_floor``: built on meta, ``to_empty`` and one fill per parameter with fastinit's raw kernel
  (``fastinit.normal_`` of every matrix, ``zero_`` of the rest): the least fastinit's kernel needs for
  random values, so ``fast_init``/``materialize`` against it is the cost of replaying the model's own
  init code (Python per tensor, ties, the plan), and ``fill_floor`` against ``floor`` the cost of
  drawing random numbers instead of writing zeros.

GPT-2 medium shape (24 layers, width 1024, 355M parameters): targets fast_init and materialize
>= 3x faster than plain. GPT-2 XL shape (48 layers, width 1600, 1.56B, 6.2 GB): peak memory of
fast_init and materialize <= 1.3x the floor's, time <= 1.5x the floor's (plain is skipped there:
minutes). Llama-2-7B shape in bfloat16 (12.6 GiB; plain only when asked: it takes a minute or more):
memory within 1.3x the floor, time against plain and the floor. ``many-small`` (a GPT-2 of 834
layers of width 8: 10013 tensors of at most 512 elements) measures the overhead per tensor of running
the model's own init code. Run::

    python bench/test_hf_speed.py --shape medium --threads 2 [--repeats 3]
    python bench/test_hf_speed.py --shape xl --threads 2 --repeats 2
    python bench/test_hf_speed.py --shape llama-7b --threads 2 --repeats 1 --variants floor,materialize,plain
    python bench/test_hf_speed.py --shape many-small --threads 2
    FASTINIT_ISA=avx2 python bench/test_hf_speed.py ...

pytest-benchmark version (medium shape by default, times only, in one process)::

    python -m pytest bench/test_hf_speed.py --benchmark-enable

No thresholds are asserted here.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import pytest

if __name__ != "__main__":
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
else:
    import torch
    import transformers

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402

SHAPES = {  # name: (transformers config class, its arguments, dtype of from_config or None)
    "tiny": ("GPT2Config", {"n_layer": 2, "n_embd": 64, "n_head": 4}, None),
    "medium": ("GPT2Config", {"n_layer": 24, "n_embd": 1024, "n_head": 16}, None),
    "xl": ("GPT2Config", {"n_layer": 48, "n_embd": 1600, "n_head": 25}, None),
    "many-small": ("GPT2Config", {"n_layer": 834, "n_embd": 8, "n_head": 1, "vocab_size": 64, "n_positions": 32},
                   None),
    "llama-7b": ("LlamaConfig", {"hidden_size": 4096, "num_hidden_layers": 32, "intermediate_size": 11008,
                                 "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32000},
                 "bfloat16"),
}


def config(shape: str):
    cls, kwargs, _ = SHAPES[shape]
    return getattr(transformers, cls)(**kwargs)


def construct(variant: str, shape: str):
    cfg = config(shape)
    dtype = SHAPES[shape][2]
    kwargs = {"dtype": getattr(torch, dtype)} if dtype else {}
    auto = transformers.AutoModelForCausalLM
    if variant == "plain":
        return auto.from_config(cfg, **kwargs)
    if variant == "fast_init":
        with ft.fast_init(seed=0):
            return auto.from_config(cfg, **kwargs)
    if variant == "materialize":
        with torch.device("meta"):
            model = auto.from_config(cfg, **kwargs)
        ft.materialize(model, seed=0)
        return model
    if variant in ("floor", "fill_floor"):
        with torch.device("meta"):
            model = auto.from_config(cfg, **kwargs)
        model.to_empty(device="cpu")
        model.tie_weights()  # to_empty gives lm_head a Parameter of its own; the model shares wte's
        with torch.no_grad():
            for k, p in enumerate(model.parameters()):
                if variant == "fill_floor" and p.dim() > 1:
                    ft.normal_(p, 0.0, 0.02, generator=k)  # fastinit's kernel (bfloat16 too)
                else:
                    p.zero_()
        return model
    raise ValueError(variant)


def _set_up() -> None:
    """One-time costs shared by all variants (imports, torch's meta set-up): not timed, not counted."""
    transformers.logging.set_verbosity_error()
    construct("materialize", "tiny")
    construct("plain", "tiny")
    with ft.fast_init(seed=0):
        transformers.AutoModelForCausalLM.from_config(config("tiny"))


# ---------------------------------------------------------------- pytest-benchmark

BENCH_SHAPE = os.environ.get("FASTINIT_BENCH_HF_SHAPE", "medium")


@pytest.mark.parametrize("variant", ["plain", "fast_init", "materialize", "floor", "fill_floor"])
def test_hf_construction(benchmark, variant):
    _set_up()
    benchmark.group = f"HF GPT-2 {BENCH_SHAPE} construction"
    benchmark.pedantic(construct, args=(variant, BENCH_SHAPE), rounds=2, iterations=1)


# ---------------------------------------------------------------- standalone report


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _child(variant: str, shape: str) -> None:
    _set_up()
    base = _peak_mib()
    t0 = time.perf_counter()
    model = construct(variant, shape)
    elapsed = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"time": elapsed, "peak_mib": _peak_mib(), "base_mib": base, "params": params,
                      "tensors": len(model.state_dict())}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=list(SHAPES), default="medium")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="threads of fastinit and of torch (default: their own)")
    parser.add_argument("--variants", default=None,
                        help="comma-separated (default: all; xl and llama-7b: without plain)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        fastinit.set_num_threads(args.threads)
        torch.set_num_threads(args.threads)
    if args.child:
        return _child(args.child, args.shape)
    default = "floor,fill_floor,fast_init,materialize" + ("" if args.shape in ("xl", "llama-7b") else ",plain")
    variants = (args.variants or default).split(",")
    results: dict = {v: [] for v in variants}
    threads = ["--threads", str(args.threads)] if args.threads else []
    for _ in range(args.repeats):
        for variant in variants:  # interleaved: one process per construction, never two at once
            out = subprocess.run([sys.executable, __file__, "--child", variant, "--shape", args.shape, *threads],
                                 capture_output=True, text=True, check=True)
            results[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {v: {k: statistics.median(r[k] - (r["base_mib"] if k == "peak_mib" else 0) for r in rs)
               for k in ("time", "peak_mib")} for v, rs in results.items()}
    params = max(r["params"] for rs in results.values() for r in rs)
    counts = {v: rs[0]["params"] for v, rs in results.items()}
    if len(set(counts.values())) > 1:
        print(f"parameter counts differ (ties): {counts}")
    tensors = max(r["tensors"] for rs in results.values() for r in rs)
    print(f"HF {SHAPES[args.shape][0].removesuffix('Config')} {args.shape}: {params / 1e6:.0f} M parameters in "
          f"{tensors} tensors, isa {fastinit._core.isa()}, "
          f"fastinit threads {fastinit.get_num_threads()}, torch threads {torch.get_num_threads()}, "
          f"{args.repeats} repeats")
    def ratio(a: str, b: str, key: str = "time") -> float:
        """Median over the repeats of a / b within each repeat (one round of runs shares the machine's load)."""
        def value(r: dict) -> float:
            return r[key] - (r["base_mib"] if key == "peak_mib" else 0)
        return statistics.median(value(x) / value(y) for x, y in zip(results[a], results[b]))

    print("ratios: medians over the repeats of the ratio within a repeat")
    for v in variants:
        line = f"{v:>12}: {med[v]['time']:7.2f} s  {med[v]['peak_mib']:8.0f} MiB"
        if "floor" in med:
            line += f"  time {ratio(v, 'floor'):.2f}x floor, memory {ratio(v, 'floor', 'peak_mib'):.2f}x floor"
        if "fill_floor" in med:
            line += f", time {ratio(v, 'fill_floor'):.2f}x fill_floor"
        if "plain" in med:
            line += (f", plain / this {1 / ratio(v, 'plain'):.2f}x "
                     f"({(med[v]['time'] - med['plain']['time']) / tensors * 1e6:+.0f} us per tensor)")
        print(line)

if __name__ == "__main__":
    main()
