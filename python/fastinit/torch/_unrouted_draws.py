"""Values an init hook draws with torch's own generator, followed into the model's tensors.

fastinit routes the random calls it knows (``torch.nn.init.*``,
``Tensor.normal_``/``uniform_``) onto each tensor's name-keyed stream. A
hook can also draw with torch's generator in ways fastinit cannot route:
into a new tensor that it then writes into a parameter
(``p.copy_(torch.randn(n, m) * std)``, ``p.data = torch.rand(n)``), or with
an in-place method fastinit has no kernel for (``p.data.random_()``,
``bernoulli_``, ``exponential_``, ...). Such code runs as it is, so the
model gets the distribution its code asks for, but the values come from
torch's generator (``torch.manual_seed``), not from fastinit's seed.

While :func:`watching` is active, the functions of :data:`RANDOM_FUNCTIONS`
(as attributes of ``torch``) and the methods of :data:`RANDOM_METHODS` report
their results. From the first such draw on, a :class:`TorchDraws`
``TorchFunctionMode`` marks every result computed from a drawn tensor
(``torch.randn(...) * std`` is marked too) and calls ``on_write(tensor,
origin)`` when marked values are written into a tensor in place (``copy_``,
any in-place method, ``.data =``), ``origin`` naming the torch function that
drew them. A hook that draws nothing from torch pays for no mode (Hugging
Face's hooks call torch functions thousands of times). Not seen: functions
imported by name before the hook ran (``from torch import randn``).

A constructor puts drawn values into a model without an in-place write
(``nn.Parameter(torch.randn(n, m) * 0.02)``, ``register_buffer("pos",
torch.rand(1, n))``): with ``storages=True`` the mode also keeps, for every
tensor it marks, a weak reference to its storage (the storage's memory is not
kept, and its identity is not reused while the reference lives), and
:meth:`TorchDraws.drawn_storage` says which function drew the values a tensor's
storage holds, after the temporaries that carried them are gone.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.utils._device
from torch.multiprocessing.reductions import StorageWeakRef
from torch.overrides import TorchFunctionMode, _pop_mode, _push_mode
from torch.utils._pytree import tree_leaves
from torch.utils.weak import WeakIdKeyDictionary

from ._patching import SharedPatch, Target

__all__ = ["TorchDraws", "watching", "RANDOM_FUNCTIONS", "RANDOM_METHODS"]

#: Functions that return new tensors drawn from torch's generator.
RANDOM_FUNCTIONS = tuple(name for name in (
    "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm", "normal",
    "bernoulli", "multinomial", "poisson", "binomial") if hasattr(torch, name))

#: In-place methods that draw from torch's generator and have no fastinit kernel
#: (``normal_`` and ``uniform_`` on a model tensor are fastinit's while a hook runs).
RANDOM_METHODS = ("random_", "bernoulli_", "exponential_", "geometric_", "log_normal_", "cauchy_")

_ORIGINAL_FUNCTIONS = {getattr(torch, name): f"torch.{name}" for name in RANDOM_FUNCTIONS}
_DATA = torch._C.TensorBase.__dict__["data"]


def _is_data_assignment(func: Any) -> bool:
    return getattr(func, "__self__", None) is _DATA and getattr(func, "__name__", "") == "__set__"


def _is_in_place(func: Any) -> bool:
    """torch's naming: ``copy_``, ``mul_`` write into their first argument (``__get__``, ``__dlpack__`` do not)."""
    name = getattr(func, "__name__", "")
    return name.endswith("_") and not name.startswith("__")


