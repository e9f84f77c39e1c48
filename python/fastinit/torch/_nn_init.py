"""A drop-in for ``torch.nn.init`` on fastinit's kernels.

Same names, signatures and formulas as ``torch.nn.init``; each function fills
the tensor in place under ``no_grad`` and returns it. ``generator=`` takes a
``fastinit.Generator``, an int seed or a ``torch.Generator``; ``None`` draws a
64-bit seed from torch's default generator, so ``torch.manual_seed(s)`` keeps
a script reproducible (with other values than torch's own, since the
generator differs).

Accepted: float16, bfloat16, float32 and float64 tensors in any memory layout
(strided views, channels_last), Parameters, and DTensors (FSDP2, tensor
parallel; each rank fills its local shard with the values of the whole
tensor, see :func:`fastinit.torch.fill_sharded`). Tensors on another device than
the CPU are filled in a CPU buffer and copied (``tensor.copy_``), which costs
one host-to-device copy. Refused before anything is written: integer, bool
and complex dtypes, sparse layouts, tensors on the meta device (no storage:
``materialize`` them first), and inference tensors outside inference mode.
"""
from __future__ import annotations

import enum
from typing import Any, Callable

import torch

from .. import initializers as _fi
from .. import structured as _fs
from ..fans import calculate_gain
from . import _shard
from ._seeds import SeedLike, stream
from ._write_plan import active_plan, overwriting

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
]  # fmt: skip

_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_VALID = "float16, bfloat16, float32 or float64"


def _checked(tensor: object, name: str = "tensor") -> torch.Tensor:
    """The memory this process holds of a tensor fastinit may write (a DTensor's local shard), else a clear error."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must have a floating dtype ({_VALID}), got {tensor.dtype}")
    local: torch.Tensor = _shard.local_tensor(tensor, name)
    if local.layout != torch.strided:
        raise TypeError(f"{name} must be a dense (strided) tensor, got layout {local.layout}")
    if local.is_meta:
        raise ValueError(
            f"{name} is on the meta device and has no storage to fill; allocate it first "
            "(module.to_empty(device='cpu')), or use fastinit.torch.materialize(module, seed=...)"
        )
    if local.is_inference() and not torch.is_inference_mode_enabled():
        raise RuntimeError(
            f"{name} is an inference tensor; PyTorch allows in-place updates of inference tensors only "
            "inside torch.inference_mode()"
        )
    return local


class _Unset(enum.Enum):
    """``generator=`` of :func:`_fill` when the fill draws nothing (a one-member enum, so ``is`` narrows it)."""

    NOT_RANDOM = enum.auto()


_NOT_RANDOM = _Unset.NOT_RANDOM


def _fill(fill: Callable[..., object], tensor: torch.Tensor, *args: Any,
          generator: SeedLike | _Unset = _NOT_RANDOM, **kwargs: Any) -> torch.Tensor:
    """Run fastinit's in-place ``fill`` on ``tensor``, or on each block of a DTensor's local shard.

    One path for plain tensors and DTensors: :func:`_shard.fill_sharded`
    (element-wise fills write only this rank's blocks; orthogonal, sparse,
    eye and dirac compute the whole tensor and keep this rank's part; off the
    CPU through a CPU buffer). The tensor is checked before the generator is
    drawn from, so a refused call neither writes nor advances the generator.
    """
    _checked(tensor)
    if generator is not _NOT_RANDOM:
        kwargs["seed"] = stream(generator)
    plan = active_plan()  # inside a whole-model call: the fill may wait, and never run if replaced
    if plan is None:
        return _shard.fill_sharded(fill, tensor, *args, **kwargs)
    if plan.fill(fill, tensor, args, kwargs):
        return tensor
    with plan.overwriting(tensor):
        return _shard.fill_sharded(fill, tensor, *args, **kwargs)


def uniform_(tensor: torch.Tensor, a: float = 0.0, b: float = 1.0, generator: SeedLike = None) -> torch.Tensor:
    """Fill ``tensor`` with U[a, b) (``torch.nn.init.uniform_``; :func:`fastinit.uniform_`)."""
    return _fill(_fi.uniform_, tensor, a, b, generator=generator)


def normal_(tensor: torch.Tensor, mean: float = 0.0, std: float = 1.0, generator: SeedLike = None) -> torch.Tensor:
    """Fill ``tensor`` with N(mean, std**2) (``torch.nn.init.normal_``; :func:`fastinit.normal_`)."""
    return _fill(_fi.normal_, tensor, mean, std, generator=generator)


def trunc_normal_(tensor: torch.Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: SeedLike = None) -> torch.Tensor:
    """Fill ``tensor`` with N(mean, std**2) truncated to the absolute bounds [a, b].

    As ``torch.nn.init.trunc_normal_`` (absolute bounds: with ``std=0.02`` the
    default bounds +-2 are 100 std away); :func:`fastinit.truncated_normal_`.
    """
    return _fill(_fi.truncated_normal_, tensor, mean, std, a, b, generator=generator)


def constant_(tensor: torch.Tensor, val: float) -> torch.Tensor:
    """Fill ``tensor`` with ``val`` (``torch.nn.init.constant_``)."""
    local = _checked(tensor)  # a DTensor's whole local shard: every block of it gets the same value
    plan = active_plan()  # inside a whole-model call: a constant row of a tensor may wait behind its fill
    if plan is not None and plan.constant_part(local, _fi.constant_, val):
        return tensor
    with overwriting(local):
        if local.device.type == "cpu":
            _fi.constant_(local, val)
        else:
            with torch.no_grad():
                local.copy_(_fi.constant_(torch.empty(local.shape, dtype=local.dtype), val))
    return tensor


def ones_(tensor: torch.Tensor) -> torch.Tensor:
    """Fill ``tensor`` with 1 (``torch.nn.init.ones_``)."""
    return constant_(tensor, 1.0)


def zeros_(tensor: torch.Tensor) -> torch.Tensor:
    """Fill ``tensor`` with 0 (``torch.nn.init.zeros_``)."""
    return constant_(tensor, 0.0)


def eye_(tensor: torch.Tensor) -> torch.Tensor:
    """Fill a 2-D ``tensor`` with the identity matrix (``torch.nn.init.eye_``)."""
    return _fill(_fs.eye_, tensor)


def dirac_(tensor: torch.Tensor, groups: int = 1) -> torch.Tensor:
    """Fill a 3-, 4- or 5-D ``tensor`` with the Dirac delta (``torch.nn.init.dirac_``)."""
    return _fill(_fs.dirac_, tensor, groups)


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0, generator: SeedLike = None) -> torch.Tensor:
    """Xavier/Glorot uniform, ``bound = gain * sqrt(6 / (fan_in + fan_out))`` (``torch.nn.init.xavier_uniform_``).

    Fans come from the whole (logical) tensor's shape, also for a shard.
    """
    return _fill(_fi.xavier_uniform_, tensor, gain, generator=generator)


def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0, generator: SeedLike = None) -> torch.Tensor:
    """Xavier/Glorot normal (untruncated), ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    return _fill(_fi.xavier_normal_, tensor, gain, generator=generator)


