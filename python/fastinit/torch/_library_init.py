"""A model library's own initialization (Hugging Face's ``init_weights``), run on fastinit's streams.

Model libraries initialize in code of their own, after the modules' torch
defaults: Hugging Face transformers' ``PreTrainedModel.post_init`` calls
``init_weights()``, which applies the model's ``_init_weights(module)`` to
every submodule and ties the weights (``tie_weights``). That code writes
through ``torch.nn.init`` (transformers 4.x), through
``transformers.initialization``'s wrappers, which call the ``torch.nn.init``
functions recorded in its ``TORCH_INIT_FUNCTIONS`` at import (5.x), and
through tensor methods (``module.weight.data.normal_(0, std)``,
``.uniform_()``, ``.zero_()``, ``.fill_()``, ``.copy_()``).

:func:`run_init_hook` runs such a hook with every random draw on fastinit's
kernels, each on the stream of the tensor it fills,
``Generator(root).fold_in(name)``: ``torch.nn.init`` calls and the
``TORCH_INIT_FUNCTIONS`` entries are routed, ``Tensor.normal_`` and
``Tensor.uniform_`` on a model tensor (or a ``.data`` view of the whole of
one) are drawn by fastinit; ``zero_``, ``fill_``, ``copy_`` run as torch's and
are recorded. A random draw on a tensor that is not one of the model's (a
temporary, a slice) uses the stream ``<hook>.<unnamed k>``, k counting such
draws, so the result is still a function of the seed.

The hook is found by :func:`find_init_hooks`: the outermost submodules that
have ``init_weights`` and ``_init_weights`` (transformers' convention) get
``module.init_weights()`` after their ``_is_hf_initialized`` flags are
cleared, so that the call initializes everything again. Another library's
hook is named with ``init_hook=callable`` (called as ``init_hook(model)``).
"""
from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Union

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from . import _nn_init
from ._constructor_writes import RANDOM_METHODS, SHARED_METHODS, before_hook_write, current_recorder
from ._names import canonical_names, walk
from ._patching import SharedPatch, Target
from ._report import InitReport
from ._routing import INIT_NAMES, call_keyed, routed_init
from ._seeds import fold_in_seed
from ._unrouted_draws import watching
from ._write_plan import active_plan, overwriting

__all__ = ["InitHook", "find_init_hooks", "run_init_hook", "resolve_init_hook", "deferred_hook_targets",
           "storage_key", "HF_FLAG", "finish_with_hook", "InitHookLike", "hooks_for",
           "tensor_methods_routed"]

#: ``init_hook(model)``: a library's initialization of a whole model.
InitHook = Callable[[nn.Module], object]
#: What ``init_hook=`` accepts: "auto" (the library's own hook where one is found), None (torch defaults
#: only) or a callable.
InitHookLike = Union[str, InitHook, None]

#: transformers' mark of a tensor or module its ``init_weights`` has already written.
HF_FLAG = "_is_hf_initialized"


def storage_key(t: torch.Tensor) -> Hashable:
    """Identifies a tensor's memory: ``p.data`` of a Parameter ``p`` has ``p``'s key, and so has a Parameter
    made from an initialized temporary.

    A DTensor (FSDP2, tensor parallel) is known by its local shard's memory with its global shape
    and placements, so ``p.data`` of a sharded parameter (transformers 4.x writes
    ``module.weight.data.normal_(...)``) finds ``p``'s name. Tensors without memory of their own
    (meta, lazy, a DTensor whose shard on this rank is empty: nothing is written there) or without
    one strided block of it (sparse) are keyed by identity.
    """
    if type(t).__name__ == "DTensor":
        local = t._local_tensor
        if local.device.type == "meta" or local.numel() == 0:
            return id(t)
        return (local.data_ptr(), tuple(local.shape), tuple(local.stride()), t.dtype, tuple(t.shape),
                tuple(t.placements))
    if is_lazy(t) or t.device.type == "meta" or t.layout != torch.strided:
        return id(t)
    return (t.data_ptr(), tuple(t.shape), tuple(t.stride()), t.dtype)


