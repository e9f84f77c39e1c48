"""Deferred whole-tensor writes: a fill that a later write replaces is never drawn.

A whole-model call writes many tensors more than once: under ``fast_init``
a GPT-2 ``Conv1D`` weight gets the ``normal_`` its constructor called, then
the ``normal_`` of the model's ``_init_weights``; ``nn.Linear``'s
Kaiming-uniform default is followed by the hook's ``normal_``; a tied
``lm_head.weight`` is written, then dropped by ``tie_weights``. Plain PyTorch
makes every one of those writes and the last one wins. Inside
:func:`planned_writes` the same final values are reached with one draw per
tensor:

* a random element-wise fill of a tensor that spans all of its storage
  (a parameter, a buffer, or a ``.data`` view of one) is recorded, not run:
  its arguments are checked at once (on an empty block of the same shape,
  so a bad argument raises where it always did), and the recorded write
  replaces an earlier one of the same storage, which is then never drawn;
* a constant write of part of such a storage (the padding row of an
  embedding, ``weight.data[padding_idx].zero_()``) is recorded after it, in
  order;
* a whole-tensor write that runs now (a constant, ``copy_``, an
  ``orthogonal_``) drops the recorded writes of its storage first;
* anything else that touches a storage with recorded writes, through any
  torch function or tensor method (a read, ``mul_``, a partial random fill,
  ``numpy()``; not a shape query, a view or ``data_ptr()``), runs them first,
  in the order they were made (a :class:`~torch.overrides.TorchFunctionMode`
  of this thread sees every such call);
* at the end, the writes still recorded run, except those of a storage no
  tensor refers to any more (``lm_head.weight``'s after ``tie_weights``
  replaced it): nothing can read those values.

Every random write draws on a stream fixed when it is recorded
(``Generator(root).fold_in(name)``, call 0 of an int seed): its values do not
depend on how many writes preceded it, so running only the last one gives
the bits that running all of them gives. Writes with a
``fastinit.Generator`` (whose stream advances per call), sharded tensors,
tensors off the CPU, tensors that are part of a larger storage and tensors
of fewer than :data:`MIN_DEFERRED` elements run at once, as before (a model
without a tensor that large gets no plan at all). If the body raises, the
recorded writes run before the exception leaves the block, so the tensors
hold what they would have held without the plan.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy
from torch.overrides import TorchFunctionMode

from ._shard import WHOLE_TENSOR_FILLS, fill_sharded

__all__ = ["planned_writes", "active_plan", "WritePlan", "disabled", "overwriting", "fill_constant_part",
           "MIN_DEFERRED"]

_use_count: Callable[[int], int] | None = getattr(torch._C, "_storage_Use_Count", None)

#: Tensor properties and methods that neither read nor write values: they do not make recorded writes run.
_NO_READ: frozenset[object] = frozenset(
    [getattr(torch.Tensor, p).__get__ for p in ("data", "shape", "dtype", "device", "layout", "is_meta", "ndim",
                                                "requires_grad", "is_leaf", "grad_fn", "is_cuda", "is_sparse",
                                                "is_quantized", "is_nested")]
    + [getattr(torch.Tensor, m) for m in ("size", "dim", "numel", "nelement", "stride", "storage_offset",
                                          "is_contiguous", "is_floating_point", "is_complex", "element_size",
                                          "data_ptr", "is_inference", "get_device", "detach", "requires_grad_",
                                          "__len__", "view", "view_as", "t", "transpose", "narrow", "select",
                                          "unsqueeze", "squeeze", "as_strided", "expand", "new_empty",
                                          "new_zeros", "new_ones")]
    + [torch.empty_like, torch.zeros_like, torch.ones_like])
_GETITEM = torch.Tensor.__getitem__
_FILL = torch._C.TensorBase.fill_


def _basic_index(index: object) -> bool:
    """Whether ``tensor[index]`` is a view (ints, slices, None, Ellipsis), not a gather that reads values."""
    items = index if type(index) is tuple else (index,)
    return all(type(i) in (int, slice) or i is None or i is Ellipsis for i in items)


class _Pending:
    """The recorded writes of one storage: a whole fill, then constant writes of parts of it, in order."""

    __slots__ = ("alias", "fill", "args", "kwargs", "parts")

    def __init__(self, alias: torch.Tensor, fill: Callable[..., object], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        self.alias = alias  # our own view of the whole storage (keeps it alive; nobody else holds this object)
        self.fill, self.args, self.kwargs = fill, args, kwargs
        self.parts: list[tuple[tuple[int, ...], tuple[int, ...], int, Callable[..., object], object]] = []

    def run(self) -> None:
        fill_sharded(self.fill, self.alias, *self.args, **self.kwargs)
        for size, stride, offset, write, value in self.parts:
            write(self.alias.as_strided(size, stride, offset), value)


class WritePlan(TorchFunctionMode):  # type: ignore[misc]  # torch's stubs type it Any
    """The recorded writes of one thread's whole-model call (see the module docstring).

    ``drawn`` and ``skipped`` count the elements of the random fills run and
    of those never run (replaced, or of a storage nobody refers to).
    """

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[int, _Pending] = {}  # storage data_ptr -> its recorded writes
        self.busy = False  # running our own code: torch calls pass straight through
        self.drawn = 0
        self.skipped = 0

    # ---- what the routed writes call

    @staticmethod
    def _whole_storage(t: torch.Tensor) -> int | None:
        """The storage's data_ptr if ``t`` is a plain CPU tensor spanning all of its storage, else None."""
        if (type(t) is not torch.Tensor and type(t) is not nn.Parameter) or t.device.type != "cpu" \
                or t.layout != torch.strided or t.dim() == 0 or t.numel() == 0:
            return None
        storage = t.untyped_storage()
        if t.storage_offset() != 0 or not t.is_contiguous() or t.numel() * t.element_size() != storage.nbytes():
            return None
        return int(storage.data_ptr())

    def fill(self, fill: Callable[..., object], tensor: torch.Tensor, args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> bool:
        """Record ``fill(tensor, *args, **kwargs)`` (a fastinit in-place initializer) if it can wait.

        True: recorded, replacing the storage's earlier writes (nothing is
        written yet). False: the caller runs it now (under :meth:`overwriting`).
        A bad argument raises here, as the fill itself would, and changes nothing.
        """
        if self.busy or tensor.numel() < MIN_DEFERRED:
            return False
        self.busy = True
        try:
            key = self._whole_storage(tensor)
            if key is None or getattr(fill, "__name__", "") in WHOLE_TENSOR_FILLS \
                    or type(kwargs.get("seed")) is not int:
                return False
            shape = tuple(tensor.shape)  # check the arguments now, on an empty block of the same shape
            fill(torch.empty((0, *shape[1:]), dtype=tensor.dtype), *args, full_shape=shape,
                 offset=(0,) * len(shape), **kwargs)
            self._drop(key)
            self.pending[key] = _Pending(tensor.detach(), fill, args, dict(kwargs))
            return True
        finally:
            self.busy = False

    @contextlib.contextmanager
    def overwriting(self, tensor: torch.Tensor, *sources: object) -> Iterator[None]:
        """The block writes all of ``tensor`` now, reading nothing but ``sources``: its storage's recorded
        writes are dropped. If the block raises, they run (it wrote nothing: the tensor holds them)."""
        entry = None
        if self.pending and not self.busy:
            self.busy = True
            try:
                key = self._whole_storage(tensor)
                if key is not None and key in self.pending and not any(
                        isinstance(s, torch.Tensor) and self._key(s) == key for s in sources):
                    entry = self.pending.pop(key)
            finally:
                self.busy = False
        try:
            yield
        except BaseException:
            if entry is not None:
                self._execute(entry)
            raise
        if entry is not None:
            self.skipped += entry.alias.numel()

    def constant_part(self, view: torch.Tensor, write: Callable[..., object], value: object) -> bool:
        """Record ``write(view, value)``, a constant written into part of a storage, behind that storage's
        recorded writes. False (the caller writes now) if the storage has none, ``view`` is all of it, or
        the value is not a plain number."""
        if self.busy or not self.pending or type(value) not in (int, float, bool):
            return False
        self.busy = True
        try:
            key = self._key(view)
            entry = self.pending.get(key) if key is not None else None
            if entry is None or type(view) is not torch.Tensor or view.dtype != entry.alias.dtype \
                    or self._whole_storage(view) is not None:
                return False
            write(torch.empty(1, dtype=view.dtype), value)  # refuses what the real write would refuse
            entry.parts.append((tuple(view.shape), tuple(view.stride()), view.storage_offset(), write, value))
            return True
        finally:
            self.busy = False

    # ---- running and dropping

    @staticmethod
    def _key(t: torch.Tensor) -> int | None:
        try:
            return int(t.untyped_storage().data_ptr())
        except (RuntimeError, NotImplementedError, TypeError, ValueError):  # no storage (meta, lazy, others)
            return None

    def _drop(self, key: int) -> None:
        entry = self.pending.pop(key, None)
        if entry is not None:
            self.skipped += entry.alias.numel()

    def _run(self, key: int) -> None:
        self._execute(self.pending.pop(key))

    def _execute(self, entry: _Pending) -> None:
        self.drawn += entry.alias.numel()
        was, self.busy = self.busy, True
        try:
            entry.run()
        finally:
            self.busy = was

    def run_all(self) -> None:
        """Run every recorded write, except those of storages nothing else refers to."""
        while self.pending:
            key = next(iter(self.pending))
            self.busy = True
            try:
                unread = _use_count is not None and _use_count(self.pending[key].alias.untyped_storage()._cdata) <= 2
            finally:
                self.busy = False
            if unread:  # only our alias (and the storage object just made) hold it: nothing can read it
                self._drop(key)
            else:
                self._run(key)

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if self.pending and not self.busy and func not in _NO_READ \
                and not (func is _GETITEM and len(args) > 1 and _basic_index(args[1])):
            self.busy = True
            try:
                keys = [k for x in _tensors((args, kwargs)) if (k := self._key(x)) in self.pending]
            finally:
                self.busy = False
            for k in keys:
                if k in self.pending:
                    self._run(k)
        return func(*args, **kwargs)


def _tensors(obj: object) -> Iterator[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        yield obj
    elif type(obj) in (tuple, list):
        for x in obj:  # type: ignore[attr-defined]
            yield from _tensors(x)
    elif type(obj) is dict:
        for x in obj.values():
            yield from _tensors(x)


class _Active(threading.local):
    def __init__(self) -> None:
        self.plan: WritePlan | None = None
        self.enabled = True


_active = _Active()


def active_plan() -> WritePlan | None:
    """This thread's plan, while a whole-model call runs in it."""
    return _active.plan


#: Tensors with fewer elements are written when the write is made: recording one costs about what drawing
#: it does (tens of microseconds), and a model with none this large runs without a plan (nor its
#: TorchFunctionMode, which adds a Python call to every torch call: 5000 small modules would pay for it).
MIN_DEFERRED = 1 << 16


@contextlib.contextmanager
def planned_writes(modules: Iterable[nn.Module]) -> Iterator[WritePlan | None]:
    """Record whole-tensor writes in the block and run only the last of each at its end (or when read).

    Only for tensors of at least :data:`MIN_DEFERRED` elements, and only if
    one of ``modules`` has one. Re-entrant: an inner block (a hook calling
    ``reset_parameters``) joins the outer one.
    """
    if _active.plan is not None or not _active.enabled or not any(
            not is_lazy(t) and t.numel() >= MIN_DEFERRED for m in modules for t in (*m.parameters(), *m.buffers())):
        yield _active.plan
        return
    plan = WritePlan()
    _active.plan = plan
    try:
        with plan:
            try:
                yield plan
            finally:
                plan.run_all()
    finally:
        _active.plan = None


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Every write runs when it is made (the reference the plan's results are checked against in tests)."""
    was, _active.enabled = _active.enabled, False
    try:
        yield
    finally:
        _active.enabled = was


def fill_constant_part(view: torch.Tensor, value: float) -> None:
    """``view.fill_(value)`` on part of a tensor, recorded after its storage's writes if it has some."""
    plan = _active.plan
    if plan is None or not plan.constant_part(view, _FILL, value):
        view.fill_(value)


def overwriting(tensor: torch.Tensor, *sources: object) -> contextlib.AbstractContextManager[None]:
    """:meth:`WritePlan.overwriting` of this thread's plan; nothing to do outside a plan."""
    plan = _active.plan
    return contextlib.nullcontext() if plan is None else plan.overwriting(tensor, *sources)
