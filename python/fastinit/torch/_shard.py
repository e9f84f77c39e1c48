"""Sharded tensors (DTensor): which block of the whole tensor each rank holds.

fastinit's element-wise initializers fill a block of a larger logical tensor
with exactly the values of the whole (``full_shape=``, ``offset=``). A
``torch.distributed.tensor.DTensor`` (what FSDP2's ``fully_shard`` and tensor
parallelism make of parameters) keeps one such block per rank, so filling each
rank's block gives the assembled tensor the same bits as the single-process
fill, for any mesh, world size and placement. This module reads the block from
DTensor's own description of its layout:

* :func:`local_block` -- ``(local_tensor, full_shape, offset)`` of a tensor:
  ``(tensor, None, None)`` for a plain tensor, the rank's shard, the global
  shape and the shard's offset for a DTensor;
* :func:`local_blocks` -- the same as a list, for the layouts whose shard is
  several blocks (``_StridedShard``, which FSDP2 uses over tensor parallelism);
* :func:`fill_sharded` -- fill a plain tensor or a DTensor with any fastinit
  in-place initializer, element-wise ones block by block, the others
  (orthogonal, sparse, eye, dirac) by computing the whole tensor on every rank
  and copying the rank's part;
* :func:`check_same_seed` -- one ``all_gather`` that verifies every rank
  draws from the same stream.

Layouts: ``Shard(d)`` splits dim ``d`` as ``torch.chunk`` does (the last
shards may be smaller or empty), ``Replicate()`` keeps the whole dim, several
mesh dims sharding the same tensor dim nest left to right (DTensor's order).
``Partial`` placements hold pending reductions, not values, and are refused.
"""
from __future__ import annotations

import functools
import inspect
import itertools
import sys
from typing import TYPE_CHECKING, Any, Callable, Optional

from .._arrays import HAS_ML_DTYPES
from .._generator import Generator, resolve_generator
from .._typing import Seed, TensorT

if TYPE_CHECKING:  # torch is imported lazily, when a DTensor is met
    from torch.distributed import ProcessGroup

__all__ = [
    "WHOLE_TENSOR_FILLS", "check_same_seed", "check_sharded_state", "fill_sharded", "is_dtensor", "local_block",
    "local_blocks", "local_tensor",
]  # fmt: skip

Block = tuple[Any, Optional[tuple[int, ...]], Optional[tuple[int, ...]]]

#: Names of fastinit's in-place initializers whose values depend on the whole
#: tensor (a QR factorization, a per-column zero pattern, positions of ones):
#: :func:`fill_sharded` computes the whole tensor on every rank for them.
WHOLE_TENSOR_FILLS = frozenset({"orthogonal_", "sparse_", "eye_", "dirac_"})


def _dtensor_class() -> Any:
    """``DTensor`` if ``torch.distributed.tensor`` is already imported, else None.

    A DTensor can only exist once that module is imported, so nothing is
    imported here: plain tensors never pay for torch.distributed.
    """
    module = sys.modules.get("torch.distributed.tensor")
    return None if module is None else getattr(module, "DTensor", None)


def is_dtensor(tensor: Any) -> bool:
    """Whether ``tensor`` is a ``torch.distributed.tensor.DTensor`` (or a Parameter holding one)."""
    cls = _dtensor_class()
    return cls is not None and isinstance(tensor, cls)


def _check_placements(tensor: Any, name: str) -> bool:
    """Refuse placements that hold no values; return whether a ``_StridedShard`` is present."""
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor.placement_types import _StridedShard

    strided = False
    for mesh_dim, placement in enumerate(tensor.placements):
        if isinstance(placement, _StridedShard):
            strided = True
        elif not isinstance(placement, (Shard, Replicate)):
            kind = type(placement).__name__
            raise ValueError(  # noqa: TRY004 - a wrong value of .placements
                f"{name} is a DTensor with placement {placement!r} ({kind}) on mesh dim {mesh_dim}: "
                "only Shard(dim) and Replicate() hold values that can be initialized; a Partial "
                "placement holds per-rank terms of a pending reduction. Redistribute it to Shard or "
                "Replicate first (dtensor.redistribute(mesh, [Replicate()]))"
            )
    return strided


