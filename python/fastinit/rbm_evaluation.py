"""Evaluating a trained RBM: free energy, partition function, likelihoods.

Pure NumPy functions of the parameters ``(W, visible_bias, hidden_bias)`` with
``W`` of shape ``(n_hidden, n_visible)`` (scikit-learn's ``components_``),
``visible_bias`` = a (``intercept_visible_``) and ``hidden_bias`` = b
(``intercept_hidden_``). The estimators ``BernoulliRBM`` and
``GaussianBernoulliRBM`` call them; they are also usable on their own.

Energies (``visible="bernoulli"`` and ``visible="gaussian"``, unit variance)::

    bernoulli:  E(v, h) = -a.v - b.h - h.W v,                      v in {0, 1}^n_v
    gaussian:   E(v, h) = ||v - a||^2 / 2 - b.h - h.W v,           v in R^n_v

and p(v, h) = exp(-E(v, h)) / Z with h in {0, 1}^n_h. Summing out h gives the
free energy ``F(v) = -log sum_h exp(-E(v, h))`` and ``log p(v) = -F(v) - log Z``.

Everything is computed in float64 whatever the input dtype, with the stable
forms ``softplus(x) = max(x, 0) + log1p(exp(-|x|))`` and log-sum-exp. Inputs
``X`` may be dense arrays or SciPy CSR matrices; rows are processed in blocks
so temporaries stay a few megabytes, and ``X`` is never copied as a whole.
See ``docs/rbm_evaluation.md`` for the derivations.

BLAS runs on one thread while these functions run (as during ``fit``; see
``fastinit._blas``): their many small products are much slower when BLAS's own
pool competes for the cores.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._blas import blas_single_threaded
from ._generator import resolve_generator
from ._params import scalar

try:  # SciPy is optional: only needed to accept sparse input
    import scipy.sparse as _sparse
except ImportError:  # pragma: no cover - scipy is installed with the "rbm" extra
    _sparse = None

__all__ = [
    "free_energy",
    "exact_log_partition",
    "ais_log_partition",
    "ais_schedule",
    "base_rate_visible_bias",
    "base_rate_from_sums",
    "log_likelihood",
    "pseudo_likelihood",
    "MAX_EXACT_UNITS",
]

#: Largest number of units in the enumerated layer that exact_log_partition accepts
#: (2**24 states; about 10 s for 64 units in the other layer on one core).
MAX_EXACT_UNITS = 24

_VISIBLE_TYPES = ("bernoulli", "gaussian")
_LOG_2PI = math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)
# Rows of X (or enumerated states) per block: keeps each float64 temporary at
# about _BLOCK_ELEMENTS * 8 bytes = 8 MiB.
_BLOCK_ELEMENTS = 1 << 20
# Steps of the Salakhutdinov & Murray (2008) schedule on [0, 0.5], [0.5, 0.9], [0.9, 1].
_SCHEDULE_KNOTS = (0.0, 0.5, 0.9, 1.0)
_SCHEDULE_STEPS = (500, 4000, 10000)
DEFAULT_N_BETAS = sum(_SCHEDULE_STEPS) + 1  # 14,501 values, 14,500 steps


# ----------------------------------------------------------------------------- helpers
def _softplus(x):
    """log(1 + exp(x)), elementwise and overflow-free."""
    out = np.exp(-np.abs(x))
    np.log1p(out, out=out)
    out += np.maximum(x, 0.0)
    return out


def _sigmoid(x):
    """1 / (1 + exp(-x)) without overflow warnings."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0, e) / (1.0 + e)


def _logsumexp(x):
    m = np.max(x)
    if not np.isfinite(m):
        return float(m)
    return float(m + np.log(np.sum(np.exp(x - m))))


def _check_visible(visible):
    if visible not in _VISIBLE_TYPES:
        raise ValueError(f"visible must be one of {_VISIBLE_TYPES}, got {visible!r}")
    return visible


