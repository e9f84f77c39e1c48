"""One rank of the distributed tests (tests/test_torch/test_torch_distributed.py starts N of these).

Usage: python torch_distributed_worker.py RANK WORLD_SIZE INIT_FILE RESULT_JSON

Joins a gloo process group and, for n = 1 .. WORLD_SIZE, checks DTensors on
meshes over the first n ranks (1-D and 2-D), running every check in the same
order on every rank of the mesh (so that the collectives match); the ranks
outside a mesh check that they hold nothing. Writes ``{"checks": [...], "failures":
[...]}`` to RESULT_JSON. A check compares a DTensor filled shard by shard,
assembled with ``full_tensor()``, bit for bit against the single-process fill
of the whole tensor that every rank also computes.
"""
import gc
import itertools
import json
import sys
import time
import traceback

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import DeviceMesh
from torch.distributed.tensor import DTensor, Partial, Replicate, Shard, distribute_tensor
from torch.distributed.tensor.placement_types import _StridedShard

import fastinit as fi
import fastinit.torch as ft
from fastinit.torch import check_same_seed, fill_sharded, local_block, local_blocks

# name -> (in-place fastinit initializer, positional args, keyword args); the seed is added per call.
FILLS = {
    "xavier_uniform_": (fi.xavier_uniform_, (1.3,), {}),
    "normal_": (fi.normal_, (0.5, 2.0), {}),
    "truncated_normal_": (fi.truncated_normal_, (0.0, 1.0, -1.5, 0.7), {}),
    "kaiming_uniform_": (fi.kaiming_uniform_, (5 ** 0.5,), {}),
    "orthogonal_": (fi.orthogonal_, (0.9,), {}),  # computed whole on every rank
}
# Uneven shapes: 7 and 5 do not divide by 2, 3 or 4; 3 rows over 4 ranks leave one rank empty.
SHAPES = [(7, 5), (3, 10), (2, 9, 4)]
MESHES = {1: [(1,), (1, 1)], 2: [(2,), (2, 1), (1, 2)], 3: [(3,), (1, 3)], 4: [(4,), (2, 2)]}


def bits(t):
    """The raw bits of a float tensor, for bit-for-bit comparisons."""
    return t.contiguous().view({2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])


def whole(fill, shape, dtype, args, kwargs):
    t = torch.empty(shape, dtype=dtype)
    fill(t, *args, **kwargs)
    return t


class Checks:
    def __init__(self):
        self.passed, self.failures = [], []

    def run(self, name, fn):
        try:
            fn()
            self.passed.append(name)
        except Exception:  # noqa: BLE001 - every failure is reported with its traceback
            self.failures.append(f"{name}:\n{traceback.format_exc()}")

    def expect_raises(self, name, exc_type, text, fn):
        def check():
            try:
                fn()
            except exc_type as exc:
                assert text in str(exc), f"message {str(exc)!r} lacks {text!r}"
                return
            raise AssertionError(f"no {exc_type.__name__} raised")

        self.run(name, check)


def assert_same(sharded, reference, what, assemble=True):
    """The DTensor equals ``reference`` (the whole tensor filled in one process), bit for bit.

    Each rank compares its shard with DTensor's own shard of ``reference``
    (``distribute_tensor`` without communication); with ``assemble`` the
    shards are also gathered with ``full_tensor()`` (a collective) and
    compared whole.
    """
    expected = distribute_tensor(reference, sharded.device_mesh, sharded.placements, src_data_rank=None)
    assert torch.equal(bits(sharded.to_local()), bits(expected.to_local())), f"{what}: this rank's shard differs"
    if assemble:
        full = sharded.full_tensor()
        assert full.shape == reference.shape and full.dtype == reference.dtype, what
        assert torch.equal(bits(full), bits(reference)), f"{what}: assembled shards differ from the whole fill"


def check_fill(checks, mesh, placements, shape, name, dtype=torch.float32, seed=1234, assemble=True):
    fill, args, kwargs = FILLS[name]
    what = f"{name} {tuple(shape)} {dtype} mesh={tuple(mesh.shape)} {tuple(placements)}"

    def check():
        t = torch.distributed.tensor.empty(shape, dtype=dtype, device_mesh=mesh, placements=placements)
        assert fill_sharded(fill, t, *args, seed=seed, **kwargs) is t
        assert_same(t, whole(fill, shape, dtype, args, dict(kwargs, seed=seed)), what, assemble)

    checks.run(what, check)


