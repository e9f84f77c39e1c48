"""Fill torch bfloat16 tensors with every fastinit.torch initializer and print their bits (a pickle).

Run as ``python torch_bfloat16_probe.py absent|present THREADS``: with ``absent``, ml_dtypes is made
unimportable before fastinit is imported (``sys.modules['ml_dtypes'] = None``), as if it were not
installed. tests/test_torch/test_torch_bfloat16_without_ml_dtypes.py compares the two.
"""
import hashlib
import pickle
import sys

if sys.argv[1] == "absent":
    sys.modules["ml_dtypes"] = None

import torch  # noqa: E402

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402
from fastinit import _arrays  # noqa: E402

fastinit.set_num_threads(int(sys.argv[2]))


def t(shape=(67, 131)):
    return torch.empty(shape, dtype=torch.bfloat16)


def blocks(fill, shape=(67, 131), rows=(0, 20, 21, 67)):
    """A tensor filled block by block (as a sharded layout writes it), whole tensor's bits expected."""
    out = t(shape)
    for lo, hi in zip(rows, rows[1:]):
        fill(out[lo:hi], full_shape=shape, offset=(lo, 0))
    return out


def model(kind):
    if kind == "materialize":
        with torch.device("meta"):
            m = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.LayerNorm(128), torch.nn.Embedding(100, 64),
                                    torch.nn.Conv2d(3, 8, 3)).to(torch.bfloat16)
        ft.materialize(m, seed=7)
    else:
        with ft.fast_init(seed=7):
            m = torch.nn.Sequential(torch.nn.Linear(64, 128, dtype=torch.bfloat16),
                                    torch.nn.Embedding(100, 64, dtype=torch.bfloat16))
    h = hashlib.sha256()
    for n, p in m.state_dict().items():
        h.update(n.encode())
        h.update(p.view(torch.int16).numpy().tobytes())
    return h.digest()


CASES = {
    "uniform": lambda: ft.uniform_(t(), -0.02, 0.02, generator=3),
    "uniform01": lambda: ft.uniform_(t(), generator=3),
    "normal": lambda: ft.normal_(t(), 0, 0.02, generator=3),
    "trunc_normal": lambda: ft.trunc_normal_(t(), 0, 1, -0.5, 0.5, generator=3),
    "trunc_normal_narrow": lambda: ft.trunc_normal_(t(), 0, 1, 1.001, 1.01, generator=3),
    "xavier_uniform": lambda: ft.xavier_uniform_(t(), generator=3),
    "kaiming_normal": lambda: ft.kaiming_normal_(t(), generator=3),
    "constant": lambda: ft.constant_(t(), 0.1),
    "zeros": lambda: ft.zeros_(t()),
    "ones": lambda: ft.ones_(t()),
    "eye": lambda: ft.eye_(t()),
    "dirac": lambda: ft.dirac_(t((4, 2, 3, 3))),
    "orthogonal": lambda: ft.orthogonal_(t(), gain=1.3, generator=3),
    "sparse": lambda: ft.sparse_(t(), 0.3, generator=3),
    "strided_view": lambda: ft.normal_(t((40, 64))[:, ::3], generator=3),
    "blocks_uniform": lambda: blocks(lambda b, **kw: fastinit.uniform_(b, -1.0, 1.0, seed=11, **kw)),
    "blocks_truncated_normal": lambda: blocks(lambda b, **kw: fastinit.truncated_normal_(b, seed=11, **kw)),
}

out = {"has_ml_dtypes": _arrays.HAS_ML_DTYPES}
for key, case in CASES.items():
    out[key] = case().view(torch.int16).numpy().tobytes()
out["materialize"] = model("materialize")
out["fast_init"] = model("fast_init")
sys.stdout.buffer.write(pickle.dumps(out))
