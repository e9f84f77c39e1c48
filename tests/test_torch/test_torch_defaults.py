"""``reset_parameters`` (fastinit/torch/_defaults.py): PyTorch's default initialization of every module, with
torch's distributions and bounds, parametrized and lazy modules, unknown modules reset by their own code, and
every parameter written in place (also by ``init_module``, which writes through the same session).

``materialize`` and ``fast_init``: test_torch_construct.py; ``init_module``'s rules: test_torch_rules.py; names,
seeds, reports and routing: test_torch_names.py, test_torch_seeds.py, test_torch_report.py,
test_torch_routing.py."""
import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from initializer_checks import assert_same_distribution
from torch_checks import PARAMETRIZED, Custom, states_equal, stream

import fastinit

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")
nn = torch.nn
P = torch.nn.utils.parametrizations


def _np(t):
    return t.detach().double().numpy().ravel()


# Every module type the issue lists, big enough for KS tests of each random parameter.
MODULES = {
    "Linear": lambda: nn.Linear(300, 200),
    "Bilinear": lambda: nn.Bilinear(20, 30, 40),
    "Conv1d": lambda: nn.Conv1d(16, 64, 5, groups=2),
    "Conv2d": lambda: nn.Conv2d(12, 48, 3),
    "Conv3d": lambda: nn.Conv3d(4, 16, 3),
    "ConvTranspose1d": lambda: nn.ConvTranspose1d(32, 40, 4),
    "ConvTranspose2d": lambda: nn.ConvTranspose2d(16, 24, 3, groups=2),
    "ConvTranspose3d": lambda: nn.ConvTranspose3d(8, 12, 2),
    "Embedding": lambda: nn.Embedding(500, 40, padding_idx=7),
    "EmbeddingBag": lambda: nn.EmbeddingBag(500, 40, padding_idx=3),
    "LayerNorm": lambda: nn.LayerNorm(64),
    "GroupNorm": lambda: nn.GroupNorm(4, 64),
    "RMSNorm": lambda: nn.RMSNorm(64),
    "BatchNorm1d": lambda: nn.BatchNorm1d(32),
    "BatchNorm2d": lambda: nn.BatchNorm2d(32),
    "InstanceNorm2d": lambda: nn.InstanceNorm2d(8, affine=True, track_running_stats=True),
    "MultiheadAttention": lambda: nn.MultiheadAttention(96, 4, add_bias_kv=True),
    "MultiheadAttention_kdim": lambda: nn.MultiheadAttention(64, 4, kdim=32, vdim=48),
    "RNN": lambda: nn.RNN(40, 60, 2),
    "LSTM": lambda: nn.LSTM(40, 60, proj_size=20),
    "GRU": lambda: nn.GRU(40, 60, bidirectional=True),
    "RNNCell": lambda: nn.RNNCell(40, 60),
    "LSTMCell": lambda: nn.LSTMCell(40, 60),
    "GRUCell": lambda: nn.GRUCell(40, 60),
    "TransformerEncoderLayer": lambda: nn.TransformerEncoderLayer(64, 4, 128),
    "TransformerDecoderLayer": lambda: nn.TransformerDecoderLayer(64, 4, 128),
    "Transformer": lambda: nn.Transformer(32, 2, 1, 1, 64),
}


def _bound_of(values):
    return float(np.abs(values).max())


@pytest.mark.parametrize("kind", list(MODULES))
def test_default_init_has_pytorchs_distributions(kind):
    torch.manual_seed(0)
    theirs = MODULES[kind]()
    ours = MODULES[kind]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every listed module is known: no fallback, nothing untouched
        report = ft.reset_parameters(ours, seed=1)
    assert report.fallback == [] and report.untouched == []
    their_state, our_state = theirs.state_dict(), ours.state_dict()
    assert list(their_state) == list(our_state)
    for name, t in their_state.items():
        a, b = _np(t), _np(our_state[name])
        if t.numel() and bool((t == t.reshape(-1)[0]).all()):  # constants (norms, zero biases, running stats)
            assert torch.equal(our_state[name], t), name
        else:
            assert_same_distribution(a, b)
            # same support: our extreme values within torch's bound (uniform) or tails (normal)
            assert _bound_of(b) <= max(_bound_of(a) * 1.05, 1e-12) or "embedding" in kind.lower(), name


