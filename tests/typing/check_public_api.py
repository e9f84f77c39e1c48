"""Type-checked use of every public name of ``fastinit`` (``mypy --strict``; .ci/run).

Not a test module (pytest does not collect it): mypy checks that each call
below matches the annotations, and ``assert_type`` pins the result types
that users rely on (in-place forms return the object they were given, the
out-of-place forms an ndarray). tests/test_public_api_typing.py checks that
every name in ``fastinit.__all__`` appears here.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from typing_extensions import assert_type

import fastinit

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
