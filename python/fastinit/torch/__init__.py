"""fastinit.torch: initialize PyTorch tensors and whole models on fastinit's kernels.

* A drop-in for ``torch.nn.init`` (same names and signatures): ``uniform_``,
  ``normal_``, ``trunc_normal_``, ``constant_``, ``ones_``, ``zeros_``,
  ``eye_``, ``dirac_``, ``xavier_uniform_``, ``xavier_normal_``,
  ``kaiming_uniform_``, ``kaiming_normal_``, ``orthogonal_``, ``sparse_``,
  ``calculate_gain``, and torch's deprecated aliases without the ``_``
  (``normal``, ``uniform``, ``constant``, ``eye``, ``dirac``,
  ``xavier_uniform``, ``xavier_normal``, ``kaiming_uniform``,
  ``kaiming_normal``, ``orthogonal``, ``sparse``), which warn
  ``FutureWarning`` as torch's do.
* ``reset_parameters(module, seed=...)``: PyTorch's default initialization of
  every module, each parameter keyed by its qualified name.
* ``init_module(module, rules, seed=...)``: Hugging Face/timm-style
  ``_init_weights`` written as data (:class:`Rule`, :func:`gpt2_rules`).
* ``materialize(module, seed=...)`` for models built on the meta device
  (under ``meta_init()`` their constructors' init writes are recorded and
  replayed) and ``fast_init(seed=...)`` for ordinary construction.
* Sharded models (torch.distributed DTensors: FSDP2 ``fully_shard``, tensor
  parallel): every function above fills each rank's local shard with the
  values of the whole tensor, so ``reset_parameters(fsdp_model, seed=0)``
  gives the single-process model's bits. ``fill_sharded`` does the same for
  any fastinit initializer, ``local_block``/``local_blocks`` give a shard's
  place in the whole tensor, ``check_same_seed`` verifies the ranks agree.

A whole-model call that fails after writing some tensors raises
:class:`PartialInitError`, which names the tensors written and not written;
``materialize`` raises :class:`UninitializedTensorsError` for tensors nothing
initialized (``on_untouched="warn"``: a warning naming them).

PyTorch is imported by this package only, never by ``import fastinit``.
"""
from __future__ import annotations

from ._construct import fast_init, materialize, meta_init
from ._defaults import reset_parameters
from ._deprecated import (
    constant,
    dirac,
    eye,
    kaiming_normal,
    kaiming_uniform,
    normal,
    orthogonal,
    sparse,
    uniform,
    xavier_normal,
    xavier_uniform,
)
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
from ._partial import PartialInitError
from ._report import InitReport, UninitializedTensorsError
from ._rules import Rule, gpt2_rules, init_module
from ._shard import check_same_seed, fill_sharded, local_block, local_blocks

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform",
    "kaiming_normal", "orthogonal", "sparse",
    "reset_parameters", "init_module", "Rule", "gpt2_rules", "materialize", "fast_init", "meta_init", "InitReport",
    "PartialInitError", "UninitializedTensorsError",
    "fill_sharded", "check_same_seed", "local_block", "local_blocks",
]  # fmt: skip
