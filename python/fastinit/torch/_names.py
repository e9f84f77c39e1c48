"""Qualified names of a module's tensors, as fastinit.torch keys them.

A tensor's stream depends on its name relative to the module passed, with
the attribute that a wrapper adds removed: ``module`` under
``DistributedDataParallel``/``DataParallel``, ``_orig_mod`` under
``torch.compile``'s ``OptimizedModule``, ``_fsdp_wrapped_module`` (FSDP1) and
``_checkpoint_wrapped_module`` (activation checkpointing). So
``DDP(model)``, ``torch.compile(model)`` and ``model`` get the same values.
A tensor reachable under several names (tied weights) is keyed, and
initialized, once, under the first name in ``named_parameters()`` order.
"""
from __future__ import annotations

import torch

__all__ = ["walk", "canonical_names"]

_WRAPPER_ATTRIBUTES = frozenset({"_orig_mod", "_fsdp_wrapped_module", "_checkpoint_wrapped_module"})
_DATA_PARALLEL = frozenset({"DistributedDataParallel", "DataParallel"})


def _child_prefix(parent: torch.nn.Module, prefix: str, attr: str) -> str:
    if attr in _WRAPPER_ATTRIBUTES or (attr == "module" and type(parent).__name__ in _DATA_PARALLEL):
        return prefix
    return f"{prefix}{attr}."


def walk(module: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    """``(prefix, submodule)`` of every distinct submodule in pre-order; ``prefix`` ends with "." unless empty."""
    out, seen, todo = [], set(), [("", module)]
    while todo:
        prefix, m = todo.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        out.append((prefix, m))
        children = [(_child_prefix(m, prefix, attr), c) for attr, c in m._modules.items() if c is not None]
        todo.extend(reversed(children))
    return out


def canonical_names(modules: list[tuple[str, torch.nn.Module]]) -> dict[int, str]:
    """``id(tensor) -> name`` for every parameter and buffer; the first name of a tied tensor wins."""
    names: dict[int, str] = {}
    for prefix, m in modules:
        for table in (m._parameters, m._buffers):
            for attr, t in table.items():
                if t is not None and id(t) not in names:
                    names[id(t)] = prefix + attr
    return names