def _local_tensor(tensor: Any, name: str) -> Any:
    """The rank's shard of a DTensor: the tensor its storage lives in (never a copy)."""
    local = getattr(tensor, "_local_tensor", None)  # the shard itself; to_local() returns an alias of it
    if local is None:
        import torch

        with torch.no_grad():
            local = tensor.to_local()
    if local.device.type == "meta":
        raise ValueError(
            f"{name} is a DTensor on the meta device: it has no storage to initialize; "
            "allocate it first (module.to_empty(device='cpu'))"
        )
    return local


def local_tensor(tensor: Any, name: str = "tensor") -> Any:
    """The memory this process holds of ``tensor``: itself for a plain tensor, the local shard of a DTensor.

    For constant fills and checks (dtype, layout, device) that need no
    offsets; a ``Partial`` placement is refused as in :func:`local_blocks`.
    """
    if not is_dtensor(tensor):
        return tensor
    _check_placements(tensor, name)
    return _local_tensor(tensor, name)


def check_sharded_state(modules: Any) -> None:
    """Refuse a model in which FSDP2 has swapped sharded parameters for unsharded ones.

    ``modules`` is a list of ``(prefix, module)``. Plain (non-DTensor)
    parameters next to DTensor ones are fine when they are replicated
    (modules outside ``fully_shard``, its ``ignored_params``): every rank fills
    them whole with the same values. They are wrong when an FSDP2 module is
    unsharded (after ``unshard()``, or a forward with
    ``reshard_after_forward=False``): its registered parameters are then
    all-gathered copies whose writes FSDP2 drops at the next reshard, so a
    fill would be silently lost.
    """
    fsdp = sys.modules.get("torch.distributed.fsdp")
    cls = getattr(fsdp, "FSDPModule", None)
    if cls is None:
        return
    for prefix, m in modules:
        if not isinstance(m, cls):
            continue
        try:
            groups = m._get_fsdp_state()._fsdp_param_groups
        except (AttributeError, AssertionError):  # another torch version's internals: nothing to check against
            continue
        if any(not getattr(g, "is_sharded", True) for g in groups):
            where = repr(prefix[:-1]) if prefix else "the module passed"
            raise RuntimeError(
                f"module: {where} is an FSDP2 module whose parameters are unsharded (plain all-gathered "
                "copies, after unshard() or a forward with reshard_after_forward=False); values written to "
                "them would be dropped at the next reshard. Call .reshard() on it first, so that its "
                "parameters are the sharded DTensors"
            )


def _check_local_shape(local: Any, expected: tuple[int, ...], name: str) -> None:
    if tuple(local.shape) != tuple(expected):
        raise RuntimeError(
            f"{name}: DTensor's layout helpers give a local shard of shape {tuple(expected)} but the "
            f"rank holds one of shape {tuple(local.shape)}; this torch version lays shards out in a way "
            "fastinit does not know, so it refuses to guess"
        )


def local_block(tensor: Any, name: str = "tensor") -> Block:
    """``(local_tensor, full_shape, offset)``: the block of the whole tensor this process holds.

    Parameters
    ----------
    tensor : torch.Tensor, DTensor, numpy.ndarray or other array
        A plain tensor or array is its own whole: ``(tensor, None, None)``.
        For a ``DTensor`` (also a ``Parameter`` holding one): the rank's local
        shard (the tensor its storage lives in, to be written in place),
        ``tuple(tensor.shape)`` (the logical shape) and the offset of the
        shard's first element in the whole tensor, from DTensor's own
        ``compute_local_shape_and_global_offset``. An empty shard (uneven
        ``torch.chunk`` splits leave the last ranks with nothing) has size 0
        along the split dim; a rank outside the DTensor's mesh gets an empty
        tensor of the right number of dimensions.
    name : str
        The argument's name in error messages.

    Returns
    -------
    (local_tensor, full_shape, offset)
        Pass ``full_shape=`` and ``offset=`` to any element-wise in-place
        initializer together with ``local_tensor``.

    Raises
    ------
    ValueError
        A ``Partial`` placement, a DTensor on the meta device, or a
        ``_StridedShard`` placement whose shard is not one block (use
        :func:`local_blocks` or :func:`fill_sharded`).
    """
    if not is_dtensor(tensor):
        return tensor, None, None
    blocks = local_blocks(tensor, name)
    if len(blocks) != 1:
        raise ValueError(
            f"{name} is a DTensor with placements {tuple(tensor.placements)} whose local shard is "
            f"{len(blocks)} separate blocks of the whole tensor, not one; use "
            "fastinit.torch.local_blocks or fastinit.torch.fill_sharded"
        )
    return blocks[0]