def placements_for(ndim):
    options = [Shard(0), Shard(1), Replicate()]
    return [list(p) for p in itertools.product(options, repeat=ndim)]


def make_mesh(shape):
    """A CPU mesh over the first prod(shape) ranks; every rank of the world must call it (it creates groups)."""
    n = 1
    for k in shape:
        n *= k
    names = ("dp", "tp")[: len(shape)]
    mesh = DeviceMesh("cpu", torch.arange(n).reshape(shape), mesh_dim_names=names)
    return mesh, dist.get_rank() < n


def outside_checks(checks, mesh):
    """A rank outside the DTensor's mesh holds nothing, writes nothing, and stays in step."""
    def holds_nothing():
        t = distribute_tensor(torch.empty(7, 5), mesh, [Shard(0)] * mesh.ndim, src_data_rank=None)
        local, full_shape, offset = local_block(t)
        assert local.shape == (0, 0) and full_shape == (7, 5) and offset == (0, 0), (local.shape, offset)
        g = fi.Generator(1)
        fill_sharded(fi.kaiming_uniform_, t, seed=g)
        assert g.calls == 1

    checks.run(f"outside the mesh {tuple(mesh.shape)}", holds_nothing)


def layout_checks(checks, n):
    for mesh_shape in MESHES[n]:
        mesh, member = make_mesh(mesh_shape)
        if not member:
            outside_checks(checks, mesh)
            continue
        for placements in placements_for(len(mesh_shape)):
            for shape in SHAPES:
                for k, name in enumerate(FILLS):
                    # Assembled with full_tensor() once per layout and shape (a collective); all compared locally.
                    check_fill(checks, mesh, placements, shape, name, assemble=k == 0)
        # Narrow and wide dtypes, on the most split layout of this mesh.
        for dtype in (torch.bfloat16, torch.float16, torch.float64):
            check_fill(checks, mesh, [Shard(0)] * len(mesh_shape), (7, 5), "truncated_normal_", dtype)
        local_block_checks(checks, mesh)
        if len(mesh_shape) == 2:
            hsdp_checks(checks, mesh)


def local_block_checks(checks, mesh):
    placements = [Shard(0)] * mesh.ndim

    def offsets_match_dtensor():
        t = torch.distributed.tensor.empty((11, 3), device_mesh=mesh, placements=placements)
        local, full_shape, offset = local_block(t)
        assert local.data_ptr() == t.to_local().data_ptr() or local.numel() == 0, "not the shard's memory"
        assert full_shape == (11, 3)
        # The rank's rows, in the torch.chunk order DTensor uses (nested: outer mesh dim first).
        rows = torch.arange(11)
        for mesh_dim in range(mesh.ndim):
            chunks = list(torch.chunk(rows, mesh.size(mesh_dim)))
            k = mesh.get_coordinate()[mesh_dim]
            rows = chunks[k] if k < len(chunks) else rows[:0]
        assert local.shape[0] == len(rows), (local.shape, rows)
        if len(rows):
            assert offset == (int(rows[0]), 0), (offset, rows)

    checks.run(f"local_block matches torch.chunk mesh={tuple(mesh.shape)}", offsets_match_dtensor)


def generator_checks(checks, mesh):
    def generator_advances_once():
        t = torch.distributed.tensor.empty((6, 5), device_mesh=mesh, placements=[Shard(1)])
        g = fi.Generator(77)
        fill_sharded(fi.normal_, t, seed=g)
        fill_sharded(fi.normal_, t, seed=g)  # the second call of the stream
        assert g.calls == 2, g.calls
        ref = fi.Generator(77)
        ref.spawn_call()  # skip the first call
        assert_same(t, whole(fi.normal_, (6, 5), torch.float32, (), {"seed": ref}), "second call")

    def default_generator():
        t = torch.distributed.tensor.empty((5, 6), device_mesh=mesh, placements=[Shard(0)])
        fi.manual_seed(5)
        fill_sharded(fi.xavier_normal_, t)
        fi.manual_seed(5)
        assert_same(t, whole(fi.xavier_normal_, (5, 6), torch.float32, (), {}), "default generator")
        assert fi.default_generator().calls == 1

    checks.run("Generator: one call per fill on every rank", generator_advances_once)
    checks.run("seed=None: the default generator", default_generator)


