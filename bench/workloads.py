"""What the benchmarks time: fastinit's samplers and their NumPy / PyTorch counterparts.

Shared by the pytest-benchmark suite (``bench/test_bench_*.py``) and by
``bench/report.py``, so both time exactly the same operations. Each workload is
``(group, name, make)``: ``make(arrays)`` returns a zero-argument callable, or
``None`` when the library or function it needs is not available (PyTorch not
installed, an initializer not merged yet).
"""
from __future__ import annotations

import numpy as np

import fastinit
from fastinit import _sampling

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional
    torch = None

N_LARGE = 1 << 26  # 64M elements: 256 MB as float32
SMALL_SHAPE = (40, 25)  # 1000 elements
LARGE_SHAPE = (8192, 8192)  # 64M elements as a weight matrix, for xavier/he
COMPLEX_SHAPE = (2048, 2048)  # 4M complex64 values (32 MB), JAX's complex variance scaling
SEED = 1234


class Arrays:
    """Preallocated, pre-faulted outputs (allocation is not what is timed)."""

    def __init__(self, need_f64=True):
        self.f32 = np.ones(N_LARGE, np.float32)
        self.f64 = np.ones(N_LARGE, np.float64) if need_f64 else None
        self.small = np.ones(SMALL_SHAPE, np.float32)
        self.c64 = np.ones(COMPLEX_SHAPE, np.complex64)
        self.t32 = torch.from_numpy(self.f32) if torch is not None else None  # same memory
        self.rng = np.random.default_rng(SEED)


def _fi(dist, params, arr_name, threads=None):
    def make(a):
        arr = getattr(a, arr_name)
        if threads is None:
            return lambda: _sampling.fill_(arr, dist, params, seed=SEED)

        def run():
            old = fastinit.get_num_threads()
            fastinit.set_num_threads(threads)
            try:
                _sampling.fill_(arr, dist, params, seed=SEED)
            finally:
                fastinit.set_num_threads(old)

        return run

    return make


def _torch(fn):
    def make(a):
        if torch is None:
            return None
        return lambda: fn(a)

    return make


def _fastinit_public(name, make_args, **kw):
    """A public in-place initializer applied to the arrays ``make_args(a)``."""
    f = getattr(fastinit, name)

    def make(a):
        return lambda: f(*make_args(a), seed=SEED, **kw)

    return make


def _complex_fastinit(distribution):
    def make(a):
        return lambda: fastinit.variance_scaling_(a.c64, 1.0, "fan_in", distribution, seed=SEED)

    return make


def _complex_jax(distribution):
    """``jax.nn.initializers.variance_scaling`` for complex64, jitted and compiled before timing (None without JAX)."""
    def make(a):
        try:
            import jax
            import jax.numpy as jnp
        except ImportError:  # pragma: no cover - jax is optional
            return None
        jax_distribution = "normal" if distribution == "untruncated_normal" else distribution
        init = jax.nn.initializers.variance_scaling(1.0, "fan_in", jax_distribution)
        fn = jax.jit(lambda key: init(key, COMPLEX_SHAPE, jnp.complex64))
        key = jax.random.key(SEED)
        fn(key).block_until_ready()
        return lambda: fn(key).block_until_ready()

    return make


def _small_out_of_place(a):
    return lambda: fastinit.xavier_uniform(SMALL_SHAPE, seed=SEED)


