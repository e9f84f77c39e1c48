"""Helpers shared by the RBM and DBN estimators, and their one door to scikit-learn's private APIs.

- :func:`sigmoid`: the logistic function, also used by the evaluation code;
- :func:`check_unit_interval`: Bernoulli visible units need X in [0, 1];
- :func:`validate_float_X`: scikit-learn's ``validate_data`` as the estimators use it;
- :func:`random_state_key`: a 64-bit key drawn from a ``numpy.random.RandomState``;
- :func:`fit_context`, ``Interval``, ``Options``, ``StrOptions``,
  ``validate_parameter_constraints``: scikit-learn's private parameter validation
  (``sklearn.base._fit_context``, ``sklearn.utils._param_validation``, present
  since scikit-learn 1.3; fastinit requires >= 1.6). Every private scikit-learn
  import of fastinit goes through :func:`_private_sklearn`, which turns a
  moved name into an ImportError that says what moved and what to install.

NumPy is the only import at module level: :mod:`fastinit.rbm_evaluation`
(which needs neither scikit-learn nor SciPy) takes its sigmoid from here;
scikit-learn's private names are imported when first asked for (PEP 562),
SciPy only by the functions that meet sparse input.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["sigmoid", "check_unit_interval", "validate_float_X", "random_state_key", "fit_context"]

#: The private scikit-learn names fastinit uses: name -> the module that holds it.
PRIVATE_SKLEARN = {
    "_fit_context": "sklearn.base",
    "Interval": "sklearn.utils._param_validation",
    "Options": "sklearn.utils._param_validation",
    "StrOptions": "sklearn.utils._param_validation",
    "validate_parameter_constraints": "sklearn.utils._param_validation",
}


def _private_sklearn(name: str) -> Any:
    """``PRIVATE_SKLEARN[name]``'s ``name``, or an ImportError saying that scikit-learn moved it."""
    module = PRIVATE_SKLEARN[name]
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as e:
        try:
            import sklearn

            version = f"scikit-learn {sklearn.__version__}"
        except ImportError:
            version = "no scikit-learn"
        raise ImportError(
            f"fastinit's estimators use scikit-learn's private {module}.{name}, which is not there "
            f"({version} is installed): install scikit-learn>=1.6 (pip install \"fastinit[rbm]\"), or "
            "a release that still has it if this one moved it"
        ) from e


def __getattr__(name: str) -> Any:  # PEP 562: Interval, Options, StrOptions, ...
    if name in PRIVATE_SKLEARN and not name.startswith("_"):
        return _private_sklearn(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_Method = TypeVar("_Method", bound=Callable[..., Any])


def fit_context(prefer_skip_nested_validation: bool) -> Callable[[_Method], _Method]:
    """scikit-learn's ``_fit_context`` (parameter validation, nested-validation
    skipping), with the decorated method's signature kept for type checkers."""
    decorator: Callable[[_Method], _Method] = _private_sklearn("_fit_context")(
        prefer_skip_nested_validation=prefer_skip_nested_validation)
    return decorator


def sigmoid(z: npt.NDArray[Any]) -> npt.NDArray[Any]:
    r"""The logistic function :math:`\sigma(z) = 1 / (1 + e^{-z})` in z's dtype.

    Computed as ``where(z >= 0, 1, e) / (1 + e)`` with ``e = exp(-|z|)``: exp of
    non-positive numbers only, so no overflow warnings.
    """
    e = np.exp(-np.abs(z))
    out: npt.NDArray[Any] = np.where(z >= 0, 1.0, e).astype(z.dtype, copy=False) / (1 + e)
    return out


def check_unit_interval(X: Any, owner: str, alternative: str) -> None:
    """Bernoulli visible units need X in [0, 1] (binary data or probabilities).

    The ValueError names ``owner`` (the estimator and its setting) and, after
    the MinMaxScaler advice, ``alternative`` (the way to real-valued data).
    """
    import scipy.sparse as sp

    data = X.data if sp.issparse(X) else X
    if not data.size:
        return
    low, high = data.min(), data.max()
    if low < 0 or high > 1:
        # scikit-learn's common checks expect "Negative values in data" from
        # estimators tagged positive_only.
        negative = "Negative values in data: " if low < 0 else ""
        raise ValueError(
            f"{negative}{owner} expects X with values in [0, 1] (binary data or probabilities); got values in "
            f"[{low:.6g}, {high:.6g}]. Scale the features to [0, 1] (e.g. sklearn.preprocessing.MinMaxScaler), "
            f"or {alternative}."
        )


def validate_float_X(estimator: Any, X: Any, dtype: npt.DTypeLike | None, *,
                     fitted_dtype: np.dtype[Any] | None = None) -> Any:
    """scikit-learn's ``validate_data`` for the RBMs and the DBN: finite, non-empty, CSR or C-ordered dense.

    ``fitted_dtype`` None: X fits ``estimator`` (``n_features_in_`` is set)
    and is converted to the ``dtype`` parameter, or with ``dtype=None`` keeps
    float32/float64 and turns everything else into float32. Otherwise X is
    checked against the fitted estimator and cast to ``fitted_dtype``.
    """
    import scipy.sparse as sp
    from sklearn.utils.validation import validate_data

    dt = getattr(X, "dtype", None)
    if isinstance(dt, np.dtype) and dt.kind == "f" and not dt.isnative:  # big-endian floats keep their width
        X = X.astype(dt.newbyteorder("="))
    reset = fitted_dtype is None
    accepted = np.dtype(dtype) if reset and dtype is not None else (np.float32, np.float64)
    X = validate_data(estimator, X, accept_sparse="csr", dtype=accepted, order="C", reset=reset)
    if fitted_dtype is not None:
        X = X.astype(fitted_dtype, copy=False)
    if sp.issparse(X):
        # SciPy's own sparse kernels (X.sum, X @ W) read out of bounds on a
        # malformed matrix: check its structure before anything touches it.
        X.check_format(full_check=True)
    return X


def random_state_key(random_state: Any) -> int:
    """A 64-bit key from a ``numpy.random.RandomState`` (or anything
    ``sklearn.utils.check_random_state`` takes): two 32-bit words drawn from it,
    the first in the low half."""
    from sklearn.utils import check_random_state

    words = check_random_state(random_state).randint(0, 2**32, size=2, dtype=np.uint64)
    return int(words[0]) | (int(words[1]) << 32)