def strided_checks(checks, mesh):
    """FSDP2 over tensor parallelism: _StridedShard, whose shard may be several runs of rows."""
    multi_block = []
    for shape, placements in [
        ((8, 3), [_StridedShard(0, split_factor=2), Shard(0)]),
        ((12, 5), [Shard(0), _StridedShard(0, split_factor=3)]),
        ((6, 10), [_StridedShard(1, split_factor=2), Shard(1)]),
        ((9, 7), [_StridedShard(0, split_factor=2), Shard(0)]),
    ]:
        for name in ("xavier_uniform_", "orthogonal_"):
            fill, args, kwargs = FILLS[name]
            what = f"{name} {shape} strided {placements}"

            def check(shape=shape, placements=placements, fill=fill, args=args, kwargs=kwargs, what=what):
                t = distribute_tensor(torch.empty(shape), mesh, placements, src_data_rank=None)
                blocks = local_blocks(t)
                multi_block.append(len(blocks) > 1)
                fill_sharded(fill, t, *args, seed=9, **kwargs)
                assert_same(t, whole(fill, shape, torch.float32, args, dict(kwargs, seed=9)), what)

            checks.run(what, check)

    def some_shard_is_several_blocks():
        flags = [None] * dist.get_world_size()  # the mesh spans the whole world
        dist.all_gather_object(flags, any(multi_block))
        assert any(flags), "no strided layout produced a shard of several blocks: the multi-block path is untested"

    checks.run("strided layouts exercise multi-block shards", some_shard_is_several_blocks)

    def fsdp2_over_tensor_parallel():
        # torchtitan's 2-D layout: tensor parallel on "tp", FSDP2 on "dp" (which adds _StridedShard).
        from torch.distributed.fsdp import fully_shard
        from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

        def build():
            return torch.nn.Sequential(torch.nn.Linear(6, 10), torch.nn.ReLU(), torch.nn.Linear(10, 7))

        model, plain = build(), build()
        parallelize_module(model, mesh["tp"], {"0": ColwiseParallel(), "2": RowwiseParallel()})
        fully_shard(model, mesh=mesh["dp"])
        seen = set()
        for k, ((name, p), q) in enumerate(zip(model.named_parameters(), plain.parameters())):
            fill = fi.xavier_uniform_ if p.ndim == 2 else fi.normal_
            fill_sharded(fill, p, seed=50 + k)
            fill(q, seed=50 + k)
            seen.update(type(pl).__name__ for pl in p.placements)
            assert torch.equal(bits(p.full_tensor()), bits(q.detach())), name
        assert "_StridedShard" in seen, seen
        x = torch.linspace(-1, 1, 12).reshape(2, 6)
        assert torch.allclose(model(x), plain(x)), "the 2-D sharded model computes something else"

    checks.run("FSDP2 over tensor parallelism (2-D mesh): same parameters and outputs", fsdp2_over_tensor_parallel)


def fsdp2_checks(checks, mesh):
    from torch.distributed.fsdp import fully_shard

    def build():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.LayerNorm(7), torch.nn.Linear(7, 3))

    def init(model):
        for k, (_name, p) in enumerate(model.named_parameters()):
            fill = fi.xavier_uniform_ if p.ndim == 2 else fi.normal_
            fill_sharded(fill, p, seed=1000 + k)

    def fsdp2_matches_plain_model():
        plain, sharded = build(), build()
        init(plain)
        fully_shard(sharded, mesh=mesh)
        init(sharded)
        for (name, p), q in zip(sharded.named_parameters(), plain.parameters()):
            assert isinstance(p, DTensor) and p.placements == (Shard(0),), (name, type(p))
            assert torch.equal(bits(p.full_tensor()), bits(q.detach())), name
        x = torch.linspace(-1, 1, 20).reshape(4, 5)
        assert torch.allclose(sharded(x), plain(x)), "the sharded model computes something else"

    def fsdp2_from_meta():
        with torch.device("meta"):
            model = build()
        fully_shard(model, mesh=mesh)
        weight = model[0].weight
        try:
            fill_sharded(fi.xavier_uniform_, weight, seed=1)
        except ValueError as exc:
            assert "meta device" in str(exc), exc
        else:
            raise AssertionError("a meta DTensor was accepted")
        model.to_empty(device="cpu")
        init(model)
        plain = build()
        init(plain)
        for (name, p), q in zip(model.named_parameters(), plain.parameters()):
            assert torch.equal(bits(p.full_tensor()), bits(q.detach())), name

    checks.run("FSDP2 fully_shard: same parameters and outputs as the plain model", fsdp2_matches_plain_model)
    checks.run("FSDP2 on meta, to_empty, then fill", fsdp2_from_meta)


