"""fastinit.torch: initialize PyTorch tensors and whole models on fastinit's kernels.

* A drop-in for ``torch.nn.init`` (same names and signatures): ``uniform_``,
  ``normal_``, ``trunc_normal_``, ``constant_``, ``ones_``, ``zeros_``,
  ``eye_``, ``dirac_``, ``xavier_uniform_``, ``xavier_normal_``,
  ``kaiming_uniform_``, ``kaiming_normal_``, ``orthogonal_``, ``sparse_``,
  ``calculate_gain``.
* ``reset_parameters(module, seed=...)``: PyTorch's default initialization of
  every module, each parameter keyed by its qualified name.
* ``init_module(module, rules, seed=...)``: Hugging Face/timm-style
  ``_init_weights`` written as data (:class:`Rule`, :func:`gpt2_rules`).
* ``materialize(module, seed=...)`` for models built on the meta device and
  ``fast_init(seed=...)`` for ordinary construction.

PyTorch is imported by this package only, never by ``import fastinit``.
"""
from __future__ import annotations

from ._construct import fast_init, materialize
from ._defaults import reset_parameters
from ._nn_init import (
    calculate_gain,
    constant_,
    dirac_,
    eye_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    ones_,
    orthogonal_,
    sparse_,
    trunc_normal_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)
from ._report import InitReport
from ._rules import Rule, gpt2_rules, init_module

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
    "reset_parameters", "init_module", "Rule", "gpt2_rules", "materialize", "fast_init", "InitReport",
]  # fmt: skip