def local_blocks(tensor: Any, name: str = "tensor") -> list[Block]:
    """Every block of the whole tensor in this process's shard: a list of ``(view, full_shape, offset)``.

    One block (that of :func:`local_block`) for plain tensors and for DTensors
    placed with ``Shard``/``Replicate``; for a ``_StridedShard`` placement
    (FSDP2 over a tensor-parallel dim) the shard holds, along the sharded dim,
    several runs of rows of the whole tensor: one entry per run (per
    combination of runs when several dims are strided), each ``view`` a view
    of the local shard. The runs come from DTensor's per-placement helper
    (``torch.distributed.tensor._utils._get_shard_size_and_offsets``, the
    one its ``compute_local_shape_and_global_offset`` applies), and the local
    shape they imply is checked against the shard's actual shape.
    """
    if not is_dtensor(tensor):
        return [(tensor, None, None)]
    placements = tuple(tensor.placements)
    strided = _check_placements(tensor, name)
    local = _local_tensor(tensor, name)
    full_shape = tuple(int(n) for n in tensor.shape)
    layout = _layout(full_shape, tensor.device_mesh, placements, strided)
    if layout is None:  # this rank is outside the DTensor's mesh: it holds nothing
        ndim = len(full_shape)
        return [(local.new_empty((0,) * ndim), full_shape, (0,) * ndim)]
    local_shape, runs_per_dim = layout
    _check_local_shape(local, local_shape, name)
    if all(len(runs) == 1 for runs in runs_per_dim):
        return [(local, full_shape, tuple(runs[0][1] for runs in runs_per_dim))]
    blocks: list[Block] = []
    for combo in itertools.product(*runs_per_dim):
        view = local[tuple(slice(lo, lo + n) for lo, _, n in combo)]
        blocks.append((view, full_shape, tuple(g for _, g, _ in combo)))
    return blocks


@functools.lru_cache(maxsize=4096)
def _layout(full_shape: tuple[int, ...], mesh: Any, placements: tuple[Any, ...],
            strided: bool) -> tuple[Any, ...] | None:
    """``(local shape, runs per dim)`` of this rank's shard, or None outside the mesh.

    A run is ``(local start, global start, length)``: a stretch of
    consecutive indices of the whole tensor along one dim. Plain ``Shard``
    layouts have one run per dim, from DTensor's
    ``compute_local_shape_and_global_offset``; ``_StridedShard`` layouts may
    have several, from the per-placement helper that function applies
    (``_get_shard_size_and_offsets``), which lists every index. Cached per
    (shape, mesh, placements): DTensor's helpers cost tens of microseconds,
    and a model has few distinct layouts.
    """
    coordinate = mesh.get_coordinate()
    if coordinate is None:
        return None
    if not strided:
        from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

        local_shape, offset = compute_local_shape_and_global_offset(full_shape, mesh, placements)
        # An empty shard's offset is the dim's length (DTensor's convention): a valid block of size 0.
        return tuple(local_shape), tuple(((0, int(o), n),) for o, n in zip(offset, local_shape))
    from torch.distributed.tensor import Shard
    from torch.distributed.tensor._utils import _get_shard_size_and_offsets
    from torch.distributed.tensor.placement_types import _StridedShard

    sizes = list(full_shape)
    indices: dict[int, Any] = {}  # tensor dim -> global indices (a 1-D torch tensor) of the local rows, in order
    for mesh_dim, placement in enumerate(placements):
        if not isinstance(placement, (Shard, _StridedShard)):
            continue
        d = placement.dim
        sizes[d], indices[d] = _get_shard_size_and_offsets(
            sizes[d], mesh.size(mesh_dim), coordinate[mesh_dim], placement, indices.get(d), full_shape[d], False
        )
    runs_per_dim: list[tuple[tuple[int, int, int], ...]] = []
    for d, n in enumerate(sizes):
        if d not in indices or n == 0:
            runs_per_dim.append(((0, 0, n),))
            continue
        idx = [int(i) for i in indices[d].tolist()]
        runs, start = [], 0
        for k in range(1, n + 1):
            if k == n or idx[k] != idx[k - 1] + 1:
                runs.append((start, idx[start], k - start))
                start = k
        runs_per_dim.append(tuple(runs))
    return tuple(sizes), tuple(runs_per_dim)


