"""Route ``torch.nn.init`` calls made by other code through fastinit.

Inside :func:`routed_init`, the initializers of ``torch.nn.init`` (and the
names that torch's own modules imported from it, e.g. ``xavier_uniform_`` in
``torch.nn.modules.activation``) are replaced by a handler that receives
``(function name, tensor, args, kwargs)``. fastinit.torch uses it to run a
module's own ``reset_parameters`` with each parameter's name-keyed stream,
and to record the ``torch.nn.init`` calls made while a model is built under
:func:`fastinit.torch.fast_init`. Code that imported an initializer by name
before the block (``from torch.nn.init import normal_``) and tensor methods
(``w.data.normal_()``) are not reached.

The replacement is process-wide while the block runs (not thread-safe).
"""
from __future__ import annotations

import contextlib
import importlib
import inspect
from collections.abc import Iterator
from types import ModuleType
from typing import Any, Callable

import torch

from . import _nn_init

__all__ = ["routed_init", "INIT_NAMES", "call_keyed", "InitHandler"]

INIT_NAMES = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
              "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_")
_IMPORTING_MODULES = ("torch.nn.init", "torch.nn.modules.activation", "torch.nn.modules.transformer")

#: Index (after the tensor) of each random initializer's ``generator`` argument.
_GENERATOR_POSITION = {
    name: list(inspect.signature(getattr(torch.nn.init, name)).parameters).index("generator") - 1
    for name in INIT_NAMES
    if "generator" in inspect.signature(getattr(torch.nn.init, name)).parameters
}

#: ``handler(init name, tensor, positional arguments after the tensor, keyword arguments)``:
#: what a routed ``torch.nn.init`` call runs instead; its result is the call's result.
InitHandler = Callable[[str, torch.Tensor, tuple[Any, ...], dict[str, Any]], torch.Tensor]


def call_keyed(name: str, tensor: torch.Tensor, args: tuple[Any, ...], kwargs: dict[str, Any],
               seed: int) -> torch.Tensor:
    """``fastinit.torch.<name>(tensor, *args, **kwargs)`` with the stream ``seed`` instead of any generator given."""
    position = _GENERATOR_POSITION.get(name)
    if position is not None:
        args = args[:position]
        kwargs = {**kwargs, "generator": seed}
    init: Callable[..., torch.Tensor] = getattr(_nn_init, name)
    return init(tensor, *args, **kwargs)


def _wrapper(name: str, handler: InitHandler) -> Callable[..., torch.Tensor]:
    def routed(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        return handler(name, tensor, args, kwargs)

    routed.__name__ = routed.__qualname__ = name
    return routed


@contextlib.contextmanager
def routed_init(handler: InitHandler) -> Iterator[None]:
    """Within the block, ``torch.nn.init.<name>(tensor, ...)`` calls ``handler(name, tensor, args, kwargs)``."""
    saved: list[tuple[ModuleType, str, object]] = []
    try:
        for module_name in _IMPORTING_MODULES:
            module = importlib.import_module(module_name)
            for name in INIT_NAMES:
                if name in vars(module):
                    saved.append((module, name, vars(module)[name]))
                    setattr(module, name, _wrapper(name, handler))
        yield
    finally:
        for module, name, original in reversed(saved):
            setattr(module, name, original)
