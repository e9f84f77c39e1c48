"""What a whole-model call did to each tensor."""
from __future__ import annotations

import dataclasses
import warnings

__all__ = ["InitReport", "quoted_names"]


@dataclasses.dataclass
class InitReport:
    """The outcome of ``reset_parameters``, ``init_module``, ``materialize`` or ``fast_init``.

    Attributes
    ----------
    initialized : list of str
        Parameters and buffers written by fastinit (qualified names, wrapper
        prefixes removed).
    fallback : list of str
        Submodules fastinit has no rule for, re-initialized by calling their
        own ``reset_parameters()`` with their ``torch.nn.init`` calls routed
        through fastinit (name-keyed streams); other random calls they make
        (``tensor.normal_()``) use torch's generator.
    untouched : list of str
        Parameters nothing wrote (no rule matched and no ``reset_parameters``);
        for ``materialize`` also the buffers nothing reset.
    sources : dict of str to str
        For each tensor a model library's init hook wrote last (Hugging
        Face's ``init_weights``), what wrote it, e.g.
        ``{"transformer.wte.weight": "GPT2LMHeadModel.init_weights: normal_"}``;
        tensors not in it hold the torch module default (or a rule's value).
    """

    initialized: list[str] = dataclasses.field(default_factory=list)
    fallback: list[str] = dataclasses.field(default_factory=list)
    untouched: list[str] = dataclasses.field(default_factory=list)
    sources: dict[str, str] = dataclasses.field(default_factory=dict)

    def warn(self, what: str, stacklevel: int = 3, untouched: str = "were left unchanged") -> None:
        """One UserWarning naming the fallback modules and untouched parameters, if any.

        ``untouched`` says what the untouched tensors hold (``materialize``:
        uninitialized memory).
        """
        parts = []
        if self.fallback:
            parts.append(f"{len(self.fallback)} module(s) without a fastinit rule were reset by their own "
                         f"reset_parameters(): {quoted_names(self.fallback)}")
        if self.untouched:
            parts.append(f"{len(self.untouched)} tensor(s) {untouched}: {quoted_names(self.untouched)}")
        if parts:
            warnings.warn(f"{what}: " + "; ".join(parts), UserWarning, stacklevel=stacklevel)


def quoted_names(names: list[str], n: int = 5) -> str:
    """The first ``n`` names, quoted and comma-separated, then how many more there are."""
    shown = ", ".join(repr(x) for x in names[:n])
    return shown + (f", ... ({len(names) - n} more)" if len(names) > n else "")
