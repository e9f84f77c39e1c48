"""The writes a model's constructor makes to its tensors, recorded and replayed on fastinit's streams.

torchvision and timm initialize in their constructors: ``for m in
self.modules(): nn.init.kaiming_normal_(m.weight, ...)``, timm's own
``trunc_normal_`` (``tensor.uniform_(l, u)``, ``erfinv_()``, ``mul_(std *
sqrt(2))``, ``add_(mean)``, ``clamp_(a, b)``), ``nn.Parameter(torch.empty(n).
normal_(std=0.02))``, ``module.weight.data.mul_(scale)``. In plain PyTorch
those writes follow the modules' own defaults, and the last write wins.

While a :class:`Recorder` is active in a thread (inside
``fastinit.torch.fast_init`` and ``fastinit.torch.meta_init``), every such
write is recorded in order: the ``torch.nn.init`` calls, the in-place tensor
methods of :data:`RANDOM_METHODS` and :data:`DETERMINISTIC_METHODS`, and,
under ``meta_init``, the constants a constructor makes (``torch.zeros``/``ones``/
``full``, and such a tensor times, plus, minus or divided by a number:
``torch.ones(n) * 1e-6``), whose values the meta device does not keep. When the model is complete,
:meth:`Recorder.program` turns the writes on its tensors (found by their
storage, so a ``.data`` view, a row, or a temporary that later becomes a
Parameter is found too) into a :class:`Program` of steps keyed by tensor
names, and :func:`replay` runs it after the module defaults: each
``normal_``/``uniform_``/``torch.nn.init`` draw on the stream of the tensor
it fills, ``Generator(root).fold_in(name)`` (a part of a tensor: the stream
``<name><part k>``, k the step's position), each deterministic method as
torch's. The program holds names, not tensors, so a model built on meta and
materialized replays the same steps as one built under ``fast_init``: the
same bits.

A tensor whose first recorded write reads it (``mul_``, part of it) starts
from the values it had before that write: its module's default if the
defaults write it, else (``fast_init``) a copy of its storage taken before the
write; on meta there is no such value, and the tensor is reported as
not replayable (``materialize`` raises ``UninitializedTensorsError`` naming it).

Under ``fast_init``, writes on a Parameter wait for the end of the block
(its values are final then, as the defaults' are); writes on other tensors
also run at once (random ones on an ``<unnamed k>`` stream, never torch's
generator), so a temporary that the constructor copies from holds values.
Writes made inside a module's ``reset_parameters`` are not recorded: the
defaults redo them.

Values a constructor draws with torch's own generator (``nn.Parameter(
torch.randn(n) * 0.02)``, ``p.copy_(torch.randn(n))``, ``random_``) are followed
by :mod:`._unrouted_draws` into the storages that hold them; a program records
which tensors and steps hold them (``Program.drawn``, ``Program.drawn_steps``),
and :func:`torch_drawn` says which tensors still hold them once the defaults and
the program have run: the last write wins.
"""
from __future__ import annotations

import functools
import operator
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from . import _nn_init
from ._names import walk
from ._patching import SharedPatch, Target
from ._routing import call_keyed
from ._seeds import fold_in_seed
from ._write_plan import MIN_DEFERRED

__all__ = ["Recorder", "Program", "replay", "recording", "current_recorder", "normal_args", "uniform_args",
           "RANDOM_METHODS", "DETERMINISTIC_METHODS", "SHARED_METHODS", "attach", "programs_in", "waiting",
           "before_hook_write", "Waiting", "named_tensors", "torch_drawn"]


def normal_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """``Tensor.normal_(mean=0, std=1)``'s arguments as ``torch.nn.init.normal_``'s."""
    mean = args[0] if len(args) > 0 else kwargs.get("mean", 0.0)
    std = args[1] if len(args) > 1 else kwargs.get("std", 1.0)
    return "normal_", (float(mean), float(std))


def uniform_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """``Tensor.uniform_(from=0, to=1)``'s arguments as ``torch.nn.init.uniform_``'s."""
    low = args[0] if len(args) > 0 else kwargs.get("from", 0.0)
    high = args[1] if len(args) > 1 else kwargs.get("to", 1.0)
    return "uniform_", (float(low), float(high))