class TinyGPT(torch.nn.Module):
    """A GPT-2-like model small enough for many layouts: embeddings (with a padding row), LayerNorms,
    an MLP whose output projection is called c_proj (gpt2_rules' depth-scaled std) and attention."""

    def __init__(self, width=8, vocab=11):
        super().__init__()
        torch.manual_seed(0)  # the parameters gpt2_rules leaves alone start alike in every copy
        self.wte = torch.nn.Embedding(vocab, width, padding_idx=5)
        self.ln = torch.nn.LayerNorm(width)
        self.attn = torch.nn.MultiheadAttention(width, 2)
        self.c_fc = torch.nn.Linear(width, 12)
        self.c_proj = torch.nn.Linear(12, width)
        self.head = torch.nn.Linear(width, vocab, bias=False)

    def forward(self, idx):
        x = self.ln(self.wte(idx))
        return self.head(x + self.c_proj(torch.relu(self.c_fc(x))))


def same_model(model, plain, what):
    """Every parameter of ``model`` (DTensor or plain) assembles to the plain model's bits."""
    names = dict(plain.named_parameters())
    checked = 0
    for name, p in model.named_parameters():
        full = p.full_tensor() if isinstance(p, DTensor) else p.detach()
        assert torch.equal(bits(full), bits(names[name].detach())), f"{what}: {name} differs"
        checked += 1
    assert checked == len(names), (what, checked, len(names))
    sharded = [n for n, p in model.named_parameters() if isinstance(p, DTensor)]
    assert sharded, f"{what}: no parameter is a DTensor"
    return sharded