class TorchDraws(TorchFunctionMode):  # type: ignore[misc]  # torch's stubs type it Any
    """Follows values drawn by torch's generator into in-place writes (see the module docstring)."""

    def __init__(self, on_write: Callable[[torch.Tensor, str], None], storages: bool = False) -> None:
        super().__init__()
        self.on_write = on_write
        self.origin: WeakIdKeyDictionary = WeakIdKeyDictionary()  # tensor -> the function that drew it
        #: with ``storages``: storage identity -> (a weak reference to it, the function that drew its values)
        self.storages: dict[int, tuple[StorageWeakRef, str]] | None = {} if storages else None
        self.entered = False

    def _mark(self, t: torch.Tensor, origin: str) -> None:
        self.origin[t] = origin
        if self.storages is not None:
            with torch._C.DisableTorchFunction():
                try:
                    storage = t.untyped_storage()
                except (RuntimeError, NotImplementedError, TypeError):
                    return
                self.storages[int(storage._cdata)] = (StorageWeakRef(storage), origin)

    def drawn_storage(self, t: torch.Tensor) -> str | None:
        """The function that drew the values ``t``'s storage holds, None if they were not drawn by torch
        (needs ``storages=True``)."""
        if not self.storages:
            return None
        with torch._C.DisableTorchFunction():
            try:
                key = int(t.untyped_storage()._cdata)
            except (RuntimeError, NotImplementedError, TypeError):
                return None
        entry = self.storages.get(key)
        return entry[1] if entry is not None and not entry[0].expired() else None

    def drew(self, result: Any, origin: str) -> None:
        """``result`` holds values ``origin`` drew: mark it, and follow what is computed from it."""
        for t in tree_leaves(result):
            if isinstance(t, torch.Tensor):
                self._mark(t, origin)
        if not self.entered:
            _push_beneath(self)
            self.entered = True

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        origin = _ORIGINAL_FUNCTIONS.get(func) if not isinstance(func, type) else None
        if origin is None:
            origin = next((self.origin[t] for t in tree_leaves((args, kwargs))
                           if isinstance(t, torch.Tensor) and t in self.origin), None)
            if origin is None:
                return out
            target = args[0] if args and isinstance(args[0], torch.Tensor) else None
            if target is not None and (_is_data_assignment(func) or _is_in_place(func)):
                self.on_write(target, origin)  # copy_, mul_, ... or p.data = drawn
                self._mark(target, origin)
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor):
                self._mark(t, origin)
        return out


def _push_beneath(mode: TorchFunctionMode) -> None:
    """Push ``mode`` beneath the modes on this thread's stack (above the default device's, which
    ``torch.set_default_device`` keeps at the bottom): it starts at a first draw, maybe inside a
    ``with torch.device(...)`` or another mode that ends before the block does, and whose exit pops the
    stack's top."""
    keep = getattr(getattr(torch, "_GLOBAL_DEVICE_CONTEXT", None), "device_context", None)
    above = []
    while torch._C._len_torch_function_stack() > 0:
        top = _pop_mode()
        if top is keep:
            _push_mode(top)
            break
        above.append(top)
    _push_mode(mode)
    for m in reversed(above):
        _push_mode(m)


def _remove(mode: TorchFunctionMode) -> None:
    """Take ``mode`` off this thread's stack, wherever it is, the others keeping their order."""
    above = []
    while torch._C._len_torch_function_stack() > 0:
        top = _pop_mode()
        if top is mode:
            break
        above.append(top)
    for m in reversed(above):
        _push_mode(m)


class _Current(threading.local):
    def __init__(self) -> None:
        self.watch: TorchDraws | None = None


_current = _Current()


def _function(name: str) -> Callable[[Any], Any]:
    def factory(original: Callable[..., Any]) -> Callable[..., Any]:
        def drawing(*args: Any, **kwargs: Any) -> Any:
            out = original(*args, **kwargs)
            watch = _current.watch
            if watch is not None:
                watch.drew(out, f"torch.{name}")
            return out

        drawing.__name__ = drawing.__qualname__ = name
        return drawing

    return factory


def _method(name: str) -> Callable[[Any], Any]:
    def factory(original: Callable[..., Any]) -> Callable[..., Any]:
        def drawing(self: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            out = original(self, *args, **kwargs)
            watch = _current.watch
            if watch is not None:
                watch.on_write(self, f"Tensor.{name}")
                watch.drew(self, f"Tensor.{name}")
            return out

        drawing.__name__ = drawing.__qualname__ = name
        return drawing

    return factory


def _targets() -> list[Target]:
    # torch.device("meta") knows its factories by a set of torch's functions made at its first use: made now,
    # before they are replaced, or ``torch.randn`` under the device (meta_init) would no longer be one of them
    constructors = getattr(torch.utils._device, "_device_constructors", None)
    if constructors is not None:
        constructors()
    return ([(torch, name, _function(name)) for name in RANDOM_FUNCTIONS]
            + [(torch.Tensor, name, _method(name)) for name in RANDOM_METHODS])


_patch = SharedPatch(_targets)


@contextmanager
def watching(on_write: Callable[[torch.Tensor, str], None], storages: bool = False) -> Iterator[TorchDraws]:
    """Report writes of values torch's generator draws in this thread to ``on_write``; with ``storages``, keep
    the drawn storages for :meth:`TorchDraws.drawn_storage` (module docstring)."""
    watch = TorchDraws(on_write, storages)
    _patch.acquire()
    previous, _current.watch = _current.watch, watch
    try:
        yield watch
    finally:
        _current.watch = previous
        try:
            if watch.entered:
                _remove(watch)
        finally:
            _patch.release()
