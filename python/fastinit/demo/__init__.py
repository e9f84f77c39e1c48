"""``python -m fastinit demo``: the lessons of weight initialization, measured and drawn.

One module per section of the report, each with a ``run(**settings)``
function that returns a :class:`~fastinit.demo.section.Section` (text,
matplotlib figures, numbers, findings) and a ``SETTINGS`` dict of the full
and ``--quick`` settings:

* :mod:`~fastinit.demo.zeros`: zeros and constants leave the hidden units identical;
* :mod:`~fastinit.demo.depth`: activation and gradient statistics over 50 layers;
* :mod:`~fastinit.demo.curves`: training curves of a deep MLP from each initialization;
* :mod:`~fastinit.demo.pretraining`: DBN pretraining against random initialization;
* :mod:`~fastinit.demo.speed`: fastinit against NumPy and PyTorch.

Shared pieces: :mod:`~fastinit.demo.inits` (the initializations, drawn with
fastinit), :mod:`~fastinit.demo.digits` (data and the ``partial_fit`` epoch
loop), :mod:`~fastinit.demo.report` (HTML, PNG, JSON) and
:mod:`~fastinit.demo.cli` (:func:`~fastinit.demo.cli.run_demo`, the whole
command as a function). Rerun one section with other settings::

    from fastinit.demo import curves
    section = curves.run(depth=20, epochs=40, activations=("relu",), seed=1)
    for finding in section.findings:
        print(finding.holds, finding.text)

Nothing here is imported by ``import fastinit``; the demo needs matplotlib,
scikit-learn and SciPy (``pip install "fastinit-nn[demo]"``), PyTorch optionally.
"""
from .cli import SECTIONS, run_demo

__all__ = ["SECTIONS", "run_demo"]
