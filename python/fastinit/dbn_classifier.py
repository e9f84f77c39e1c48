"""DBN pretraining + fine-tuning with scikit-learn's MLPClassifier, as one classifier.

``fit`` trains a :class:`~fastinit.DBN` on X (unsupervised, greedy), then
fine-tunes the whole sigmoid network with scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier` (``activation="logistic"``)
starting from the pretrained weights: layer l gets the weights
``rbms_[l].components_.T`` (scikit-learn's (fan_in, fan_out) layout) and the
hidden biases ``rbms_[l].intercept_hidden_``; a fresh output layer
(``output_init``, zero bias) is added on top. Backpropagation is
scikit-learn's own; the start is set by :func:`fastinit.mlp_warm_start.warm_start_mlp`.
``pretrain=False`` fits the same MLP from scikit-learn's random
initialization: the baseline.

Parameters are flat (``pretrain_*`` for the DBN, MLPClassifier's own names
for fine-tuning), so ``set_params``, ``clone`` and ``GridSearchCV`` see them
all and every default is a plain value.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.neural_network import MLPClassifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._blas import single_threaded_blas
from .dbn import (
    DBN,
    OUTPUT_INITS,
    PER_LAYER_PARAMS,
    TO_GAUSSIAN_UNITS,
    PerLayer,
    check_hidden_layer_sizes,
    output_layer_weights,
)
from .mlp_warm_start import warm_start_mlp
from .rbm import _blas_gemm, _fit_context, check_unit_interval

__all__ = ["DBNClassifier"]

#: DBNClassifier parameter -> the DBN parameter it sets.
PRETRAIN_PARAMS = {f"pretrain_{name}": name for name in PER_LAYER_PARAMS}
#: scikit-learn's MLP warns when its batch_size exceeds the training rows (then clipped to them).
BATCH_CLIPPED = "Got `batch_size` less than 1 or larger than sample size"
#: MLPClassifier parameters DBNClassifier passes through under the same name.
MLP_PARAMS = ("solver", "alpha", "batch_size", "learning_rate_init", "momentum", "nesterovs_momentum",
              "max_iter", "shuffle", "tol", "n_iter_no_change", "early_stopping", "validation_fraction")


class DBNClassifier(ClassifierMixin, BaseEstimator):
    """Sigmoid network pretrained as a DBN, fine-tuned by scikit-learn's MLPClassifier.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(256, 256)
        Hidden layers, bottom to top (shared by the DBN and the MLP).
    pretrain : bool, default=True
        False: no DBN; the MLP starts from scikit-learn's own random
        (Glorot-uniform) initialization, the baseline on the same network
        and optimizer.
    visible_units : {"bernoulli", "gaussian"}, default="bernoulli"
        The DBN's first layer: inputs in [0, 1] (checked, also with
        ``pretrain=False``) or standardized real values (then use a smaller
        ``pretrain_learning_rate`` for that layer, e.g. ``[0.005, 0.05]``).
    pretrain_learning_rate, pretrain_batch_size, pretrain_n_iter, pretrain_k, pretrain_persistent, \
pretrain_momentum, pretrain_weight_decay, pretrain_sparsity_target, pretrain_sparsity_cost
        The DBN's ``learning_rate``, ``batch_size``, ``n_iter``, ... (one value
        or one per layer). Defaults: 0.05, 10, 20, 1, True, 0.5, 0.0, None,
        0.0 (20 epochs per layer of PCD-1 with momentum 0.5).
    solver, alpha, batch_size, learning_rate_init, momentum, nesterovs_momentum, max_iter, shuffle, tol, \
