"""The RBM estimators' trainer state and their one call into the C++ CD/PCD trainer.

:class:`RBMTrainer` is a mixin of ``fastinit.rbm._RBMBase``: it creates the
model (``_init_model``: weights N(0, 0.01^2) from the model's Philox
generator, zero biases, the chain at h = 0), keeps the fitted arrays in the
form the trainer writes in place (``_check_fitted_arrays``), and runs one pass
over the data in ``_train`` (``_core.rbm_train``, named arguments, GIL released,
BLAS held at one thread). It reads the estimator's parameters (``learning_rate``,
``momentum``, ...) and the visible-unit type's ``_visible_code``.
"""
from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import scipy.sparse as sp

from . import _core
from ._blas import blas_gemm, single_threaded_blas
from ._estimator_helpers import random_state_key
from ._generator import Generator
from ._sampling import NORMAL, fill_

__all__ = ["RBMTrainer"]

# Damping of the running hidden-activity estimate used by the sparsity penalty:
# q <- 0.9 q + 0.1 mean(h+) (Hinton's guide suggests 0.9-0.99).
_SPARSITY_DAMPING = 0.9
# The trainer multiplies visible rows by the weights with its own sparse kernel
# (skipping zeros) when at most this fraction of their entries is nonzero, and
# with dense BLAS products otherwise. Measured on RBM shapes (200 rows, 784
# visible, 500 hidden, float32, one Zen 4 core): 0.53 ms against 1.53 ms for
# OpenBLAS's sgemm at 13% density, 1.19 ms at 30%, break-even near 35%.
_MAX_SPARSE_DENSITY = 0.3
# Products of at most this many dense hidden rows with the weights (the
# Gibbs chain's v given h at small batch sizes) skip BLAS, which repacks all
# the weights for every call: fastinit's dot-product kernel instead.
_MAX_DIRECT_ROWS = 32

