"""Sharded initialization on torch.distributed: DTensor shards assemble into the single-process tensor.

Each test starts WORLD gloo processes on this machine (tests/torch_distributed_worker.py), which run
every check (1-D and 2-D meshes, Shard/Replicate/nested/_StridedShard placements, uneven and empty
shards, FSDP2 fully_shard, bad input) and report back; one start per world size.
"""
import json
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("torch.distributed with the gloo backend is not available", allow_module_level=True)

WORKER = os.path.join(os.path.dirname(__file__), "torch_distributed_worker.py")
# Checks every rank must have passed, at least: the layout grid alone is
# meshes x placements x shapes x initializers.
MIN_CHECKS = {1: 150, 2: 200, 3: 150, 4: 200}


def run_world(world, tmp_path):
    env = dict(os.environ, FASTINIT_NUM_THREADS="1", OMP_NUM_THREADS="1")
    init_file = tmp_path / "pg"
    procs, outs = [], []
    for rank in range(world):
        out = tmp_path / f"rank{rank}.json"
        outs.append(out)
        procs.append(subprocess.Popen(
            [sys.executable, WORKER, str(rank), str(world), str(init_file), str(out)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))
    logs = []
    try:
        for p in procs:
            logs.append(p.communicate(timeout=300)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for rank, (p, log) in enumerate(zip(procs, logs)):
        assert p.returncode == 0, f"rank {rank} exited with {p.returncode}:\n{log[-4000:]}"
    return [json.loads(out.read_text()) for out in outs]


@pytest.mark.parametrize("world", [1, 2, 3, 4])
def test_every_layout_assembles_into_the_single_process_tensor(world, tmp_path):
    results = run_world(world, tmp_path)
    for rank, result in enumerate(results):
        assert not result["failures"], f"rank {rank}:\n" + "\n".join(result["failures"][:5])
        assert len(result["checks"]) >= MIN_CHECKS[world], (rank, len(result["checks"]))
    # Every rank ran the same checks, in the same order (the collectives depend on it).
    assert all(r["checks"] == results[0]["checks"] for r in results)