n_iter_no_change, early_stopping, validation_fraction
        Fine-tuning: MLPClassifier's parameters of the same names. Defaults:
        "sgd", 1e-4, 32, 0.1, 0.9, True, 200, True, 1e-4, 10, False, 0.1.
        A ``batch_size`` larger than the training rows is clipped to them
        (one batch per epoch) without scikit-learn's warning, as
        ``pretrain_batch_size`` is: ``fit`` on fewer than 32 rows is not a
        mistake to warn about (``mlp_.partial_fit`` still warns, as
        scikit-learn's).
    output_init : str, default="xavier_uniform"
        fastinit initializer of the output layer's weights when pretraining
        (its bias is zero); see ``fastinit.dbn.OUTPUT_INITS``.
    verbose : int, default=0
        Passed to the DBN (per layer and epoch; 2: progress bars) and, as a
        bool, to the MLP (its loss per epoch).
    random_state : int, RandomState instance or None, default=None
        Seeds the DBN, the output layer and the MLP (shuffling; with
        ``pretrain=False`` also its initialization). A RandomState draws one
        int from it.
    n_jobs : int or None, default=None
        Threads of the DBN's RBM trainers.

    Attributes
    ----------
    dbn_ : DBN or None
        The pretrained DBN (None with ``pretrain=False``).
    mlp_ : MLPClassifier
        The fine-tuned network on the raw inputs; ``predict``,
        ``predict_proba`` and ``score`` use it. ``mlp_.partial_fit(X, y)``
        continues fine-tuning one epoch at a time (solvers "sgd", "adam"),
        with the optimizer state of ``fit``. ``fit`` fine-tunes with BLAS held
        at one thread (threadpoolctl): products of 32-row minibatches are too
        small to split, and on a busy 2-core machine OpenBLAS's spinning
        threads made each epoch 15x slower (2.2 s against 0.15 s for
        64-256-256-10 on 1257 digits). Do the same around your own
        ``mlp_.partial_fit`` loops: ``with threadpoolctl.threadpool_limits(1):``.
    classes_ : ndarray of shape (n_classes,)
    loss_curve_ : list of float
        ``mlp_.loss_curve_`` (grows with ``mlp_.partial_fit``; "sgd"/"adam").
    n_iter_ : int
        ``mlp_.n_iter_``: epochs of the last ``fit`` (after ``mlp_.partial_fit``,
        scikit-learn counts that call's epoch only; ``len(loss_curve_)``
        counts them all).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string feature names.

    Examples
    --------
    >>> from fastinit import DBNClassifier
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = DBNClassifier(random_state=0).fit(X[:1200] / 16, y[:1200])
    >>> clf.score(X[1200:] / 16, y[1200:])  # doctest: +SKIP
    """

    _parameter_constraints: dict[str, Any] = {
        "hidden_layer_sizes": "no_validation",  # checked in fit
        "pretrain": ["boolean"],
        "visible_units": [StrOptions({"bernoulli", "gaussian"})],
        **{name: "no_validation" for name in PRETRAIN_PARAMS},  # scalar or per layer: checked by the DBN
        **{name: MLPClassifier._parameter_constraints[name] for name in MLP_PARAMS},
        "output_init": [StrOptions(set(OUTPUT_INITS))],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "n_jobs": [None, Integral],
    }

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (256, 256),
        *,
        pretrain: bool = True,
        visible_units: str = "bernoulli",
        pretrain_learning_rate: PerLayer[float] = 0.05,
        pretrain_batch_size: PerLayer[int] = 10,
        pretrain_n_iter: PerLayer[int] = 20,
        pretrain_k: PerLayer[int] = 1,
        pretrain_persistent: PerLayer[bool] = True,
        pretrain_momentum: PerLayer[float] = 0.5,
        pretrain_weight_decay: PerLayer[float] = 0.0,
        pretrain_sparsity_target: PerLayer[float | None] = None,
        pretrain_sparsity_cost: PerLayer[float] = 0.0,
        solver: str = "sgd",
        alpha: float = 0.0001,
        batch_size: int | str = 32,
        learning_rate_init: float = 0.1,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        max_iter: int = 200,
        shuffle: bool = True,
        tol: float = 1e-4,
        n_iter_no_change: int = 10,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        output_init: str = "xavier_uniform",
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.pretrain = pretrain
        self.visible_units = visible_units
        self.pretrain_learning_rate = pretrain_learning_rate
        self.pretrain_batch_size = pretrain_batch_size
        self.pretrain_n_iter = pretrain_n_iter
        self.pretrain_k = pretrain_k
        self.pretrain_persistent = pretrain_persistent
        self.pretrain_momentum = pretrain_momentum
        self.pretrain_weight_decay = pretrain_weight_decay
        self.pretrain_sparsity_target = pretrain_sparsity_target
        self.pretrain_sparsity_cost = pretrain_sparsity_cost
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.output_init = output_init
        self.verbose = verbose
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = self.visible_units == "bernoulli"
        return tags

    # ------------------------------------------------------------ parts
    def _seed(self) -> int | None:
        rs = self.random_state
        if rs is None or isinstance(rs, Integral):
            return None if rs is None else int(rs)
        return int(check_random_state(rs).randint(0, 2**32, dtype=np.uint64))

    def _make_dbn(self, sizes: tuple[int, ...], seed: int | None) -> DBN:
        params = {dbn_name: getattr(self, name) for name, dbn_name in PRETRAIN_PARAMS.items()}
        dbn = DBN(sizes, visible_units=self.visible_units, verbose=self.verbose, random_state=seed,
                  n_jobs=self.n_jobs, **params)
        dbn._param_owner = type(self).__name__  # its errors name our pretrain_* parameters
        dbn._param_names = {dbn_name: name for name, dbn_name in PRETRAIN_PARAMS.items()}
        return dbn

    def _make_mlp(self, sizes: tuple[int, ...], seed: int | None) -> MLPClassifier:
        return MLPClassifier(sizes, activation="logistic", verbose=bool(self.verbose), random_state=seed,
                             **{name: getattr(self, name) for name in MLP_PARAMS})

    # -------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any) -> DBNClassifier:
        """Pretrain (unless ``pretrain=False``), then fine-tune for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (one label per sample).

        Returns
        -------
        self
        """
        sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=(np.float64, np.float32), reset=True)
        check_classification_targets(y)
        if self.visible_units == "bernoulli":
            check_unit_interval(X, f"{type(self).__name__} with visible_units='bernoulli'", TO_GAUSSIAN_UNITS)
        seed = self._seed()
        template = self._make_mlp(sizes, seed)
        if self.pretrain:
            dbn = self._make_dbn(sizes, seed)
            dbn.fit(X)  # checks every pretrain_* value before anything trains
            coefs, intercepts = map(list, zip(*dbn.export_weights("sklearn")))
            classes = np.unique(y)
            n_out = 1 if len(classes) <= 2 else len(classes)
            coefs.append(output_layer_weights(sizes[-1], n_out, self.output_init, seed).T)
            intercepts.append(np.zeros(n_out))
            mlp = warm_start_mlp(template, X, y, coefs, intercepts)
        else:
            dbn = None
            mlp = clone(template)
        _blas_gemm(X.dtype)  # SciPy's BLAS loaded, so that the limit below sees it
        with single_threaded_blas(), warnings.catch_warnings():
            # a batch larger than the data is one batch of all of it, as for pretrain_batch_size (documented)
            warnings.filterwarnings("ignore", message=BATCH_CLIPPED, category=UserWarning)
            mlp.fit(X, y)
        self.dbn_ = dbn
        self.mlp_ = mlp
        self.classes_ = mlp.classes_
        return self

    @property
    def loss_curve_(self) -> list[float]:
        """The fine-tuning loss per epoch: ``mlp_.loss_curve_``."""
        check_is_fitted(self, "mlp_")
        curve: list[float] = self.mlp_.loss_curve_
        return curve

    @property
    def n_iter_(self) -> int:
        """``mlp_.n_iter_``: epochs of the MLP's last ``fit`` or ``partial_fit`` call (scikit-learn's count)."""
        check_is_fitted(self, "mlp_")
        return int(self.mlp_.n_iter_)

    # -------------------------------------------------------- inference
    def _validated(self, X: Any) -> Any:
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels (``mlp_.predict``)."""
        X = self._validated(X)
        return np.asarray(self.mlp_.predict(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes) (``mlp_.predict_proba``)."""
        X = self._validated(X)
        return np.asarray(self.mlp_.predict_proba(X))

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log of :meth:`predict_proba`."""
        X = self._validated(X)
        return np.asarray(self.mlp_.predict_log_proba(X))
