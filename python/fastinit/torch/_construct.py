"""Fast construction: ``materialize`` (meta-built models) and ``fast_init`` (ordinary construction).

Both give the values ``reset_parameters(model, seed)`` gives (torch's module
defaults, then the model library's own init hook where it has one, e.g.
Hugging Face's ``init_weights``), and construction itself draws nothing from
torch's generator.
"""
from __future__ import annotations

import contextlib
import functools
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from ._constructor_writes import (
    Recorder,
    Waiting,
    attach,
    named_tensors,
    programs_in,
    recording,
    replay,
    torch_drawn,
    waiting,
)
from ._defaults import DEFAULT_RESETS, PRIVATE_RESETS, Session
from ._library_init import (
    InitHookLike,
    deferred_hook_targets,
    finish_with_hook,
    hooks_for,
    resolve_init_hook,
    tensor_methods_routed,
)
from ._names import canonical_names, walk
from ._partial import reporting_partial
from ._patching import SharedPatch
from ._report import ON_UNTOUCHED, InitReport, UninitializedTensorsError
from ._routing import routed_init
from ._rules import Rule, apply_rules
from ._seeds import SeedLike, root_seed
from ._unrouted_draws import TorchDraws, watching
from ._write_plan import planned_writes

__all__ = ["materialize", "fast_init", "meta_init"]