#: Random in-place methods drawn by fastinit (on a floating tensor): method -> its torch.nn.init equivalent.
RANDOM_METHODS: dict[str, Callable[[tuple[Any, ...], dict[str, Any]], tuple[str, tuple[Any, ...]]]] = {
    "normal_": normal_args, "uniform_": uniform_args}
#: In-place methods replayed as torch's.
DETERMINISTIC_METHODS = ("zero_", "fill_", "copy_", "mul_", "div_", "add_", "sub_", "clamp_", "clamp_min_",
                         "clamp_max_", "erfinv_", "neg_", "abs_", "exp_", "sqrt_", "pow_", "masked_fill_")
#: The methods a library init hook routes too (``_library_init`` installs them and calls :func:`current_recorder`).
SHARED_METHODS = ("normal_", "uniform_", "zero_", "fill_", "copy_")
#: Writes that replace every element whatever the tensor held (when they cover its whole storage).
_OVERWRITES = frozenset({"normal_", "uniform_", "zero_", "fill_", "copy_"})
#: The torch.nn.init functions that draw (a replayed one may wait for the hook).
_RANDOM_INITS = frozenset({"uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
                           "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_"})
_RESET_CALLERS = frozenset({"reset_parameters", "_reset_parameters"})
_BASE = torch._C.TensorBase
_NO_TORCH_FUNCTION = torch._C.DisableTorchFunction


def _storage(t: torch.Tensor) -> int | None:
    """The identity of ``t``'s storage (its StorageImpl; meta tensors have one too), None without one.

    Out of sight of torch-function modes: a write plan would take the call for a read of the values."""
    try:
        with _NO_TORCH_FUNCTION():
            return int(t.untyped_storage()._cdata)
    except (RuntimeError, NotImplementedError, TypeError, ValueError):
        return None


def _whole(t: torch.Tensor) -> bool:
    """Whether ``t`` covers all of its storage, contiguously."""
    try:
        with _NO_TORCH_FUNCTION():
            return bool(t.storage_offset() == 0 and t.is_contiguous()
                        and t.numel() * t.element_size() == t.untyped_storage().nbytes())
    except (RuntimeError, NotImplementedError, TypeError, ValueError):
        return False


def _inside_reset() -> bool:
    """Whether the write comes from a module's ``reset_parameters`` (the defaults redo it), a few frames up."""
    frame: FrameType | None = sys._getframe(3)
    for _ in range(8):
        if frame is None:
            return False
        if frame.f_code.co_name in _RESET_CALLERS and isinstance(frame.f_locals.get("self"), nn.Module):
            return True
        frame = frame.f_back
    return False


class _Write(NamedTuple):
    kind: str  # "init" (a torch.nn.init name) or "method" (a Tensor method name)
    op: str
    target: torch.Tensor  # kept alive, so that its storage's identity is not reused
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class Ref(NamedTuple):
    """A model tensor in a program: its name and the view of it (size, stride, offset; None: all of it)."""

    name: str
    view: tuple[tuple[int, ...], tuple[int, ...], int] | None


class Step(NamedTuple):
    target: Ref
    kind: str
    op: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class Program(NamedTuple):
    """A model's recorded writes, keyed by tensor names (relative to the model)."""

    steps: list[Step]
    reads_first: set[str]  # tensors whose first write reads them
    starts: dict[str, torch.UntypedStorage]  # fast_init: their storage before that write
    not_replayable: set[str]  # a write reads values the meta device did not keep
    #: tensors whose storage holds values torch's generator drew in the constructor -> the function that drew them
    drawn: dict[str, str]
    #: steps (by position) that write values torch's generator drew -> the function that drew them
    drawn_steps: dict[int, str]


def named_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """``name -> tensor`` of every parameter and buffer (the first name of a tied one), in model order."""
    tensors: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for prefix, m in walk(model):
        for table in (m._parameters, m._buffers):
            for attr, t in table.items():
                if t is not None and id(t) not in seen:
                    seen.add(id(t))
                    tensors[prefix + attr] = t
    return tensors


