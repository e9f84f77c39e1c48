"""An independent, slow re-implementation of docs/streams.md for the tests.

It derives every value from raw Philox blocks (fastinit.philox4x32, itself
checked against Random123 and randomgen) and NumPy arithmetic, following the
mapping the documentation states: which block and word feeds element i, and
how words become floats.
"""
import numpy as np

import fastinit

MASK32 = 0xFFFFFFFF


def blocks(seed, call, block_indices, domain=0):
    """Philox blocks for fastinit's counter layout."""
    b = np.asarray(block_indices, dtype=np.uint64)
    ctr = np.empty((b.size, 4), dtype=np.uint32)
    ctr[:, 0] = (b & np.uint64(MASK32)).astype(np.uint32)
    ctr[:, 1] = (b >> np.uint64(32)).astype(np.uint32)
    ctr[:, 2] = call & MASK32
    ctr[:, 3] = (call >> 32) | (domain << 24)
    key = np.array([seed & MASK32, seed >> 32], dtype=np.uint32)
    return fastinit.philox4x32(ctr, key)


def uniform_f32(seed, call, n, low=0.0, high=1.0):
    i = np.arange(n, dtype=np.uint64)
    w = blocks(seed, call, i // np.uint64(4))[np.arange(n), (i % np.uint64(4)).astype(np.intp)]
    u = (w >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)
    x = np.float32(low) + np.float32(high - low) * u
    return np.where(x >= high, np.float32(low), x).astype(np.float32)


def uniform_f64(seed, call, n, low=0.0, high=1.0):
    i = np.arange(n, dtype=np.uint64)
    blk = blocks(seed, call, i // np.uint64(2))
    j = (i % np.uint64(2)).astype(np.intp)
    lo = blk[np.arange(n), 2 * j].astype(np.uint64)
    hi = blk[np.arange(n), 2 * j + 1].astype(np.uint64)
    w = (hi << np.uint64(32)) | lo
    u = (w >> np.uint64(11)).astype(np.float64) * 2.0**-53
    x = low + (high - low) * u
    return np.where(x >= high, low, x)


def normal_f32_approx(seed, call, n):
    """Box-Muller as documented, evaluated with NumPy's float64 libm."""
    i = np.arange(n, dtype=np.uint64)
    blk = blocks(seed, call, i // np.uint64(4))
    p = (((i >> np.uint64(1)) & np.uint64(1)) * np.uint64(2)).astype(np.intp)
    rows = np.arange(n)
    w1 = blk[rows, p]
    w2 = blk[rows, p + 1]
    u1 = ((w1 >> np.uint32(1)).astype(np.float64) + 0.5) * 2.0**-31
    u2 = (w2 >> np.uint32(8)).astype(np.float64) * 2.0**-24
    r = np.sqrt(-2.0 * np.log(u1))
    odd = (i & np.uint64(1)).astype(bool)
    return np.where(odd, r * np.sin(2 * np.pi * u2), r * np.cos(2 * np.pi * u2))


def normal_f64_approx(seed, call, n):
    i = np.arange(n, dtype=np.uint64)
    blk = blocks(seed, call, i // np.uint64(2)).astype(np.uint64)
    w1 = (blk[:, 1] << np.uint64(32)) | blk[:, 0]
    w2 = (blk[:, 3] << np.uint64(32)) | blk[:, 2]
    u1 = ((w1 >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0**-53
    u2 = (w2 >> np.uint64(11)).astype(np.float64) * 2.0**-53
    r = np.sqrt(-2.0 * np.log(u1))
    odd = (i & np.uint64(1)).astype(bool)
    return np.where(odd, r * np.sin(2 * np.pi * u2), r * np.cos(2 * np.pi * u2))