def materialize(module: nn.Module, seed: SeedLike = None, device: str | torch.device = "cpu",
                rules: Sequence[Rule] | None = None, *, init_hook: InitHookLike = "auto",
                on_untouched: str = "raise") -> InitReport:
    """Allocate a model built on the meta device and initialize it as its own code does, on fastinit's kernels.

    ``module.to_empty(device=device)`` allocates every parameter and buffer
    (uninitialized), and the tensors tied on the meta device (one Parameter
    under several names, e.g. ``lm_head.weight`` and ``wte.weight``) are tied
    again; then every parameter gets PyTorch's default
    initialization as in :func:`reset_parameters` (same seed, same values) or,
    with ``rules``, the values of :func:`init_module` (parameters no rule
    matches get the defaults); then the model library's init hook runs
    (``init_hook``, as in :func:`reset_parameters`: for a Hugging Face model
    its ``init_weights()``, every random draw on the tensor's name-keyed
    stream). So a model built on meta and materialized has the values
    ``fast_init`` gives the same model, bit for bit.

    Parameters
    ----------
    module : torch.nn.Module
        Typically built under ``with torch.device("meta"):``.
    seed : int, fastinit.Generator, torch.Generator or None
    device : str or torch.device, default "cpu"
        Where to allocate. Off the CPU each tensor is filled on the CPU and copied.
    rules : sequence of Rule, optional
    init_hook : "auto", None or callable, default "auto"
        See :func:`reset_parameters`; None skips the library's hook.
    on_untouched : {"raise", "warn"}, default "raise"
        What to do about tensors nothing initialized (a buffer computed only
        in a constructor, a parameter of a module without
        ``reset_parameters`` that no rule or hook writes): after ``to_empty``
        they hold arbitrary memory. "raise": :class:`UninitializedTensorsError`
        naming each of them, once everything else is written; "warn": a
        UserWarning naming each of them, and the report is returned.

    Returns
    -------
    InitReport
        With ``on_untouched="warn"``, its ``untouched`` lists the tensors
        that hold arbitrary memory (recompute them, e.g. rotary caches, or
        register them persistent and load them). What a constructor writes
        after the module defaults (torchvision's init loops, timm's
        ``trunc_normal_``) is replayed, after the defaults, for models built
        under :class:`meta_init`, which records it; under a plain
        ``torch.device("meta")`` nothing records it (a torchvision or timm
        model without an init hook gets a UserWarning saying so).

    Raises
    ------
    UninitializedTensorsError
        With ``on_untouched="raise"``, if any tensor was left uninitialized.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if on_untouched not in ON_UNTOUCHED:
        raise ValueError(f"on_untouched must be one of {', '.join(map(repr, ON_UNTOUCHED))}, got {on_untouched!r}")
    init_hook = resolve_init_hook(init_hook)
    root = root_seed(seed)
    programs = programs_in(module)
    hooked = bool(hooks_for(module, init_hook))
    if not programs and not hooked:
        _warn_unrecorded(module)
    ties = _ties(module)
    module.to_empty(device=device)  # gives each (module, attribute) a Parameter of its own
    if not hooked:
        _tie(ties)
    session = Session(module, root)
    with planned_writes([module]):  # a tensor's fill that a later write (or a tie) replaces is never drawn
        with torch.no_grad(), session.reporting_partial("materialize"):
            if rules is None:
                report = session.run(None)
            else:
                report = apply_rules(session, rules, allow_unused=True, defaults_for_unmatched=True)
        defaults = set(session.written.values())
        replayed: dict[str, str] = {}
        wait: Waiting = {}
        lost: dict[str, str] = {}  # drawn by torch in a constructor on meta: values the meta device did not keep
        for prefix, sub, program in programs:  # the constructors' writes (meta_init), after the defaults
            with torch.no_grad(), session.reporting_partial("materialize"):
                done = replay(program, sub, root, defaults, prefix, wait=wait)
            replayed.update(done.written)
            report.untouched += [n for n in done.not_replayable if n not in report.untouched]
            lost.update(torch_drawn(program, defaults, prefix))
        report.initialized += [n for n in replayed if n not in defaults]
        report.sources.update(replayed)
        report.untouched = [n for n in report.untouched if n not in replayed]
        for prefix, m in session.modules:
            for attr, b in m._buffers.items():
                name = prefix + attr
                if b is not None and id(b) not in session.written and session.names[id(b)] == name \
                        and name not in replayed and name not in report.untouched:
                    report.untouched.append(name)
        report.sources.update({n: f"constructor: values drawn by {origin}, not kept by the meta device"
                               for n, origin in lost.items() if n in report.untouched})
        with session.reporting_partial("materialize"), waiting(wait):
            finish_with_hook(module, root, init_hook, report)  # a library's hook ties after initializing, as
        _tie(ties)                                             # in construction; what it leaves untied: here
    if report.untouched and on_untouched == "raise":
        InitReport(fallback=report.fallback, torch_drawn=report.torch_drawn).warn("materialize")  # the error: untouched
        raise UninitializedTensorsError(report)
    report.warn("materialize", untouched="hold uninitialized memory (allocated by to_empty, reset by nothing)",
                all_untouched=True)
    return report


#: Libraries whose models initialize in their constructors (code that does not run usefully on meta).
_CONSTRUCTOR_INITIALIZED = ("torchvision.", "timm.")


def _warn_unrecorded(module: nn.Module) -> None:
    """A torchvision/timm model built on meta outside ``meta_init``: its constructor's init is lost; say so."""
    library = next((lib for _, m in walk(module) for lib in _CONSTRUCTOR_INITIALIZED
                    if type(m).__module__.startswith(lib)), None)
    if library is not None:
        warnings.warn(
            f"materialize: {type(module).__name__} ({library[:-1]}) initializes in its constructor, which wrote "
            "nothing on the meta device, and it has no init hook: its tensors get torch's module defaults instead. "
            "Build it under `with fastinit.torch.meta_init():` (recorded constructor writes, replayed here) or "
            "fastinit.torch.fast_init", UserWarning, stacklevel=3)


def _ties(module: nn.Module) -> list[list[tuple[nn.Module, str]]]:
    """The ``(module, attribute)`` places of each Parameter held under more than one name."""
    places: dict[int, list[tuple[nn.Module, str]]] = {}
    for _, m in walk(module):
        for attr, p in m._parameters.items():
            if p is not None:
                places.setdefault(id(p), []).append((m, attr))
    return [owners for owners in places.values() if len(owners) > 1]


def _tie(ties: list[list[tuple[nn.Module, str]]]) -> None:
    """Each group's places hold its first place's Parameter again."""
    for owners in ties:
        first_module, first_attr = owners[0]
        for m, attr in owners[1:]:
            m._parameters[attr] = first_module._parameters[first_attr]


_RESET_METHODS: list[tuple[type[nn.Module], str]]
_RESET_METHODS = [(cls, "reset_parameters") for cls in (nn.Linear, torch.nn.modules.conv._ConvNd, nn.Bilinear,
                                                        nn.Embedding, nn.EmbeddingBag, nn.LayerNorm, nn.GroupNorm,
                                                        nn.RMSNorm, torch.nn.modules.batchnorm._NormBase,
                                                        nn.RNNBase, nn.RNNCellBase)]
