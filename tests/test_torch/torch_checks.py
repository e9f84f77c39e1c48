"""Models and helpers shared by the fastinit.torch tests (not a test module: no tests are collected here)."""
from collections import OrderedDict

import pytest

import fastinit

torch = pytest.importorskip("torch")
nn = torch.nn
P = torch.nn.utils.parametrizations


def stream(root, name):
    """The seed of the stream of the tensor called ``name`` under the whole-model root seed ``root``."""
    return fastinit.Generator(root).fold_in(name).seed


def two_layer(order):
    """A Sequential of Linear(16, 16) layers named as in ``order`` (``"extra"``: a Linear(3, 5))."""
    layers = OrderedDict()
    for name in order:
        layers[name] = nn.Linear(16, 16) if name != "extra" else nn.Linear(3, 5)
    return nn.Sequential(layers)


class Custom(nn.Module):
    """An unknown module: its own reset_parameters, with torch.nn.init calls and another op."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(20, 30))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.orthogonal_(self.w)
        with torch.no_grad():
            self.w[0].fill_(7.0)


def states_equal(a, b):
    """Same state_dict keys in the same order, every tensor bit-identical."""
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)


#: torch.nn.utils.parametrizations on known modules: (build the module, parametrize it).
PARAMETRIZED = {
    "weight_norm Linear": (lambda: nn.Linear(12, 8), lambda m: P.weight_norm(m)),
    "spectral_norm Conv2d": (lambda: nn.Conv2d(3, 6, 3), lambda m: P.spectral_norm(m)),
    "orthogonal Linear": (lambda: nn.Linear(8, 8), lambda m: P.orthogonal(m)),
    "orthogonal LSTM weight_hh_l0": (lambda: nn.LSTM(4, 6), lambda m: P.orthogonal(m, "weight_hh_l0")),
    "weight_norm Embedding": (lambda: nn.Embedding(9, 5, padding_idx=2), lambda m: P.weight_norm(m, dim=1)),
}