class RBMTrainer:
    """Model creation, fitted-array checks and the C++ training pass (see the module docstring)."""

    # the estimator's parameters and fitted state, declared for type checkers
    n_components: int
    batch_size: int
    n_jobs: int | None
    random_state: Any
    learning_rate: float
    momentum: float
    weight_decay: float
    sparsity_target: float | None
    sparsity_cost: float
    k: int
    persistent: bool
    _visible_code: int

    def _max_threads(self) -> int:
        n = self.n_jobs
        if n is None:
            return 0
        if n == 0:
            raise ValueError("n_jobs == 0 has no meaning; use None, a positive int or -1 (all CPUs)")
        if n < 0:
            return max(1, _core.default_num_threads() + 1 + int(n))
        return int(n)

    def _init_model(self, n_features, dtype):
        rs = self.random_state
        if rs is None:
            gen = Generator()
        elif isinstance(rs, Integral):
            gen = Generator(int(rs))
        else:  # a numpy RandomState: draw a 64-bit key from it
            gen = Generator(random_state_key(rs))
        self._rng = gen
        dtype = np.dtype(dtype)
        W = np.empty((self.n_components, n_features), dtype=dtype)
        fill_(W, NORMAL, (0.0, 0.01), seed=gen)  # call 0 of the generator
        self.components_ = W
        self.intercept_hidden_ = np.zeros(self.n_components, dtype=dtype)
        self.intercept_visible_ = np.zeros(n_features, dtype=dtype)
        self.h_samples_ = np.zeros((self.batch_size, self.n_components), dtype=dtype)
        self.visible_marginals_ = np.zeros(n_features)
        self.n_samples_seen_ = 0
        self._velocity = None
        self._hidden_activity = None
        self._n_features_out = self.n_components

    # Fitted arrays and the shape each must have: (attribute, shape from (n_hidden, n_visible)).
    _FITTED_ARRAYS = (
        ("components_", lambda nh, nv, rows: (nh, nv)),
        ("intercept_hidden_", lambda nh, nv, rows: (nh,)),
        ("intercept_visible_", lambda nh, nv, rows: (nv,)),
        ("h_samples_", lambda nh, nv, rows: (rows, nh)),
    )

    def _check_fitted_arrays(self):
        """Make the fitted arrays usable by the trainer, which writes them in place.

        A user may assign them (docs/rbm.md's recipe sets ``intercept_visible_``).
        The model's dtype is ``components_``'s (float32 or float64); an array of
        another real dtype, or not C-contiguous, is converted to it and stored
        back; anything else is an error naming the attribute, the dtype and the
        shape it must have.
        """
        W = self.components_
        if not isinstance(W, np.ndarray) or W.dtype not in (np.float32, np.float64) or W.ndim != 2:
            raise TypeError(
                f"components_ must be a 2-D float32 or float64 NumPy array, got "
                f"{type(W).__name__} of dtype {getattr(W, 'dtype', None)} and shape {np.shape(W)}"
            )
        dt = W.dtype
        nh, nv = W.shape
        rows = np.shape(self.h_samples_)[0] if np.ndim(self.h_samples_) == 2 else self.batch_size
        for name, shape_of in self._FITTED_ARRAYS:
            value = getattr(self, name)
            shape = shape_of(nh, nv, rows)
            if isinstance(value, np.ndarray) and value.dtype == dt and value.flags.c_contiguous \
                    and value.flags.writeable and value.shape == shape:
                continue
            arr = np.asarray(value)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"{name} must be a {dt} array of shape {shape} (the dtype of components_), "
                                f"got dtype {arr.dtype}")
            if arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape} for a model with {nh} hidden and {nv} "
                                 f"visible units, got {arr.shape}")
            setattr(self, name, np.array(arr, dtype=dt, order="C"))  # a converted, owned copy
        if self._velocity is not None and self._velocity[0].dtype != dt:
            self._velocity = tuple(v.astype(dt) for v in self._velocity)
        if self._hidden_activity is not None and self._hidden_activity.dtype != dt:
            self._hidden_activity = self._hidden_activity.astype(dt)

    def _model_arrays(self):
        self._check_fitted_arrays()
        dt = self.components_.dtype
        if self.momentum > 0 and self._velocity is None:
            self._velocity = (np.zeros_like(self.components_), np.zeros_like(self.intercept_hidden_),
                              np.zeros_like(self.intercept_visible_))
        if self.sparsity_target is not None and self._hidden_activity is None:
            self._hidden_activity = np.full(self.n_components, self.sparsity_target, dtype=dt)
        vel: Any = self._velocity if self.momentum > 0 else (None, None, None)
        return {
            "weights": self.components_,
            "hidden_bias": self.intercept_hidden_,
            "visible_bias": self.intercept_visible_,
            "chain": self.h_samples_,
            "weights_velocity": vel[0],
            "hidden_bias_velocity": vel[1],
            "visible_bias_velocity": vel[2],
            "hidden_activity": self._hidden_activity,
        }

    def _update_marginals(self, X):
        sums = np.asarray(X.sum(axis=0, dtype=np.float64)).ravel()
        n = self.n_samples_seen_ + X.shape[0]
        self.visible_marginals_ = (self.visible_marginals_ * self.n_samples_seen_ + sums) / n
        self.n_samples_seen_ = n

    def _train(self, X, batch_size, callback=None):
        """One pass over X in minibatches of batch_size (C++; Ctrl-C safe)."""
        model = self._model_arrays()
        if sp.issparse(X):
            indices, indptr = X.indices, X.indptr
            if indices.dtype != indptr.dtype:
                indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
            data = X.data
        else:
            data, indices, indptr = X, None, None
        key0, key1, first_call = self._rng.spawn_call()
        progress = np.zeros(1, dtype=np.int64)
        gemm = blas_gemm(self.components_.dtype)
        try:
            # BLAS's own pool is held at one thread: fastinit's pool makes one BLAS call
            # per column slice of each product (see fastinit._blas).
            with single_threaded_blas():
                _core.rbm_train(
                    model=model, X=data, csr_indices=indices, csr_indptr=indptr, batch_size=int(batch_size),
                    first_call=first_call, progress=progress, gemm=gemm, visible=self._visible_code,
                    learning_rate=float(self.learning_rate), momentum=float(self.momentum),
                    weight_decay=float(self.weight_decay),
                    sparsity_target=None if self.sparsity_target is None else float(self.sparsity_target),
                    sparsity_cost=float(self.sparsity_cost), sparsity_damping=_SPARSITY_DAMPING,
                    k=int(self.k), persistent=bool(self.persistent), max_threads=self._max_threads(),
                    key0=key0, key1=key1, callback=callback, max_sparse_density=_MAX_SPARSE_DENSITY,
                    max_direct_rows=_MAX_DIRECT_ROWS,
                )
        finally:
            # update u used call first_call + u; the next random call follows them
            self._rng.set_state({"seed": self._rng.seed, "calls": first_call + max(1, int(progress[0]))})
        if not (np.isfinite(self.components_).all() and np.isfinite(self.intercept_visible_).all()
                and np.isfinite(self.intercept_hidden_).all()):
            raise ValueError(
                f"training diverged: the parameters of {type(self).__name__} became non-finite "
                f"(learning_rate={self.learning_rate!r}, momentum={self.momentum!r}); lower the "
                "learning rate or momentum (Gaussian visible units need standardized data and "
                "a learning rate around 0.001-0.01)"
            )
