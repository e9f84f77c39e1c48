"""Type-checked use of every public name of ``fastinit``, ``fastinit.torch`` and ``fastinit.dask`` (``mypy --strict``).

Not a test module (pytest does not collect it): mypy checks that each call
below matches the annotations, and ``assert_type`` pins the result types
that users rely on (in-place forms return the object they were given, the
out-of-place forms an ndarray). tests/test_public_api_typing.py checks that
every name in ``fastinit.__all__``, ``fastinit.torch.__all__`` and
``fastinit.dask.__all__`` appears here. CI runs mypy where torch and dask are
not installed (their types are then ``Any``); with them installed the torch
and dask types are checked too.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Optional

import dask.array as da
import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from typing_extensions import assert_type

import fastinit
import fastinit.dask
import fastinit.torch

Array = npt.NDArray[Any]

# --- runtime, generators, Philox ---
assert_type(fastinit.__version__, str)
assert_type(fastinit.info(), dict[str, Any])
n: int = fastinit.get_num_threads()
fastinit.set_num_threads(n)
g = fastinit.Generator(42)
assert_type(g, fastinit.Generator)
assert_type(g.seed, int)
assert_type(g.calls, int)
assert_type(g.key, tuple[int, int])
state: dict[str, int] = g.get_state()
assert_type(g.set_state(state), fastinit.Generator)
assert_type(fastinit.default_generator(), fastinit.Generator)
assert_type(fastinit.manual_seed(7), fastinit.Generator)
blocks = fastinit.philox4x32(np.zeros((2, 4), np.uint32), np.zeros(2, np.uint32))
assert_type(blocks, npt.NDArray[np.uint32])

# --- fans and gains ---
assert_type(fastinit.compute_fans((64, 32, 3, 3)), tuple[int, int])
assert_type(fastinit.compute_fans((3, 3, 32, 64), layout="keras"), tuple[int, int])
assert_type(fastinit.calculate_gain("leaky_relu", 0.2), float)
assert_type(fastinit.calculate_gain("tanh"), float)

# --- in-place initializers: return the array they were given ---
w: Array = np.empty((64, 32), np.float32)
conv: Array = np.empty((8, 4, 3, 3), np.float32)
assert_type(fastinit.zeros_(w), Array)
assert_type(fastinit.ones_(w), Array)
assert_type(fastinit.constant_(w, 0.5), Array)
assert_type(fastinit.uniform_(w, -1.0, 1.0, seed=0), Array)
assert_type(fastinit.normal_(w, 0.0, 0.02, seed=g), Array)
assert_type(fastinit.truncated_normal_(w, 0.0, 1.0, -2.0, 2.0, seed=None), Array)
assert_type(fastinit.xavier_uniform_(w, gain=fastinit.calculate_gain("tanh"), seed=1), Array)
assert_type(fastinit.xavier_normal_(w, seed=1), Array)
assert_type(fastinit.glorot_uniform_(w, seed=1), Array)
assert_type(fastinit.glorot_normal_(w, seed=1), Array)
assert_type(fastinit.he_uniform_(w, a=math.sqrt(5), seed=2), Array)
assert_type(fastinit.he_normal_(w, mode="fan_out", nonlinearity="relu", seed=2), Array)
assert_type(fastinit.kaiming_uniform_(w, seed=2), Array)
assert_type(fastinit.kaiming_normal_(w, seed=2, fan_in=32), Array)
assert_type(fastinit.lecun_uniform_(w, seed=3), Array)
assert_type(fastinit.lecun_normal_(w, layout="keras", seed=3), Array)
assert_type(fastinit.variance_scaling_(w, 2.0, "fan_avg", "uniform", seed=4), Array)
assert_type(fastinit.orthogonal_(w, gain=1.0, seed=5), Array)
assert_type(fastinit.sparse_(w, 0.1, std=0.01, seed=6), Array)
assert_type(fastinit.eye_(w), Array)
assert_type(fastinit.dirac_(conv, groups=2), Array)
# a block of a larger tensor (sharded fill)
assert_type(fastinit.normal_(w, seed=9, full_shape=(128, 32), offset=(64, 0)), Array)

# --- out-of-place initializers: a new ndarray ---
assert_type(fastinit.zeros((4, 3)), Array)
assert_type(fastinit.ones(5, dtype=np.float64), Array)
assert_type(fastinit.constant((2, 2), 3.0, dtype="float16"), Array)
assert_type(fastinit.uniform((4, 3), seed=0), Array)
assert_type(fastinit.normal((4, 3), 1.0, 2.0, seed=0), Array)
assert_type(fastinit.truncated_normal((4, 3), seed=0), Array)
assert_type(fastinit.xavier_uniform((4, 3), seed=0), Array)
assert_type(fastinit.xavier_normal((4, 3), seed=0), Array)
assert_type(fastinit.glorot_uniform((4, 3), seed=0), Array)
assert_type(fastinit.glorot_normal((4, 3), seed=0), Array)
assert_type(fastinit.he_uniform((4, 3), seed=0), Array)
assert_type(fastinit.he_normal((3, 3, 8, 16), layout="keras", seed=0), Array)
assert_type(fastinit.kaiming_uniform((4, 3), seed=0), Array)
assert_type(fastinit.kaiming_normal((4, 3), seed=0), Array)
assert_type(fastinit.lecun_uniform((4, 3), seed=0), Array)
assert_type(fastinit.lecun_normal((4, 3), seed=0), Array)
assert_type(fastinit.variance_scaling((4, 3), seed=0), Array)
assert_type(fastinit.orthogonal((4, 3), seed=0), Array)
assert_type(fastinit.sparse((4, 3), 0.5, seed=0), Array)
assert_type(fastinit.eye((3, 3)), Array)
assert_type(fastinit.dirac((4, 2, 3)), Array)
assert_type(fastinit.delta_orthogonal((3, 3, 4, 4), seed=0), Array)
kernel4: Array = np.zeros((3, 3, 4, 4), np.float32)
assert_type(fastinit.delta_orthogonal_(kernel4, gain=2.0, seed=0), Array)

# --- RBM estimators (scikit-learn API) ---
X: Array = (np.random.default_rng(0).random((20, 6)) > 0.5).astype(np.float32)
rbm = fastinit.BernoulliRBM(4, n_iter=2, random_state=0)
assert_type(rbm.fit(X), fastinit.BernoulliRBM)
assert_type(rbm.partial_fit(X), fastinit.BernoulliRBM)
assert_type(rbm.transform(X), Array)
assert_type(rbm.gibbs(X), Array)
assert_type(rbm.score_samples(X), npt.NDArray[np.float64])
assert_type(rbm.free_energy(X), npt.NDArray[np.float64])
log_z: Any = rbm.log_partition()
assert_type(rbm.log_likelihood(X), npt.NDArray[np.float64])
grbm = fastinit.GaussianBernoulliRBM(3, n_iter=1, random_state=0, dtype=np.float64)
assert_type(grbm.fit(X.astype(np.float64)), fastinit.GaussianBernoulliRBM)

# --- deep belief networks ---
dbn = fastinit.DBN((4, 3), learning_rate=[0.1, 0.05], n_iter=1, random_state=0)
assert_type(dbn.fit(X), fastinit.DBN)
assert_type(dbn.transform(X), Array)
assert_type(dbn.reconstruct(X), Array)
assert_type(dbn.export_weights("keras"), list[tuple[Array, Array]])
y_labels: Array = np.arange(20) % 2
clf = fastinit.DBNClassifier(hidden_layer_sizes=(4,), pretrain_n_iter=1, max_iter=2, random_state=0)
assert_type(clf.fit(X, y_labels), fastinit.DBNClassifier)
assert_type(clf.predict_proba(X), Array)
assert_type(clf.loss_curve_, list[float])
assert_type(clf.n_iter_, int)

# --- fastinit.torch: the torch.nn.init drop-in (returns the tensor it was given) ---
t: torch.Tensor = torch.empty(64, 32)
kernel: torch.Tensor = torch.empty(8, 4, 3, 3)
tg = torch.Generator().manual_seed(0)
assert_type(fastinit.torch.calculate_gain("leaky_relu", 0.2), float)
assert_type(fastinit.torch.uniform_(t, -1.0, 1.0, generator=0), torch.Tensor)
assert_type(fastinit.torch.normal_(t, 0.0, 0.02, generator=g), torch.Tensor)
assert_type(fastinit.torch.trunc_normal_(t, std=0.02, a=-0.04, b=0.04, generator=tg), torch.Tensor)
assert_type(fastinit.torch.constant_(t, 0.5), torch.Tensor)
assert_type(fastinit.torch.ones_(t), torch.Tensor)
assert_type(fastinit.torch.zeros_(t), torch.Tensor)
assert_type(fastinit.torch.eye_(t), torch.Tensor)
assert_type(fastinit.torch.dirac_(kernel, groups=2), torch.Tensor)
assert_type(fastinit.torch.xavier_uniform_(t, gain=fastinit.torch.calculate_gain("tanh"), generator=None),
            torch.Tensor)
assert_type(fastinit.torch.xavier_normal_(t, generator=1), torch.Tensor)
assert_type(fastinit.torch.kaiming_uniform_(t, a=math.sqrt(5), generator=2), torch.Tensor)
assert_type(fastinit.torch.kaiming_normal_(t, mode="fan_out", nonlinearity="relu", generator=2), torch.Tensor)
assert_type(fastinit.torch.orthogonal_(t, gain=1.0, generator=3), torch.Tensor)
assert_type(fastinit.torch.sparse_(t, 0.1, std=0.01, generator=4), torch.Tensor)
# torch's deprecated aliases keep the underscore function's signature (and warn FutureWarning)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    assert_type(fastinit.torch.uniform(t, -1.0, 1.0, generator=0), torch.Tensor)
    assert_type(fastinit.torch.normal(t, 0.0, 0.02), torch.Tensor)
    assert_type(fastinit.torch.constant(t, 0.5), torch.Tensor)
    assert_type(fastinit.torch.eye(t), torch.Tensor)
    assert_type(fastinit.torch.dirac(kernel, groups=2), torch.Tensor)
    assert_type(fastinit.torch.xavier_uniform(t, gain=2.0), torch.Tensor)
    assert_type(fastinit.torch.xavier_normal(t, generator=1), torch.Tensor)
    assert_type(fastinit.torch.kaiming_uniform(t, a=math.sqrt(5)), torch.Tensor)
    assert_type(fastinit.torch.kaiming_normal(t, mode="fan_out"), torch.Tensor)
    assert_type(fastinit.torch.orthogonal(t, gain=1.0), torch.Tensor)
    assert_type(fastinit.torch.sparse(t, 0.1, std=0.01), torch.Tensor)

# --- fastinit.torch: whole models ---
model: nn.Module = nn.Sequential(nn.Linear(8, 16), nn.LayerNorm(16), nn.Linear(16, 4))
report = fastinit.torch.reset_parameters(model, seed=0)
assert_type(report, fastinit.torch.InitReport)
assert_type(report.initialized, list[str])
assert_type(report.fallback, list[str])
assert_type(report.untouched, list[str])
report.warn("reset_parameters")
assert_type(fastinit.torch.reset_parameters(model, seed=tg), fastinit.torch.InitReport)
rules: list[fastinit.torch.Rule] = fastinit.torch.gpt2_rules(2, std=0.02, residual="2.weight")
rules.append(fastinit.torch.Rule("normal_", module=nn.Linear, name="weight", std=lambda name: 0.02))
rules.append(fastinit.torch.Rule(fastinit.torch.zeros_, module=(nn.Linear, nn.LayerNorm), name="bias"))
assert_type(fastinit.torch.init_module(model, rules, seed=g, allow_unused=True), fastinit.torch.InitReport)
with torch.device("meta"):
    meta_model: nn.Module = nn.Linear(8, 4)
assert_type(fastinit.torch.materialize(meta_model, seed=0, device="cpu", rules=None), fastinit.torch.InitReport)
try:
    fastinit.torch.materialize(meta_model, seed=0, on_untouched="raise")
except fastinit.torch.UninitializedTensorsError as uninitialized:
    assert_type(uninitialized.names, list[str])
    assert_type(uninitialized.report, fastinit.torch.InitReport)
with fastinit.torch.fast_init(seed=0) as building:
    built: nn.Module = nn.Linear(8, 4)
assert_type(building, fastinit.torch.fast_init)
assert_type(building.models, list[nn.Module])
assert_type(building.report, fastinit.torch.InitReport)
with fastinit.torch.meta_init() as recording:
    recorded: nn.Module = nn.Linear(8, 4)
assert_type(recording, fastinit.torch.meta_init)
assert_type(recording.models, list[nn.Module])
assert_type(fastinit.torch.materialize(recorded, seed=0), fastinit.torch.InitReport)
try:
    fastinit.torch.reset_parameters(model, seed=0)
except fastinit.torch.PartialInitError as partial:
    assert_type(partial.written, list[str])
    assert_type(partial.not_written, list[str])

# --- fastinit.torch: sharded tensors (a plain tensor is its own whole) ---
assert_type(fastinit.torch.fill_sharded(fastinit.truncated_normal_, t, 0.0, 0.02, seed=0), torch.Tensor)
assert_type(fastinit.torch.fill_sharded(fastinit.orthogonal_, w, elementwise=False, seed=g), Array)
local, full_shape, offset = fastinit.torch.local_block(t)
assert_type(full_shape, Optional[tuple[int, ...]])
assert_type(offset, Optional[tuple[int, ...]])
for block in fastinit.torch.local_blocks(t, name="weight"):
    assert_type(block[2], Optional[tuple[int, ...]])
fastinit.torch.check_same_seed(0)
fastinit.torch.check_same_seed(g, group=None)

# --- fastinit.dask: lazy chunked arrays with the in-memory values ---
assert_type(fastinit.dask.zeros((400, 300), chunks=(100, 300)), da.Array)
assert_type(fastinit.dask.ones(500, dtype=np.float64, chunks=100), da.Array)
assert_type(fastinit.dask.constant((4, 3), 0.5, dtype="float16"), da.Array)
assert_type(fastinit.dask.uniform((4, 3), -1.0, 1.0, seed=0, chunks="auto"), da.Array)
assert_type(fastinit.dask.normal((4, 3), 0.0, 0.02, seed=g, chunks=((1, 3), (3,))), da.Array)
assert_type(fastinit.dask.truncated_normal((4, 3), std=0.5, a=-1.0, b=1.0, seed=None), da.Array)
assert_type(fastinit.dask.xavier_uniform((4, 3), gain=2.0, seed=0, chunks={0: 2}), da.Array)
assert_type(fastinit.dask.xavier_normal((3, 3, 8, 16), layout="keras", seed=0), da.Array)
assert_type(fastinit.dask.glorot_uniform((4, 3), fan_in=4, fan_out=3, seed=0), da.Array)
assert_type(fastinit.dask.glorot_normal((4, 3), truncated=False, seed=0), da.Array)
assert_type(fastinit.dask.he_uniform((4, 3), 0.1, "fan_out", seed=0), da.Array)
assert_type(fastinit.dask.he_normal((4, 3), nonlinearity="relu", seed=0), da.Array)
assert_type(fastinit.dask.kaiming_uniform((4, 3), a=math.sqrt(5), seed=0), da.Array)
assert_type(fastinit.dask.kaiming_normal((4, 3), mode="fan_out", seed=0), da.Array)
assert_type(fastinit.dask.lecun_uniform((4, 3), in_axis=0, out_axis=1, seed=0), da.Array)
assert_type(fastinit.dask.lecun_normal((4, 3, 5), in_axis=1, out_axis=2, batch_axis=0, seed=0), da.Array)
assert_type(fastinit.dask.variance_scaling((4, 3), 2.0, "fan_avg", "uniform", seed=0, chunks=-1), da.Array)