def model_checks(checks, mesh):
    """fastinit.torch's whole-model functions on FSDP2: the plain single-process model's bits."""
    import warnings

    from torch.distributed.fsdp import fully_shard

    rules = ft.gpt2_rules(n_layer=1)
    warnings.simplefilter("ignore", UserWarning)  # MultiheadAttention's parameters are outside gpt2_rules

    def reference(init):
        plain = TinyGPT()
        init(plain)
        return plain

    def shard_all(model):
        fully_shard(model.c_fc, mesh=mesh)
        fully_shard(model.c_proj, mesh=mesh)
        return fully_shard(model, mesh=mesh)

    def reset_mixed():
        # Only the MLP is sharded: DTensor and plain (replicated) parameters in one model.
        model = TinyGPT()
        fully_shard(model.c_fc, mesh=mesh)
        fully_shard(model.c_proj, mesh=mesh)
        report = ft.reset_parameters(model, seed=7)
        sharded = same_model(model, reference(lambda m: ft.reset_parameters(m, seed=7)), "reset_parameters")
        assert set(sharded) == {"c_fc.weight", "c_fc.bias", "c_proj.weight", "c_proj.bias"}, sharded
        assert "wte.weight" in report.initialized

    def reset_fsdp2():
        model = shard_all(TinyGPT())
        ft.reset_parameters(model, seed=8)
        same_model(model, reference(lambda m: ft.reset_parameters(m, seed=8)), "reset_parameters FSDP2")
        x = torch.tensor([[1, 5, 3, 10]])
        assert torch.allclose(model(x), reference(lambda m: ft.reset_parameters(m, seed=8))(x))

    def gpt2_fsdp2():
        model = shard_all(TinyGPT())
        ft.init_module(model, rules, seed=9, allow_unused=True)
        same_model(model, reference(lambda m: ft.init_module(m, rules, seed=9, allow_unused=True)), "init_module")

    def materialize_fsdp2():
        with torch.device("meta"):
            model = TinyGPT()
        shard_all(model)
        ft.materialize(model, seed=10)
        same_model(model, reference(lambda m: ft.reset_parameters(m, seed=10)), "materialize")
        with torch.device("meta"):
            model = TinyGPT()
        shard_all(model)
        ft.materialize(model, seed=11, rules=rules)
        expected = reference(lambda m: ft.materialize(m, seed=11, rules=rules))
        same_model(model, expected, "materialize with rules")

    def fast_init_then_fsdp2():
        with ft.fast_init(seed=12):
            model = TinyGPT()
        shard_all(model)
        same_model(model, reference(lambda m: ft.reset_parameters(m, seed=12)), "fast_init then fully_shard")

    def drop_in_on_dtensors():
        model = shard_all(TinyGPT())
        plain = TinyGPT()
        for (name, p), q in zip(model.named_parameters(), plain.parameters()):
            if p.ndim == 2:
                ft.orthogonal_(p, generator=3) if name == "head.weight" else ft.trunc_normal_(p, std=0.5, generator=3)
                ft.orthogonal_(q, generator=3) if name == "head.weight" else ft.trunc_normal_(q, std=0.5, generator=3)
            else:
                ft.ones_(p)
                ft.ones_(q)
        same_model(model, plain, "drop-in functions")

    def unsharded_is_refused():
        model = shard_all(TinyGPT())
        ft.reset_parameters(model, seed=1)
        before = [p.to_local().clone() for p in model.parameters()]
        model.unshard()
        try:
            ft.reset_parameters(model, seed=2)
        except RuntimeError as exc:
            assert "unsharded" in str(exc) and "reshard()" in str(exc), exc
        else:
            raise AssertionError("an unsharded FSDP2 model was accepted")
        model.reshard()
        for b, p in zip(before, model.parameters()):
            assert torch.equal(bits(b), bits(p.to_local())), "written before the error"

    checks.run("model: reset_parameters, FSDP2 on part of the model (mixed)", reset_mixed)
    checks.run("model: reset_parameters on FSDP2", reset_fsdp2)
    checks.run("model: init_module gpt2_rules on FSDP2", gpt2_fsdp2)
    checks.run("model: materialize on FSDP2 built on meta", materialize_fsdp2)
    checks.run("model: fast_init then FSDP2", fast_init_then_fsdp2)
    checks.run("model: drop-in functions on FSDP2 parameters", drop_in_on_dtensors)
    checks.run("model: unsharded FSDP2 model refused", unsharded_is_refused)


def hsdp_checks(checks, mesh):
    """FSDP2 on a 2-D mesh (HSDP: Replicate on the first dim, Shard(0) on the second)."""
    from torch.distributed.fsdp import fully_shard

    def reset_hsdp():
        model = TinyGPT()
        fully_shard(model, mesh=mesh)
        ft.reset_parameters(model, seed=13)
        plain = TinyGPT()
        ft.reset_parameters(plain, seed=13)
        same_model(model, plain, "HSDP")
        assert tuple(model.head.weight.placements) == (Replicate(), Shard(0)), model.head.weight.placements

    def materialize_hsdp():
        with torch.device("meta"):
            model = TinyGPT()
        fully_shard(model, mesh=mesh)
        ft.materialize(model, seed=14)
        plain = TinyGPT()
        ft.reset_parameters(plain, seed=14)
        same_model(model, plain, "HSDP materialize")

    checks.run(f"model HSDP: reset_parameters mesh={tuple(mesh.shape)}", reset_hsdp)
    checks.run(f"model HSDP: materialize mesh={tuple(mesh.shape)}", materialize_hsdp)