def kaiming_uniform_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: SeedLike = None) -> torch.Tensor:
    """He/Kaiming uniform, ``bound = sqrt(3) * calculate_gain(nonlinearity, a) / sqrt(fan)``.

    As ``torch.nn.init.kaiming_uniform_``; ``a=math.sqrt(5)`` is
    ``torch.nn.Linear``'s default, U(+-1/sqrt(fan_in)).
    """
    return _fill(_fi.kaiming_uniform_, tensor, a, mode, nonlinearity, generator=generator)


def kaiming_normal_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: SeedLike = None) -> torch.Tensor:
    """He/Kaiming normal (untruncated), ``std = calculate_gain(nonlinearity, a) / sqrt(fan)``."""
    return _fill(_fi.kaiming_normal_, tensor, a, mode, nonlinearity, generator=generator)


def orthogonal_(tensor: torch.Tensor, gain: float = 1, generator: SeedLike = None) -> torch.Tensor:
    """A (semi-)orthogonal matrix times ``gain`` (``torch.nn.init.orthogonal_``; :func:`fastinit.orthogonal_`)."""
    return _fill(_fs.orthogonal_, tensor, gain, generator=generator)


def sparse_(tensor: torch.Tensor, sparsity: float, std: float = 0.01, generator: SeedLike = None) -> torch.Tensor:
    """N(0, std**2) with ``ceil(sparsity * rows)`` zeros per column (``torch.nn.init.sparse_``).

    Unlike PyTorch (whose zero pattern comes from the global generator even
    when ``generator`` is given), values and pattern both come from ``generator``.
    """
    return _fill(_fs.sparse_, tensor, sparsity, std, generator=generator)


