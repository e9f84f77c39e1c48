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

Per thread: while any thread is inside a block, the module attributes hold
a dispatcher that sends a call to the innermost handler of the calling
thread, or to torch's function when that thread has none. So calls made by
other threads meanwhile are torch's, overlapping blocks in several threads
each see their own calls, and torch's functions are back when the last block
ends.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import threading
from collections.abc import Iterator
from typing import Any, Callable

import torch

from . import _nn_init
from ._patching import SharedPatch, Target

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


class _Handlers(threading.local):
    """Each thread's stack of active handlers (innermost last)."""

    def __init__(self) -> None:
        self.stack: list[InitHandler] = []


_handlers = _Handlers()


def _dispatcher(name: str, original: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    def routed(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        stack = _handlers.stack
        if not stack:  # a thread outside every block: torch's own function
            return original(tensor, *args, **kwargs)
        return stack[-1](name, tensor, args, kwargs)

    routed.__name__ = routed.__qualname__ = name
    return routed


def _targets() -> list[Target]:
    return [(module, name, functools.partial(_dispatcher, name))
            for module in map(importlib.import_module, _IMPORTING_MODULES)
            for name in INIT_NAMES if name in vars(module)]


_patch = SharedPatch(_targets)


@contextlib.contextmanager
def routed_init(handler: InitHandler) -> Iterator[None]:
    """Within the block, ``torch.nn.init.<name>(tensor, ...)`` called by this thread calls ``handler``.

    ``handler(name, tensor, args, kwargs)``; other threads' calls are not affected.
    """
    _patch.acquire()
    _handlers.stack.append(handler)
    try:
        yield
    finally:
        _handlers.stack.pop()
        _patch.release()