U, N, T = _sampling.UNIFORM, _sampling.NORMAL, _sampling.TRUNCATED_NORMAL
WORKLOADS = [
    # 64M float32
    ("uniform-f32-64M", "fastinit", _fi(U, (0.0, 1.0), "f32")),
    ("uniform-f32-64M", "numpy Generator.random(out, float32)",
     lambda a: lambda: a.rng.random(out=a.f32, dtype=np.float32)),
    ("uniform-f32-64M", "torch uniform_", _torch(lambda a: a.t32.uniform_())),
    ("uniform-f32-64M", "numpy ndarray.fill(0.0)", lambda a: lambda: a.f32.fill(0.0)),
    ("normal-f32-64M", "fastinit", _fi(N, (0.0, 1.0), "f32")),
    ("normal-f32-64M", "numpy standard_normal(out, float32)",
     lambda a: lambda: a.rng.standard_normal(out=a.f32, dtype=np.float32)),
    ("normal-f32-64M", "torch normal_", _torch(lambda a: a.t32.normal_())),
    ("truncnormal-f32-64M", "fastinit", _fi(T, (0.0, 1.0, -2.0, 2.0), "f32")),
    ("truncnormal-f32-64M", "torch trunc_normal_", _torch(lambda a: torch.nn.init.trunc_normal_(a.t32))),
    # 64M float64
    ("uniform-f64-64M", "fastinit", _fi(U, (0.0, 1.0), "f64")),
    ("uniform-f64-64M", "numpy Generator.random(out)", lambda a: lambda: a.rng.random(out=a.f64)),
    ("uniform-f64-64M", "numpy ndarray.fill(0.0)", lambda a: lambda: a.f64.fill(0.0)),
    ("normal-f64-64M", "fastinit", _fi(N, (0.0, 1.0), "f64")),
    ("normal-f64-64M", "numpy standard_normal(out)", lambda a: lambda: a.rng.standard_normal(out=a.f64)),
    # initializers on an 8192 x 8192 float32 weight
    ("xavier-uniform-8192x8192", "fastinit xavier_uniform_",
     _fastinit_public("xavier_uniform_", lambda a: (a.f32.reshape(LARGE_SHAPE),))),
    ("xavier-uniform-8192x8192", "torch xavier_uniform_",
     _torch(lambda a: torch.nn.init.xavier_uniform_(a.t32.view(LARGE_SHAPE)))),
    ("he-normal-8192x8192", "fastinit kaiming_normal_",
     _fastinit_public("kaiming_normal_", lambda a: (a.f32.reshape(LARGE_SHAPE),))),
    ("he-normal-8192x8192", "torch kaiming_normal_",
     _torch(lambda a: torch.nn.init.kaiming_normal_(a.t32.view(LARGE_SHAPE)))),
    # complex64 (JAX's complex forms): uniform disk, truncated complex normal, complex normal
    ("complex-disk-c64-2048x2048", "fastinit variance_scaling_", _complex_fastinit("uniform")),
    ("complex-disk-c64-2048x2048", "jax variance_scaling (jit)", _complex_jax("uniform")),
    ("complex-truncnormal-c64-2048x2048", "fastinit variance_scaling_", _complex_fastinit("truncated_normal")),
    ("complex-truncnormal-c64-2048x2048", "jax variance_scaling (jit)", _complex_jax("truncated_normal")),
    ("complex-normal-c64-2048x2048", "fastinit variance_scaling_", _complex_fastinit("untruncated_normal")),
    ("complex-normal-c64-2048x2048", "jax variance_scaling (jit)", _complex_jax("untruncated_normal")),
    # 1000 elements: per-call overhead
    ("small-1000", "fastinit xavier_uniform (out of place)", _small_out_of_place),
    ("small-1000", "fastinit uniform_ in place", _fi(U, (0.0, 1.0), "small")),
    ("small-1000", "numpy rng.random(1000, float32)", lambda a: lambda: a.rng.random(1000, dtype=np.float32)),
    ("small-1000", "torch empty + xavier_uniform_",
     _torch(lambda a: torch.nn.init.xavier_uniform_(torch.empty(SMALL_SHAPE)))),
    # thread scaling
    ("threads-normal-f32-64M", "fastinit 1 thread", _fi(N, (0.0, 1.0), "f32", threads=1)),
    ("threads-normal-f32-64M", "fastinit 2 threads", _fi(N, (0.0, 1.0), "f32", threads=2)),
]

# Operations slow enough (seconds) that a few rounds suffice.
SLOW = {"torch trunc_normal_", "numpy standard_normal(out, float32)", "numpy standard_normal(out)"}
