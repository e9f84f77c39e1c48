"""Section 4: layer-wise RBM pretraining against random initialization.

Needs :class:`fastinit.DBNClassifier`; in a build without it the section says
so instead of running.
"""
from __future__ import annotations

import fastinit

from .section import Section

__all__ = ["SETTINGS", "available", "run"]

SETTINGS: dict[str, dict] = {"full": {}, "quick": {}}

TITLE = "4. Layer-wise pretraining (deep belief network) against random initialization"


def available() -> bool:
    """Whether this build of fastinit has the DBN classifier."""
    return hasattr(fastinit, "DBNClassifier")


def run(seed: int = 0) -> Section:
    return Section(
        key="pretraining", title=TITLE, available=False, numbers={"available": False},
        lesson=("Hinton, Osindero and Teh (2006) trained deep networks by pretraining each layer as a "
                "restricted Boltzmann machine on the activities of the layer below, then fine-tuning the "
                "whole stack; Erhan et al. (2010) measured when this beats random initialization."),
        notes=[("Not available in this build: fastinit.DBNClassifier does not exist in this version of "
                "fastinit, so the pretraining experiment was not run.")])