_RESET_METHODS += [(nn.MultiheadAttention, "_reset_parameters"), (nn.Transformer, "_reset_parameters")]
assert {vars(c)[a] for c, a in _RESET_METHODS} == set(DEFAULT_RESETS) | set(PRIVATE_RESETS)
_RESET_CALLERS = frozenset({"reset_parameters", "_reset_parameters"})


class _Building(threading.local):
    """The ``fast_init`` block the current thread is in, if any."""

    def __init__(self) -> None:
        self.block: fast_init | None = None


_building = _Building()


def _skipping(original: Callable[..., None]) -> Callable[..., None]:
    """A known module's reset: nothing in a thread inside ``fast_init`` (the block's end writes the values),
    torch's own in other threads. ``_fastinit_original`` lets ``rule_for`` still recognise the module."""
    @functools.wraps(original)
    def reset(self: nn.Module, *args: Any, **kwargs: Any) -> None:
        if _building.block is None:
            original(self, *args, **kwargs)

    reset._fastinit_original = original  # type: ignore[attr-defined]
    return reset


def _tracking(original: Callable[..., None]) -> Callable[..., None]:
    """``nn.Module.__init__`` that records each module a thread inside ``fast_init`` creates."""
    @functools.wraps(original)
    def __init__(module: nn.Module, *args: Any, **kwargs: Any) -> None:
        original(module, *args, **kwargs)
        block = _building.block
        if block is not None:
            block._created.append(weakref.ref(module))

    return __init__


def _deferring(original: Callable[..., None]) -> Callable[..., None]:
    """A library's init hook (transformers' ``init_weights``): nothing in a thread inside ``fast_init``, whose
    end runs it on fastinit's streams, after the module defaults; the library's own in other threads."""
    @functools.wraps(original)
    def hook(self: nn.Module, *args: Any, **kwargs: Any) -> None:
        if _building.block is None:
            original(self, *args, **kwargs)

    return hook


#: While any thread is inside a block: the known modules' resets, the imported libraries' init hooks and
#: ``nn.Module.__init__`` replaced.
_patch = SharedPatch(lambda: [(c, a, _skipping) for c, a in _RESET_METHODS] + deferred_hook_targets(_deferring)
                     + [(nn.Module, "__init__", _tracking)])


def _ignore(tensor: torch.Tensor, origin: str) -> None:
    """``on_write`` of a constructor's draws: nothing now (the drawn storages are marked; at the block's end
    what counts is each tensor's last write)."""


