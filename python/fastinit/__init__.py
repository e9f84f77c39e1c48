"""fastinit: fast, reproducible neural-network weight initialization.

Every random function takes ``seed: int | Generator | None`` and gives the
same bits for the same seed on every CPU, thread count and memory layout.
"""
from ._core import __version__
from ._generator import Generator, default_generator, manual_seed
from ._philox import philox4x32
from ._runtime import get_num_threads, info, set_num_threads, _init_from_environment

_init_from_environment()
del _init_from_environment

__all__ = [
    "__version__",
    "Generator",
    "default_generator",
    "manual_seed",
    "philox4x32",
    "get_num_threads",
    "set_num_threads",
    "info",
]

# --- initializers (python/fastinit/initializers.py, fans.py) ---

# --- RBM estimators (python/fastinit/rbm.py) ---
from .rbm import BernoulliRBM, GaussianBernoulliRBM  # noqa: E402

__all__ += ["BernoulliRBM", "GaussianBernoulliRBM"]
