"""``reset_parameters``: PyTorch's default initialization of every module, on fastinit's streams.

Each rule below reproduces one module's own ``reset_parameters`` (torch 2.x,
``torch/nn/modules/*.py``) call for call: the same initializer with the same
arguments, so the distributions and bounds are PyTorch's, while the values
come from the parameter's name-keyed stream ``Generator(root).fold_in(name)``
(call 0) instead of torch's global generator:

==========================================  ==========================================================
module (its ``reset_parameters``)            initialization
==========================================  ==========================================================
Linear, Conv1/2/3d, ConvTranspose1/2/3d      weight ``kaiming_uniform_(a=sqrt(5))`` = U(+-1/sqrt(fan_in));
                                             bias U(+-1/sqrt(fan_in)) (0 if fan_in is 0); a transposed
                                             convolution's weight is (in, out/groups, *k), so its fan_in
                                             is ``out/groups * prod(k)``
Bilinear                                     weight and bias U(+-1/sqrt(in1_features))
Embedding, EmbeddingBag                      N(0, 1), then the ``padding_idx`` row 0
LayerNorm, GroupNorm, RMSNorm                weight 1, bias 0 (when affine)
BatchNorm1/2/3d, SyncBatchNorm, InstanceNorm running_mean 0, running_var 1, num_batches_tracked 0; weight 1, bias 0
MultiheadAttention                           in_proj_weight (or q/k/v_proj_weight) ``xavier_uniform_``;
                                             in_proj_bias and out_proj.bias 0; bias_k, bias_v
                                             ``xavier_normal_``; out_proj.weight as Linear
RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell   every parameter U(+-1/sqrt(hidden_size)) (0 if hidden_size is 0)
Transformer                                  after its layers, every parameter with more than one
                                             dimension ``xavier_uniform_``
==========================================  ==========================================================

TransformerEncoder/DecoderLayer and their stacks are built from these.
A module is recognised by the ``reset_parameters`` its class uses, so a
subclass that overrides it is treated as unknown: it is re-initialized by
its own method, with its ``torch.nn.init`` calls routed through fastinit.
A parametrized tensor (``torch.nn.utils.parametrize``) is filled as the
tensor its parametrization computes, and written into the originals through
``right_inverse`` (:meth:`Session.tensor`).
Modules are visited children first, as construction initializes them, so a
parent's rule (MultiheadAttention's zero ``out_proj.bias``, Transformer's
Xavier weights) overrides its children's.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any, Callable

import torch
from torch import nn
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.modules.conv import _ConvNd
from torch.nn.parameter import is_lazy
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _SpectralNorm
from torch.nn.utils.parametrize import ParametrizationList

from . import _nn_init
from ._library_init import InitHookLike, finish_with_hook, resolve_init_hook
from ._names import canonical_names, walk
from ._partial import reporting_partial
from ._report import InitReport
from ._routing import call_keyed, routed_init
from ._seeds import SeedLike, fold_in_seed, root_seed
from ._shard import check_sharded_state, local_blocks, local_tensor
from ._write_plan import fill_constant_part, overwriting, planned_writes

__all__ = ["reset_parameters", "Session", "DEFAULT_RESETS"]


class Session:
    """One whole-model call: the names, the root seed, what was written.

    ``only`` (a set of tensor ids) restricts writes to those tensors.
    """

    def __init__(self, module: nn.Module, root: int, only: set[int] | None = None) -> None:
        self.modules = walk(module)
        check_sharded_state(self.modules)
        self.names = canonical_names(self.modules)
        self.root = root
        self.only = only
        self.written: dict[int, str] = {}  # id -> name, in order
        self.report = InitReport()
        self.staged: list[tuple[ParametrizationList, torch.Tensor, list[torch.Tensor]]] = []

    def reporting_partial(self, what: str) -> contextlib.AbstractContextManager[None]:
        """A failure after some writes becomes a :class:`PartialInitError` naming what was written."""
        return reporting_partial(what, lambda: self.written.values(), lambda: self.names.values())

    def owner_name(self, tensor: torch.Tensor | None, expected: str | None) -> str | None:
        """The tensor's name if this call should write it here (not None, not tied to another name, allowed)."""
        if tensor is None or self.names.get(id(tensor)) != expected:
            return None
        if self.only is not None and id(tensor) not in self.only:
            return None
        return expected

    def seed(self, name: str) -> int:
        return fold_in_seed(self.root, name)

    def tensor(self, m: nn.Module, prefix: str, attr: str) -> torch.Tensor | None:
        """The parameter ``attr`` of ``m`` that its rule writes, or a staging tensor for a parametrized one.

        A parametrized tensor (``torch.nn.utils.parametrize``: ``weight_norm``,
        ``spectral_norm``, ``orthogonal``) is computed from
        ``parametrizations.<attr>.original*``: the rule fills a staging tensor
        of the computed tensor's shape and dtype on the stream of ``prefix +
        attr``, and :meth:`unstage` writes the parametrization's
        ``right_inverse`` of it into the originals, in place (what
        parametrizing a freshly reset module stores). None (the originals are
        reported untouched) if a parametrization has no ``right_inverse``.
        """
        t: torch.Tensor | None = m._parameters.get(attr)
        if t is not None or not parametrize.is_parametrized(m, attr):
            return t
        plist = m.parametrizations[attr]
        original_names = ["original"] if plist.is_tensor else [f"original{i}" for i in range(plist.ntensors)]
        originals = [getattr(plist, n) for n in original_names]
        own = all(self.names.get(id(o)) == f"{prefix}parametrizations.{attr}.{n}"
                  for o, n in zip(originals, original_names))
        if (not own or not all(hasattr(p, "right_inverse") for p in plist)
                or (self.only is not None and not any(id(o) in self.only for o in originals))):
            return None
        computed = computed_tensor(m, attr)
        staging = torch.empty(computed.shape, dtype=computed.dtype)
        self.names[id(staging)] = prefix + attr
        if self.only is not None:
            self.only.add(id(staging))
        self.staged.append((plist, staging, originals))
        return staging

    def unstage(self) -> None:
        """Write the staged values of parametrized tensors into their originals (see :meth:`tensor`)."""
        for plist, staging, originals in self.staged:
            del self.names[id(staging)]
            if self.written.pop(id(staging), None) is None:
                continue
            value: Any = staging
            for p in reversed(plist):
                value = p.right_inverse(value)
            values = [value] if plist.is_tensor else list(value)
            if all(isinstance(v, torch.Tensor) and v.shape == o.shape for v, o in zip(values, originals)):
                for v, o in zip(values, originals):
                    o.copy_(v)
                    self.written[id(o)] = self.names[id(o)]
                if plist.is_tensor and isinstance(plist[0], _SpectralNorm):
                    self._restart_power_iteration(plist[0], originals[0])
        self.staged.clear()

    def _restart_power_iteration(self, norm: _SpectralNorm, weight: torch.Tensor) -> None:
        """``spectral_norm``'s ``_u``, ``_v`` for the new weight, as its constructor makes them.

        ``_u``, ``_v`` N(0, 1) (their name-keyed streams), normalized, then 15
        power iterations on the weight: otherwise they would keep estimating
        the old weight's top singular vectors, or, under ``fast_init``, those
        of the uninitialized memory (zeros give NaN weights).
        """
        if weight.dim() <= 1:
            return  # no power iteration (torch keeps no _u, _v)
        for attr in ("_u", "_v"):
            self.random(_nn_init.normal_, norm._buffers[attr], self.names[id(norm._buffers[attr])])
            vector = norm._buffers[attr]
            vector.copy_(torch.nn.functional.normalize(vector, dim=0, eps=norm.eps))
        norm._power_method(norm._reshape_weight_to_matrix(weight), 15)

    def random(self, init: Callable[..., object], tensor: torch.Tensor | None, name: str, *args: Any,
               **kwargs: Any) -> None:
        """``init(tensor, *args, generator=<name's stream>, **kwargs)`` if this call owns the tensor."""
        if self.owner_name(tensor, name) is not None:
            init(tensor, *args, generator=self.seed(name), **kwargs)
            self.written[id(tensor)] = name

    def constant(self, tensor: torch.Tensor | None, name: str | None, value: float) -> None:
        """``tensor.fill_(value)`` (a local block of it) if this call owns it; callers hold ``no_grad``."""
        owned = self.owner_name(tensor, name)
        if tensor is not None and owned is not None:
            local = _nn_init._checked(tensor) if tensor.is_floating_point() else local_tensor(tensor)
            with overwriting(local):
                local.fill_(value)
            self.written[id(tensor)] = owned

    def fallback(self, prefix: str, module: nn.Module) -> None:
        """Run ``module.reset_parameters()`` with its ``torch.nn.init`` calls on name-keyed streams."""
        unnamed = [0]

        def handler(init_name: str, tensor: torch.Tensor, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> torch.Tensor:
            name = self.names.get(id(tensor))
            if name is None:  # a temporary tensor: key it by its position among the module's calls
                name = f"{prefix}<unnamed {unnamed[0]}>"
                unnamed[0] += 1
            return call_keyed(init_name, tensor, args, kwargs, self.seed(name))

        with routed_init(handler), torch.no_grad():
            module.reset_parameters()
        self.report.fallback.append(prefix[:-1] or type(module).__name__)
        for attr, t in module._parameters.items():
            if t is not None and not is_lazy(t):  # a lazy module's parameters have no values until its forward
                self.written.setdefault(id(t), prefix + attr)

    def run(self, warn_what: str | None) -> InitReport:
        """Apply the default rules (children first) and fill in the report."""
        for prefix, m in reversed(self.modules):
            rule = rule_for(m)
            if rule is not None:
                rule(self, prefix, m)
                self.unstage()
            elif callable(getattr(m, "reset_parameters", None)) and self._allowed(m):
                self.fallback(prefix, m)
        return self.finish(warn_what)

    def _allowed(self, m: nn.Module) -> bool:
        return self.only is None or any(id(t) in self.only for t in m._parameters.values() if t is not None)

    def written_in_model_order(self) -> list[str]:
        """The written tensors' names in the model's order (``named_parameters()``'s pre-order, each
        module's parameters then its buffers), not in the order they were written (children first)."""
        position = {tid: k for k, tid in enumerate(self.names)}
        return [name for tid, name in sorted(self.written.items(), key=lambda kv: position.get(kv[0], len(position)))]

    def finish(self, warn_what: str | None) -> InitReport:
        self.report.initialized = self.written_in_model_order()
        module_position = {prefix[:-1] or type(m).__name__: k for k, (prefix, m) in enumerate(self.modules)}
        self.report.fallback.sort(key=lambda name: module_position.get(name, len(module_position)))
        for prefix, m in self.modules:
            for attr, t in m._parameters.items():
                if t is not None and id(t) not in self.written and self.names[id(t)] == prefix + attr:
                    if self.only is None or id(t) in self.only:
                        self.report.untouched.append(prefix + attr)
        if warn_what is not None:
            self.report.warn(warn_what, stacklevel=5)
        return self.report


# --------------------------------------------------------------------------
# One rule per torch reset method

#: ``rule(session, prefix, module)`` writes ``module``'s own tensors as its torch reset method does; each
#: rule takes the module class that defines the method it replaces (hence Any here).
ResetRule = Callable[[Session, str, Any], None]


def computed_tensor(m: nn.Module, attr: str) -> torch.Tensor:
    """``getattr(m, attr)``; a parametrized tensor is computed with its parametrizations in eval mode.

    So computing it has no side effects: in training mode, ``spectral_norm``'s
    power iteration updates its ``_u``/``_v`` buffers.
    """
    if not parametrize.is_parametrized(m, attr):
        value: torch.Tensor = getattr(m, attr)
        return value
    plist = m.parametrizations[attr]
    modes = [(p, p.training) for p in plist.modules()]
    plist.eval()
    try:
        computed: torch.Tensor = getattr(m, attr)
    finally:
        for p, mode in modes:
            p.training = mode
    return computed


def _fan_in(weight: torch.Tensor) -> int:
    """``torch.nn.init._calculate_fan_in_and_fan_out(weight)[0]`` of the whole (logical) tensor."""
    return int(weight.shape[1] * math.prod(weight.shape[2:]))


def _linear_like(s: Session, prefix: str, m: nn.Linear | _ConvNd) -> None:
    weight, bias = s.tensor(m, prefix, "weight"), s.tensor(m, prefix, "bias")
    s.random(_nn_init.kaiming_uniform_, weight, prefix + "weight", a=math.sqrt(5))
    if bias is not None:
        fan_in = _fan_in(weight if weight is not None else computed_tensor(m, "weight"))
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        s.random(_nn_init.uniform_, bias, prefix + "bias", -bound, bound)


def _bilinear(s: Session, prefix: str, m: nn.Bilinear) -> None:
    if m.in1_features <= 0:
        raise ValueError(f"in1_features must be > 0, but got (in1_features={m.in1_features}) in {prefix[:-1]!r}")
    bound = 1 / math.sqrt(m.in1_features)
    s.random(_nn_init.uniform_, s.tensor(m, prefix, "weight"), prefix + "weight", -bound, bound)
    s.random(_nn_init.uniform_, s.tensor(m, prefix, "bias"), prefix + "bias", -bound, bound)


def _embedding(s: Session, prefix: str, m: nn.Embedding | nn.EmbeddingBag) -> None:
    weight = s.tensor(m, prefix, "weight")
    s.random(_nn_init.normal_, weight, prefix + "weight")
    if weight is not None and m.padding_idx is not None and s.owner_name(weight, prefix + "weight") is not None:
        for view, _, offset in local_blocks(weight):  # the padding row is in at most one block
            row = m.padding_idx - (offset[0] if offset is not None else 0)
            if 0 <= row < view.shape[0]:
                fill_constant_part(view[row], 0)


def _affine(s: Session, prefix: str, m: nn.LayerNorm | nn.GroupNorm | nn.RMSNorm | _NormBase) -> None:
    s.constant(s.tensor(m, prefix, "weight"), prefix + "weight", 1.0)
    s.constant(s.tensor(m, prefix, "bias"), prefix + "bias", 0.0)


def _batch_norm(s: Session, prefix: str, m: _NormBase) -> None:
    if m.track_running_stats:
        for attr, value in (("running_mean", 0), ("running_var", 1), ("num_batches_tracked", 0)):
            s.constant(m._buffers.get(attr), prefix + attr, value)
    if m.affine:
        _affine(s, prefix, m)


def _multihead_attention(s: Session, prefix: str, m: nn.MultiheadAttention) -> None:
    attrs = ("in_proj_weight",) if m._qkv_same_embed_dim else ("q_proj_weight", "k_proj_weight", "v_proj_weight")
    for attr in attrs:
        s.random(_nn_init.xavier_uniform_, s.tensor(m, prefix, attr), prefix + attr)
    if m.in_proj_bias is not None:
        s.constant(m.in_proj_bias, prefix + "in_proj_bias", 0.0)
        s.constant(m.out_proj.bias, s.names.get(id(m.out_proj.bias)), 0.0)
    for attr in ("bias_k", "bias_v"):
        if m._parameters.get(attr) is not None:
            s.random(_nn_init.xavier_normal_, m._parameters[attr], prefix + attr)


def _recurrent(s: Session, prefix: str, m: nn.RNNBase | nn.RNNCellBase) -> None:
    stdv = 1.0 / math.sqrt(m.hidden_size) if m.hidden_size > 0 else 0
    for attr in [*m._parameters, *getattr(m, "parametrizations", ())]:
        s.random(_nn_init.uniform_, s.tensor(m, prefix, attr), prefix + attr, -stdv, stdv)


def _transformer(s: Session, prefix: str, m: nn.Transformer) -> None:
    for p in m.parameters():
        if p.dim() > 1:
            s.random(_nn_init.xavier_uniform_, p, s.names[id(p)])


#: The torch method each rule replaces -> the rule (keys typed object: looked up with whatever a class holds).
DEFAULT_RESETS: dict[object, ResetRule] = {
    nn.Linear.reset_parameters: _linear_like,
    _ConvNd.reset_parameters: _linear_like,
    nn.Bilinear.reset_parameters: _bilinear,
    nn.Embedding.reset_parameters: _embedding,
    nn.EmbeddingBag.reset_parameters: _embedding,
    nn.LayerNorm.reset_parameters: _affine,
    nn.GroupNorm.reset_parameters: _affine,
    nn.RMSNorm.reset_parameters: _affine,
    _NormBase.reset_parameters: _batch_norm,
    nn.RNNBase.reset_parameters: _recurrent,
    nn.RNNCellBase.reset_parameters: _recurrent,
}
#: Modules whose constructor calls a private ``_reset_parameters``.
PRIVATE_RESETS: dict[object, ResetRule] = {
    nn.MultiheadAttention._reset_parameters: _multihead_attention,
    nn.Transformer._reset_parameters: _transformer,
}


def rule_for(module: nn.Module) -> ResetRule | None:
    """The rule reproducing ``module``'s default initialization, or None if fastinit does not know it."""
    cls = type(module)
    rule = DEFAULT_RESETS.get(_unpatched(getattr(cls, "reset_parameters", None)))
    if rule is None:
        rule = PRIVATE_RESETS.get(_unpatched(getattr(cls, "_reset_parameters", None)))
    return rule


def _unpatched(method: object) -> object:
    """torch's method behind the stand-in ``fast_init`` installs while a block is open (in any thread)."""
    return getattr(method, "_fastinit_original", method)


def reset_parameters(module: nn.Module, seed: SeedLike = None, *, init_hook: InitHookLike = "auto") -> InitReport:
    """Re-initialize every parameter and buffer of ``module`` as its own code does, on fastinit's streams.

    First PyTorch's default initialization of every module (the table
    above), then, where the model has one, its library's init hook: for a
    Hugging Face model its ``init_weights()`` (``_init_weights`` on every
    submodule, then ``tie_weights``), every random draw it makes on
    fastinit's streams (see :mod:`fastinit.torch._library_init`). That is
    what a Hugging Face user means by re-initializing a model;
    ``init_hook=None`` gives torch's plain module defaults instead.

    Parameters
    ----------
    module : torch.nn.Module
        A model with allocated (non-meta) parameters, possibly wrapped
        (``DistributedDataParallel``, ``torch.compile``).
    seed : int, fastinit.Generator, torch.Generator or None
        The root of every parameter's stream. ``None`` draws it from torch's
        default generator (so ``torch.manual_seed(s)`` makes it reproducible);
        a generator is advanced by one draw.
    init_hook : "auto", None or callable, default "auto"
        "auto": the init hook of each outermost submodule that has
        transformers' ``init_weights``/``_init_weights``; None: none (torch's
        module defaults only); a callable: ``init_hook(module)``, run with
        its random draws routed the same way (the hook of another library).

    Returns
    -------
    InitReport
        Which tensors were written (``sources``: what the init hook wrote),
        which modules fell back to their own
        ``reset_parameters`` and which parameters nothing initialized. A
        UserWarning names the last two when they are not empty.

    Notes
    -----
    The parameter called ``name`` (qualified, relative to ``module``, without
    wrapper prefixes such as DDP's ``module.`` or ``torch.compile``'s
    ``_orig_mod.``) gets the values of the stream
    ``fastinit.Generator(root).fold_in(name)``: independent of construction
    order and of the other parameters, and the same for a sharded parameter's
    blocks. Tied parameters are initialized once, under their first name.
    The distributions are PyTorch's (see the module table); the values are
    not torch's, whose CPU generator is a serial Mersenne Twister.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    init_hook = resolve_init_hook(init_hook)
    root = root_seed(seed)
    session = Session(module, root)
    with planned_writes([module]), session.reporting_partial("reset_parameters"):
        with torch.no_grad():
            report = session.run(None)
        finish_with_hook(module, root, init_hook, report)
    report.warn("reset_parameters")
    return report