class fast_init:
    """Within the block, models are built without torch's generator and initialized by fastinit at its end.

    ``with fastinit.torch.fast_init(seed=0): model = MyModel(config)`` gives
    the values ``fastinit.torch.reset_parameters(model, seed=0)`` gives, for
    models made of the modules it knows. Inside the block:

    * the known modules' own resets do nothing (their parameters stay
      ``torch.empty``, untouched memory);
    * other modules' ``reset_parameters``, every other ``torch.nn.init``
      call and the in-place tensor methods of
      :mod:`fastinit.torch._constructor_writes` (for example timm's
      tensor-method ``trunc_normal_`` on a model's head in its constructor,
      or ``nn.Parameter(torch.empty(n).normal_(std=0.02))``) are recorded;
    * a model library's init hook called during construction (transformers'
      ``post_init`` -> ``init_weights``) does nothing;

    and at the end of the block, every model built in it (each module created
    in the block that is not a submodule of another one) gets
    ``reset_parameters(model, seed)`` (unknown modules' own
    ``reset_parameters`` with name-keyed streams), then the recorded writes
    are replayed in order, each random one on its tensor's name-keyed stream
    (``report.sources`` names the last one, e.g. ``"constructor:
    Tensor.clamp_"``), then
    the library's init hook runs (``init_hook``: see :func:`reset_parameters`;
    a Hugging Face model gets its own ``_init_weights`` and ties, every draw on
    fastinit's streams). So ``from_config`` under the block gives the model's
    own initialization, the bits ``materialize`` gives the meta-built model.

    **Values become final when the block exits.** Until then parameters of
    known modules are uninitialized memory. Code that *reads* parameters in a
    constructor by other means than the recorded methods, or writes them by
    other means (``w.data = ...``, ``w[0] = 1``, the deprecated hook-based
    ``torch.nn.utils.weight_norm``), sees or is overwritten by the final values
    (``torch.nn.utils.parametrizations`` get theirs through ``right_inverse``):
    for such models use ``reset_parameters``/``init_module`` after
    construction (a library's init hook is the exception: it runs at the end,
    with its tensor methods routed). ``torch.nn.init`` functions imported by name before the
    block are not intercepted.

    A constructor that draws with torch's generator where fastinit cannot route
    the draw (``nn.Parameter(torch.randn(n, m) * 0.02)``,
    ``register_buffer("pos", torch.rand(1, n))``, ``p.data = torch.randn(n)``,
    ``p.copy_(torch.randn(n))``, ``p.data.random_()``, ``bernoulli_``) runs as
    written: the tensors whose last write holds those values (not replaced by
    a module default, a recorded ``normal_``/``torch.nn.init`` replay or the
    init hook) are named in ``report.torch_drawn`` and in the block's
    UserWarning, ``report.sources`` naming the function that drew them
    (``"constructor: values drawn by torch.randn"``): their values follow
    ``torch.manual_seed``, not ``seed``. (Under :class:`meta_init` these values
    are lost: ``materialize`` names those tensors in its
    ``UninitializedTensorsError``.) Draws are followed from the first one on: a
    constructor that draws nothing from torch pays for no ``TorchFunctionMode``.

    The block applies to the thread that enters it: other threads build and
    initialize models as torch does meanwhile, and may hold their own blocks
    (one block at a time per thread).

    Attributes (after the block)
    ----------------------------
    models : list of torch.nn.Module
        The models built and initialized.
    report : InitReport
        Merged over ``models`` (names relative to each model).
    """

    def __init__(self, seed: SeedLike = None, *, init_hook: InitHookLike = "auto") -> None:
        self.seed = seed
        self.init_hook = resolve_init_hook(init_hook)
        self.models: list[nn.Module] = []
        self.report = InitReport()

    def __enter__(self) -> fast_init:
        if _building.block is not None:
            raise RuntimeError("fast_init and meta_init blocks cannot be nested: one block per thread at a time")
        self._root = root_seed(self.seed)
        self._start(Recorder(self._root, meta=False))
        return self

    def _start(self, recorder: Recorder) -> None:
        self._created: list[weakref.ref[nn.Module]] = []
        self._recorder = recorder
        _patch.acquire()
        _building.block = self
        self._routing = contextlib.ExitStack()
        self._routing.enter_context(routed_init(self._record))
        self._routing.enter_context(tensor_methods_routed())
        self._routing.enter_context(recording(recorder))
        self._draws: TorchDraws = self._routing.enter_context(watching(_ignore, storages=True))

    def _record(self, name: str, tensor: torch.Tensor, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> torch.Tensor:
        caller = sys._getframe(2)
        if caller.f_code.co_name in _RESET_CALLERS and isinstance(caller.f_locals.get("self"), nn.Module):
            return tensor  # part of a module's reset, which the end of the block redoes
        return self._recorder.init_call(name, tensor, args, kwargs)

    def _restore(self) -> None:
        self._routing.close()
        _building.block = None
        _patch.release()

    def _replay(self, sessions: list[Session]) -> list[Waiting]:
        """The constructors' recorded writes, after each model's defaults (``sessions``); the fills that wait
        for each model's init hook. Holds no tensor when it returns (a tensor a tie lets go of is never drawn)."""
        recorder, self._recorder = self._recorder, Recorder(None, meta=False)
        draws = self._draws.drawn_storage if self._draws.storages else None  # None: the constructors drew nothing
        waits: list[Waiting] = []
        for model, session in zip(self.models, sessions):
            waits.append({})
            if recorder.writes or draws is not None:
                defaults = set(session.written.values())
                tensors = named_tensors(model)
                program = recorder.program(model, tensors, draws)
                done = replay(program, model, self._root, defaults, wait=waits[-1], tensors=tensors)
                self.report.initialized += [n for n in done.written if n not in defaults]
                self.report.sources.update(done.written)
                drawn = torch_drawn(program, defaults)
                self._report_drawn({n: drawn[n] for n in tensors if n in drawn}, done.written)  # in model order
        recorder.run_unplaced()
        self._draws.storages = None  # let go of the storages' identities
        return waits

    def _report_drawn(self, drawn: dict[str, str], replayed: dict[str, str]) -> None:
        """Tensors whose values, after the replay, are the ones torch's generator drew in a constructor."""
        for name, origin in drawn.items():
            how = replayed.get(name)
            self.report.sources[name] = f"{how} of values drawn by {origin}" if how else \
                f"constructor: values drawn by {origin}"
            if name not in self.report.torch_drawn:
                self.report.torch_drawn.append(name)
        self.report.untouched = [n for n in self.report.untouched if n not in drawn]

    def _built(self) -> list[nn.Module]:
        """The models: modules created in the block that are no other one's child, each once."""
        alive = [m for m in (r() for r in self._created) if m is not None]
        children = {id(c) for m in alive for c in m._modules.values() if c is not None}
        seen: set[int] = set()
        models = []
        for m in alive:
            if id(m) not in children and id(m) not in seen:
                seen.add(id(m))
                models.append(m)
        return models

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._restore()
        if exc_type is not None:
            return
        self.models = self._built()
        sessions: list[Session] = []  # each model's, for the names written if a step fails

        def written() -> list[str]:
            return [n for s in sessions for n in s.written.values()] + self.report.initialized

        def names() -> list[str]:
            return [n for m in self.models for n in canonical_names(walk(m)).values()]

        with planned_writes(self.models):  # a tensor's fill that a later write (or a tie) replaces: not drawn
            with torch.no_grad(), reporting_partial("fast_init", written, names):
                for model in self.models:
                    session = Session(model, self._root)
                    sessions.append(session)
                    report = session.run(None)
                    self.report.initialized += report.initialized
                    self.report.fallback += report.fallback
                    self.report.untouched += report.untouched
                waits = self._replay(sessions)
            with reporting_partial("fast_init", written, names):
                for model, wait in zip(self.models, waits):  # last, as post_init runs after the constructors
                    with waiting(wait):
                        finish_with_hook(model, self._root, self.init_hook, self.report)
        replayed = set(self.report.initialized)  # a recorded call may have written a parameter no reset covers
        self.report.untouched = [n for n in self.report.untouched if n not in replayed]
        self.report.warn("fast_init", stacklevel=3)


class meta_init(fast_init):
    """Build models on the meta device, recording what their constructors write, for :func:`materialize`.

    ``with fastinit.torch.meta_init(): model = torchvision.models.resnet18()``
    builds as ``with torch.device("meta"):`` does (no memory), and records
    the writes the constructors make after the modules' defaults (the
    ``torch.nn.init`` calls of torchvision's init loop, timm's tensor-method
    ``trunc_normal_``, ``torch.empty(n).normal_()``, ``zeros``/``ones``/``full``
    factories; see :mod:`fastinit.torch._constructor_writes`), keyed by tensor
    name. ``materialize(model, seed=s)`` then replays them after the defaults,
    each draw on its tensor's stream: the bits ``fast_init(seed=s)`` gives the
    same model. The constants made by ``zeros``/``ones``/``full``, and such a
    tensor times, plus, minus or divided by a number (``torch.ones(n) *
    1e-6``), are followed too; values computed any other way (``torch.arange``
    buffers such as Swin's ``relative_position_index``, or values drawn with
    torch's generator: ``nn.Parameter(torch.randn(n) * 0.02)``) are not kept
    by the meta device: those tensors are reported by ``materialize``
    (``UninitializedTensorsError``; for drawn values ``report.sources`` names
    the function that drew them).

    A model library's init hook called during construction (transformers'
    ``post_init``) waits for ``materialize``, which runs it. One block at a
    time per thread (``fast_init`` or ``meta_init``).

    Attributes (after the block)
    ----------------------------
    models : list of torch.nn.Module
        The models built (each module created in the block that is not a submodule of another one).
    """

    def __init__(self) -> None:
        super().__init__(seed=0)

    def __enter__(self) -> meta_init:
        if _building.block is not None:
            raise RuntimeError("fast_init and meta_init blocks cannot be nested: one block per thread at a time")
        self._device = torch.device("meta")
        self._device.__enter__()
        try:
            self._start(Recorder(None, meta=True))
        except BaseException:
            self._device.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self._restore()
        finally:
            self._device.__exit__(None, None, None)
        if exc_type is not None:
            return
        self.models = self._built()
        recorder, self._recorder = self._recorder, Recorder(None, meta=True)
        draws = self._draws.drawn_storage if self._draws.storages else None
        for model in self.models:
            attach(model, recorder.program(model, drawn_by=draws))
        self._draws.storages = None