def tensor_parallel_model_checks(checks, mesh):
    """A tensor-parallel model on the 2-D mesh (tp) with FSDP2 on dp: _StridedShard parameters."""
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

    plan = {"wte": RowwiseParallel(), "c_fc": ColwiseParallel(), "c_proj": RowwiseParallel(),
            "head": ColwiseParallel()}
    rules = ft.gpt2_rules(n_layer=1)

    def build(meta=False):
        with torch.device("meta" if meta else "cpu"):
            model = TinyGPT()
        parallelize_module(model, mesh["tp"], plan)
        fully_shard(model, mesh=mesh["dp"])
        return model

    def reference(init):
        plain = TinyGPT()
        init(plain)
        return plain

    def check(what, model, expected):
        same_model(model, expected, what)
        strided = [n for n, p in model.named_parameters()
                   if isinstance(p, DTensor) and any(type(pl).__name__ == "_StridedShard" for pl in p.placements)]
        assert "wte.weight" in strided, strided  # the padding row lies in one of several blocks

    cases = [
        ("reset_parameters", lambda m: ft.reset_parameters(m, seed=3), False,
         lambda m: ft.reset_parameters(m, seed=3)),
        ("init_module gpt2_rules", lambda m: ft.init_module(m, rules, seed=4, allow_unused=True), False,
         lambda m: ft.init_module(m, rules, seed=4, allow_unused=True)),
        ("materialize (built on meta)", lambda m: ft.materialize(m, seed=5), True,
         lambda m: ft.reset_parameters(m, seed=5)),
    ]
    for what, init, meta, init_plain in cases:
        def run(what=what, init=init, meta=meta, init_plain=init_plain):
            model = build(meta)
            init(model)
            check(what, model, reference(init_plain))

        checks.run(f"model strided: {what} on TP + FSDP2", run)


def error_checks(checks, mesh):
    world = mesh.size()
    group = mesh.get_group()
    t = torch.distributed.tensor.empty((4, 4), device_mesh=mesh, placements=[Shard(0)])
    checks.expect_raises("full_shape with a DTensor", ValueError, "full_shape/offset must not be given",
                         lambda: fill_sharded(fi.normal_, t, seed=1, full_shape=(4, 4), offset=(0, 0)))
    checks.expect_raises("a DTensor passed to a plain initializer", TypeError, "is a DTensor",
                         lambda: fi.xavier_uniform_(t, seed=1))
    before = t.to_local().clone()
    checks.expect_raises("bad argument: nothing written", ValueError, "std must be >= 0",
                         lambda: fill_sharded(fi.normal_, t, 0.0, -1.0, seed=1))

    def unchanged():
        assert torch.equal(bits(before), bits(t.to_local())), "the shard was written"

    checks.run("bad argument leaves the shard unchanged", unchanged)
    partial = DTensor.from_local(torch.zeros(2, 2), mesh, [Partial()])
    checks.expect_raises("Partial placement", ValueError, "Partial", lambda: fill_sharded(fi.normal_, partial, seed=1))
    checks.expect_raises("Partial placement in local_block", ValueError, "Redistribute", lambda: local_block(partial))
    checks.run("same seed on every rank passes", lambda: check_same_seed(42, group))
    g = fi.Generator(3)
    checks.run("same Generator state passes", lambda: check_same_seed(g, group))
    if world > 1:
        checks.expect_raises("rank-dependent seed detected", RuntimeError, "different streams",
                             lambda: check_same_seed(42 + dist.get_rank(), group))
        g2 = fi.Generator(3)
        if dist.get_rank() == 0:
            g2.spawn_call()
        checks.expect_raises("generators out of step detected", RuntimeError, "calls=1",
                             lambda: check_same_seed(g2, group))


def run_checks(checks, world):
    """Every check of this rank; the meshes and tensors it makes are freed when it returns."""
    # DTensors on the first n ranks, n = 1 .. world: every mesh of MESHES[n] (the other ranks check
    # that they hold nothing), one process launch for all of them.
    for n in range(1, world + 1):
        layout_checks(checks, n)
        mesh, member = make_mesh((n,))
        if member:
            generator_checks(checks, mesh)
            fsdp2_checks(checks, mesh)
            model_checks(checks, mesh)
            error_checks(checks, mesh)
    if world == 4:
        mesh2d = make_mesh((2, 2))[0]
        strided_checks(checks, mesh2d)
        tensor_parallel_model_checks(checks, mesh2d)


def main():
    rank, world, init_file, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    started = time.perf_counter()
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    checks = Checks()
    try:
        run_checks(checks, world)
    finally:
        with open(out, "w") as f:
            json.dump({"checks": checks.passed, "failures": checks.failures,
                       "seconds": time.perf_counter() - started}, f)
        # Free the meshes and DTensors first: a gloo work object they keep alive, released by gloo's
        # worker thread during interpreter shutdown, aborts the process (std::terminate while that
        # thread waits for the GIL), after every check has passed.
        gc.collect()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