class Recorder:
    """One block's record of the writes made in this thread (see the module docstring)."""

    def __init__(self, root: int | None, meta: bool) -> None:
        self.root = root
        self.meta = meta
        self.writes: list[_Write] = []
        self.seen: set[int] = set()  # storages with a recorded write
        self.reads_first: set[int] = set()
        self.starts: dict[int, torch.UntypedStorage] = {}
        self.placed: set[int] = set()  # storages :meth:`program` found in a model
        self.busy = False

    # ---- recording

    def _note(self, kind: str, op: str, tensor: torch.Tensor, args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> int:
        key = _storage(tensor)
        if key is not None and key not in self.seen:
            self.seen.add(key)
            overwrite = (kind == "init" or op in _OVERWRITES) and _whole(tensor) and not any(
                isinstance(a, torch.Tensor) and _storage(a) == key for a in (*args, *kwargs.values()))
            if not overwrite:
                self.reads_first.add(key)
                if not self.meta and tensor.device.type != "meta":
                    self.starts[key] = tensor.untyped_storage().clone()
        self.writes.append(_Write(kind, op, tensor, args, dict(kwargs)))
        return len(self.writes) - 1

    def _unnamed(self, k: int) -> int:
        assert self.root is not None
        return fold_in_seed(self.root, f"<unnamed {k}>")

    def init_call(self, init_name: str, tensor: torch.Tensor, args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> torch.Tensor:
        """A ``torch.nn.init`` call made in the block (the caller has left out the defaults' own)."""
        k = self._note("init", init_name, tensor, args, kwargs)
        if not isinstance(tensor, nn.Parameter) and not self.meta and tensor.device.type != "meta":
            self.busy = True  # maybe a temporary: filled now too
            try:
                call_keyed(init_name, tensor, args, kwargs, self._unnamed(k))
            finally:
                self.busy = False
        return tensor

    def method(self, op: str, original: Callable[..., torch.Tensor], tensor: torch.Tensor,
               args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor:
        """A recorded tensor method call, made in the block."""
        if self.busy or _inside_reset():
            return original(tensor, *args, **kwargs)
        k = self._note("method", op, tensor, args, kwargs)
        if isinstance(tensor, nn.Parameter) and not tensor.is_meta:
            return tensor  # its values are written at the end of the block
        self.busy = True  # torch's own method may call the patched one again (a subclass's __torch_function__)
        try:
            if self.meta or tensor.device.type == "meta":
                return original(tensor, *args, **kwargs)  # checks the arguments; writes nothing
            if op in RANDOM_METHODS and tensor.dtype in _nn_init._FLOAT_DTYPES:
                init_name, init_args = RANDOM_METHODS[op](args, kwargs)
                call_keyed(init_name, tensor, init_args, {}, self._unnamed(k))
                return tensor
            return original(tensor, *args, **kwargs)
        finally:
            self.busy = False

    def factory(self, value: object, out: torch.Tensor) -> None:
        """A constant tensor ``out`` made on meta (``torch.zeros``, ...): its values, as a ``fill_``."""
        if not self.busy:
            self._note("method", "fill_", out, (value,), {})

    # ---- the program of a model

    def program(self, model: nn.Module, tensors: dict[str, torch.Tensor] | None = None,
                drawn_by: Callable[[torch.Tensor], str | None] | None = None) -> Program:
        """The writes on ``model``'s tensors (``tensors``: :func:`named_tensors` of it), by name.

        ``drawn_by(t)``: the torch function that drew the values of ``t``'s storage, or None (see
        :mod:`._unrouted_draws`), for :attr:`Program.drawn` and :attr:`Program.drawn_steps`."""
        owners: dict[int, tuple[str, torch.Tensor]] = {}
        drawn: dict[str, str] = {}
        for name, t in (named_tensors(model) if tensors is None else tensors).items():
            key = _storage(t)
            if key is not None and key in self.seen:
                owners.setdefault(key, (name, t))
            if drawn_by is not None and (origin := drawn_by(t)) is not None:
                drawn[name] = origin
        self.placed.update(owners)
        steps: list[Step] = []
        not_replayable: set[str] = set()
        drawn_steps: dict[int, str] = {}
        for w in self.writes:
            target = _locate(w.target, owners)
            if target is None:
                continue
            unknown = False

            def resolved(a: Any) -> Any:
                nonlocal unknown
                if not isinstance(a, torch.Tensor):
                    return a
                ref = _locate(a, owners)
                if ref is not None:
                    return ref
                if drawn_by is not None and (origin := drawn_by(a)) is not None:
                    drawn_steps[len(steps)] = origin  # e.g. p.copy_(torch.randn(n, m))
                if a.device.type == "meta":
                    unknown = True
                return a

            args = tuple(resolved(a) for a in w.args)
            kwargs = {k: resolved(v) for k, v in w.kwargs.items()}
            if unknown:
                not_replayable.add(target.name)
            steps.append(Step(target, w.kind, w.op, args, kwargs))
        reads_first = {owners[k][0] for k in self.reads_first if k in owners}
        starts = {owners[k][0]: s for k, s in self.starts.items() if k in owners}
        return Program(steps, reads_first, starts, not_replayable, drawn, drawn_steps)

    def run_unplaced(self) -> None:
        """Writes on Parameters that :meth:`program` found in no model (they waited): run now, on
        ``<unnamed k>`` streams."""
        for k, w in enumerate(self.writes):
            if isinstance(w.target, nn.Parameter) and _storage(w.target) not in self.placed:
                with torch.no_grad():
                    _run(Step(Ref("", None), w.kind, w.op, w.args, w.kwargs), w.target, (), {},
                         self._unnamed(k))


def _locate(t: torch.Tensor, owners: dict[int, tuple[str, torch.Tensor]]) -> Ref | None:
    key = _storage(t)
    if key is None or key not in owners:
        return None
    name, owner = owners[key]
    if t.dtype != owner.dtype:
        return None
    view = (tuple(t.shape), tuple(t.stride()), t.storage_offset())
    whole = (tuple(owner.shape), tuple(owner.stride()), owner.storage_offset())
    return Ref(name, None if view == whole else view)


def _run(step: Step, target: torch.Tensor, args: tuple[Any, ...], kwargs: dict[str, Any], seed: int) -> None:
    if step.kind == "init":
        call_keyed(step.op, target, args, kwargs, seed)
    elif step.op in RANDOM_METHODS and target.dtype in _nn_init._FLOAT_DTYPES:
        init_name, init_args = RANDOM_METHODS[step.op](args, kwargs)
        call_keyed(init_name, target, init_args, {}, seed)
    else:
        getattr(_BASE, step.op)(target, *args, **kwargs)


def _geometry(t: torch.Tensor) -> tuple[Any, ...]:
    return (tuple(t.shape), tuple(t.stride()), t.storage_offset(), t.dtype)


#: Replayed fills waiting for the init hook: storage -> (the tensor's geometry, the fill).
Waiting = dict[int, tuple[tuple[Any, ...], Callable[[], None]]]


class _Waits(threading.local):
    def __init__(self) -> None:
        self.fills: Waiting | None = None


_waits = _Waits()


@contextmanager
def waiting(fills: Waiting) -> Iterator[None]:
    """Within the block (an init hook running), a waiting fill is dropped when the hook writes all of its
    tensor (:func:`before_hook_write`: the hook's write replaces it, as the last write wins) and run first
    when the hook writes part of it; the fills still waiting at the end run then (also if the block raises).
    """
    previous, _waits.fills = _waits.fills, fills
    try:
        yield
    finally:
        _waits.fills = previous
        while fills:
            fills.popitem()[1][1]()


def before_hook_write(tensor: torch.Tensor) -> None:
    """An init hook is about to write ``tensor`` through fastinit's routing (see :func:`waiting`)."""
    fills = _waits.fills
    if not fills or not isinstance(tensor, torch.Tensor):
        return
    key = _storage(tensor)
    entry = fills.pop(key, None) if key is not None else None
    if entry is not None and entry[0] != _geometry(tensor):
        entry[1]()  # part of it: the fill first


def torch_drawn(program: Program, defaults: set[str], prefix: str = "") -> dict[str, str]:
    """``{name: the torch function that drew its values}`` of the tensors whose last write, once ``program``
    is replayed after the defaults (which wrote the tensors named in ``defaults``), holds values torch's
    generator drew in the constructor: the last write wins (a default, or a replayed draw or constant that
    covers the tensor, replaces them; a step that reads them, ``mul_``, keeps them; a step that reads
    drawn values, ``copy_(torch.randn(n))`` or from a drawn tensor, brings them). Names carry ``prefix``."""
    drawn = {name: origin for name, origin in program.drawn.items() if prefix + name not in defaults}
    for k, step in enumerate(program.steps):
        name = step.target.name
        origin = program.drawn_steps.get(k) or next(
            (drawn[a.name] for a in (*step.args, *step.kwargs.values()) if isinstance(a, Ref) and a.name in drawn),
            None)
        if origin is not None:
            drawn[name] = origin
        elif step.target.view is None and (step.kind == "init" or step.op in _OVERWRITES):
            drawn.pop(name, None)
    return {prefix + name: origin for name, origin in drawn.items()}


class Replayed(NamedTuple):
    written: dict[str, str]  # name -> what wrote it last
    not_replayable: list[str]


def replay(program: Program, model: nn.Module, root: int, defaults: set[str], prefix: str = "",
           wait: Waiting | None = None, tensors: dict[str, torch.Tensor] | None = None) -> Replayed:
    """Run ``program`` on ``model`` (after its defaults, which wrote the tensors named in ``defaults``).

    ``prefix`` is ``model``'s name in the model the seeds are keyed by (``defaults`` and the result use it).
    With ``wait``, a small tensor's only write, a random fill of all of it (GPT-2's ``Conv1D`` constructor
    ``normal_``), waits in ``wait`` for the init hook that runs next (see :func:`waiting`).
    ``tensors``: :func:`named_tensors` of ``model``, if the caller has it.
    """
    if not program.steps:
        return Replayed({}, sorted(prefix + n for n in program.not_replayable))
    if tensors is None:
        tensors = named_tensors(model)
    skip = set(program.not_replayable)
    for name in program.reads_first:
        if prefix + name in defaults or name in skip:
            continue
        start = program.starts.get(name)
        if start is None:
            skip.add(name)  # built on meta: nothing holds its values before the write
        else:
            tensors[name].untyped_storage().copy_(start)

    def tensor_of(ref: Ref) -> torch.Tensor:
        t = tensors[ref.name]
        return t if ref.view is None else t.as_strided(*ref.view)

    written: dict[str, str] = {}
    count: dict[str, int] = {}
    for step in program.steps:
        count[step.target.name] = count.get(step.target.name, 0) + 1
    for k, step in enumerate(program.steps):
        name = step.target.name
        if name in skip or name not in tensors:
            continue
        args = tuple(tensor_of(a) if isinstance(a, Ref) else a for a in step.args)
        kwargs = {key: tensor_of(v) if isinstance(v, Ref) else v for key, v in step.kwargs.items()}
        whole = step.target.view is None
        seed = fold_in_seed(root, prefix + name if whole else f"{prefix}{name}<part {k}>")
        target = tensor_of(step.target)
        if wait is not None and whole and count[name] == 1 and target.numel() < MIN_DEFERRED \
                and (step.op in _RANDOM_INITS if step.kind == "init" else step.op in RANDOM_METHODS) \
                and (key := _storage(target)) is not None:
            wait[key] = (_geometry(target), functools.partial(_run, step, target, args, kwargs, seed))
        else:
            _run(step, target, args, kwargs, seed)
        written[prefix + name] = f"{'torch.nn.init.' if step.kind == 'init' else 'Tensor.'}{step.op}" + (
            "" if whole else " (part)")
    return Replayed({n: f"constructor: {how}" for n, how in written.items()}, sorted(prefix + n for n in skip))


# --------------------------------------------------------------------------
# The recorder of this thread, the patched methods, the programs of meta-built models


class _Current(threading.local):
    def __init__(self) -> None:
        self.recorder: Recorder | None = None


_current = _Current()


def current_recorder() -> Recorder | None:
    """This thread's recorder, while a ``fast_init``/``meta_init`` block builds in it."""
    return _current.recorder


def _method(op: str) -> Callable[[Any], Any]:
    def factory(original: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
        def recorded(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
            recorder = _current.recorder
            if recorder is None:
                return original(self, *args, **kwargs)
            return recorder.method(op, original, self, args, kwargs)

        recorded.__name__ = recorded.__qualname__ = op
        return recorded

    return factory


def _targets() -> list[Target]:
    own = [m for m in (*RANDOM_METHODS, *DETERMINISTIC_METHODS) if m not in SHARED_METHODS]
    return [(torch.Tensor, m, _method(m)) for m in own]


_patch = SharedPatch(_targets)


class _MetaConstants(TorchFunctionMode):  # type: ignore[misc]  # torch's stubs type it Any
    """Under ``meta_init``: the constant tensors the constructors make (``torch.zeros``/``ones``/``full``, and
    such a tensor times, plus, minus or divided by a number: ``torch.ones(n) * 1e-6``), recorded as ``fill_``
    writes of their storages, whose values the meta device does not keep."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.recorder = recorder
        self.constants: dict[int, tuple[float, torch.Tensor]] = {}  # storage -> (value, the tensor: kept alive)

    def _constant(self, x: object) -> float | None:
        if not isinstance(x, torch.Tensor) or not x.is_meta:
            return None
        known = self.constants.get(_storage(x) or 0)
        return known[0] if known is not None and _whole(x) else None

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if not isinstance(out, torch.Tensor) or not out.is_meta:
            return out
        value: object = None
        if func in _CONSTANT_FACTORIES:
            value = _CONSTANT_FACTORIES[func](args, kwargs)
        elif func in _SCALAR_ARITHMETIC and len(args) == 2 and not kwargs:
            c, number = self._constant(args[0]), args[1]
            if c is not None and type(number) in (int, float):
                value = _SCALAR_ARITHMETIC[func](c, number)
        elif getattr(func, "__name__", "").endswith("_"):
            self.constants.pop(_storage(out) or 0, None)  # written in place: no longer known
        if type(value) in (int, float, bool) and _whole(out):
            self.recorder.factory(value, out)
            self.constants[_storage(out) or 0] = (float(value), out)  # type: ignore[arg-type]
        return out


_CONSTANT_FACTORIES: dict[object, Callable[[tuple[Any, ...], dict[str, Any]], object]] = {
    torch.zeros: lambda args, kwargs: 0, torch.ones: lambda args, kwargs: 1,
    torch.zeros_like: lambda args, kwargs: 0, torch.ones_like: lambda args, kwargs: 1,
    torch.full: lambda args, kwargs: args[1] if len(args) > 1 else kwargs.get("fill_value"),
    torch.full_like: lambda args, kwargs: args[1] if len(args) > 1 else kwargs.get("fill_value"),
}
#: Out-of-place arithmetic as the mode sees it (``2 * t`` arrives as ``TensorBase.mul(t, 2)``): tensor first.
_SCALAR_ARITHMETIC: dict[object, Callable[[Any, Any], object]] = {
    **{f: operator.mul for f in (torch._C.TensorBase.mul, torch.mul, torch._C.TensorBase.__mul__)},
    **{f: operator.add for f in (torch._C.TensorBase.add, torch.add, torch._C.TensorBase.__add__)},
    **{f: operator.sub for f in (torch._C.TensorBase.sub, torch.sub, torch._C.TensorBase.__sub__)},
    **{f: operator.truediv for f in (torch._C.TensorBase.div, torch.div, torch._C.TensorBase.__truediv__)},
    torch.rsub: lambda a, b: b - a,
}


@contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Record this thread's writes in ``recorder`` within the block (the caller routes ``torch.nn.init``
    and :data:`SHARED_METHODS` to it); under ``meta_init`` also the constant tensors the constructors make."""
    _patch.acquire()
    previous, _current.recorder = _current.recorder, recorder
    mode = _MetaConstants(recorder) if recorder.meta else None
    try:
        if mode is None:
            yield recorder
        else:
            with mode:
                yield recorder
    finally:
        _current.recorder = previous
        _patch.release()


#: The programs of models built under ``meta_init``, for ``materialize``.
_PROGRAMS: weakref.WeakKeyDictionary[nn.Module, Program] = weakref.WeakKeyDictionary()


def attach(model: nn.Module, program: Program) -> None:
    _PROGRAMS[model] = program


def programs_in(model: nn.Module) -> list[tuple[str, nn.Module, Program]]:
    """``(prefix, submodule, program)`` of the submodules of ``model`` built under ``meta_init``."""
    if not _PROGRAMS:
        return []
    return [(prefix, m, _PROGRAMS[m]) for prefix, m in walk(model) if m in _PROGRAMS]
