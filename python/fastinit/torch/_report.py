"""What a whole-model call did to each tensor."""
from __future__ import annotations

import dataclasses
import warnings

__all__ = ["InitReport", "quoted_names", "UninitializedTensorsError", "ON_UNTOUCHED"]


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
    torch_drawn : list of str
        Tensors whose last write, by a library's init hook or (``fast_init``)
        by a constructor, holds values drawn by torch's own generator, which
        fastinit cannot route (for example ``p.copy_(torch.randn(n, m) *
        std)``, ``p.data = torch.rand(n)``, ``p.data.random_()``, and in a
        constructor ``nn.Parameter(torch.randn(n, m) * 0.02)`` or
        ``register_buffer("pos", torch.rand(1, n))``): the code ran as
        written, so the distribution is the model's, but the values follow
        ``torch.manual_seed``, not fastinit's seed. ``sources`` says which
        function drew them. Named in the call's warning. (Under
        ``meta_init`` such values are lost: ``materialize`` reports those
        tensors as untouched, ``sources`` naming the function.)
    """

    initialized: list[str] = dataclasses.field(default_factory=list)
    fallback: list[str] = dataclasses.field(default_factory=list)
    untouched: list[str] = dataclasses.field(default_factory=list)
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    torch_drawn: list[str] = dataclasses.field(default_factory=list)

    def warn(self, what: str, stacklevel: int = 3, untouched: str = "were left unchanged",
             all_untouched: bool = False) -> None:
        """One UserWarning naming the fallback modules, untouched parameters and torch-drawn tensors, if any.

        ``untouched`` says what the untouched tensors hold (``materialize``:
        uninitialized memory); ``all_untouched`` names every one of them, not only the first five.
        """
        parts = []
        if self.fallback:
            parts.append(f"{len(self.fallback)} module(s) without a fastinit rule were reset by their own "
                         f"reset_parameters(): {quoted_names(self.fallback)}")
        if self.untouched:
            parts.append(f"{len(self.untouched)} tensor(s) {untouched}: "
                         f"{quoted_names(self.untouched, None if all_untouched else 5)}")
        if self.torch_drawn:
            parts.append(f"{len(self.torch_drawn)} tensor(s) hold values drawn by torch's own generator, "
                         f"not reproducible from fastinit's seed (they follow torch.manual_seed; see "
                         f"report.sources): "
                         f"{quoted_names(self.torch_drawn)}")
        if parts:
            warnings.warn(f"{what}: " + "; ".join(parts), UserWarning, stacklevel=stacklevel)


def quoted_names(names: list[str], n: int | None = 5) -> str:
    """The first ``n`` names (all for None), quoted and comma-separated, then how many more there are."""
    if n is None:
        n = len(names)
    shown = ", ".join(repr(x) for x in names[:n])
    return shown + (f", ... ({len(names) - n} more)" if len(names) > n else "")


#: What ``materialize(on_untouched=...)`` accepts.
ON_UNTOUCHED = ("raise", "warn")


class UninitializedTensorsError(RuntimeError):
    """``materialize`` left tensors that nothing initialized: they hold the arbitrary memory of ``to_empty``.

    Raised after every other tensor is written and the ties are made, so the
    model is complete but for ``names``. ``materialize(...,
    on_untouched="warn")`` gives a UserWarning naming them instead.

    Attributes
    ----------
    names : list of str
        The tensors (qualified names), every one of them also in ``report.untouched``.
    report : InitReport
        What the call did, as ``materialize`` would have returned it.
    """

    def __init__(self, report: InitReport) -> None:
        self.names = list(report.untouched)
        self.report = report
        super().__init__(
            f"materialize: {len(self.names)} tensor(s) hold uninitialized memory (allocated by to_empty, reset by "
            f"nothing): {quoted_names(self.names, None)}. Their values come from code that did not run on the meta "
            "device (buffers computed in a constructor, e.g. position_ids or a rotary inv_freq in transformers "
            "4.x, or values a constructor drew with torch's generator, which report.sources names): "
            "build the model under fastinit.torch.fast_init instead, or pass on_untouched='warn' and "
            "write them yourself"
        )
