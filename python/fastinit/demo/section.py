"""What every section of the demo returns: its text, figures, numbers and findings.

A section module (``zeros``, ``depth``, ``curves``, ``pretraining``,
``speed``) has a ``run(...)`` function whose keyword arguments are the
experiment's settings and which returns a :class:`Section`. The report and
the terminal summary are built from these objects only, so a section rerun
from Python with other settings gives the same kind of figures and findings::

    from fastinit.demo import depth
    section = depth.run(depth=100, width=1024, seed=3)
    print(section.numbers["relu"]["he"]["activation_std"][-1])
    section.figures[0].figure.savefig("depth.png")

Figures are :class:`matplotlib.figure.Figure` objects drawn on matplotlib's
Agg canvas directly: no pyplot, no global backend switch, no window.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Figure", "Finding", "Section", "new_figure"]


@dataclass
class Finding:
    """One claim of the lesson, with the measured numbers in ``text``.

    ``holds`` says whether the numbers support the claim (a claim the run
    contradicts is shown as such, never dropped).
    """

    text: str
    holds: bool


@dataclass
class Figure:
    name: str  # file name without extension, unique in the report
    figure: Any  # matplotlib.figure.Figure
    caption: str


@dataclass
class Section:
    key: str  # the JSON key and HTML anchor
    title: str
    lesson: str  # the one-paragraph explanation
    numbers: dict[str, Any]  # everything measured, JSON-serializable
    figures: list[Figure] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was not run, and why
    table: tuple[list[str], list[list[str]]] | None = None  # header, rows
    available: bool = True  # False: the section could not run in this build
    seconds: float = 0.0


def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure on an Agg canvas (inches; saved at 100 dpi)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig
