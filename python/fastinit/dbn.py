r"""Deep belief network: greedy layer-wise RBM pretraining, as a scikit-learn transformer.

Hinton, Osindero & Teh (2006) and Bengio et al. (2007): train an RBM on the
data, freeze it, train the next RBM on the first one's hidden *probabilities*
(mean-field activities), and so on up the stack::

    A_0 = X
    rbm_l = RBM(n_visible = width(A_{l-1}), n_hidden = hidden_layer_sizes[l]).fit(A_{l-1})
    A_l   = sigmoid(A_{l-1} W_l^T + b_l)          (rbm_l.transform)

The first RBM is a :class:`~fastinit.BernoulliRBM` (``visible_units="bernoulli"``,
inputs in [0, 1]) or a :class:`~fastinit.GaussianBernoulliRBM`
(``visible_units="gaussian"``, standardized real-valued inputs); every higher
layer is Bernoulli (its data are probabilities).

The stack is then the initialization of a feed-forward sigmoid network:
layer l has weights ``W_l`` (``rbms_[l].components_``, shape (out, in): the
layout of PyTorch's ``nn.Linear.weight``; Keras's ``Dense.kernel`` and
scikit-learn's ``MLPClassifier.coefs_[l]`` hold the transpose) and bias
``b_l`` (``intercept_hidden_``); the visible biases get no supervised gradient
and are dropped. :meth:`DBN.to_torch` builds that network,
:meth:`DBN.to_torch_autoencoder` the unrolled encoder-decoder of Hinton &
Salakhutdinov (2006), and :class:`fastinit.DBNClassifier` fine-tunes it with
scikit-learn's ``MLPClassifier``.

See ``docs/dbn.md`` for the recipe, the export layouts and measurements of
when pretraining helps.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from numbers import Integral
from typing import Any, TypeVar, Union

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Options, StrOptions, validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted

from ._blas import single_threaded_blas
from ._philox import philox4x32
from .rbm import (
    BernoulliRBM,
    GaussianBernoulliRBM,
    _blas_gemm,
    _fit_context,
    check_unit_interval,
    sigmoid,
    validate_float_X,
)

__all__ = ["DBN"]

#: Training parameters of the RBMs that take one value for all layers or one per layer.
PER_LAYER_PARAMS = ("learning_rate", "batch_size", "n_iter", "k", "persistent", "momentum", "weight_decay",
                    "sparsity_target", "sparsity_cost")

#: Initializers accepted for a freshly initialized output layer (``fastinit.<name>``).
OUTPUT_INITS = ("xavier_uniform", "xavier_normal", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                "kaiming_uniform", "kaiming_normal", "lecun_uniform", "lecun_normal", "orthogonal")

#: The way out that the [0, 1] error of a Bernoulli first layer suggests for real-valued data.
TO_GAUSSIAN_UNITS = "standardize them and use visible_units='gaussian'"

_T = TypeVar("_T")
#: A training parameter given for all layers at once or per layer (bottom first).
PerLayer = Union[_T, Sequence[_T], npt.NDArray[Any]]
#: A trained or untrained layer of the stack.
Layer = Union[BernoulliRBM, GaussianBernoulliRBM]

# Counter word 3 of the Philox block that derives layer l's seed from the DBN's
# random_state: counter (l, 0, 0, 0xFE << 24).
_LAYER_SEED_DOMAIN = 0xFE << 24
# Rows per chunk of the layer-by-layer forward passes: at most this many
# elements in the widest activation of a chunk (512 KiB in float64; the
# sigmoid makes a few temporaries of that size).
_CHUNK_ELEMENTS = 1 << 16


def _chunk_rows(width: int) -> int:
    return max(1, _CHUNK_ELEMENTS // max(int(width), 1))


def derive_layer_seeds(random_state: Any, n_layers: int) -> list[int]:
    """One 32-bit seed per layer from a DBN's ``random_state``.

    Layer l's seed is word 0 of Philox4x32-10 with key = the DBN's 64-bit key
    and counter ``(l, 0, 0, 0xFE << 24)``: the layers' streams are independent
    of each other and of the number of layers or threads. The key is
    ``random_state`` itself for an int, two 32-bit words drawn from it for a
    ``RandomState`` (as the RBMs do), and operating-system entropy for None.
    """
    if random_state is None:
        key = int.from_bytes(os.urandom(8), "little")
    elif isinstance(random_state, Integral):
        key = int(random_state)
    else:
        words = check_random_state(random_state).randint(0, 2**32, size=2, dtype=np.uint64)
        key = int(words[0]) | (int(words[1]) << 32)
    ctr = np.zeros((n_layers, 4), dtype=np.uint32)
    ctr[:, 0] = np.arange(n_layers, dtype=np.uint32)
    ctr[:, 3] = _LAYER_SEED_DOMAIN
    words = philox4x32(ctr, np.array([key & 0xFFFFFFFF, key >> 32], dtype=np.uint32))
    return [int(w) for w in words[:, 0]]


def output_layer_weights(n_in: int, n_out: int, output_init: str, seed: Any) -> np.ndarray:
    """A fresh output layer's weights, shape (n_out, n_in) (PyTorch layout):
    ``fastinit.<output_init>((n_out, n_in), seed=seed)`` in float32."""
    if output_init not in OUTPUT_INITS:
        raise ValueError(f"output_init must be one of {', '.join(OUTPUT_INITS)}; got {output_init!r}")
    from . import initializers, structured

    init = getattr(initializers, output_init, None) or getattr(structured, output_init)
    return np.asarray(init((int(n_out), int(n_in)), dtype=np.float32, seed=seed))


def check_hidden_layer_sizes(sizes: Any) -> tuple[int, ...]:
    if isinstance(sizes, (Integral, np.integer)) and not isinstance(sizes, bool):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise ValueError(f"hidden_layer_sizes must be a positive int or a sequence of positive ints; "
                         f"got {sizes!r}") from None
    if not sizes:
        raise ValueError("hidden_layer_sizes must name at least one layer; got an empty sequence")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (Integral, np.integer)) or s < 1:
            raise ValueError(f"hidden_layer_sizes must contain positive ints only; got {s!r} in {sizes!r}")
    return tuple(int(s) for s in sizes)


class DBN(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Deep belief network trained greedily, one RBM per layer.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(256, 256)
        Hidden units of each layer, bottom to top (an int: one layer).
    visible_units : {"bernoulli", "gaussian"}, default="bernoulli"
        The first layer's visible units: a :class:`~fastinit.BernoulliRBM`
        (inputs in [0, 1]) or a :class:`~fastinit.GaussianBernoulliRBM`
        (standardized real-valued inputs; use a learning rate around 0.001-0.01
        for that layer). Higher layers are always Bernoulli.
    learning_rate, batch_size, n_iter, k, persistent, momentum, weight_decay, sparsity_target, sparsity_cost
        The RBMs' training parameters (see :class:`~fastinit.BernoulliRBM`):
        one value for every layer, or a list/tuple with one value per layer
        (bottom first). Defaults: 0.1, 10, 10, 1, True, 0.0, 0.0, None, 0.0.
    verbose : int, default=0
        1: a line per layer and the RBM's line per epoch (its training
        objective: pseudo-likelihood, or mean -F(v) for Gaussian units);
        2: also a progress bar per epoch.
    random_state : int, RandomState instance or None, default=None
        Layer l trains with its own seed derived from it
        (:func:`derive_layer_seeds`): the same int gives the same stack for
        every ``n_jobs``, and adding a layer on top does not change the ones
        below.
    n_jobs : int or None, default=None
        Threads of each RBM's trainer (None: ``fastinit.get_num_threads()``).
    dtype : {None, "float32", "float64"}, default=None
        Parameter dtype of every layer. None keeps float32/float64 input and
        uses float32 for other input.

    Attributes
    ----------
    rbms_ : list of BernoulliRBM / GaussianBernoulliRBM
        The fitted layers, bottom first; each is a complete estimator
        (``rbms_[l].transform``, ``score_samples``, ...).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string feature names.

    Notes
    -----
    The forward passes run in row chunks with SciPy's/NumPy's BLAS held at
    one thread (threadpoolctl), as the RBM trainer does: on a busy machine
    OpenBLAS's waiting threads made the chunked products several times slower.

    ``fit`` holds, besides X, one buffer the size of the widest intermediate
    activation (n_samples x max(hidden_layer_sizes[:-1])): layer l's
    probabilities overwrite layer l-1's in place, chunk by chunk, in the order
    that never overwrites a row before it is read. ``transform`` and
    :meth:`reconstruct` run the whole stack on chunks of rows, so only their
    output is full-size.

    Examples
    --------
    >>> from fastinit import DBN
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data / 16
    >>> dbn = DBN((256, 256), learning_rate=0.05, momentum=0.5, n_iter=20, random_state=0).fit(X)
    >>> codes = dbn.transform(X)                      # top-layer probabilities, shape (1797, 256)
    >>> [(w.shape, b.shape) for w, b in dbn.export_weights("torch")]
    [((256, 64), (256,)), ((256, 256), (256,))]
    """

    # Who owns the per-layer parameters in error messages, and their names there:
    # a DBNClassifier's DBN reports them as the classifier's pretrain_* parameters.
    _param_owner: str = "DBN"
    _param_names: Mapping[str, str] = {}

    _parameter_constraints: dict[str, Any] = {
        "hidden_layer_sizes": "no_validation",  # checked in fit (per-layer messages)
        "visible_units": [StrOptions({"bernoulli", "gaussian"})],
        **{name: "no_validation" for name in PER_LAYER_PARAMS},  # scalar or per layer, checked per RBM
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
        hidden_layer_sizes: int | Sequence[int] = (256, 256),
        *,
        visible_units: str = "bernoulli",
        learning_rate: PerLayer[float] = 0.1,
        batch_size: PerLayer[int] = 10,
        n_iter: PerLayer[int] = 10,
        k: PerLayer[int] = 1,
        persistent: PerLayer[bool] = True,
        momentum: PerLayer[float] = 0.0,
        weight_decay: PerLayer[float] = 0.0,
        sparsity_target: PerLayer[float | None] = None,
        sparsity_cost: PerLayer[float] = 0.0,
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
        dtype: npt.DTypeLike | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.visible_units = visible_units
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

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = self.visible_units == "bernoulli"
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ----------------------------------------------------------- building
    def _layer_values(self, name: str, n_layers: int) -> list[Any]:
        value = getattr(self, name)
        if isinstance(value, (list, tuple, np.ndarray)):
            values = list(value)
            if len(values) != n_layers:
                raise ValueError(
                    f"{self._param_names.get(name, name)} must be one value for all layers or a sequence "
                    "with one value per layer; "
                    f"got {len(values)} values for {n_layers} layers (hidden_layer_sizes="
                    f"{self.hidden_layer_sizes!r})"
                )
            return values
        return [value] * n_layers

    def _build_rbms(self) -> list[Layer]:
        """The untrained layers, every parameter checked before anything trains."""
        sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        n = len(sizes)
        per_layer = {name: self._layer_values(name, n) for name in PER_LAYER_PARAMS}
        seeds = derive_layer_seeds(self.random_state, n)
        rbms: list[Layer] = []
        for layer, size in enumerate(sizes):
            cls = GaussianBernoulliRBM if (layer == 0 and self.visible_units == "gaussian") else BernoulliRBM
            params = {name: values[layer] for name, values in per_layer.items()}
            label = {name: self._param_names.get(name, name) for name in params}
            validate_parameter_constraints(  # named as the caller passed them
                {label[name]: cls._parameter_constraints[name] for name in params},
                {label[name]: value for name, value in params.items()},
                caller_name=f"{self._param_owner} (layer {layer})",
            )
            # (the other RBM parameters are the DBN's own, validated by fit with the same constraints)
            rbm = cls(size, verbose=self.verbose, random_state=seeds[layer], n_jobs=self.n_jobs,
                      dtype=self.dtype, **params)
            rbm._max_threads()  # n_jobs == 0 is refused here, before any training
            rbms.append(rbm)
        return rbms

    def _validate_X(self, X: Any, *, reset: bool) -> Any:
        fitted_dtype = None if reset else self.rbms_[0].components_.dtype
        return validate_float_X(self, X, self.dtype, fitted_dtype=fitted_dtype)

    # ---------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> DBN:
        """Train the layers greedily, bottom to top.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Values in [0, 1] with Bernoulli visible units; standardized
            real values with Gaussian ones. CSR input is used as is by the
            first layer.
        y : ignored

        Returns
        -------
        self
        """
        rbms = self._build_rbms()
        try:
            self._fit_layers(X, rbms)
        except BaseException:
            # Never a half-built stack: a failure (bad X, a diverging layer,
            # Ctrl-C) leaves the estimator unfitted.
            for name in ("rbms_", "n_features_in_", "feature_names_in_", "_n_features_out"):
                self.__dict__.pop(name, None)
            raise
        return self

    def _fit_layers(self, X: Any, rbms: list[Layer]) -> None:
        X = self._validate_X(X, reset=True)
        if self.visible_units == "bernoulli":
            # before anything trains
            check_unit_interval(X, f"{type(self).__name__} with visible_units='bernoulli'", TO_GAUSSIAN_UNITS)
        n = X.shape[0]
        name = type(self).__name__
        widths = [rbm.n_components for rbm in rbms]
        dtype = np.dtype(self.dtype) if self.dtype is not None else X.dtype
        buffer = np.empty(n * max(widths[:-1], default=0), dtype=dtype)  # no element for one layer
        data = X
        for layer, rbm in enumerate(rbms):
            if self.verbose:
                print(f"[{name}] layer {layer + 1}/{len(rbms)}: {type(rbm).__name__} "
                      f"{data.shape[1]} -> {rbm.n_components}, {rbm.n_iter} epochs")
                sys.stdout.flush()
            begin = time.perf_counter()
            rbm.fit(data)
            if self.verbose:
                print(f"[{name}] layer {layer + 1}/{len(rbms)} done in {time.perf_counter() - begin:.2f}s")
                sys.stdout.flush()
            if layer + 1 < len(rbms):
                data = self._propagate_in_place(rbm, data, buffer)
        self.rbms_ = rbms
        self._n_features_out = widths[-1]

    @staticmethod
    def _propagate_in_place(rbm: Layer, src: Any, buffer: np.ndarray) -> np.ndarray:
        """``rbm.transform(src)`` written into ``buffer`` (which may hold src).

        Row r of the output occupies elements [r w_out, (r+1) w_out) of the
        buffer, row r of src [r w_in, (r+1) w_in). Going down the rows when
        the layer narrows (up when it widens), each chunk is read in full
        before its output is written, and the output never reaches a row not
        yet read.
        """
        n, w_in = src.shape
        w_out = rbm.n_components
        dst = buffer[: n * w_out].reshape(n, w_out)
        step = _chunk_rows(max(w_in, w_out))
        rows = range(0, n, step)
        starts: Iterable[int] = reversed(rows) if w_out > w_in else rows
        _blas_gemm(dst.dtype)  # SciPy's BLAS loaded before the limit below looks for it
        with single_threaded_blas():  # many small products: BLAS's own threads only wait (as in training)
            for s in starts:
                dst[s : s + step] = rbm._hidden_probabilities(src[s : s + step])
        return dst

    # ---------------------------------------------------------- inference
    def transform(self, X: Any) -> np.ndarray:
        """Top-layer probabilities: ``A_L`` of the stack for X (chunks of rows).

        Returns an array of shape (n_samples, hidden_layer_sizes[-1]) with
        the model's dtype and values in (0, 1).
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        out = np.empty((X.shape[0], self.rbms_[-1].n_components), dtype=self.rbms_[-1].components_.dtype)
        return self._map_chunks(X, out, self._up)

    def _up(self, X: Any) -> np.ndarray:
        h = self.rbms_[0]._hidden_probabilities(X)
        for rbm in self.rbms_[1:]:
            h = rbm._hidden_probabilities(h)
        return h

    def _down(self, h: np.ndarray) -> np.ndarray:
        for layer in range(len(self.rbms_) - 1, -1, -1):
            rbm = self.rbms_[layer]
            h = h @ rbm.components_ + rbm.intercept_visible_
            if layer > 0 or self.visible_units == "bernoulli":
                h = sigmoid(h)
        return h

    def _map_chunks(self, X: Any, out: np.ndarray, chunk_fn: Callable[[Any], np.ndarray]) -> np.ndarray:
        """``out[rows] = chunk_fn(X[rows])`` over chunks of rows, BLAS at one thread."""
        step = _chunk_rows(max(max(r.n_components for r in self.rbms_), X.shape[1]))
        _blas_gemm(out.dtype)  # SciPy's BLAS loaded before the limit below looks for it
        with single_threaded_blas():
            for s in range(0, X.shape[0], step):
                out[s : s + step] = chunk_fn(X[s : s + step])
        return out

    def reconstruct(self, X: Any) -> np.ndarray:
        """The stack's deterministic up-down reconstruction of X.

        Up: ``A_l = sigmoid(A_{l-1} W_l^T + b_l)`` to the top. Down, with
        each layer's visible biases a_l: ``R_{l-1} = sigmoid(R_l W_l + a_l)``,
        ``R_L = A_L``; with Gaussian visible units the last step is linear,
        ``R_0 = R_1 W_1 + a_1``. This is the forward pass of
        :meth:`to_torch_autoencoder`.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        out = np.empty(X.shape, dtype=self.rbms_[0].components_.dtype)
        return self._map_chunks(X, out, lambda h: self._down(self._up(h)))

    # ------------------------------------------------------------- export
    def export_weights(self, layout: str = "torch") -> list[tuple[np.ndarray, np.ndarray]]:
        """Copies of each layer's weights and hidden biases, bottom first.

        Parameters
        ----------
        layout : {"torch", "keras", "sklearn"}, default="torch"
            "torch": weight of shape (out, in), as ``nn.Linear.weight`` and
            the RBMs' ``components_``. "keras" and "sklearn": the transpose,
            (in, out), as Keras's ``Dense.kernel`` and scikit-learn's
            ``MLPClassifier.coefs_[l]``. The arrays are C-contiguous.

        Returns
        -------
        list of (weight, bias)
            One pair per layer; ``bias`` is the layer's ``intercept_hidden_``
            (the visible biases are not part of a feed-forward network; they
            are the decoder biases of :meth:`to_torch_autoencoder`).
        """
        if layout not in ("torch", "keras", "sklearn"):
            raise ValueError(f"layout must be one of 'torch', 'keras', 'sklearn'; got {layout!r}")
        check_is_fitted(self)
        out = []
        for rbm in self.rbms_:
            w = rbm.components_ if layout == "torch" else rbm.components_.T
            out.append((np.ascontiguousarray(w).copy(), rbm.intercept_hidden_.copy()))
        return out

    def to_torch(self, n_outputs: int | None = None, *, output_init: str = "xavier_uniform",
                 seed: Any = None) -> Any:
        """The pretrained stack as a ``torch.nn.Sequential`` of ``Linear`` + ``Sigmoid`` layers.

        Parameters
        ----------
        n_outputs : int or None, default=None
            None: the network ends with the top layer's ``Sigmoid`` and its
            forward pass equals :meth:`transform`. An int: a freshly
            initialized ``Linear(hidden_layer_sizes[-1], n_outputs)`` is
            appended (no activation: put your loss's on top, e.g.
            ``CrossEntropyLoss`` takes these logits).
        output_init : str, default="xavier_uniform"
            The fastinit initializer of the output layer's weights (one of
            :data:`OUTPUT_INITS`), drawn in float32 as
            ``fastinit.<output_init>((n_outputs, n_top), seed=seed)``; its bias
            is zero (as Keras's ``Dense``).
        seed : int, fastinit.Generator or None
            Seed of the output layer's initializer.

        Returns
        -------
        torch.nn.Sequential
            Parameters are copies of the pretrained weights (changing them
            does not change the DBN), in ``torch.get_default_dtype()``.
        """
        check_is_fitted(self)  # before the import: an unfitted model is the error to report, torch or not
        torch = _import_torch("DBN.to_torch")
        if n_outputs is not None and (isinstance(n_outputs, bool) or not isinstance(n_outputs, Integral)
                                      or n_outputs < 1):
            raise ValueError(f"n_outputs must be None or a positive int; got {n_outputs!r}")
        if output_init not in OUTPUT_INITS:
            raise ValueError(f"output_init must be one of {', '.join(OUTPUT_INITS)}; got {output_init!r}")
        dtype = torch.get_default_dtype()
        layers = []
        for w, b in self.export_weights("torch"):
            layers += [_linear(torch, w, b, dtype), torch.nn.Sigmoid()]
        if n_outputs is not None:
            top = self.rbms_[-1].n_components
            w = output_layer_weights(top, n_outputs, output_init, seed)
            layers.append(_linear(torch, w, np.zeros(int(n_outputs)), dtype))
        return torch.nn.Sequential(*layers)

    def to_torch_autoencoder(self) -> Any:
        """The unrolled encoder-decoder (Hinton & Salakhutdinov 2006) as a ``torch.nn.Sequential``.

        Encoder: the layers of :meth:`to_torch`. Decoder, top to bottom:
        ``Linear(n_hidden_l, n_visible_l)`` with weight ``components_`` of
        layer l transposed (the decoder's (out, in) is the encoder's
        (in, out)) and bias the layer's ``intercept_visible_``, each followed
        by a ``Sigmoid`` except the last one when the first layer has Gaussian
        visible units (linear reconstruction). Its forward pass equals
        :meth:`reconstruct`; fine-tune it with a reconstruction loss
        (``BCELoss`` for Bernoulli inputs, ``MSELoss`` for Gaussian ones).
        """
        check_is_fitted(self)  # before the import: an unfitted model is the error to report, torch or not
        torch = _import_torch("DBN.to_torch_autoencoder")
        dtype = torch.get_default_dtype()
        layers = []
        for w, b in self.export_weights("torch"):
            layers += [_linear(torch, w, b, dtype), torch.nn.Sigmoid()]
        for layer in range(len(self.rbms_) - 1, -1, -1):
            rbm = self.rbms_[layer]
            layers.append(_linear(torch, rbm.components_.T, rbm.intercept_visible_, dtype))
            if layer > 0 or self.visible_units == "bernoulli":
                layers.append(torch.nn.Sigmoid())
        return torch.nn.Sequential(*layers)


def _import_torch(what: str) -> Any:
    try:
        import torch
    except ImportError as e:
        raise ImportError(f"{what} needs PyTorch (the 'torch' package), which is not installed: "
                          "pip install torch") from e
    return torch


def _linear(torch: Any, weight: np.ndarray, bias: np.ndarray, dtype: Any) -> Any:
    """nn.Linear holding copies of weight (out, in) and bias (out,)."""
    n_out, n_in = weight.shape
    # built on the meta device: no draw from torch's global generator
    lin = torch.nn.Linear(n_in, n_out, device="meta", dtype=dtype).to_empty(device="cpu")
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
        lin.bias.copy_(torch.from_numpy(np.ascontiguousarray(bias)))
    return lin

