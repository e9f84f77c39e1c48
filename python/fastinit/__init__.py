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
from . import fans as _fans, initializers as _initializers, structured as _structured
from .fans import calculate_gain, compute_fans
from .initializers import *  # noqa: F401,F403  (names listed in initializers.__all__)
from .structured import *  # noqa: F401,F403  (names listed in structured.__all__)

__all__ += _fans.__all__ + _initializers.__all__ + _structured.__all__
del _fans, _initializers, _structured

# --- RBM and DBN estimators (python/fastinit/rbm.py, dbn.py, dbn_classifier.py) ---
# Imported on first use: they need scikit-learn and SciPy (the "rbm" extra),
# which `import fastinit` alone does not.
_LAZY_ESTIMATORS = {
    "BernoulliRBM": "rbm",
    "GaussianBernoulliRBM": "rbm",
    "DBN": "dbn",
    "DBNClassifier": "dbn_classifier",
}


def __getattr__(name):
    module = _LAZY_ESTIMATORS.get(name)
    if module is not None:
        import importlib

        return getattr(importlib.import_module(f".{module}", __name__), name)
    raise AttributeError(f"module 'fastinit' has no attribute {name!r}")


__all__ += list(_LAZY_ESTIMATORS)
