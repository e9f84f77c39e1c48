"""Which block of the logical tensor a tensor object holds.

Every in-place function of :mod:`fastinit.torch` asks :func:`local_block`
before writing: a plain tensor is the whole logical tensor; a sharded
parameter (DTensor) holds one block of a larger one, and fastinit fills that
block with the values of the whole (``full_shape=``/``offset=``).

This version knows plain tensors only; DTensor support lives in the
torch.distributed part of fastinit.torch.
"""
from __future__ import annotations

import torch

__all__ = ["local_block"]


def local_block(tensor: torch.Tensor) -> "tuple[torch.Tensor, tuple[int, ...] | None, tuple[int, ...] | None]":
    """``(local_tensor, full_shape, offset)`` of ``tensor``.

    A plain tensor (or Parameter) is the whole tensor: ``(tensor, None, None)``.
    """
    if type(tensor) is torch.Tensor or type(tensor) is torch.nn.Parameter:  # the common case, no isinstance chain
        return tensor, None, None
    if _is_dtensor(tensor):
        raise NotImplementedError(
            "tensor is a DTensor: sharded parameters need the torch.distributed support of fastinit.torch"
        )
    return tensor, None, None


def _is_dtensor(tensor: torch.Tensor) -> bool:
    dtensor = getattr(getattr(torch, "distributed", None), "tensor", None)
    cls = getattr(dtensor, "DTensor", None) if dtensor is not None else None
    return cls is not None and isinstance(tensor, cls)