def _has_hf_hook(m: nn.Module) -> bool:
    return callable(getattr(m, "init_weights", None)) and callable(getattr(m, "_init_weights", None))


def _hf_init_weights(m: nn.Module) -> None:
    """transformers' ``init_weights()`` on every tensor again: its ``_is_hf_initialized`` flags cleared first."""
    for sub in m.modules():
        for x in (sub, *sub._parameters.values(), *sub._buffers.values()):
            if x is not None and HF_FLAG in vars(x):
                delattr(x, HF_FLAG)
    m.init_weights()


def find_init_hooks(model: nn.Module) -> list[tuple[str, nn.Module, InitHook]]:
    """``(prefix, submodule, hook)`` for the outermost submodules with a library init hook (pre-order)."""
    found: list[tuple[str, nn.Module, InitHook]] = []
    inside: set[int] = set()
    for prefix, m in walk(model):
        if id(m) in inside:
            continue
        if _has_hf_hook(m):
            found.append((prefix, m, _hf_init_weights))
            inside.update(id(s) for s in m.modules())
    return found


def resolve_init_hook(init_hook: InitHookLike) -> InitHookLike:
    """The argument checked: "auto", None or a callable."""
    if init_hook is None or callable(init_hook) or init_hook == "auto":
        return init_hook
    raise ValueError(f"init_hook must be 'auto', None or a callable init_hook(model), got {init_hook!r}")


def hooks_for(model: nn.Module, init_hook: InitHookLike) -> list[tuple[str, nn.Module, InitHook]]:
    if init_hook is None:
        return []
    if init_hook == "auto":
        return find_init_hooks(model)
    assert callable(init_hook)
    return [("", model, init_hook)]


# --------------------------------------------------------------------------
# Routing a hook's writes


class _HookState:
    """One hook run in one thread: names, root seed, and what it wrote (name -> how)."""

    def __init__(self, model: nn.Module, root: int, label: str) -> None:
        modules = walk(model)
        self.names = canonical_names(modules)
        self.by_storage: dict[Hashable, str] = {}
        for _, m in modules:
            for table in (m._parameters, m._buffers):
                for t in table.values():
                    if t is not None:
                        self.by_storage.setdefault(storage_key(t), self.names[id(t)])
        self.root = root
        self.label = label
        self.unnamed = 0
        self.written: dict[str, str] = {}
        #: tensors whose last write holds values torch's generator drew (name -> the function that drew them)
        self.torch_drawn: dict[str, str] = {}
        self._drawn_now: dict[str, str] = {}  # flagged by TorchDraws during the write being made
        self.busy = False  # inside one of our own fills: tensor methods there are fastinit's own

    def name_of(self, t: torch.Tensor) -> str | None:
        name = self.names.get(id(t))
        if name is None and isinstance(t, torch.Tensor):
            name = self.by_storage.get(storage_key(t))
        return name

    def seed_for(self, t: torch.Tensor, name: str | None) -> int:
        if name is None:
            name = f"{self.label}.<unnamed {self.unnamed}>"
            self.unnamed += 1
        return fold_in_seed(self.root, name)

    def mark(self, name: str | None, how: str) -> None:
        """The write ``how`` of ``name`` is done: the tensor's last write (reproducible unless it was
        flagged by :meth:`drawn_by_torch` while it was made)."""
        if name is None:
            return
        origin = self._drawn_now.pop(name, None)
        if origin is None:
            self.written[name] = f"{self.label}: {how}"
            self.torch_drawn.pop(name, None)
        else:
            self.written[name] = f"{self.label}: {how} of values drawn by {origin}"
            self.torch_drawn[name] = origin

    def drawn_by_torch(self, t: torch.Tensor, origin: str) -> None:
        """``t`` is being written with values torch's generator drew (by ``origin``)."""
        name = self.name_of(t)
        if name is not None and not self.busy:
            self._drawn_now[name] = origin

    def finish(self) -> None:
        """Writes flagged without a :meth:`mark` after them (``p.data = ...``, ``random_``) are last writes."""
        for name, origin in self._drawn_now.items():
            self.written[name] = f"{self.label}: values drawn by {origin}"
            self.torch_drawn[name] = origin
        self._drawn_now.clear()


