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

Target: median(sharded) <= 0.6 x median(whole) (the issue's "no rank
computes more than its own shard"). Run::

    python bench/sharded_speed.py [--layers 2] [--repeats 7]

No thresholds are asserted; the script prints the medians and the ratio.
"""
import argparse
import json
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


def worker(rank, init_file, layers, repeats, out):
    import fastinit as fi
    import torch
    import torch.distributed as dist
    from fastinit.torch import fill_sharded
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Shard, distribute_tensor

    fi.set_num_threads(1)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    mesh = init_device_mesh("cpu", (2,))
    params = gpt2_parameters(layers)
    rules = [rule for _, _, rule in params]
    sharded = [distribute_tensor(torch.empty(shape), mesh, [Shard(0)], src_data_rank=None) for _, shape, _ in params]
    whole = [torch.empty(shape) for _, shape, _ in params] if rank == 0 else None

    def plain_fill(f, t, *args, **kwargs):
        f(t, *args, **kwargs)

    initialize(sharded, rules, fill_sharded)  # warm-up: first touch of every page
    if rank == 0:
        initialize(whole, rules, plain_fill)
    times = {"sharded": [], "whole": [], "sharded_cpu": [], "whole_cpu": []}
    for _ in range(repeats):
        dist.barrier()
        start, start_cpu = time.perf_counter(), time.thread_time()
        initialize(sharded, rules, fill_sharded)
        mine = (time.perf_counter() - start, time.thread_time() - start_cpu)
        both = [None, None]
        dist.all_gather_object(both, mine)
        times["sharded"].append(max(wall for wall, _ in both))
        times["sharded_cpu"].append(max(cpu for _, cpu in both))
        dist.barrier()
        if rank == 0:
            start, start_cpu = time.perf_counter(), time.thread_time()
            initialize(whole, rules, plain_fill)
            times["whole"].append(time.perf_counter() - start)
            times["whole_cpu"].append(time.thread_time() - start_cpu)
        dist.barrier()
    if rank == 0:
        # The shards assemble into the whole model (checked once, outside the timings).
        for s, w in zip(sharded, whole):
            assert torch.equal(s.full_tensor(), w)
    else:
        for s in sharded:
            s.full_tensor()
    if rank == 0:
        with open(out, "w") as f:
            json.dump([times, sum(t.numel() for t in whole), len(whole)], f)
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rank", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--init-file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rank is not None:
        worker(args.rank, args.init_file, args.layers, args.repeats, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        init_file, out = os.path.join(tmp, "pg"), os.path.join(tmp, "result")
        env = dict(os.environ, OMP_NUM_THREADS="1", FASTINIT_NUM_THREADS="1")
        if sys.platform.startswith("linux"):
            env.setdefault("GLOO_SOCKET_IFNAME", "lo")  # loopback: both ranks are on this machine
        procs = [
            subprocess.Popen([sys.executable, __file__, "--rank", str(r), "--init-file", init_file, "--out", out,
                              "--layers", str(args.layers), "--repeats", str(args.repeats)], env=env,
                             start_new_session=True)
            for r in range(2)
        ]
        codes = [p.wait() for p in procs]
        if any(codes):
            sys.exit(f"a rank failed: exit codes {codes}")
        with open(out) as f:
            times, numel, count = json.load(f)
    print(f"{count} parameters, {numel / 1e6:.0f}M elements (float32), GPT-2 rules, 1 thread per process")
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
