"""fastinit: fast, reproducible neural-network weight initialization.

Every random function takes ``seed: int | Generator | None`` and gives the
same bits for the same seed on every CPU, thread count and memory layout.
"""
from typing import TYPE_CHECKING, Any

from . import fans as _fans
from . import initializers as _initializers
from . import structured as _structured
from ._core import __version__
from ._generator import Generator, default_generator, manual_seed
from ._philox import philox4x32
from ._runtime import _init_from_environment, get_num_threads, info, set_num_threads

# --- initializers (python/fastinit/initializers.py, fans.py, structured.py) ---
from .fans import *  # noqa: F403  (names listed in fans.__all__)
from .initializers import *  # noqa: F403  (names listed in initializers.__all__)
from .structured import *  # noqa: F403  (names listed in structured.__all__)

if TYPE_CHECKING:  # what __getattr__ below returns, for type checkers
    from .dbn import DBN as DBN
    from .dbn_classifier import DBNClassifier as DBNClassifier
    from .rbm import BernoulliRBM as BernoulliRBM
    from .rbm import GaussianBernoulliRBM as GaussianBernoulliRBM

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
__all__ += _fans.__all__
__all__ += _initializers.__all__
__all__ += _structured.__all__
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


def __getattr__(name: str) -> Any:
    module = _LAZY_ESTIMATORS.get(name)
    if module is not None:
        import importlib

        return getattr(importlib.import_module(f".{module}", __name__), name)
    raise AttributeError(f"module 'fastinit' has no attribute {name!r}")


__all__ += list(_LAZY_ESTIMATORS)
