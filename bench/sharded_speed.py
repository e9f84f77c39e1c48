"""Sharded initialization speed: 2 ranks each filling half of a model vs one process filling all of it.

Model: the parameters of a GPT-2-like decoder (width 1600, vocabulary 50257,
1024 positions, ``--layers`` blocks; 2 blocks = 144M parameters, 576 MB in
float32) with the GPT-2 rules: N(0, 0.02**2) for matrices and embeddings,
ones/zeros for the LayerNorms and biases (all element-wise initializers).

Two gloo processes on this machine, one fastinit thread each
(``fastinit.set_num_threads(1)``). Every parameter is a DTensor sharded
``Shard(0)`` over the 2 ranks (FSDP2's layout), allocated before timing, and
``fastinit.torch.fill_sharded`` fills each rank's half. Interleaved,
``--repeats`` times:

* sharded: both ranks fill their shards at the same time; the time of a
  round is the slower rank's;
* whole: rank 0 alone fills the same parameters as plain tensors (the
  single-process, one-thread baseline) while rank 1 waits.

Both wall-clock time and the filling thread's CPU time (``time.thread_time``)
are reported: on a machine shared with other work the two ranks may not get a
core each, and then only the CPU time shows what each rank computes. Each rank
runs in its own session: Linux's autogroup scheduling (on by default) gives
one CPU share to all the processes of a session, so on a busy machine two
ranks started from one shell would share the CPU time one process gets, as if
they ran on one core.

With ``--model`` the same comparison for the model-level path: a GPT2Like
(bench/torch_workloads.py, the same parameters) built on meta, FSDP2
``fully_shard`` per block and at the root, ``to_empty``, then
``fastinit.torch.init_module(model, gpt2_rules(n), seed=0)`` on each rank vs
the same call on the plain model in one process.

Target: median(sharded) <= 0.6 x median(whole) (the issue's "no rank
computes more than its own shard"). Run::

    python bench/sharded_speed.py [--layers 2] [--repeats 7]

No thresholds are asserted; the script prints the medians and the ratio.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

WIDTH, VOCAB, POSITIONS = 1600, 50257, 1024


def gpt2_parameters(layers):
    """``(name, shape, rule)`` of every parameter; rule is "normal", "ones" or "zeros"."""
    w = WIDTH
    params = [("wte", (VOCAB, w), "normal"), ("wpe", (POSITIONS, w), "normal")]
    for i in range(layers):
        for name, shape, rule in [
            ("ln_1.weight", (w,), "ones"), ("ln_1.bias", (w,), "zeros"),
            ("attn.c_attn.weight", (3 * w, w), "normal"), ("attn.c_attn.bias", (3 * w,), "zeros"),
            ("attn.c_proj.weight", (w, w), "normal"), ("attn.c_proj.bias", (w,), "zeros"),
            ("ln_2.weight", (w,), "ones"), ("ln_2.bias", (w,), "zeros"),
            ("mlp.c_fc.weight", (4 * w, w), "normal"), ("mlp.c_fc.bias", (4 * w,), "zeros"),
            ("mlp.c_proj.weight", (w, 4 * w), "normal"), ("mlp.c_proj.bias", (w,), "zeros"),
        ]:
            params.append((f"h.{i}.{name}", shape, rule))
    params += [("ln_f.weight", (w,), "ones"), ("ln_f.bias", (w,), "zeros")]
    return params


def initialize(tensors, rules, fill):
    """Fill every tensor by its rule through ``fill(initializer, tensor, **kwargs)``."""
    import fastinit as fi

    for k, (t, rule) in enumerate(zip(tensors, rules)):
        if rule == "normal":
            fill(fi.normal_, t, 0.0, 0.02, seed=k)
        else:
            fill(fi.ones_ if rule == "ones" else fi.zeros_, t)


def tensors(mesh, layers, rank):
    """``(fill the shards, fill the whole, check, count, numel)`` for DTensors filled by fill_sharded."""
    import torch
    from torch.distributed.tensor import Shard, distribute_tensor

    from fastinit.torch import fill_sharded

    params = gpt2_parameters(layers)
    rules = [rule for _, _, rule in params]
    sharded = [distribute_tensor(torch.empty(shape), mesh, [Shard(0)], src_data_rank=None) for _, shape, _ in params]
    whole = [torch.empty(shape) for _, shape, _ in params] if rank == 0 else None

    def plain_fill(f, t, *args, **kwargs):
        f(t, *args, **kwargs)

    def check():
        for k, s in enumerate(sharded):
            full = s.full_tensor()
            if rank == 0:
                assert torch.equal(full, whole[k])

    return (lambda: initialize(sharded, rules, fill_sharded), lambda: initialize(whole, rules, plain_fill), check,
            len(params), sum(math.prod(shape) for _, shape, _ in params))


def model(mesh, layers, rank):
    """The same for the model-level path: ``fastinit.torch.init_module(fsdp_model, gpt2_rules(n))``.

    GPT2Like (bench/torch_workloads.py) built on meta, ``fully_shard`` per
    block and at the root (Shard(0) DTensors), ``to_empty``; the baseline is
    the same call on the plain model in one process.
    """
    import torch
    from torch.distributed.fsdp import fully_shard

    import fastinit.torch as ft

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torch_workloads import GPT2Like

    def allocated(shard):
        with torch.device("meta"):
            m = GPT2Like(layers)
        if shard:
            for block in m.h:
                fully_shard(block, mesh=mesh)
            fully_shard(m, mesh=mesh)
        return m.to_empty(device="cpu")

    rules = ft.gpt2_rules(layers)
    sharded = allocated(True)
    whole = allocated(False) if rank == 0 else None

    def check():
        for name, p in sharded.named_parameters():
            full = p.full_tensor()
            if rank == 0:
                assert torch.equal(full, whole.get_parameter(name)), name

    params = list(sharded.named_parameters())
    return (lambda: ft.init_module(sharded, rules, seed=0), lambda: ft.init_module(whole, rules, seed=0), check,
            len(params), sum(p.numel() for _, p in params))


def worker(rank, init_file, layers, repeats, out, use_model):
    import torch
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh

    import fastinit as fi

    fi.set_num_threads(1)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    mesh = init_device_mesh("cpu", (2,))
    fill_shards, fill_whole, check, count, numel = (model if use_model else tensors)(mesh, layers, rank)

    fill_shards()  # warm-up: first touch of every page
    if rank == 0:
        fill_whole()
    times = {"sharded": [], "whole": [], "sharded_cpu": [], "whole_cpu": []}
    for _ in range(repeats):
        dist.barrier()
        start, start_cpu = time.perf_counter(), time.thread_time()
        fill_shards()
        mine = (time.perf_counter() - start, time.thread_time() - start_cpu)
        both = [None, None]
        dist.all_gather_object(both, mine)
        times["sharded"].append(max(wall for wall, _ in both))
        times["sharded_cpu"].append(max(cpu for _, cpu in both))
        dist.barrier()
        if rank == 0:
            start, start_cpu = time.perf_counter(), time.thread_time()
            fill_whole()
            times["whole"].append(time.perf_counter() - start)
            times["whole_cpu"].append(time.thread_time() - start_cpu)
        dist.barrier()
    check()  # the shards assemble into the whole model (once, outside the timings)
    if rank == 0:
        with open(out, "w") as f:
            json.dump([times, numel, count], f)
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--model", action="store_true",
                        help="time fastinit.torch.init_module on an FSDP2 GPT2Like instead of fill_sharded per tensor")
    parser.add_argument("--rank", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--init-file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rank is not None:
        worker(args.rank, args.init_file, args.layers, args.repeats, args.out, args.model)
        return
    with tempfile.TemporaryDirectory() as tmp:
        init_file, out = os.path.join(tmp, "pg"), os.path.join(tmp, "result")
        env = dict(os.environ, OMP_NUM_THREADS="1", FASTINIT_NUM_THREADS="1")
        if sys.platform.startswith("linux"):
            env.setdefault("GLOO_SOCKET_IFNAME", "lo")  # loopback: both ranks are on this machine
        procs = [
            subprocess.Popen([sys.executable, __file__, "--rank", str(r), "--init-file", init_file, "--out", out,
                              "--layers", str(args.layers), "--repeats", str(args.repeats)]
                             + (["--model"] if args.model else []), env=env,
                             start_new_session=True)
            for r in range(2)
        ]
        codes = [p.wait() for p in procs]
        if any(codes):
            sys.exit(f"a rank failed: exit codes {codes}")
        with open(out) as f:
            times, numel, count = json.load(f)
    how = "fastinit.torch.init_module on FSDP2" if args.model else "fill_sharded per tensor"
    print(f"{count} parameters, {numel / 1e6:.0f}M elements (float32), GPT-2 rules ({how}), 1 thread per process")
    for kind, label in [("", "wall-clock"), ("_cpu", "CPU time of the filling thread")]:
        s, w = statistics.median(times["sharded" + kind]), statistics.median(times["whole" + kind])
        print(f"{label}:")
        print(f"  2 ranks, each its Shard(0) half (slower rank): {s * 1e3:8.1f} ms  (runs: "
              + ", ".join(f"{t * 1e3:.0f}" for t in times["sharded" + kind]) + ")")
        print(f"  1 process, the whole model:                    {w * 1e3:8.1f} ms  (runs: "
              + ", ".join(f"{t * 1e3:.0f}" for t in times["whole" + kind]) + ")")
        print(f"  ratio sharded / whole: {s / w:.2f}x (target <= 0.6x)")


if __name__ == "__main__":
    main()
