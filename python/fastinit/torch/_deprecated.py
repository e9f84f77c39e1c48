"""torch.nn.init's deprecated aliases without the trailing underscore.

``torch.nn.init`` still exports ``normal``, ``uniform``, ``constant``, ``eye``,
``dirac``, ``xavier_uniform``, ``xavier_normal``, ``kaiming_uniform``,
``kaiming_normal``, ``orthogonal`` and ``sparse`` (the names before PyTorch
0.4 renamed in-place functions with ``_``). Each one here does what torch's
does: it emits a ``FutureWarning`` saying the name is deprecated in favour of
the underscore function (attributed to the caller's line) and then calls that
function with the same arguments. ``trunc_normal``, ``ones`` and ``zeros``
never existed in torch, so they are not provided.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Callable, TypeVar

from . import _nn_init

if TYPE_CHECKING:  # typing.ParamSpec is Python >= 3.10; annotations are never evaluated at run time
    from typing import ParamSpec

    _P = ParamSpec("_P")

__all__ = [
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
    "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse",
]  # fmt: skip

_R = TypeVar("_R")


def _alias(replacement: Callable[_P, _R]) -> Callable[_P, _R]:
    """A function named ``replacement`` minus its ``_`` that warns, then forwards."""
    new = replacement.__name__
    old = new.removesuffix("_")

    def alias(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        warnings.warn(f"`fastinit.torch.{old}` is now deprecated in favor of `fastinit.torch.{new}`.",
                      FutureWarning, stacklevel=2)
        return replacement(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__module__ = "fastinit.torch"
    alias.__doc__ = (f"{old}(...): deprecated alias of :func:`fastinit.torch.{new}` (as "
                     f"``torch.nn.init.{old}`` is of ``torch.nn.init.{new}``); warns ``FutureWarning``.")
    return alias


uniform = _alias(_nn_init.uniform_)
normal = _alias(_nn_init.normal_)
constant = _alias(_nn_init.constant_)
eye = _alias(_nn_init.eye_)
dirac = _alias(_nn_init.dirac_)
xavier_uniform = _alias(_nn_init.xavier_uniform_)
xavier_normal = _alias(_nn_init.xavier_normal_)
kaiming_uniform = _alias(_nn_init.kaiming_uniform_)
kaiming_normal = _alias(_nn_init.kaiming_normal_)
orthogonal = _alias(_nn_init.orthogonal_)
sparse = _alias(_nn_init.sparse_)
