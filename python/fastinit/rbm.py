r"""Restricted Boltzmann machines as scikit-learn estimators (C++ CD/PCD trainer).

Two models share one trainer and one interface:

- :class:`BernoulliRBM`: binary visible and hidden units (a drop-in for
  ``sklearn.neural_network.BernoulliRBM`` with CD-k, momentum, weight decay and
  sparsity added);
- :class:`GaussianBernoulliRBM`: real-valued visible units with unit variance
  (for standardized data), binary hidden units.

Energies (W = ``components_`` of shape (n_components, n_features), a =
``intercept_visible_``, b = ``intercept_hidden_``)::

    Bernoulli:          E(v, h) = -a.v - b.h - h.W v
    Gaussian-Bernoulli: E(v, h) = ||v - a||^2 / 2 - b.h - h.W v

    P(h_j = 1 | v) = sigmoid(b_j + W_j . v)                       (both)
    P(v_i = 1 | h) = sigmoid(a_i + (W^T h)_i)                     (Bernoulli)
    v | h ~ N(a + W^T h, I)                                        (Gaussian)

Training (``fit``) is contrastive divergence: for each minibatch v+ of
``batch_size`` consecutive rows (no shuffling, as scikit-learn), h+ = P(h|v+);
the negative chain (``h_samples_`` with ``persistent=True``: PCD, the chain
survives across minibatches; with ``persistent=False``: CD, it starts at a
sample of h given v+) runs ``k`` block-Gibbs steps h -> v -> h, giving the
sampled visible states v- and h- = P(h|v-); then::

    grad_W = mean_rows(h+ v+^T) - mean_rows(h- v-^T)
    Delta  <- momentum Delta + learning_rate (grad_W - weight_decay W);  W += Delta

and likewise for the biases (without weight decay). With the defaults
(``k=1, persistent=True, momentum=0, weight_decay=0``) this is exactly
scikit-learn's PCD-1 ("stochastic maximum likelihood") update; the learning
rate is divided by the minibatch size. The whole loop runs in C++ with the GIL
released: matrix products in SciPy's BLAS, sampling and bias updates fused on
fastinit's thread pool, random numbers from Philox keyed by ``random_state``
(the same ``random_state`` gives the same model for any ``n_jobs``).

See ``docs/rbm.md`` for Hinton's recipe and how to stack RBMs into a DBN.
"""
from __future__ import annotations

import sys
import time
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._estimator_helpers import (
    Interval,
    Options,
    StrOptions,
    check_unit_interval,
    fit_context,
    sigmoid,
    validate_float_X,
)
from ._rbm_trainer import RBMTrainer
from ._sampling import NORMAL, UNIFORM, fill_
from .rbm_evaluation import RBMScoring

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BernoulliRBM", "GaussianBernoulliRBM"]