class _Active(threading.local):
    def __init__(self) -> None:
        self.state: _HookState | None = None


_active = _Active()


def _random_method(method: str, to_init: Callable[[tuple[Any, ...], dict[str, Any]], tuple[str, tuple[Any, ...]]]
                   ) -> Callable[[Any], Any]:
    def factory(original: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
        def routed(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
            state = _active.state
            if state is None:
                recorder = current_recorder()  # a constructor inside fast_init/meta_init: recorded
                if recorder is not None:
                    return recorder.method(method, original, self, args, kwargs)
            if state is None or state.busy or self.dtype not in _nn_init._FLOAT_DTYPES:
                return original(self, *args, **kwargs)
            init_name, init_args = to_init(args, kwargs)
            name = state.name_of(self)
            before_hook_write(self)
            state.busy = True
            try:
                getattr(_nn_init, init_name)(self, *init_args, generator=state.seed_for(self, name))
            finally:
                state.busy = False
            state.mark(name, f"Tensor.{method}{tuple(init_args)}")
            return self

        routed.__name__ = routed.__qualname__ = method
        return routed

    return factory


def _recording_method(method: str) -> Callable[[Any], Any]:
    def factory(original: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
        def recorded(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
            state = _active.state
            if state is None:
                recorder = current_recorder()  # a constructor inside fast_init/meta_init: recorded
                if recorder is not None:
                    return recorder.method(method, original, self, args, kwargs)
            if state is None or state.busy:
                return original(self, *args, **kwargs)
            before_hook_write(self)
            if not _constant_part(method, original, self, args, kwargs):
                with overwriting(self, *args, *kwargs.values()):
                    original(self, *args, **kwargs)
            state.mark(state.name_of(self), f"Tensor.{method}")
            return self

        recorded.__name__ = recorded.__qualname__ = method
        return recorded

    return factory


def _zero(view: torch.Tensor, value: object) -> None:
    torch._C.TensorBase.zero_(view)


def _constant_part(method: str, original: Callable[..., torch.Tensor], tensor: torch.Tensor,
                   args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """``zero_``/``fill_(number)`` of part of a tensor: recorded behind its storage's planned writes if it has
    some (True), else the caller runs it now."""
    plan = active_plan()
    if plan is None:
        return False
    if method == "zero_" and not args and not kwargs:
        return plan.constant_part(tensor, _zero, 0)
    if method == "fill_" and len(args) + len(kwargs) == 1:
        return plan.constant_part(tensor, original, args[0] if args else kwargs.get("value"))
    return False


def _tensor_targets() -> list[Target]:
    targets: list[Target] = [(torch.Tensor, m, _random_method(m, to_init)) for m, to_init in RANDOM_METHODS.items()]
    return targets + [(torch.Tensor, m, _recording_method(m)) for m in SHARED_METHODS if m not in RANDOM_METHODS]


def _library_targets() -> list[Target]:
    """transformers 5's ``TORCH_INIT_FUNCTIONS``: the entries become the (routed) ``torch.nn.init`` functions."""
    hf = sys.modules.get("transformers.initialization")
    table = getattr(hf, "TORCH_INIT_FUNCTIONS", None)
    if not isinstance(table, dict):
        return []
    return [(table, name, _routed_torch_function(name)) for name in INIT_NAMES if name in table]


def _routed_torch_function(name: str) -> Callable[[Any], Any]:
    """The replacement of an entry: ``torch.nn.init.<name>`` as it is now (routed, while a hook runs)."""
    def replacement(original: Any) -> Any:
        return getattr(torch.nn.init, name)

    return replacement


_tensor_patch = SharedPatch(_tensor_targets)
_library_patch = SharedPatch(_library_targets)


@contextlib.contextmanager
def tensor_methods_routed() -> Iterator[None]:
    """The tensor methods a hook routes (:data:`SHARED_METHODS`) are patched within the block: in a thread
    with a constructor recorder (``fast_init``/``meta_init``) and no hook running, they are recorded."""
    _tensor_patch.acquire()
    try:
        yield
    finally:
        _tensor_patch.release()


#: The constant initializers torch also applies to integer and bool tensors: name -> their fill value.
_INTEGER_CONSTANTS: dict[str, Callable[[tuple[Any, ...], dict[str, Any]], Any]] = {
    "zeros_": lambda args, kwargs: 0,
    "ones_": lambda args, kwargs: 1,
    "constant_": lambda args, kwargs: args[0] if args else kwargs["val"],
}


@contextlib.contextmanager
def _routed_hook(state: _HookState) -> Iterator[None]:
    def handler(init_name: str, tensor: torch.Tensor, args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor:
        name = state.name_of(tensor)
        before_hook_write(tensor)
        if tensor.dtype not in _nn_init._FLOAT_DTYPES and init_name in _INTEGER_CONSTANTS:
            with torch.no_grad():  # an integer buffer (token_type_ids): torch's functions accept it too
                tensor.fill_(_INTEGER_CONSTANTS[init_name](args, kwargs))
            state.mark(name, init_name)
            return tensor
        state.busy = True
        try:
            out = call_keyed(init_name, tensor, args, kwargs, state.seed_for(tensor, name))
        finally:
            state.busy = False
        state.mark(name, init_name)
        return out

    if _active.state is not None:
        raise RuntimeError("a model library's init hook is already running in this thread")
    with routed_init(handler):  # installs the torch.nn.init dispatchers the library table then points at
        _library_patch.acquire()
        _tensor_patch.acquire()
        _active.state = state
        try:
            with watching(state.drawn_by_torch):
                yield
            state.finish()
        finally:
            _active.state = None
            _tensor_patch.release()
            _library_patch.release()


def run_init_hook(model: nn.Module, root: int, init_hook: InitHookLike = "auto"
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """Run the model's library init hook(s) with fastinit's streams.

    Returns ``({qualified name: what wrote it last}, {qualified name: the torch function that drew
    its values})``, the second for tensors whose last write holds values of torch's generator
    (:mod:`._unrouted_draws`). Names are relative to ``model``. See the module docstring for what is
    routed.
    """
    written: dict[str, str] = {}
    torch_drawn: dict[str, str] = {}
    for prefix, sub, hook in hooks_for(model, init_hook):
        label = type(sub).__qualname__ + (".init_weights" if hook is _hf_init_weights else f" {hook!r}")
        state = _HookState(model, root, prefix + label)
        with _routed_hook(state), torch.no_grad():
            hook(sub)
        written.update(state.written)
        for name in state.written:  # a later hook's write of a tensor replaces an earlier one's
            torch_drawn.pop(name, None)
        torch_drawn.update(state.torch_drawn)
    if not torch_drawn:  # the common case: no second walk over the model to order nothing
        return written, torch_drawn
    order = {n: i for i, n in enumerate(dict.fromkeys(state.names.values()))}  # model order (every state's)
    return written, dict(sorted(torch_drawn.items(), key=lambda item: order.get(item[0], len(order))))


def finish_with_hook(model: nn.Module, root: int, init_hook: InitHookLike, report: InitReport) -> None:
    """Run the hook(s) after the defaults of ``report``'s call and record what they wrote in it."""
    written, torch_drawn = run_init_hook(model, root, init_hook)
    known = set(report.initialized)
    report.initialized += [n for n in written if n not in known]
    report.untouched = [n for n in report.untouched if n not in written]
    report.sources.update(written)
    report.torch_drawn = [n for n in report.torch_drawn if n not in written] + list(torch_drawn)


# --------------------------------------------------------------------------
# fast_init: the library hooks called during construction wait for the block's end

#: ``(module, class, method)`` of the library init hooks ``fast_init`` defers while it builds.
_DEFERRED = (("transformers.modeling_utils", "PreTrainedModel", "init_weights"),)


def deferred_hook_targets(deferring: Callable[[Callable[..., None]], Callable[..., None]]) -> list[Target]:
    """The imported libraries' init hook methods, each replaced by ``deferring(original)``."""
    out: list[Target] = []
    for module_name, class_name, method in _DEFERRED:
        cls = getattr(sys.modules.get(module_name), class_name, None)
        if cls is not None and method in vars(cls):
            out.append((cls, method, deferring))
    return out