def test_exact_bounds_and_padding_row():
    lin = nn.Linear(400, 50)
    ft.reset_parameters(lin, seed=0)
    assert torch.equal(lin.weight, ft.kaiming_uniform_(torch.empty(50, 400), a=math.sqrt(5),
                                                       generator=stream(0, "weight")))
    b = 1 / math.sqrt(400)
    assert torch.equal(lin.bias, ft.uniform_(torch.empty(50), -b, b, generator=stream(0, "bias")))
    assert float(lin.weight.detach().abs().max()) < 1 / math.sqrt(400)
    emb = nn.Embedding(30, 8, padding_idx=-2)
    ft.reset_parameters(emb, seed=0)
    assert bool((emb.weight[28] == 0).all()) and bool((emb.weight[27] != 0).all())
    tconv = nn.ConvTranspose2d(3, 8, 3, groups=1)  # weight (3, 8, 3, 3): fan_in = 8 * 9
    ft.reset_parameters(tconv, seed=0)
    assert float(tconv.bias.detach().abs().max()) < 1 / math.sqrt(72)
    assert float(tconv.weight.detach().abs().max()) > 1 / math.sqrt(73)


def test_batchnorm_running_statistics_reset():
    bn = nn.BatchNorm1d(4)
    bn.train()
    bn(torch.randn(16, 4) * 3 + 2)
    ft.reset_parameters(bn, seed=0)
    assert torch.equal(bn.running_mean, torch.zeros(4)) and torch.equal(bn.running_var, torch.ones(4))
    assert int(bn.num_batches_tracked) == 0


def test_multihead_attention_out_proj():
    mha = nn.MultiheadAttention(32, 4)
    ft.reset_parameters(mha, seed=5)
    assert bool((mha.out_proj.bias == 0).all()) and bool((mha.in_proj_bias == 0).all())
    assert torch.equal(mha.out_proj.weight, ft.kaiming_uniform_(torch.empty(32, 32), a=math.sqrt(5),
                                                                generator=stream(5, "out_proj.weight")))


def test_transformer_overrides_its_layers_with_xavier():
    model = nn.Transformer(32, 2, 1, 1, 64)
    ft.reset_parameters(model, seed=0)
    name = "encoder.layers.0.linear1.weight"
    assert torch.equal(model.encoder.layers[0].linear1.weight,
                       ft.xavier_uniform_(torch.empty(64, 32), generator=stream(0, name)))


class NoReset(nn.Module):
    def __init__(self):
        super().__init__()
        self.cls_token = nn.Parameter(torch.full((4,), 3.0))


def test_unknown_modules_fall_back_and_are_reported():
    model = nn.Sequential(nn.Linear(4, 4), Custom(), NoReset())
    with pytest.warns(UserWarning, match=r"1 module\(s\) without a fastinit rule.*'1'.*left unchanged: '2.cls_token'"):
        report = ft.reset_parameters(model, seed=0)
    assert report.fallback == ["1"] and report.untouched == ["2.cls_token"]
    expected = ft.orthogonal_(torch.empty(20, 30), generator=stream(0, "1.w"))
    expected[0] = 7.0
    assert torch.equal(model[1].w, expected)  # torch.nn.init inside it: routed through the name-keyed stream
    assert nn.init.orthogonal_ is not None and nn.init.orthogonal_.__module__ == "torch.nn.init"  # restored