class _RBMBase(RBMTrainer, RBMScoring, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Shared implementation, with BernoulliRBM's parameters and defaults; use BernoulliRBM or GaussianBernoulliRBM."""

    # What the two visible-unit types answer differently (set by each subclass):
    # the unit type named as rbm_evaluation's ``visible=``, its code for the C++
    # trainer (0 Bernoulli, 1 Gaussian), whether X must lie in [0, 1], and
    # _sample_visible (a sample of v given the mean a + W^T h).
    _visible: str
    _visible_code: int
    _unit_interval_input: bool

    _parameter_constraints: dict[str, list[Any]] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_iter": [Interval(Integral, 0, None, closed="left")],
        # The random stream of a Gibbs step is addressed with 20 bits.
        "k": [Interval(Integral, 1, 2**20, closed="both")],
        "persistent": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "sparsity_target": [None, Interval(Real, 0, 1, closed="neither")],
        "sparsity_cost": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "n_jobs": [None, Integral],
        "dtype": [
            None,
            StrOptions({"float32", "float64"}),
            Options(type, {np.float32, np.float64}),
            Options(np.dtype, {np.dtype(np.float32), np.dtype(np.float64)}),
        ],
    }

    def __init__(
        self,
        n_components: int = 256,
        *,
        learning_rate: float = 0.1,
        batch_size: int = 10,
        n_iter: int = 10,
        k: int = 1,
        persistent: bool = True,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        sparsity_target: float | None = None,
        sparsity_cost: float = 0.0,
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
        dtype: npt.DTypeLike | None = None,
    ) -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.verbose = verbose
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.dtype = dtype

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # Bernoulli units take X in [0, 1]: negative values are refused with
        # scikit-learn's "Negative values in data" ValueError.
        tags.input_tags.positive_only = self._unit_interval_input
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ------------------------------------------------------------ validation
    def _check_values(self, X):
        """Bernoulli units need X in [0, 1]; Gaussian units take any finite value."""
        if self._unit_interval_input:
            check_unit_interval(X, type(self).__name__, "use GaussianBernoulliRBM for real-valued (standardized) data")

    def _validate_X(self, X, *, reset):
        return validate_float_X(self, X, self.dtype, fitted_dtype=None if reset else self.components_.dtype)

    # ------------------------------------------------------------------ fit
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: object = None) -> Self:
        """Fit the model to X: ``n_iter`` passes of minibatch CD/PCD.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (values in [0, 1] for BernoulliRBM). CSR input is
            used without densifying (one minibatch at a time).
        y : ignored

        Returns
        -------
        self
            The fitted model. If interrupted (Ctrl-C), the model holds the
            parameters after the last complete minibatch, ``n_iter_`` counts the
            complete epochs, and KeyboardInterrupt propagates.
        """
        self._max_threads()
        X = self._validate_X(X, reset=True)
        self._check_values(X)
        self._init_model(X.shape[1], X.dtype)
        self._update_marginals(X)
        self.n_iter_ = 0
        name = type(self).__name__
        n_batches = -(-X.shape[0] // self.batch_size)
        callback = None
        for epoch in range(1, self.n_iter + 1):
            if self.verbose >= 2:
                callback = self._progress_bar(epoch, n_batches)
            begin = time.perf_counter()
            self._train(X, self.batch_size, callback)
            self.n_iter_ = epoch
            if self.verbose:
                elapsed = time.perf_counter() - begin
                if self.verbose >= 2:
                    sys.stdout.write("\n")
                print(f"[{name}] Iteration {epoch}, {self._monitor_label} = "
                      f"{self.score_samples(X).mean():.2f}, time = {elapsed:.2f}s")
                sys.stdout.flush()
        return self

    def _progress_bar(self, epoch, n_batches):
        name = type(self).__name__

        def show(done, total):
            width = 30
            filled = int(width * done / max(total, 1))
            sys.stdout.write(f"\r[{name}] epoch {epoch}/{self.n_iter} "
                             f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} batches")
            sys.stdout.flush()

        return show

    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: object = None) -> Self:
        """One CD/PCD update with all of X as a single minibatch.

        The first call initializes the model (as ``fit`` does) with X's dtype
        (float32 is kept, unlike scikit-learn which upcasts to float64). As in
        scikit-learn, X is one minibatch: the learning rate is divided by
        ``X.shape[0]`` for the data term. Unlike scikit-learn, the negative
        (chain) term is averaged over the chain's own ``batch_size`` rows, so
        its weight does not shrink when X has more rows than the chain.

        Ctrl-C is checked between the phases of the update that come before
        it changes the model (the model is then left as it was); the last
        hidden product and the weight update run to their end, about 1 s of
        the 2 s a 20000 x 784 batch with 500 hidden units takes on one core.
        """
        self._max_threads()
        first = not hasattr(self, "components_")
        X = self._validate_X(X, reset=first)
        self._check_values(X)
        if first:
            self._init_model(X.shape[1], X.dtype)
        self._update_marginals(X)
        self._train(X, X.shape[0])
        return self

    # ---------------------------------------------------------- inference
    def transform(self, X: Any) -> npt.NDArray[Any]:
        """Hidden-unit probabilities ``P(h=1|v=X) = sigmoid(X W^T + b)``.

        The output (n_samples, n_components) has the model's dtype and values
        in (0, 1): it is a valid input for the next BernoulliRBM of a stack.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._hidden_probabilities(X)

    def _hidden_probabilities(self, X: Any) -> npt.NDArray[Any]:
        pre = np.asarray(X @ self.components_.T)
        pre += self.intercept_hidden_
        return sigmoid(pre)

    # scikit-learn's private helpers, with its semantics (code written against
    # sklearn.neural_network.BernoulliRBM calls them): no input validation, the
    # random draws from the NumPy RandomState/Generator ``rng`` passed in.
    def _mean_hiddens(self, v):
        """P(h=1|v) = sigmoid(v W^T + b) (what ``transform`` returns, unvalidated)."""
        return self._hidden_probabilities(v)

    def _sample_hiddens(self, v, rng):
        """A sample of h given v: ``rng.uniform(size=p.shape) < P(h=1|v)`` (bool)."""
        p = self._mean_hiddens(v)
        return rng.uniform(size=p.shape) < p

    def _sample_visibles(self, h, rng):
        """A sample of v given h: bool for Bernoulli units, a + W^T h + N(0, I) for Gaussian ones."""
        mean = np.dot(h, self.components_) + self.intercept_visible_
        return self._sample_visible(mean, lambda shape: rng.uniform(size=shape),
                                    lambda shape: rng.standard_normal(size=shape))

    def _sample_visible(self, mean, uniform, normal):
        """A sample of v given its mean ``a + W^T h``, with ``uniform(shape)`` and
        ``normal(shape)`` the random draws (each subclass uses the one it needs)."""
        raise NotImplementedError

    def _uniforms(self, shape):
        u = np.empty(shape, dtype=self.components_.dtype)
        return fill_(u, UNIFORM, (0.0, 1.0), seed=self._rng)

    def _normals(self, shape):
        z = np.empty(shape, dtype=self.components_.dtype)
        return fill_(z, NORMAL, (0.0, 1.0), seed=self._rng)

    def gibbs(self, v: Any) -> npt.NDArray[Any]:
        """One block-Gibbs step v -> h -> v' with sampled states.

        Each call uses the model's next random call, so repeated calls give
        new samples; the sequence is reproducible from ``random_state``.
        Returns a bool array for BernoulliRBM (as scikit-learn) and a float
        array (v' ~ N(a + W^T h, I)) for GaussianBernoulliRBM.
        """
        check_is_fitted(self)
        v = self._validate_X(v, reset=False)
        p_h = self._hidden_probabilities(v)
        h = (self._uniforms(p_h.shape) < p_h).astype(p_h.dtype)
        mean = h @ self.components_ + self.intercept_visible_
        return self._sample_visible(mean, self._uniforms, self._normals)

    _monitor_label = "pseudo-likelihood"


class BernoulliRBM(_RBMBase):
    r"""Bernoulli restricted Boltzmann machine trained by (persistent) contrastive divergence.

    A drop-in for ``sklearn.neural_network.BernoulliRBM`` (same parameters,
    defaults, attributes and update rule: PCD-1 with probabilities for the
    hidden statistics and sampled visible states, learning rate divided by the
    minibatch size, W ~ N(0, 0.01^2), zero biases, chain starting at h = 0,
    contiguous minibatches without shuffling), with the training loop in
    multithreaded C++ and Hinton's extensions:

    .. math::
        E(v, h) = -a^\top v - b^\top h - h^\top W v, \qquad
        P(h_j{=}1 \mid v) = \sigma(b_j + W_j v), \qquad
        P(v_i{=}1 \mid h) = \sigma(a_i + (W^\top h)_i)

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units.
    learning_rate : float, default=0.1
        Step size; divided by the minibatch size (the gradient is a mean).
    batch_size : int, default=10
        Rows per minibatch (the last one may be smaller) and rows of the
        persistent chain ``h_samples_``.
    n_iter : int, default=10
        Epochs (passes over the data) of ``fit``.
    k : int, default=1
        Gibbs steps per update (CD-k / PCD-k). More steps: better density
        models, slower training.
    persistent : bool, default=True
        True: PCD (stochastic maximum likelihood), the chain continues across
        updates, as scikit-learn. False: CD, the chain starts at a sample of h
        given the minibatch.
    momentum : float in [0, 1), default=0.0
        Delta <- momentum Delta + learning_rate grad. Hinton's recipe: 0.5 for
        the first epochs, then 0.9.
    weight_decay : float, default=0.0
        L2 cost on W only (not the biases), e.g. 1e-4 to 2e-4.
    sparsity_target : float in (0, 1) or None, default=None
        Target mean activation p of the hidden units. A running estimate
        q <- 0.9 q + 0.1 mean(h+) is pulled towards p by subtracting
        ``sparsity_cost * (q - p)`` from the hidden-bias gradient and
        ``sparsity_cost * (q - p) * mean(v+)`` from the weight gradient.
    sparsity_cost : float, default=0.0
        Strength of the sparsity penalty (Hinton: a few 1e-2 to 1e-4).
    verbose : int, default=0
        1: one line per epoch ``[BernoulliRBM] Iteration %d, pseudo-likelihood
        = %.2f, time = %.2fs`` (pseudo-likelihood of the training data; time of
        the epoch's training). 2: also a progress bar per epoch.
    random_state : int, RandomState instance or None, default=None
        Key of the Philox streams used for the initial weights, the Gibbs
        samples and score_samples' flipped bits. An int gives the same model on
        every run and for every ``n_jobs``.
    n_jobs : int or None, default=None
        Threads for training (matrix products, sampling, sigmoids,
        statistics); None: ``fastinit.get_num_threads()``, -1: all CPUs. Each
        thread makes its own single-threaded calls to SciPy's BLAS, whose
        own pool is held at one thread (``threadpoolctl``) during ``fit``.
    dtype : {None, "float32", "float64"}, default=None
        Parameter dtype. None keeps float32/float64 input and uses float32
        for other input (scikit-learn would use float64).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Weight matrix W (C order; scikit-learn's is Fortran order).
    intercept_hidden_ : ndarray of shape (n_components,)
    intercept_visible_ : ndarray of shape (n_features,)
    h_samples_ : ndarray of shape (batch_size, n_components)
        The persistent chain's hidden states (unused when ``persistent=False``).
    visible_marginals_ : ndarray of shape (n_features,)
        Mean of each feature over the training data (the base rate used by
        ``log_partition(method="ais")``).
    n_samples_seen_ : int
    n_iter_ : int
        Completed epochs of the last ``fit``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string feature names.

    Notes
    -----
    Differences from scikit-learn, all documented choices: the negative
    statistics are averaged over the chain's rows (scikit-learn divides them
    by the data rows, which over-weights them on a short last batch and
    under-weights them in ``partial_fit`` with many rows); ``partial_fit``
    keeps float32; ``score_samples`` picks the flipped bit from the row's
    content; random numbers come from Philox, not MT19937, so the fitted
    weights differ from scikit-learn's for the same seed (the distributions
    are the same).

    Examples
    --------
    >>> from fastinit import BernoulliRBM
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data / 16
    >>> rbm = BernoulliRBM(n_components=100, n_iter=20, random_state=0).fit(X)
    >>> H = rbm.transform(X)           # features in (0, 1): feed the next RBM of a DBN
    """

    _visible = "bernoulli"
    _visible_code = 0
    _unit_interval_input = True

    def _sample_visible(self, mean, uniform, normal):
        """v_i = 1 with probability sigmoid(mean_i) (bool, as scikit-learn)."""
        p = sigmoid(mean)
        return uniform(p.shape) < p


class GaussianBernoulliRBM(_RBMBase):
    r"""RBM with real-valued (Gaussian, unit-variance) visible and binary hidden units.

    For standardized data (zero mean, unit variance per feature, e.g. after
    ``sklearn.preprocessing.StandardScaler``); the variance is fixed to 1:

    .. math::
        E(v, h) = \tfrac12 \lVert v - a \rVert^2 - b^\top h - h^\top W v, \qquad
        P(h_j{=}1 \mid v) = \sigma(b_j + W_j v), \qquad
        v \mid h \sim \mathcal N(a + W^\top h, I)

    Same parameters, attributes and training as :class:`BernoulliRBM` (see
    there), except the default ``learning_rate=0.01``: Gaussian units need a
    step one to two orders of magnitude smaller than binary ones (Hinton's
    guide), or the weights blow up. The Gibbs chain samples v with its
    Gaussian noise.

    ``score_samples`` returns the *unnormalized* log-density ``-F(v)`` with
    ``F(v) = ||v - a||^2 / 2 - sum_j softplus(b_j + W_j v)`` (a pseudo-likelihood
    is not defined for real-valued units); ``log_likelihood`` subtracts log Z.
    ``verbose=1`` prints its mean per epoch.
    """

    _visible = "gaussian"
    _visible_code = 1
    _unit_interval_input = False
    _monitor_label = "mean -F(v)"

    def _sample_visible(self, mean, uniform, normal):
        """v = mean + N(0, I) (unit variance)."""
        return mean + normal(mean.shape)

    def __init__(
        self,
        n_components: int = 256,
        *,
        learning_rate: float = 0.01,
        batch_size: int = 10,
        n_iter: int = 10,
        k: int = 1,
        persistent: bool = True,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        sparsity_target: float | None = None,
        sparsity_cost: float = 0.0,
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
        dtype: npt.DTypeLike | None = None,
    ) -> None:
        super().__init__(
            n_components, learning_rate=learning_rate, batch_size=batch_size, n_iter=n_iter, k=k,
            persistent=persistent, momentum=momentum, weight_decay=weight_decay,
            sparsity_target=sparsity_target, sparsity_cost=sparsity_cost, verbose=verbose,
            random_state=random_state, n_jobs=n_jobs, dtype=dtype,
        )

    def score_samples(self, X: Any) -> npt.NDArray[np.float64]:
        """Unnormalized log-density ``-F(v)`` of each row (float64).

        Not a pseudo-likelihood: for real-valued visible units this is the
        log-density up to the constant ``log Z`` (see :meth:`log_likelihood`).
        """
        return -self.free_energy(X)
