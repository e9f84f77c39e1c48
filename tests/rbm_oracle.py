"""A slow NumPy re-implementation of fastinit's RBM update, used as a test oracle.

It draws every random number from the documented Philox counters (see
cpp/src/rbm.cpp): update u of a model uses StreamId(key, call), phase p uses
blocks (p << 40) + e // per_block where e = row * n_cols + col. Gaussian
visible noise uses NumPy's log/cos/sin, so it agrees with the C++ polynomials
to ~1e-15, not bit for bit.
"""
import numpy as np

import fastinit
from fastinit._sampling import NORMAL, fill_


def random_binary(n=300, d=32, seed=0, p=0.3):
    """n rows of d independent Bernoulli(p) units, as float64."""
    return (np.random.default_rng(seed).random((n, d)) < p).astype(np.float64)


def small_binary(n=23, d=17, p=0.3, seed=1):
    """A small random_binary (23 x 17 by default): quick fits in the estimator tests."""
    return random_binary(n, d, seed, p)


def _blocks(key, call, phase, first, count):
    b = (np.uint64(phase) << np.uint64(40)) + np.arange(first, first + count, dtype=np.uint64)
    ctr = np.empty((count, 4), dtype=np.uint32)
    ctr[:, 0] = (b & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    ctr[:, 1] = (b >> np.uint64(32)).astype(np.uint32)
    ctr[:, 2] = call & 0xFFFFFFFF
    ctr[:, 3] = call >> 32
    return fastinit.philox4x32(ctr, np.array(key, dtype=np.uint32))


def uniforms(key, call, phase, shape, dtype):
    n = int(np.prod(shape))
    if dtype == np.float32:
        w = _blocks(key, call, phase, 0, (n + 3) // 4).reshape(-1)[:n]
        return ((w >> 8).astype(np.float32) * np.float32(2.0**-24)).reshape(shape)
    w = _blocks(key, call, phase, 0, (n + 1) // 2).reshape(-1, 2)[:n].astype(np.uint64)
    word = w[:, 0] | (w[:, 1] << np.uint64(32))
    return ((word >> np.uint64(11)).astype(np.float64) * 2.0**-53).reshape(shape)


def normals_f64(key, call, phase, shape):
    n = int(np.prod(shape))
    w = _blocks(key, call, phase, 0, (n + 1) // 2).astype(np.uint64)
    r64 = w[:, 0] | (w[:, 1] << np.uint64(32))
    a64 = w[:, 2] | (w[:, 3] << np.uint64(32))
    u1 = ((r64 >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0**-53
    u2 = (a64 >> np.uint64(11)).astype(np.float64) * 2.0**-53
    r = np.sqrt(-2.0 * np.log(u1))
    z = np.empty(2 * len(r))
    z[0::2] = r * np.cos(2 * np.pi * u2)
    z[1::2] = r * np.sin(2 * np.pi * u2)
    return z[:n].reshape(shape)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class OracleRBM:
    """State and update rule of fastinit's trainer in plain NumPy (float64)."""

    def __init__(self, n_components, n_features, batch_size, seed, *, gaussian=False, k=1, persistent=True,
                 learning_rate=0.1, momentum=0.0, weight_decay=0.0, sparsity_target=None, sparsity_cost=0.0,
                 dtype=np.float64):
        self.dtype = dtype
        self.key = (seed & 0xFFFFFFFF, seed >> 32)
        W0 = np.empty((n_components, n_features), dtype=dtype)
        self.W = fill_(W0, NORMAL, (0.0, 0.01), seed=seed).astype(np.float64)  # call 0
        self.b = np.zeros(n_components)
        self.a = np.zeros(n_features)
        self.chain = np.zeros((batch_size, n_components))
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.da = np.zeros_like(self.a)
        self.q = np.full(n_components, sparsity_target if sparsity_target is not None else 0.0)
        self.call = 1
        self.gaussian, self.k, self.persistent = gaussian, k, persistent
        self.lr, self.mom, self.wd = learning_rate, momentum, weight_decay
        self.sparsity_target, self.sparsity_cost = sparsity_target, sparsity_cost

    def _sample_v(self, h, phase):
        mean = h @ self.W + self.a
        if self.gaussian:
            return mean + normals_f64(self.key, self.call, phase, mean.shape)
        return (uniforms(self.key, self.call, phase, mean.shape, self.dtype) < sigmoid(mean)).astype(np.float64)

    def _sample_h(self, p, phase):
        return (uniforms(self.key, self.call, phase, p.shape, self.dtype) < p).astype(np.float64)

    def update(self, v_pos):
        v_pos = np.asarray(v_pos, dtype=np.float64)
        m = v_pos.shape[0]
        h_pos = sigmoid(v_pos @ self.W.T + self.b)
        if self.persistent:
            hs = self.chain
        else:
            hs = self._sample_h(h_pos, 0)
        for j in range(self.k):
            v_neg = self._sample_v(hs, 2 * j + 1)
            if j < self.k - 1:
                hs = self._sample_h(sigmoid(v_neg @ self.W.T + self.b), 2 * j + 2)
        h_neg = sigmoid(v_neg @ self.W.T + self.b)
        c = v_neg.shape[0]
        gW = h_pos.T @ v_pos / m - h_neg.T @ v_neg / c
        gb = h_pos.mean(0) - h_neg.mean(0)
        ga = v_pos.mean(0) - v_neg.mean(0)
        if self.sparsity_target is not None:
            self.q = 0.9 * self.q + 0.1 * h_pos.mean(0)
            pen = self.sparsity_cost * (self.q - self.sparsity_target)
            gb = gb - pen
            gW = gW - np.outer(pen, v_pos.mean(0))
        if self.persistent:
            self.chain = self._sample_h(h_neg, 2 * self.k)
        self.dW = self.mom * self.dW + self.lr * (gW - self.wd * self.W)
        self.db = self.mom * self.db + self.lr * gb
        self.da = self.mom * self.da + self.lr * ga
        self.W = self.W + self.dW
        self.b = self.b + self.db
        self.a = self.a + self.da
        self.call += 1

    def epoch(self, X, batch_size):
        for s in range(0, X.shape[0], batch_size):
            self.update(X[s : s + batch_size])