def _accepts_seed(fill: Callable[..., Any]) -> bool:
    try:
        return "seed" in inspect.signature(fill).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


def _pinned_seed(seed: Any) -> Callable[[], Any]:
    """Resolve ``seed`` to one call that several fills can share: a factory of per-fill seeds.

    An int already names one call (call 0 of ``Generator(int)``). A Generator
    (``None``: the default generator) is advanced by exactly one call, as one
    ordinary fill would advance it, and every fill gets a fresh Generator
    standing at that call.
    """
    if type(seed) is int:
        return lambda: seed
    generator = resolve_generator(seed)
    key = generator.seed
    call = generator.spawn_call()[2]
    return lambda: Generator(key).set_state({"seed": key, "calls": call})


def _fill_block(fill: Callable[..., Any], target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """``fill(target, ...)``; a tensor on another device than the CPU is filled on the CPU and copied.

    Without ml_dtypes, the whole-tensor fills (:data:`WHOLE_TENSOR_FILLS`, which
    write NumPy values) reach a bfloat16 tensor through a float32 buffer of the
    same shape, rounded by torch's ``copy_`` to nearest even, as ml_dtypes rounds;
    they already hold the whole tensor in float64, so the buffer adds at most half
    of that. Element-wise fills write bfloat16 bits in place (``BFLOAT16_BITS``).
    """
    staging_dtype = getattr(target, "dtype", None)
    if not HAS_ML_DTYPES and getattr(fill, "__name__", "") in WHOLE_TENSOR_FILLS:
        import torch

        if staging_dtype == torch.bfloat16:
            staging_dtype = torch.float32
    if staging_dtype == getattr(target, "dtype", None) and \
            getattr(getattr(target, "device", None), "type", "cpu") == "cpu":  # arrays and CPU tensors: in place
        fill(target, *args, **kwargs)
        return
    import torch

    staging = torch.empty(tuple(target.shape), dtype=staging_dtype)
    fill(staging, *args, **kwargs)
    with torch.no_grad():
        target.copy_(staging)


def fill_sharded(fill: Callable[..., object], tensor: TensorT, *args: Any, elementwise: bool | None = None,
                 **kwargs: Any) -> TensorT:
    """Fill a plain tensor or a DTensor with ``fill(block, *args, **kwargs)``; return ``tensor``.

    ``fill`` is a fastinit in-place initializer (``fastinit.xavier_uniform_``,
    ``fastinit.truncated_normal_``, ...). For a DTensor every rank writes only
    its own shard, and the assembled tensor (``tensor.full_tensor()``) is bit
    for bit ``fill`` applied to one whole tensor of the same shape with the
    same arguments, whatever the mesh, world size and placements.

    Parameters
    ----------
    fill : callable
        ``fill(array, *args, full_shape=..., offset=..., **kwargs)`` for an
        element-wise initializer; ``fill(array, *args, **kwargs)`` for one
        that needs the whole tensor.
    tensor : torch.Tensor, DTensor or array
        Written in place (a DTensor's local shard). A plain tensor or array
        is passed to ``fill`` unchanged. A tensor or shard on another device
        than the CPU is filled in a CPU buffer and copied.
    elementwise : bool, optional
        Whether ``fill`` gives each element a value that depends only on its
        index (then each rank fills only its shard: no rank computes more than
        its part). ``None`` (default): true except for fastinit's
        ``orthogonal_``, ``sparse_``, ``eye_`` and ``dirac_``
        (:data:`WHOLE_TENSOR_FILLS`), for which every rank computes the whole
        tensor in a temporary CPU tensor (memory and time of the whole tensor
        on each rank) and copies its shard out of it.
    *args, **kwargs
        Passed to ``fill``. ``seed`` is resolved once: an int names one
        stream; a ``fastinit.Generator`` (or ``None``, the default generator)
        is advanced by exactly one call on every rank, like one ordinary fill,
        also on ranks whose shard is empty, so generators stay in step across
        ranks. Every rank must pass the same seed and arguments (see
        :func:`check_same_seed`).

    Raises
    ------
    ValueError
        ``full_shape`` or ``offset`` given together with a DTensor (the
        DTensor defines them), a ``Partial`` placement or a meta-device
        DTensor; anything ``fill`` raises for its arguments, before any
        element is written.
    """
    if not is_dtensor(tensor):
        _fill_block(fill, tensor, args, kwargs)
        return tensor
    if "full_shape" in kwargs or "offset" in kwargs:
        raise ValueError(
            "full_shape/offset must not be given with a DTensor: its global shape and each rank's "
            "offset come from its device mesh and placements"
        )
    if elementwise is None:
        elementwise = getattr(fill, "__name__", "") not in WHOLE_TENSOR_FILLS
    blocks = local_blocks(tensor)
    import torch

    with torch.no_grad():
        if not elementwise:
            # Every rank computes the same whole tensor (same seed), then keeps its part.
            whole_shape = blocks[0][1]
            assert whole_shape is not None  # a DTensor's blocks always have one
            whole = torch.empty(whole_shape, dtype=blocks[0][0].dtype)
            _fill_block(fill, whole, args, kwargs)
            for view, _, offset in blocks:
                assert offset is not None  # a DTensor's blocks always have one
                view.copy_(whole[tuple(slice(o, o + n) for o, n in zip(offset, view.shape))])
            return tensor
        # Several blocks share one call of the stream (one fill's worth), however many there are.
        pinned = None
        if len(blocks) > 1 and ("seed" in kwargs or _accepts_seed(fill)):
            pinned = _pinned_seed(kwargs.pop("seed", None))
        for view, full_shape, offset in blocks:
            block_kwargs = dict(kwargs, full_shape=full_shape, offset=offset)
            if pinned is not None:
                block_kwargs["seed"] = pinned()
            _fill_block(fill, view, args, block_kwargs)
    return tensor


def check_same_seed(seed: Seed = None, group: ProcessGroup | None = None) -> None:
    """Verify that every rank of ``group`` would draw from the same stream; raise if not.

    A collective (one ``all_gather_object`` of two integers per rank): every
    rank of the group must call it, with its own ``seed``. The stream of a
    call is named by ``(key, call number)``: ``(seed, 0)`` for an int, the
    generator's ``(seed, calls)`` for a :class:`fastinit.Generator`, and the
    default generator's for ``None``. Nothing advances. Does nothing when
    torch.distributed is not initialized (a single process).

    Sharded initialization gives the single-process values only if every rank
    uses the same stream; fastinit cannot see other ranks' seeds without
    communicating, so the functions that fill shards do not call this
    themselves: call it once before initializing (for example after
    ``fastinit.manual_seed(s)`` on each rank). It uses the group's backend
    like any ``all_gather_object`` (with NCCL, after
    ``torch.cuda.set_device``).

    Raises
    ------
    RuntimeError
        If the ranks disagree; the message lists each rank's ``(seed, calls)``.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return
    if type(seed) is int:
        mine = (resolve_generator(seed).seed, 0)
    else:
        generator = resolve_generator(seed)
        mine = (generator.seed, generator.calls)
    gathered: list[Any] = [None] * dist.get_world_size(group)
    dist.all_gather_object(gathered, mine, group=group)
    if any(tuple(g) != mine for g in gathered):
        listing = ", ".join(f"rank {r}: seed={s}, calls={c}" for r, (s, c) in enumerate(gathered))
        raise RuntimeError(
            f"seed: the ranks would draw from different streams ({listing}); give every rank the same "
            "int seed, or seed every rank's generator alike (fastinit.manual_seed(s) on each rank)"
        )