def _as_float_vector(x, name, size, size_name):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of real numbers") from None
    if arr.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},) to match {size_name}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def _check_parameters(W, visible_bias, hidden_bias):
    """-> float64 (W, a, b), checking W is (n_hidden, n_visible) and the bias lengths."""
    try:
        W = np.asarray(W, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("W must be a 2-D array of real numbers with shape (n_hidden, n_visible)") from None
    if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 1:
        raise ValueError(f"W must be a 2-D array with shape (n_hidden, n_visible), both >= 1; got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError("W contains NaN or infinity")
    n_hidden, n_visible = W.shape
    a = _as_float_vector(visible_bias, "visible_bias", n_visible, "W.shape[1] (n_visible)")
    b = _as_float_vector(hidden_bias, "hidden_bias", n_hidden, "W.shape[0] (n_hidden)")
    return W, a, b


def _check_X(X, n_visible=None):
    """Accept a dense 2-D real array or a SciPy CSR matrix/array (with n_visible columns)."""
    if _sparse is not None and _sparse.issparse(X):
        if X.format != "csr":
            raise TypeError(f"X must be a dense array or a scipy.sparse CSR matrix, got {X.format.upper()}; "
                            "convert it with X.tocsr()")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
        if not np.all(np.isfinite(X.data)):
            raise ValueError("X contains NaN or infinity")
    else:
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array of shape (n_samples, n_visible), got {X.ndim}-D")
    if n_visible is not None and X.shape[1] != n_visible:
        raise ValueError(f"X has {X.shape[1]} columns but the RBM has n_visible = {n_visible} (W.shape[1])")
    return X


def _row_blocks(n_rows, width):
    step = max(1, _BLOCK_ELEMENTS // max(1, width))
    for start in range(0, n_rows, step):
        yield slice(start, min(n_rows, start + step))


def _dense_block(X, rows):
    """Rows of X as a float64 array, checked finite (sparse X stays sparse)."""
    block = X[rows]
    if _sparse is not None and _sparse.issparse(block):
        return block.astype(np.float64) if block.dtype != np.float64 else block
    block = np.asarray(block, dtype=np.float64)
    if not np.all(np.isfinite(block)):
        raise ValueError("X contains NaN or infinity")
    return block


def _visible_term(Xb, a, visible):
    """The part of F(v) that does not involve the hidden units, per row."""
    if visible == "bernoulli":
        return -np.asarray(Xb @ a).ravel()
    if _sparse is not None and _sparse.issparse(Xb):
        # ||v - a||^2 = ||v||^2 - 2 a.v + ||a||^2 without densifying v
        sq = np.asarray(Xb.multiply(Xb).sum(axis=1)).ravel()
        return 0.5 * (sq - 2.0 * np.asarray(Xb @ a).ravel() + a @ a)
    d = Xb - a
    return 0.5 * np.einsum("ij,ij->i", d, d)


# ----------------------------------------------------------------------------- free energy
@blas_single_threaded
def free_energy(X, W, visible_bias, hidden_bias, visible="bernoulli"):
    r"""Free energy ``F(v) = -log sum_h exp(-E(v, h))`` of each row of ``X``.

    .. math::
        F(v) = -a^\top v - \sum_j \mathrm{softplus}(b_j + W_j v)            \quad\text{(bernoulli)}

        F(v) = \tfrac12 \lVert v - a \rVert^2 - \sum_j \mathrm{softplus}(b_j + W_j v)
        \quad\text{(gaussian, unit variance)}

    Parameters
    ----------
    X : array-like or scipy.sparse CSR of shape (n_samples, n_visible)
    W : array of shape (n_hidden, n_visible)
    visible_bias : array of shape (n_visible,)
    hidden_bias : array of shape (n_hidden,)
    visible : {"bernoulli", "gaussian"}

    Returns
    -------
    ndarray of shape (n_samples,), float64. Same as scikit-learn's
    ``BernoulliRBM._free_energy`` for Bernoulli units.
    """
    visible = _check_visible(visible)
    W, a, b = _check_parameters(W, visible_bias, hidden_bias)
    X = _check_X(X, W.shape[1])
    out = np.empty(X.shape[0])
    for rows in _row_blocks(X.shape[0], max(W.shape)):
        Xb = _dense_block(X, rows)
        pre = np.asarray(Xb @ W.T) + b
        out[rows] = _visible_term(Xb, a, visible) - _softplus(pre).sum(axis=1)
    return out


@blas_single_threaded
def log_likelihood(X, W, visible_bias, hidden_bias, log_z, visible="bernoulli"):
    """``log p(v) = -F(v) - log Z`` for each row of ``X`` (nats).

    ``log_z`` comes from :func:`exact_log_partition` or :func:`ais_log_partition`
    (an AIS estimate makes the result an estimate too: AIS tends to
    underestimate log Z, which overestimates the log-likelihood). For Gaussian
    visible units it is a log *density*.
    """
    log_z = scalar(log_z, "log_z")  # a 0-d array holds its number
    if isinstance(log_z, bool) or not isinstance(log_z, numbers.Real) or not math.isfinite(log_z):
        raise ValueError(f"log_z must be a finite real number, got {log_z!r}")
    return -free_energy(X, W, visible_bias, hidden_bias, visible=visible) - float(log_z)


@blas_single_threaded
def pseudo_likelihood(X, W, visible_bias, hidden_bias, flip_index):
    r"""scikit-learn's stochastic pseudo-likelihood of each row (Bernoulli units).

    Row ``r`` is compared with ``ṽ``, the same row with component
    ``flip_index[r]`` replaced by ``1 - v``; the result is

    .. math:: n_\text{visible} \cdot \log \sigma\big(F(\tilde v) - F(v)\big),

    exactly ``BernoulliRBM.score_samples`` when ``flip_index`` holds the indices
    it draws (``check_random_state(random_state).randint(0, n_features, n_samples)``).
    The flip changes one input of every hidden unit, so ``F(ṽ)`` is obtained
    from ``W v + b`` by adding ``(1 - 2 v_i) W[:, i]``; ``X`` is not modified or copied.
    """
    W, a, b = _check_parameters(W, visible_bias, hidden_bias)
    X = _check_X(X, W.shape[1])
    n_samples, n_visible = X.shape
    idx = np.asarray(flip_index)
    if idx.shape != (n_samples,):
        raise ValueError(f"flip_index must have shape ({n_samples},) (one index per row of X), got {idx.shape}")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"flip_index must hold integers, got dtype {idx.dtype}")
    if n_samples and (idx.min() < 0 or idx.max() >= n_visible):
        raise ValueError(f"flip_index values must be in [0, {n_visible}) (n_visible)")
    out = np.empty(n_samples)
    for rows in _row_blocks(n_samples, max(W.shape)):
        Xb = _dense_block(X, rows)
        cols = idx[rows]
        pick = np.arange(cols.shape[0])
        v_i = np.asarray(Xb[pick, cols], dtype=np.float64).ravel()
        delta = 1.0 - 2.0 * v_i  # change of the flipped component
        pre = np.asarray(Xb @ W.T) + b
        pre_flipped = pre + delta[:, None] * W[:, cols].T
        # F(ṽ) - F(v)
        gap = -a[cols] * delta - (_softplus(pre_flipped).sum(axis=1) - _softplus(pre).sum(axis=1))
        out[rows] = -n_visible * np.logaddexp(0.0, -gap)
    return out


# ----------------------------------------------------------------------------- exact log Z
def _enumerated_log_sum(c, M, d, other_layer):
    """LSE over s in {0,1}^k of ``c.s + other_layer(d + s M)``.

    ``other_layer`` maps a (rows, m) array of total inputs to the other layer
    to the (rows,) log-sum (or log-integral) over that layer. The low ``L`` bits
    are tabulated once ((2^L, m) inputs); the high bits add one offset vector
    per block, so memory stays bounded while every state is visited once.
    """
    k, m = M.shape
    low = min(k, max(0, int(math.log2(max(1, _BLOCK_ELEMENTS // max(1, m))))))
    shifts = np.arange(low)
    low_states = ((np.arange(1 << low)[:, None] >> shifts) & 1).astype(np.float64)
    low_inputs = low_states @ M[:low] + d
    low_bias = low_states @ c[:low]
    high_shifts = np.arange(k - low)
    block_lse = np.empty(1 << (k - low))
    for t in range(block_lse.shape[0]):
        high = ((t >> high_shifts) & 1).astype(np.float64)
        terms = low_bias + high @ c[low:] + other_layer(low_inputs + high @ M[low:])
        block_lse[t] = _logsumexp(terms)
    return _logsumexp(block_lse)


def _softplus_sum(x):
    return _softplus(x).sum(axis=1)


def _half_square_norm(x):
    return 0.5 * np.einsum("ij,ij->i", x, x)


@blas_single_threaded
def exact_log_partition(W, visible_bias, hidden_bias, visible="bernoulli"):
    r"""log Z by exact enumeration of the smaller layer (tiny RBMs, tests).

    Bernoulli visible units, enumerating whichever layer is smaller:

    .. math::
        \log Z = \operatorname{LSE}_{h} \big[ b^\top h + \textstyle\sum_i \mathrm{softplus}(a_i + (W^\top h)_i) \big]
               = \operatorname{LSE}_{v} \big[ a^\top v + \textstyle\sum_j \mathrm{softplus}(b_j + (W v)_j) \big]

    Gaussian visible units (unit variance): the integral over v is Gaussian,
    so only the hidden layer is enumerated:

    .. math::
        \log Z = \operatorname{LSE}_{h} \big[ b^\top h + \tfrac12 \lVert a + W^\top h \rVert^2 \big]
                 - \tfrac12 \lVert a \rVert^2 + \tfrac{n_v}{2} \log 2\pi

    Cost O(2^k n_h n_v) with k the enumerated layer's size; k above
    ``MAX_EXACT_UNITS`` (24) raises ``ValueError`` -- use
    :func:`ais_log_partition` (``method="ais"`` on the estimators) instead.
    """
    visible = _check_visible(visible)
    W, a, b = _check_parameters(W, visible_bias, hidden_bias)
    n_hidden, n_visible = W.shape
    if visible == "gaussian":
        if n_hidden > MAX_EXACT_UNITS:
            raise ValueError(
                f"exact log Z of a Gaussian-Bernoulli RBM enumerates the 2**{n_hidden} hidden states; "
                f"at most {MAX_EXACT_UNITS} hidden units are supported. Use method=\"ais\" "
                "(ais_log_partition) instead")
        return (_enumerated_log_sum(b, W, a, _half_square_norm)
                - 0.5 * float(a @ a) + 0.5 * n_visible * _LOG_2PI)
    if min(n_hidden, n_visible) > MAX_EXACT_UNITS:
        raise ValueError(
            f"exact log Z enumerates the smaller layer (here 2**{min(n_hidden, n_visible)} states); "
            f"at most {MAX_EXACT_UNITS} units are supported in it. Use method=\"ais\" "
            "(ais_log_partition) instead")
    if n_hidden <= n_visible:
        return _enumerated_log_sum(b, W, a, _softplus_sum)
    return _enumerated_log_sum(a, W.T, b, _softplus_sum)


# ----------------------------------------------------------------------------- AIS
def ais_schedule(n_betas=DEFAULT_N_BETAS):
    """Inverse temperatures 0 = beta_0 < ... < beta_{n-1} = 1 for AIS.

    The Salakhutdinov & Murray (2008) schedule spaces betas uniformly on three
    segments, ever finer towards beta = 1: steps of 1/1000 on [0, 0.5], 1/10000
    on [0.5, 0.9] and 1/100000 on [0.9, 1] -- 500 + 4000 + 10000 steps, i.e. the
    default ``n_betas=14501`` values (segment ends not repeated). Another
    ``n_betas`` keeps the same three segments and splits the ``n_betas - 1``
    steps between them in the same 1 : 8 : 20 proportion (at least one step each).
    """
    if isinstance(n_betas, bool) or not isinstance(n_betas, numbers.Integral) or n_betas < 4:
        raise ValueError(f"n_betas must be an int >= 4 (three segments), got {n_betas!r}")
    n_steps = int(n_betas) - 1
    total = sum(_SCHEDULE_STEPS)
    steps = [max(1, round(n_steps * s / total)) for s in _SCHEDULE_STEPS[:2]]
    steps.append(n_steps - sum(steps))
    if steps[2] < 1:  # only for tiny n_betas
        steps = [1, 1, n_steps - 2]
    parts = [np.linspace(lo, hi, s + 1)[:-1] for lo, hi, s in zip(_SCHEDULE_KNOTS, _SCHEDULE_KNOTS[1:], steps)]
    return np.concatenate(parts + [np.ones(1)])


def _check_betas(betas):
    if betas is None:
        return ais_schedule()
    if isinstance(betas, numbers.Integral) and not isinstance(betas, bool):
        return ais_schedule(betas)
    try:
        arr = np.asarray(betas, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("betas must be None, an int (number of betas) or a 1-D array of floats") from None
    if arr.ndim != 1 or arr.shape[0] < 2:
        raise ValueError(f"betas must be a 1-D array with at least 2 values, got shape {arr.shape}")
    if arr[0] != 0.0 or arr[-1] != 1.0 or not np.all(np.diff(arr) >= 0.0):
        raise ValueError("betas must be non-decreasing from exactly 0.0 to exactly 1.0")
    return arr


def _numpy_generator(seed):
    """np.random.Generator for ``seed``: numpy Generator (used as is, advanced),
    numpy RandomState (one 63-bit int drawn from it), or fastinit's
    ``int | Generator | None`` (one call of the fastinit generator: its key and
    call number seed the NumPy stream, so an int always gives the same draws and
    ``None`` follows ``fastinit.manual_seed``)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(int(seed.randint(0, 2**63 - 1, dtype=np.int64)))
    if isinstance(seed, (np.integer,)):
        seed = int(seed)
    try:
        key0, key1, call = resolve_generator(seed).spawn_call()
    except TypeError:
        raise TypeError("seed must be an int in [0, 2**64), a fastinit.Generator, a numpy.random.Generator, "
                        f"a numpy.random.RandomState or None; got {type(seed).__name__}") from None
    return np.random.default_rng([key0, key1, call])


def _log_mean_exp_with_bars(log_w):
    """log mean(w) and the log of mean(w) -/+ 3 standard errors (RBM_AIS.m convention)."""
    n = log_w.shape[0]
    top = np.max(log_w)
    scaled = np.exp(log_w - top)
    log_mean = top + math.log(scaled.mean())
    std = scaled.std(ddof=1)
    if std == 0.0:
        return log_mean, log_mean, log_mean
    log_3se = math.log(3.0) + top + math.log(std) - 0.5 * math.log(n)
    upper = float(np.logaddexp(log_mean, log_3se))
    ratio = math.exp(log_3se - log_mean)
    lower = log_mean + math.log1p(-ratio) if ratio < 1.0 else -math.inf
    return log_mean, lower, upper


@blas_single_threaded
def ais_log_partition(W, visible_bias, hidden_bias, *, base_visible_bias=None, n_runs=100, betas=None,
                      seed=None, visible="bernoulli"):
    r"""Estimate log Z by annealed importance sampling (Salakhutdinov & Murray, 2008).

    The runs start from the base-rate model (no weights, visible biases
    ``a_A`` = ``base_visible_bias``, hidden units uniform):

    - bernoulli: p_A(v) ∝ exp(a_A.v), log Z_A = sum_i softplus(a_A,i) + n_h log 2;
    - gaussian: p_A(v) = N(v; a_A, I), log Z_A = n_v/2 log(2 pi) + n_h log 2;

    and move through the unnormalized distributions (summing out h)

    .. math::
        p^*_\beta(v) = e^{(1-\beta) a_A^\top v + \beta a^\top v}
                       \prod_j \big(1 + e^{\beta (b_j + W_j v)}\big)  \quad\text{(bernoulli)}

    (Gaussian: ``exp(-(1-β)||v - a_A||²/2 - β||v - a||²/2)`` times the same
    product). Each run draws v_0 ~ p_A, and for each interior beta_k does one
    block-Gibbs step at beta_k (h ~ σ(β_k(Wv + b)), then v from
    σ((1-β_k) a_A + β_k(a + Wᵀh)), or N((1-β_k) a_A + β_k(a + Wᵀh), I)); its
    log-weight is ``sum_k log p*_{β_k}(v_{k-1}) - log p*_{β_{k-1}}(v_{k-1})``.
    The estimate is ``log Z_A + log mean(w)``; all runs advance together (two
    (n_runs, n_v) x (n_v, n_h) products per beta).

    Parameters
    ----------
    W, visible_bias, hidden_bias : RBM parameters, W of shape (n_hidden, n_visible).
    base_visible_bias : array of shape (n_visible,) or None
        ``a_A``; use :func:`base_rate_visible_bias` on the training data (the
        closer p_A is to the data, the better the estimate). ``None``: zeros
        (uniform base for Bernoulli units, N(0, I) for Gaussian ones).
    n_runs : int >= 2
        Number of independent annealing runs (importance weights).
    betas : None, int or 1-D array
        ``None``: :func:`ais_schedule` () (14,501 betas); an int: ``ais_schedule(betas)``;
        an array: non-decreasing from exactly 0 to exactly 1.
    seed : int, fastinit.Generator, numpy.random.Generator, numpy.random.RandomState or None
        Source of the random draws. An int always gives the same estimate.
    visible : {"bernoulli", "gaussian"}

    Returns
    -------
    log_z : float
    (log_z_lo, log_z_hi) : tuple of float
        ``log(mean(w) -/+ 3 std(w)/sqrt(n_runs)) + log Z_A`` -- the ±3σ error
        bars of ``RBM_AIS.m``, computed in the log domain; ``log_z_lo`` is
        ``-inf`` when 3σ exceeds the mean. The estimate of Z is unbiased, so
        that of log Z is biased low (Jensen), and the bars reflect only the
        spread of the weights seen, which can miss modes no run found.
    """
    visible = _check_visible(visible)
    W, a, b = _check_parameters(W, visible_bias, hidden_bias)
    n_hidden, n_visible = W.shape
    if base_visible_bias is None:
        a_base = np.zeros(n_visible)
    else:
        a_base = _as_float_vector(base_visible_bias, "base_visible_bias", n_visible, "W.shape[1] (n_visible)")
    if isinstance(n_runs, bool) or not isinstance(n_runs, numbers.Integral) or n_runs < 2:
        raise ValueError(f"n_runs must be an int >= 2, got {n_runs!r}")
    betas = _check_betas(betas)
    rng = _numpy_generator(seed)
    gaussian = visible == "gaussian"
    n_runs = int(n_runs)

    # One product gives both the hidden inputs W v and d(v) = log p*_1(v) - log p*_0(v)
    # without the hidden term: (a - a_A).v (+ (|a_A|^2 - |a|^2)/2 for Gaussian units).
    shift = a - a_base
    proj = np.empty((n_visible, n_hidden + 1))
    proj[:, :n_hidden] = W.T
    proj[:, n_hidden] = shift
    d_const = 0.5 * float(a_base @ a_base - a @ a) if gaussian else 0.0

    def project(v):
        y = v @ proj
        return y[:, :n_hidden] + b, y[:, n_hidden] + d_const

    if gaussian:
        v = a_base + rng.standard_normal((n_runs, n_visible))
        log_z_base = 0.5 * n_visible * _LOG_2PI + n_hidden * _LOG_2
    else:
        v = (rng.random((n_runs, n_visible)) < _sigmoid(a_base)).astype(np.float64)
        log_z_base = float(_softplus(a_base).sum()) + n_hidden * _LOG_2
    # log p*_beta(v) = base(v) + beta d(v) + sum_j softplus(beta (W_j v + b_j)), where
    # base(v) = a_A.v or -|v - a_A|^2/2. Each v is added at one beta and subtracted at
    # the previous one, so base(v) cancels; log p*_0(v_0) leaves the n_h log 2 below.
    log_w = np.full(n_runs, -n_hidden * _LOG_2)
    hidden_in, d = project(v)
    h = np.empty((n_runs, n_hidden))
    u_h = np.empty((n_runs, n_hidden))
    u_v = np.empty((n_runs, n_visible))
    for beta in betas[1:-1]:
        x = beta * hidden_in
        e = np.exp(-np.abs(x))
        log_w += beta * d + (np.maximum(x, 0.0) + np.log1p(e)).sum(axis=1)
        # h ~ Bernoulli(sigmoid(x)):  u < sigmoid(x)  <=>  u (1 + e) < (1 if x >= 0 else e)
        rng.random(out=u_h)
        np.less(u_h * (1.0 + e), np.where(x >= 0.0, 1.0, e), out=h)
        mean_v = a_base + beta * (h @ W + shift)
        if gaussian:
            rng.standard_normal(out=u_v)
            v = mean_v + u_v
        else:
            rng.random(out=u_v)
            v = (u_v < _sigmoid(mean_v)).astype(np.float64)
        hidden_in, d = project(v)
        x = beta * hidden_in
        log_w -= beta * d + _softplus(x).sum(axis=1)
    log_w += d + _softplus(hidden_in).sum(axis=1)

    log_mean, lower, upper = _log_mean_exp_with_bars(log_w)
    return float(log_mean + log_z_base), (float(lower + log_z_base), float(upper + log_z_base))


# ----------------------------------------------------------------------------- base rate
def base_rate_visible_bias(X, pseudo_count=5, visible="bernoulli"):
    r"""Visible biases ``a_A`` of the base-rate model that starts AIS.

    Bernoulli units: the log-odds of each unit's smoothed mean,

    .. math:: a_{A,i} = \log\frac{p_i}{1 - p_i}, \qquad p_i = \frac{c_i + \lambda}{N + \lambda},

    with c_i = sum_r X[r, i], N = n_samples and λ = ``pseudo_count``. This is
    ``base_rate.m`` of Salakhutdinov's AIS code, whose multi-batch form
    ``(count + 5 numbatches) / (numcases numbatches + 5 numbatches)`` is this
    formula with λ = 5 · numbatches (N = numcases · numbatches); one batch
    gives ``(c_i + 5) / (N + 5)``. The pseudo-count is added to both counts, so
    it keeps never-on units finite (p = λ / (N + λ)) but would send always-on
    units to p = 1 (an infinite bias): ``c_i`` is therefore clipped to
    [0, N - 1/2] (an always-on unit counts as on in N - 1/2 rows).

    Gaussian units: the column means of X (the mean of a unit-variance base).
    See :func:`base_rate_from_sums` when only the column sums are kept.
    """
    X = _check_X(X)
    counts = np.zeros(X.shape[1])
    for rows in _row_blocks(X.shape[0], X.shape[1]):
        counts += np.asarray(_dense_block(X, rows).sum(axis=0)).ravel()
    return base_rate_from_sums(counts, X.shape[0], pseudo_count=pseudo_count, visible=visible)


def base_rate_from_sums(column_sums, n_samples, pseudo_count=5, visible="bernoulli"):
    """:func:`base_rate_visible_bias` from the column sums of X and its row count
    (for an estimator that keeps running sums instead of the data)."""
    visible = _check_visible(visible)
    pseudo_count = scalar(pseudo_count, "pseudo_count")
    if isinstance(pseudo_count, bool) or not isinstance(pseudo_count, numbers.Real) or not float(pseudo_count) > 0:
        raise ValueError(f"pseudo_count must be a real number > 0, got {pseudo_count!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or int(n_samples) < 1:
        raise ValueError(f"n_samples must be an int >= 1 (X needs at least one row), got {n_samples!r}")
    counts = np.asarray(column_sums, dtype=np.float64)
    if counts.ndim != 1 or not np.all(np.isfinite(counts)):
        raise ValueError("column_sums must be a 1-D array of finite numbers")
    n = int(n_samples)
    if visible == "gaussian":
        return counts / n
    lam = float(pseudo_count)
    p = (np.clip(counts, 0.0, n - 0.5) + lam) / (n + lam)
    return np.log(p) - np.log1p(-p)