@pytest.mark.parametrize("kind", list(PARAMETRIZED))
def test_parametrized_tensors_get_their_default_through_right_inverse(kind):
    # torch.nn.utils.parametrizations: the weight is computed from `parametrizations.weight.original*`.
    # reset_parameters fills the weight's default on the stream of its own name and writes the
    # originals through the parametrization's right_inverse, in place: the same originals as
    # parametrizing a model after resetting it.
    build, parametrize = PARAMETRIZED[kind]
    torch.manual_seed(0)
    model = parametrize(build())
    storage = {n: (p.data_ptr(), p._version) for n, p in model.named_parameters()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = ft.reset_parameters(model, seed=4)
    assert report.untouched == [] and report.fallback == []
    torch.manual_seed(0)
    reference = build()
    ft.reset_parameters(reference, seed=4)
    reference = parametrize(reference)
    got, want = dict(model.named_parameters()), dict(reference.named_parameters())
    assert sorted(got) == sorted(want) and set(got) <= set(report.initialized)
    for n in got:
        assert torch.equal(got[n], want[n]), n
        assert got[n].data_ptr() == storage[n][0] and got[n]._version > storage[n][1], n


def test_spectral_norm_power_iteration_restarts_on_the_new_weight():
    # spectral_norm's _u, _v are made from the weight at registration. Under fast_init that weight is
    # uninitialized memory (zeros gave NaN weights); after reset_parameters they would estimate the old
    # weight. fastinit redraws them on their name-keyed streams and runs the constructor's 15 iterations.
    with ft.fast_init(seed=0):
        model = P.spectral_norm(nn.Linear(40, 30))
    again = P.spectral_norm(nn.Linear(40, 30))
    ft.reset_parameters(again, seed=0)
    for m in (model, again):
        norm = m.parametrizations.weight[0]
        assert math.isclose(float(norm._u.norm()), 1.0, rel_tol=1e-5)
        assert math.isclose(float(norm._v.norm()), 1.0, rel_tol=1e-5)
        m.eval()
        assert math.isclose(float(torch.linalg.matrix_norm(m.weight.detach(), ord=2)), 1.0, rel_tol=0.05)
    assert states_equal(model, again)


def test_parametrizations_without_right_inverse_are_reported_untouched():
    class Double(nn.Module):
        def forward(self, x):
            return 2 * x

    model = nn.Linear(3, 3)
    torch.nn.utils.parametrize.register_parametrization(model, "weight", Double())
    original = model.parametrizations.weight.original.detach().clone()
    with pytest.warns(UserWarning, match="left unchanged: 'parametrizations.weight.original'"):
        report = ft.reset_parameters(model, seed=0)
    assert report.untouched == ["parametrizations.weight.original"] and report.initialized == ["bias"]
    assert torch.equal(model.parametrizations.weight.original, original)


def test_lazy_modules_uninitialized_parameters_are_reported_untouched():
    model = nn.Sequential(nn.Linear(3, 4), nn.LazyLinear(5))
    with pytest.warns(UserWarning, match=r"left unchanged: '1.weight', '1.bias'"):
        report = ft.reset_parameters(model, seed=1)
    assert report.initialized == ["0.weight", "0.bias"] and report.untouched == ["1.weight", "1.bias"]
    with pytest.warns(UserWarning, match=r"left unchanged: '1.weight', '1.bias'"):
        with ft.fast_init(seed=1) as f:
            built = nn.Sequential(nn.Linear(3, 4), nn.LazyLinear(5))
    assert f.report.untouched == ["1.weight", "1.bias"]
    assert torch.equal(built[0].weight, model[0].weight) and torch.equal(built[0].bias, model[0].bias)
    assert built(torch.ones(2, 3)).shape == (2, 5)  # the first forward initializes the lazy layer (torch)


def test_reset_parameters_bad_input():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        ft.reset_parameters(torch.zeros(3), seed=0)
    with pytest.raises(TypeError, match="seed must be an int"):
        ft.reset_parameters(nn.Linear(2, 2), seed="x")


@pytest.mark.parametrize("how", ["reset_parameters", "init_module"])
def test_whole_model_calls_write_every_parameter_in_place(how):
    # No copy: every parameter keeps its storage (also a channels_last Conv weight and a transposed
    # Linear weight), and the values read through that storage are the documented stream's.
    model = nn.Sequential(OrderedDict(fc=nn.Linear(30, 20), conv=nn.Conv2d(3, 8, 3), ln=nn.LayerNorm(20)))
    model.conv.weight.data = model.conv.weight.data.to(memory_format=torch.channels_last)
    model.fc.weight.data = model.fc.weight.data.t().contiguous().t()
    before = {n: (p.data_ptr(), p.stride(), p._version) for n, p in model.named_parameters()}
    if how == "reset_parameters":
        ft.reset_parameters(model, seed=5)
    else:
        ft.init_module(model, [ft.Rule("normal_", name="weight", std=0.5), ft.Rule("zeros_", name="bias")], seed=5)
    for n, p in model.named_parameters():
        ptr, stride, version = before[n]
        assert (p.data_ptr(), p.stride()) == (ptr, stride), n
        assert p._version > version, f"{n} was not written through its own storage"
    w = model.fc.weight.detach()
    expected = (fastinit.kaiming_uniform((20, 30), math.sqrt(5), seed=stream(5, "fc.weight"))
                if how == "reset_parameters" else fastinit.normal((20, 30), 0.0, 0.5, seed=stream(5, "fc.weight")))
    assert np.array_equal(w.numpy(), expected)
