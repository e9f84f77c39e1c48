"""Sharded initialization on torch.distributed: DTensor shards assemble into the single-process tensor.

One launch of 4 gloo processes on this machine (tests/test_torch/torch_distributed_worker.py) checks DTensors on
meshes of 1, 2, 3 and 4 ranks (1-D and 2-D, over the first n processes; the others check that they
hold nothing): Shard/Replicate/nested/_StridedShard placements, uneven and empty shards, FSDP2
fully_shard, the whole-model functions (reset_parameters, init_module, materialize, fast_init) on FSDP2
and tensor-parallel models, seeds and bad input. The tests below read the ranks' reports.
"""
import os

import pytest
from subprocess_checks import run_world

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("torch.distributed with the gloo backend is not available", allow_module_level=True)

WORKER = os.path.join(os.path.dirname(__file__), "torch_distributed_worker.py")
WORLD = 4




@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    return run_world(WORKER, WORLD, tmp_path_factory.mktemp("dist"))


def test_no_check_failed_on_any_rank(reports):
    for rank, report in enumerate(reports):
        assert not report["failures"], f"rank {rank}:\n" + "\n".join(report["failures"][:5])


@pytest.mark.parametrize("ranks", [1, 2, 3, 4])
def test_meshes_of_n_ranks_were_checked(reports, ranks):
    # Rank 0 belongs to every mesh: it ran the whole grid for meshes of 1, 2, 3 and 4 ranks
    # (shapes x placements x initializers, the 1-D and the 2-D mesh), FSDP2 and the error checks.
    names = reports[0]["checks"]
    for shape in {1: ["(1,)", "(1, 1)"], 2: ["(2,)", "(2, 1)", "(1, 2)"], 3: ["(3,)", "(1, 3)"],
                  4: ["(4,)", "(2, 2)"]}[ranks]:
        grid = [n for n in names if f"mesh={shape} " in n]
        assert len(grid) >= 3 * 5 * 3, (shape, len(grid))
        # The ranks outside a mesh checked that they hold nothing.
        for rank in range(ranks, WORLD):
            assert f"outside the mesh {shape}" in reports[rank]["checks"], (rank, shape)


def test_fsdp2_and_strided_shards_were_checked(reports):
    names = reports[0]["checks"]
    assert names.count("FSDP2 fully_shard: same parameters and outputs as the plain model") == WORLD
    assert "FSDP2 over tensor parallelism (2-D mesh): same parameters and outputs" in names
    assert sum("strided" in n for n in names) >= 8
    # Every rank of the 2x2 mesh ran the strided checks in the same order (their collectives match).
    strided = [[n for n in r["checks"] if "strided" in n] for r in reports]
    assert all(s == strided[0] for s in strided)


def test_whole_model_functions_were_checked_on_fsdp2_and_tensor_parallel(reports):
    # reset_parameters, init_module(gpt2_rules), materialize, fast_init and the drop-in functions on FSDP2
    # models over 1, 2, 3 and 4 ranks (1-D meshes, and HSDP on 2-D ones), and on a tensor-parallel + FSDP2
    # model on the 2x2 mesh.
    names = reports[0]["checks"]
    for check in ("model: reset_parameters, FSDP2 on part of the model (mixed)", "model: reset_parameters on FSDP2",
                  "model: init_module gpt2_rules on FSDP2", "model: materialize on FSDP2 built on meta",
                  "model: fast_init then FSDP2", "model: drop-in functions on FSDP2 parameters",
                  "model: unsharded FSDP2 model refused"):
        assert names.count(check) == WORLD, check
    for rank in range(WORLD):
        assert sum(n.startswith("model strided: ") for n in reports[rank]["checks"]) == 3, rank
    # HSDP (FSDP2 on a 2-D mesh): every 2-D mesh of 1 to 4 ranks.
    for shape in ["(1, 1)", "(2, 1)", "(1, 2)", "(1, 3)", "(2, 2)"]:
        for check in ("reset_parameters", "materialize"):
            assert f"model HSDP: {check} mesh={shape}" in names, (check, shape)


# --- without a process group: plain tensors pass through -----------------------------------------

def test_plain_tensors_and_arrays_are_their_own_whole():
    import numpy as np

    import fastinit as fi
    from fastinit.torch import check_same_seed, fill_sharded, local_block, local_blocks
    from fastinit.torch._shard import is_dtensor

    t, a = torch.empty(3, 4), np.empty((3, 4), np.float32)
    assert local_block(t) == (t, None, None) and local_block(a) == (a, None, None)
    assert local_blocks(t) == [(t, None, None)]
    assert not is_dtensor(t) and not is_dtensor(a)
    assert fill_sharded(fi.xavier_uniform_, t, seed=3) is t
    assert torch.equal(t, torch.from_numpy(fi.xavier_uniform((3, 4), seed=3)))
    # A plain tensor keeps the in-place function's own full_shape/offset (a hand-made shard).
    fill_sharded(fi.normal_, t, seed=4, full_shape=(6, 4), offset=(3, 0))
    assert torch.equal(t, torch.from_numpy(fi.normal((6, 4), seed=4)[3:]))
    g = fi.Generator(1)
    check_same_seed(g)  # no process group: nothing to compare, nothing advances
    assert g.calls == 0
