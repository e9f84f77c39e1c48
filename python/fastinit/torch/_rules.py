"""``init_module``: a model's ``_init_weights`` (Hugging Face, timm) written as data.

A :class:`Rule` says which parameters it covers (the type of the module that
owns them and/or a pattern on their name) and which fastinit.torch
initializer fills them with which arguments. For every parameter the first
matching rule decides; parameters no rule matches are reported.
"""
from __future__ import annotations

import fnmatch
import inspect
import math
import warnings
from collections.abc import Sequence
from typing import Any, Callable

import torch
from torch import nn

from . import _nn_init
from ._defaults import Session
from ._report import InitReport, quoted_names
from ._routing import INIT_NAMES
from ._seeds import SeedLike, root_seed

__all__ = ["Rule", "init_module", "gpt2_rules"]

_RANDOM = frozenset(n for n in INIT_NAMES if "generator" in inspect.signature(getattr(_nn_init, n)).parameters)
_NEEDS_2D = {"eye_": (2,), "sparse_": (2,), "dirac_": (3, 4, 5)}


class Rule:
    """Fill the parameters a selector matches with one fastinit.torch initializer.

    Parameters
    ----------
    init : str or function
        A fastinit.torch initializer, by name (``"normal_"``,
        ``"trunc_normal_"``, ``"zeros_"``, ...) or the function itself.
    module : type or tuple of types, optional
        Match parameters owned directly by a module of this type (``isinstance``).
    name : str, optional
        A shell-style pattern (``fnmatch``): without a ``.`` it is matched
        against the parameter's own name (``"weight"``, ``"bias"``), with one
        against its qualified name (``"*.c_proj.weight"``). Names have wrapper
        prefixes (DDP's ``module.``, ``torch.compile``'s ``_orig_mod.``) removed.
    **kwargs
        The initializer's arguments (``std=0.02``). A callable value is called
        with the parameter's qualified name, e.g. for a depth-scaled std.
        ``generator`` is not allowed: every parameter gets its name-keyed stream.

    Examples
    --------
    >>> import math
    >>> from torch import nn
    >>> from fastinit.torch import Rule
    >>> n_layer = 12
    >>> Rule("normal_", module=nn.Linear, name="weight", std=0.02)
    Rule('normal_', module=<class 'torch.nn.modules.linear.Linear'>, name='weight', std=0.02)
    >>> Rule("normal_", name="*.c_proj.weight", std=0.02 / math.sqrt(2 * n_layer))
    Rule('normal_', name='*.c_proj.weight', std=0.004082482904638631)
    >>> Rule("zeros_", name="bias")
    Rule('zeros_', name='bias')
    """

    __slots__ = ("init", "module", "name", "kwargs")

    def __init__(self, init: str | Callable[..., torch.Tensor], *,
                 module: type[nn.Module] | tuple[type[nn.Module], ...] | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        self.init = _resolve_init(init)
        if module is not None:
            classes = module if isinstance(module, tuple) else (module,)
            if not classes or not all(isinstance(c, type) and issubclass(c, nn.Module) for c in classes):
                raise TypeError(f"module must be a torch.nn.Module subclass or a tuple of them, got {module!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str pattern or None, got {type(name).__name__}")
        if module is None and name is None:
            raise ValueError("a Rule needs a target: module=<Module type> and/or name=<pattern>")
        if "generator" in kwargs:
            raise ValueError("generator is not a Rule argument: each parameter gets its name-keyed stream")
        try:
            inspect.signature(self.init).bind(None, **kwargs)
        except TypeError as exc:
            raise TypeError(f"arguments {sorted(kwargs)} do not fit {self.init.__name__}: {exc}") from None
        self.module, self.name, self.kwargs = module, name, kwargs

    def matches(self, owner: nn.Module, attr: str, qualified: str) -> bool:
        if self.module is not None and not isinstance(owner, self.module):
            return False
        if self.name is None:
            return True
        return fnmatch.fnmatchcase(qualified if "." in self.name else attr, self.name)

    def arguments(self, qualified: str) -> dict[str, Any]:
        return {k: (v(qualified) if callable(v) else v) for k, v in self.kwargs.items()}

    def __repr__(self) -> str:
        target = ", ".join(f"{k}={v!r}" for k, v in (("module", self.module), ("name", self.name)) if v is not None)
        args = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"Rule({self.init.__name__!r}, {target}{args})"


def _resolve_init(init: str | Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    if isinstance(init, str):
        if init not in INIT_NAMES:
            raise ValueError(f"init must be one of {', '.join(INIT_NAMES)}; got {init!r}")
        named: Callable[..., torch.Tensor] = getattr(_nn_init, init)
        return named
    if callable(init) and getattr(init, "__name__", None) in INIT_NAMES:
        own: Callable[..., torch.Tensor] = getattr(_nn_init, init.__name__)
        if own is init:
            return own
    raise ValueError(f"init must be the name of a fastinit.torch initializer ({', '.join(INIT_NAMES)}) "
                     f"or one of those functions; got {init!r}")


def gpt2_rules(n_layer: int, std: float = 0.02, residual: str = "*c_proj.weight") -> list[Rule]:
    """GPT-2's initialization (Radford et al. 2019; Hugging Face ``GPT2PreTrainedModel._init_weights``).

    Linear and Embedding weights N(0, std**2), the residual output
    projections (parameters matching ``residual``) N(0, (std / sqrt(2 *
    n_layer))**2), Linear biases 0, LayerNorm weight 1 and bias 0.
    """
    if isinstance(n_layer, bool) or not isinstance(n_layer, int) or n_layer < 1:
        raise ValueError(f"n_layer must be a positive int, got {n_layer!r}")
    return [
        Rule("normal_", name=residual, std=std / math.sqrt(2 * n_layer)),
        Rule("normal_", module=(nn.Linear, nn.Embedding), name="weight", std=std),
        Rule("zeros_", module=nn.Linear, name="bias"),
        Rule("ones_", module=nn.LayerNorm, name="weight"),
        Rule("zeros_", module=nn.LayerNorm, name="bias"),
    ]


def _check_arguments(rule: Rule, t: torch.Tensor, arguments: dict[str, Any], probed: set[Any]) -> None:
    """Raise what ``rule.init(t, **arguments)`` would raise for a bad argument value, writing nothing.

    The initializer runs on a probe of ``t``'s dtype and number of dimensions
    with every size 1 (dim 0 kept for ``dirac_``, whose ``groups`` must
    divide it): a few elements, whatever ``t``'s size. Shapes are checked by
    the caller. ``probed`` holds the probes already run in this plan, so a rule
    matching thousands of alike parameters (every LayerNorm's weight) probes once.
    """
    shape = (1,) * t.dim() if rule.init is not _nn_init.dirac_ else (t.shape[0],) + (1,) * (t.dim() - 1)
    key: Any = (id(rule), t.dtype, shape, *arguments.items())
    try:
        if key in probed:
            return
    except TypeError:  # an unhashable argument value: probe every time
        key = None
    extra = {"generator": 0} if rule.init.__name__ in _RANDOM else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the real call warns, once
        rule.init(torch.empty(shape, dtype=t.dtype), **arguments, **extra)
    if key is not None:
        probed.add(key)


def _plan(session: Session, rules: list[Rule],
          allow_unused: bool) -> tuple[list[tuple[Rule, torch.Tensor, str, dict[str, Any]]], list[torch.Tensor]]:
    """``([(rule, tensor, name, arguments)], unmatched tensors)``, all checked before anything is written."""
    plan: list[tuple[Rule, torch.Tensor, str, dict[str, Any]]] = []
    unmatched: list[torch.Tensor] = []
    used = [False] * len(rules)
    probed: set[Any] = set()  # argument probes already run (_check_arguments)
    for prefix, m in session.modules:
        for attr, t in m._parameters.items():
            if t is None:
                continue
            qualified = prefix + attr
            if session.names[id(t)] != qualified:  # a tied tensor is planned once, under its first name
                continue
            for j, candidate in enumerate(rules):  # the first matching rule decides
                if candidate.matches(m, attr, qualified):
                    k, rule = j, candidate
                    break
            else:
                unmatched.append(t)
                continue
            _nn_init._checked(t, f"parameter {qualified!r}")
            ndims = _NEEDS_2D.get(rule.init.__name__)
            if ndims is not None and t.dim() not in ndims:
                raise ValueError(f"{rule!r} matches {qualified!r} of shape {tuple(t.shape)}, but "
                                 f"{rule.init.__name__} needs {' or '.join(map(str, ndims))} dimensions")
            if rule.init is _nn_init.orthogonal_ and t.dim() < 2:
                raise ValueError(f"{rule!r} matches {qualified!r} of shape {tuple(t.shape)}, but "
                                 "orthogonal_ needs at least 2 dimensions")
            arguments = rule.arguments(qualified)
            if arguments or not (rule.init is _nn_init.ones_ or rule.init is _nn_init.zeros_):
                _check_arguments(rule, t, arguments, probed)  # (ones_/zeros_ cannot fail past _checked)
            plan.append((rule, t, qualified, arguments))
            used[k] = True
    if not allow_unused and not all(used):
        k = used.index(False)
        raise ValueError(_why_unused(session, rules, k))
    return plan, unmatched


def _why_unused(session: Session, rules: list[Rule], k: int) -> str:
    """The error for ``rules[k]``, which was given no parameter: shadowed by an earlier rule, tied, or no match."""
    rule = rules[k]
    shadowed: dict[int, list[str]] = {}  # earlier rule -> the parameters it takes from rules[k]
    tied: list[str] = []
    for prefix, m in session.modules:
        for attr, t in m._parameters.items():
            qualified = prefix + attr
            if t is None or not rule.matches(m, attr, qualified):
                continue
            if session.names[id(t)] != qualified:
                tied.append(f"{qualified!r} (= {session.names[id(t)]!r})")
                continue
            first = next(j for j in range(k) if rules[j].matches(m, attr, qualified))
            shadowed.setdefault(first, []).append(qualified)
    if shadowed:
        first, names = next(iter(shadowed.items()))
        return (f"rules[{k}] = {rule!r} matches only parameters that rules[{first}] takes first: "
                f"{quoted_names(names)} (the first matching rule decides: put specific rules first, "
                "or pass allow_unused=True)")
    if tied:
        return (f"rules[{k}] = {rule!r} matches only tied parameters, which are initialized once, "
                f"under their first name: {', '.join(tied[:5])}; match that name instead "
                "(or pass allow_unused=True)")
    return (f"rules[{k}] = {rule!r} matches no parameter of the module "
            "(pass allow_unused=True to accept rules that match nothing)")


def apply_rules(session: Session, rules: Sequence[Rule] | Rule, allow_unused: bool,
                defaults_for_unmatched: bool) -> InitReport:
    """Write the rules' values (after PyTorch's defaults for unmatched parameters, if asked)."""
    rule_list = list(rules) if not isinstance(rules, Rule) else [rules]
    for k, rule in enumerate(rule_list):
        if not isinstance(rule, Rule):
            raise TypeError(f"rules[{k}] must be a fastinit.torch.Rule, got {type(rule).__name__}")
    plan, unmatched = _plan(session, rule_list, allow_unused)
    with torch.no_grad():
        if defaults_for_unmatched and unmatched:
            session.only = {id(t) for t in unmatched}  # and every buffer (running statistics)
            session.only.update(id(b) for _, m in session.modules for b in m._buffers.values() if b is not None)
            session.run(None)
            session.only = None
        for rule, t, name, arguments in plan:
            if rule.init is _nn_init.ones_ or rule.init is _nn_init.zeros_:  # no checks left to do: fill_ directly
                session.constant(t, name, 1.0 if rule.init is _nn_init.ones_ else 0.0)
            elif rule.init.__name__ in _RANDOM:
                rule.init(t, generator=session.seed(name), **arguments)
            else:
                rule.init(t, **arguments)
            session.written[id(t)] = name
    report = session.report
    report.initialized = session.written_in_model_order()
    report.untouched = [session.names[id(t)] for t in unmatched if id(t) not in session.written]
    return report


def init_module(module: nn.Module, rules: Sequence[Rule], seed: SeedLike = None, *,
                allow_unused: bool = False) -> InitReport:
    """Initialize ``module``'s parameters by ``rules`` (see :class:`Rule`), each from its name-keyed stream.

    Parameters
    ----------
    module : torch.nn.Module
    rules : sequence of Rule
        The first rule matching a parameter decides (put specific rules first).
    seed : int, fastinit.Generator, torch.Generator or None
        As in :func:`reset_parameters`: parameter ``name`` gets the stream
        ``Generator(root).fold_in(name)``, so a parameter gets the same values
        from ``init_module`` as from the same initializer in ``reset_parameters``.
    allow_unused : bool, default False
        Whether a rule may match no parameter (otherwise a ValueError, which
        catches misspelt patterns).

    Returns
    -------
    InitReport
        ``untouched`` lists the parameters no rule matched (left unchanged;
        a UserWarning names them).

    Raises
    ------
    TypeError, ValueError
        For a rule that is not a Rule, a rule matching nothing, an initializer
        that cannot take a matched parameter (``orthogonal_`` of a 1-D one),
        an argument value it refuses (``std=-1``; a callable argument that
        raises), or a parameter fastinit cannot write (integer dtype, meta device),
        all before anything is written.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    session = Session(module, root_seed(seed))
    with session.reporting_partial("init_module"):
        report = apply_rules(session, rules, allow_unused, defaults_for_unmatched=False)
    report.warn("init_module")
    return report
