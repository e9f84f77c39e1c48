"""reset_parameters, init_module, materialize and fast_init on whole PyTorch models."""
import math
import threading
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from initializer_checks import assert_same_distribution

import fastinit

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")
nn = torch.nn
P = torch.nn.utils.parametrizations


def _stream(root, name):
    return fastinit.Generator(root).fold_in(name).seed


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
                                                       generator=_stream(0, "weight")))
    b = 1 / math.sqrt(400)
    assert torch.equal(lin.bias, ft.uniform_(torch.empty(50), -b, b, generator=_stream(0, "bias")))
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
                                                                generator=_stream(5, "out_proj.weight")))


def test_transformer_overrides_its_layers_with_xavier():
    model = nn.Transformer(32, 2, 1, 1, 64)
    ft.reset_parameters(model, seed=0)
    name = "encoder.layers.0.linear1.weight"
    assert torch.equal(model.encoder.layers[0].linear1.weight,
                       ft.xavier_uniform_(torch.empty(64, 32), generator=_stream(0, name)))


def _two_layer(order):
    layers = OrderedDict()
    for name in order:
        layers[name] = nn.Linear(16, 16) if name != "extra" else nn.Linear(3, 5)
    return nn.Sequential(layers)


def test_values_depend_only_on_seed_and_name():
    a = _two_layer(["fc1", "fc2"])
    b = _two_layer(["extra", "fc2", "fc1"])  # other construction order, another parameter in front
    ft.reset_parameters(a, seed=3)
    ft.reset_parameters(b, seed=3)
    for n in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"):
        assert torch.equal(a.get_parameter(n), b.get_parameter(n)), n
    assert not torch.equal(a.fc1.weight, a.fc2.weight)  # same shape, different names: no symmetry
    ft.reset_parameters(b, seed=4)
    assert not torch.equal(a.fc1.weight, b.fc1.weight)


def test_wrapper_prefixes_are_removed():
    model = _two_layer(["fc1", "fc2"])
    ref = _two_layer(["fc1", "fc2"])
    ft.reset_parameters(ref, seed=1)
    ft.reset_parameters(torch.nn.DataParallel(model), seed=1)  # names "module.fc1.weight", ...
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), ref.parameters()))
    compiled = _two_layer(["fc1", "fc2"])
    wrapper = nn.Module()  # what torch.compile returns (an OptimizedModule) holds the model as _orig_mod
    wrapper._orig_mod = compiled  # (torch.compile itself is not called: importing dynamo takes seconds)
    ft.reset_parameters(wrapper, seed=1)  # "_orig_mod.fc1.weight", ...
    assert all(torch.equal(p, q) for p, q in zip(compiled.parameters(), ref.parameters()))


def test_tied_parameters_initialized_once_under_their_first_name():
    model = nn.ModuleDict({"wte": nn.Embedding(50, 16), "head": nn.Linear(16, 50, bias=False)})
    model.head.weight = model.wte.weight
    report = ft.reset_parameters(model, seed=2)
    assert report.initialized.count("wte.weight") == 1 and "head.weight" not in report.initialized
    assert torch.equal(model.wte.weight, ft.normal_(torch.empty(50, 16), generator=_stream(2, "wte.weight")))


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


class NoReset(nn.Module):
    def __init__(self):
        super().__init__()
        self.cls_token = nn.Parameter(torch.full((4,), 3.0))


def test_unknown_modules_fall_back_and_are_reported():
    model = nn.Sequential(nn.Linear(4, 4), Custom(), NoReset())
    with pytest.warns(UserWarning, match=r"1 module\(s\) without a fastinit rule.*'1'.*left unchanged: '2.cls_token'"):
        report = ft.reset_parameters(model, seed=0)
    assert report.fallback == ["1"] and report.untouched == ["2.cls_token"]
    expected = ft.orthogonal_(torch.empty(20, 30), generator=_stream(0, "1.w"))
    expected[0] = 7.0
    assert torch.equal(model[1].w, expected)  # torch.nn.init inside it: routed through the name-keyed stream
    assert nn.init.orthogonal_ is not None and nn.init.orthogonal_.__module__ == "torch.nn.init"  # restored



def test_reports_list_tensors_and_modules_in_model_order():
    # state_dict() order: pre-order, each module's parameters then its buffers (children are written first)
    def build():
        return nn.Sequential(nn.Linear(3, 4), Custom(), nn.BatchNorm1d(4),
                             nn.Sequential(Custom(), nn.Linear(4, 2)), nn.GRU(2, 3))

    model = build()
    with pytest.warns(UserWarning, match="without a fastinit rule"):
        report = ft.reset_parameters(model, seed=0)
    assert report.initialized == list(model.state_dict()) and report.fallback == ["1", "3.0"]
    with pytest.warns(UserWarning, match="left unchanged: '0.weight', '1.w', '2.weight'"):
        report = ft.init_module(model, [ft.Rule("zeros_", name="*bias"), ft.Rule("normal_", name="4.*", std=0.1)],
                                seed=0, allow_unused=True)
    assert report.initialized == [n for n in model.state_dict() if n.endswith("bias") or n.startswith("4.")]
    with torch.device("meta"):
        model = build()
    with pytest.warns(UserWarning, match="without a fastinit rule"):
        report = ft.materialize(model, seed=0)
    assert report.initialized == list(model.state_dict()) and report.fallback == ["1", "3.0"]
    with pytest.warns(UserWarning, match="without a fastinit rule"), ft.fast_init(seed=0) as f:
        model = build()
    assert f.report.initialized == list(model.state_dict()) and f.report.fallback == ["1", "3.0"]


PARAMETRIZED = {
    "weight_norm Linear": (lambda: nn.Linear(12, 8), lambda m: P.weight_norm(m)),
    "spectral_norm Conv2d": (lambda: nn.Conv2d(3, 6, 3), lambda m: P.spectral_norm(m)),
    "orthogonal Linear": (lambda: nn.Linear(8, 8), lambda m: P.orthogonal(m)),
    "orthogonal LSTM weight_hh_l0": (lambda: nn.LSTM(4, 6), lambda m: P.orthogonal(m, "weight_hh_l0")),
    "weight_norm Embedding": (lambda: nn.Embedding(9, 5, padding_idx=2), lambda m: P.weight_norm(m, dim=1)),
}


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


@pytest.mark.parametrize("kind", list(PARAMETRIZED))
def test_fast_init_and_materialize_of_parametrized_modules_equal_reset_parameters(kind):
    build, parametrize = PARAMETRIZED[kind]
    reference = parametrize(build())
    ft.reset_parameters(reference, seed=6)
    with ft.fast_init(seed=6):  # the parametrization is registered on uninitialized memory
        built = parametrize(build())
    models = [built]
    if not kind.startswith("orthogonal"):  # torch cannot register orthogonal on the meta device (QR)
        with torch.device("meta"):
            models.append(parametrize(build()))
        ft.materialize(models[-1], seed=6)
    for model in models:
        if kind == "orthogonal LSTM weight_hh_l0":
            # right_inverse of a non-square orthogonal completes its `base` buffer with torch.randn (torch's
            # generator): the parameters and the weight computed from them are equal, `base`'s extra columns not
            assert all(torch.equal(a, b) for a, b in zip(model.parameters(), reference.parameters()))
            assert torch.equal(model.weight_hh_l0, reference.weight_hh_l0)
        else:
            assert _states_equal(model, reference)


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
    assert _states_equal(model, again)


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


@pytest.mark.filterwarnings("ignore:reset_parameters. 1 module")
def test_fallback_routing_is_per_thread_and_always_undone():
    # Two threads reset models with unknown modules at overlapping times (A's block ends inside B's), while
    # the main thread calls torch.nn.init directly: each thread's calls go to its own handler or to torch.
    original = nn.init.orthogonal_
    a_inside, b_inside, a_done = threading.Event(), threading.Event(), threading.Event()

    class Waiting(nn.Module):
        def __init__(self, role):
            super().__init__()
            self.role, self.w = role, nn.Parameter(torch.empty(6, 6))

        def reset_parameters(self):
            (a_inside if self.role == "a" else b_inside).set()
            (b_inside if self.role == "a" else a_done).wait(10)
            nn.init.orthogonal_(self.w)

    models = {role: Waiting(role) for role in "ab"}

    def reset(role):
        ft.reset_parameters(models[role], seed=0)
        if role == "a":
            a_done.set()

    threads = [threading.Thread(target=reset, args=(role,)) for role in "ab"]
    threads[0].start()
    a_inside.wait(10)
    threads[1].start()
    b_inside.wait(10)
    mine = nn.init.normal_(torch.empty(50), generator=torch.Generator().manual_seed(1))
    for t in threads:
        t.join(10)
    assert torch.equal(mine, torch.empty(50).normal_(generator=torch.Generator().manual_seed(1)))  # torch's own
    assert nn.init.orthogonal_ is original
    expected = ft.orthogonal_(torch.empty(6, 6), generator=_stream(0, "w"))
    assert torch.equal(models["a"].w, expected) and torch.equal(models["b"].w, expected)


def test_seed_none_follows_torch_manual_seed():
    a, b = _two_layer(["fc1"]), _two_layer(["fc1"])
    torch.manual_seed(9)
    ft.reset_parameters(a)
    torch.manual_seed(9)
    ft.reset_parameters(b)
    assert torch.equal(a.fc1.weight, b.fc1.weight)


def test_reset_parameters_bad_input():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        ft.reset_parameters(torch.zeros(3), seed=0)
    with pytest.raises(TypeError, match="seed must be an int"):
        ft.reset_parameters(nn.Linear(2, 2), seed="x")


# --------------------------------------------------------------------------
# init_module


class TinyGPT(nn.Module):
    def __init__(self, n_layer=2, d=32, vocab=100, ctx=16):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
        self.h = nn.ModuleList(nn.ModuleDict({
            "ln_1": nn.LayerNorm(d), "ln_2": nn.LayerNorm(d),
            "attn": nn.ModuleDict({"c_attn": nn.Linear(d, 3 * d), "c_proj": nn.Linear(d, d)}),
            "mlp": nn.ModuleDict({"c_fc": nn.Linear(d, 4 * d), "c_proj": nn.Linear(4 * d, d)}),
        }) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d)


def test_init_module_gpt2_rules():
    model = TinyGPT()
    report = ft.init_module(model, ft.gpt2_rules(2), seed=4)
    assert report.untouched == []
    assert torch.equal(model.h[1].mlp.c_proj.weight, ft.normal_(torch.empty(32, 128), 0.0, 0.02 / 2,
                                                                generator=_stream(4, "h.1.mlp.c_proj.weight")))
    assert torch.equal(model.wte.weight, ft.normal_(torch.empty(100, 32), 0.0, 0.02,
                                                    generator=_stream(4, "wte.weight")))
    assert bool((model.h[0].attn.c_attn.bias == 0).all()) and bool((model.ln_f.weight == 1).all())


def test_init_module_callable_arguments_and_unmatched_report():
    model = TinyGPT()
    rules = [ft.Rule("trunc_normal_", name="h.*.attn.c_proj.weight",
                     std=lambda n: 0.02 / math.sqrt(2 * (int(n.split(".")[1]) + 1)), a=-0.04, b=0.04)]
    with pytest.warns(UserWarning, match="left unchanged"):
        report = ft.init_module(model, rules, seed=1)
    assert "h.0.attn.c_proj.weight" in report.initialized and "wte.weight" in report.untouched
    assert torch.equal(model.h[1].attn.c_proj.weight,
                       ft.trunc_normal_(torch.empty(32, 32), 0.0, 0.02 / 2, -0.04, 0.04,
                                        generator=_stream(1, "h.1.attn.c_proj.weight")))


def test_init_module_bad_rules_write_nothing():
    model = TinyGPT()
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(ValueError, match="init must be one of"):
        ft.Rule("normal", name="weight")
    with pytest.raises(TypeError, match="module must be a torch.nn.Module subclass"):
        ft.Rule("normal_", module=torch.Tensor)
    with pytest.raises(ValueError, match="needs a target"):
        ft.Rule("normal_", std=0.02)
    with pytest.raises(TypeError, match="do not fit normal_"):
        ft.Rule("normal_", name="weight", stdev=0.02)
    with pytest.raises(ValueError, match=r"rules\[1\] = Rule\('normal_', name='\*.c_porj.weight'.*matches no param"):
        ft.init_module(model, [ft.Rule("zeros_", name="bias"), ft.Rule("normal_", name="*.c_porj.weight")])
    with pytest.raises(ValueError, match="orthogonal_ needs at least 2 dimensions"):
        ft.init_module(model, [ft.Rule("zeros_", name="weight", module=nn.Linear),
                               ft.Rule("orthogonal_", module=nn.LayerNorm)])
    shadowed = [ft.Rule("zeros_", name="w*.weight"), ft.Rule("normal_", module=nn.Embedding, name="weight")]
    with pytest.raises(ValueError, match=r"rules\[1\] = Rule\('normal_', module=.*Embedding.*name='weight'\) matches "
                                         r"only parameters that rules\[0\] takes first: 'wte.weight', 'wpe.weight'"):
        ft.init_module(model, shadowed)
    with pytest.raises(TypeError, match=r"rules\[0\] must be a fastinit.torch.Rule"):
        ft.init_module(model, [("normal_", "weight")])
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


@pytest.mark.parametrize("bad", [
    ft.Rule("normal_", name="bias", std=-1.0),
    ft.Rule("trunc_normal_", name="bias", a=1.0, b=-1.0),
    ft.Rule("kaiming_uniform_", name="1.weight", mode="fan_avg"),
    ft.Rule("dirac_", name="1.weight", groups=3),
    ft.Rule("normal_", name="bias", std=lambda n: 1 / int(n[0])),  # raises for the first layer's bias
    # alike parameters share one argument probe, but only with equal argument values: the second
    # bias, the same shape and dtype as the first, still has its own std checked
    ft.Rule("normal_", name="bias", std=lambda n: -1.0 if n.startswith("1.") else 0.5),
], ids=["std<0", "a>b", "mode", "dirac groups", "callable raises", "callable bad for one of alike"])
def test_init_module_checks_argument_values_before_writing(bad):
    # The first rule matches the weights, written before the biases; a bad argument value of a later
    # rule must be refused before anything is written, as a bad shape is.
    model = nn.Sequential(nn.Conv1d(4, 4, 3), nn.Conv1d(4, 4, 3))
    before = [p.clone() for p in model.parameters()]
    with pytest.raises((ValueError, ZeroDivisionError)):
        ft.init_module(model, [bad, ft.Rule("normal_", name="weight"), ft.Rule("zeros_", name="bias")],
                       allow_unused=True)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def test_init_module_rule_matching_only_a_tied_alias_names_the_tie():
    model = nn.ModuleDict({"wte": nn.Embedding(50, 16), "lm_head": nn.Linear(16, 50, bias=False)})
    model.lm_head.weight = model.wte.weight
    with pytest.raises(ValueError, match=r"rules\[0\] = Rule\('normal_', name='lm_head.weight', std=0.02\) "
                                         r"matches only tied parameters.*'lm_head.weight' \(= 'wte.weight'\)"):
        ft.init_module(model, [ft.Rule("normal_", name="lm_head.weight", std=0.02)])


def test_init_module_refuses_integer_parameters_before_writing():
    model = nn.Sequential(nn.Linear(3, 3))
    model.register_parameter("counts", nn.Parameter(torch.zeros(3, dtype=torch.int64), requires_grad=False))
    w = model[0].weight.clone()
    with pytest.raises(TypeError, match="parameter 'counts' must have a floating dtype"):
        ft.init_module(model, [ft.Rule("zeros_", name="*")])
    assert torch.equal(model[0].weight, w)


# --------------------------------------------------------------------------
# materialize and fast_init


class Net(nn.Module):
    """Known modules, plus a constructor-level torch.nn.init call on the head (timm style)."""

    def __init__(self, head_init=True):
        super().__init__()
        self.embed = nn.Embedding(64, 24, padding_idx=0)
        self.blocks = nn.Sequential(nn.TransformerEncoderLayer(24, 4, 48), nn.LayerNorm(24), nn.GRU(24, 24))
        self.conv = nn.Conv1d(24, 8, 3)
        self.bn = nn.BatchNorm1d(8)
        self.head = nn.Linear(24, 10)
        if head_init:
            nn.init.trunc_normal_(self.head.weight, std=0.02)
            nn.init.zeros_(self.head.bias)


def _states_equal(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_materialize_equals_reset_parameters():
    ref = Net(head_init=False)
    ft.reset_parameters(ref, seed=8)
    with torch.device("meta"):
        model = Net(head_init=False)
    report = ft.materialize(model, seed=8)
    assert report.fallback == [] and report.untouched == []
    assert _states_equal(model, ref) and model.head.weight.device.type == "cpu"


def test_materialize_with_rules_and_defaults_for_the_rest():
    with torch.device("meta"):
        model = Net(head_init=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = ft.materialize(model, seed=1, rules=[ft.Rule("trunc_normal_", name="head.weight", std=0.02)])
    assert report.untouched == [] and torch.equal(model.bn.running_var, torch.ones(8))
    assert torch.equal(model.head.weight, ft.trunc_normal_(torch.empty(10, 24), std=0.02,
                                                           generator=_stream(1, "head.weight")))
    assert torch.equal(model.blocks[0].linear2.weight,
                       ft.kaiming_uniform_(torch.empty(24, 48), a=math.sqrt(5),
                                           generator=_stream(1, "blocks.0.linear2.weight")))


def test_materialize_refuses_to_leave_unreset_tensors_uninitialized_unless_asked_to_warn():
    """Issue 15: nothing is left as uninitialized memory without an error, or a warning the user asked for."""
    def meta_model():
        with torch.device("meta"):
            model = nn.Sequential(nn.Linear(2, 2), nn.Module())
            model.register_buffer("cache", torch.zeros(3))
            model[1].cls_token = nn.Parameter(torch.zeros(4))  # a module without reset_parameters
        return model

    model = meta_model()
    with pytest.raises(ft.UninitializedTensorsError, match=r"2 tensor\(s\) hold uninitialized memory .*: "
                       r"'1.cls_token', 'cache'\. .*on_untouched='warn'") as info:
        ft.materialize(model, seed=0)
    assert info.value.names == ["1.cls_token", "cache"] == info.value.report.untouched
    assert info.value.report.initialized == ["0.weight", "0.bias"]
    reference = meta_model()
    with pytest.warns(UserWarning, match=r"2 tensor\(s\) hold uninitialized memory .*: '1.cls_token', 'cache'"):
        report = ft.materialize(reference, seed=0, on_untouched="warn")
    assert report.untouched == ["1.cls_token", "cache"]
    assert torch.equal(model[0].weight, reference[0].weight) and model[0].weight.device.type == "cpu"
    with pytest.raises(ValueError, match="on_untouched must be one of 'raise', 'warn', got 'ignore'"):
        ft.materialize(meta_model(), seed=0, on_untouched="ignore")


def test_materialize_names_every_untouched_tensor():
    with torch.device("meta"):
        model = nn.Module()
        for k in range(7):
            model.register_buffer(f"b{k}", torch.zeros(1))
    with pytest.raises(ft.UninitializedTensorsError, match="'b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6'"):
        ft.materialize(model, seed=0)
    with pytest.warns(UserWarning, match="'b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6'"):
        ft.materialize(model, seed=0, on_untouched="warn")


def test_fast_init_equals_reset_parameters_and_honours_constructor_calls():
    ref = Net(head_init=False)
    ft.reset_parameters(ref, seed=3)
    with ft.fast_init(seed=3) as f:
        model = Net()
    assert f.models == [model]
    head_w = ft.trunc_normal_(torch.empty(10, 24), std=0.02, generator=_stream(3, "head.weight"))
    assert torch.equal(model.head.weight, head_w) and bool((model.head.bias == 0).all())
    ref.head.weight.data.copy_(head_w)
    ref.head.bias.data.zero_()
    assert _states_equal(model, ref)


def test_fast_init_restores_torch_and_skips_torch_generator():
    originals = (nn.Linear.reset_parameters, nn.Module.__init__, nn.init.normal_)
    state = torch.random.get_rng_state()
    with ft.fast_init(seed=0):
        nn.Linear(100, 100)
    assert torch.equal(torch.random.get_rng_state(), state)  # construction drew nothing from torch
    assert (nn.Linear.reset_parameters, nn.Module.__init__, nn.init.normal_) == originals
    with pytest.raises(ZeroDivisionError):
        with ft.fast_init(seed=0):
            nn.Linear(3, 3)
            raise ZeroDivisionError
    assert (nn.Linear.reset_parameters, nn.Module.__init__, nn.init.normal_) == originals
    with ft.fast_init(seed=0):
        with pytest.raises(RuntimeError, match="cannot be nested"):
            ft.fast_init(seed=1).__enter__()


def test_fast_init_is_per_thread():
    # While one thread is inside a block, a model another thread builds is torch's (torch's generator,
    # not uninitialized memory, not one of the block's models), a reset_parameters there still knows
    # Linear, and a second thread can hold its own block at the same time.
    inside, built = threading.Event(), threading.Event()
    other = {}

    def build_elsewhere():
        inside.wait(10)
        torch.manual_seed(5)
        other["torch"] = nn.Linear(30, 20)
        other["report"] = ft.reset_parameters(nn.Sequential(nn.Linear(4, 4)), seed=0)
        with ft.fast_init(seed=8) as f:
            other["fast"] = nn.Linear(6, 6)
        other["models"] = f.models
        built.set()

    thread = threading.Thread(target=build_elsewhere)
    thread.start()
    with ft.fast_init(seed=8) as mine:
        model = nn.Linear(6, 6)
        inside.set()
        built.wait(10)
    thread.join(10)
    torch.manual_seed(5)
    assert torch.equal(other["torch"].weight, nn.Linear(30, 20).weight)
    assert other["report"].fallback == []
    assert mine.models == [model] and other["models"] == [other["fast"]]
    assert torch.equal(model.weight, other["fast"].weight)  # same seed and name
    assert nn.Linear.reset_parameters.__module__ == "torch.nn.modules.linear"


def test_fast_init_temporary_turned_into_a_parameter_and_unknown_modules():
    class Temp(nn.Module):
        def __init__(self):
            super().__init__()
            w = torch.empty(6, 6)
            nn.init.orthogonal_(w)
            self.w = nn.Parameter(w)

    with pytest.warns(UserWarning, match="reset by their own reset_parameters"):
        with ft.fast_init(seed=2):
            model = nn.Sequential(Temp(), Custom())
    assert torch.equal(model[0].w, ft.orthogonal_(torch.empty(6, 6), generator=_stream(2, "0.w")))
    expected = ft.orthogonal_(torch.empty(20, 30), generator=_stream(2, "1.w"))
    expected[0] = 7.0
    assert torch.equal(model[1].w, expected)


def test_fast_init_reports_parameters_nothing_initialized():
    class Tokens(nn.Module):  # timm style: a module without reset_parameters, one token initialized in __init__
        def __init__(self):
            super().__init__()
            self.cls_token = nn.Parameter(torch.zeros(1, 8))
            self.pos = nn.Parameter(torch.zeros(4, 8))  # never initialized by anything
            nn.init.trunc_normal_(self.cls_token, std=0.02)

    with pytest.warns(UserWarning, match=r"fast_init: 1 tensor\(s\) were left unchanged: '1.pos'"):
        with ft.fast_init(seed=0) as f:
            model = nn.Sequential(nn.Linear(8, 8), Tokens())
    assert f.models == [model] and f.report.untouched == ["1.pos"] and "1.cls_token" in f.report.initialized


def test_root_seed_of_each_seed_kind_is_the_documented_one():
    # docs/streams.md, section 5: int -> itself; torch.Generator -> two 32-bit randint draws;
    # fastinit.Generator -> words 0 and 1 of block 0 of its next call.
    def weight_after(seed):
        lin = nn.Linear(8, 8)
        ft.reset_parameters(lin, seed=seed)
        return lin.weight.detach().clone()

    def expected(root):
        return ft.kaiming_uniform_(torch.empty(8, 8), a=math.sqrt(5), generator=_stream(root, "weight"))

    assert torch.equal(weight_after(12), expected(12))
    w = torch.randint(0, 2**32, (2,), dtype=torch.int64, generator=torch.Generator().manual_seed(4)).tolist()
    assert torch.equal(weight_after(torch.Generator().manual_seed(4)), expected(w[0] | w[1] << 32))
    g = fastinit.Generator(6)
    words = fastinit.philox4x32(np.array([[0, 0, 0, 0]], np.uint32), np.array(g.key, np.uint32))[0]
    assert torch.equal(weight_after(g), expected(int(words[0]) | int(words[1]) << 32))
    assert g.calls == 1


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
    expected = (fastinit.kaiming_uniform((20, 30), math.sqrt(5), seed=_stream(5, "fc.weight"))
                if how == "reset_parameters" else fastinit.normal((20, 30), 0.0, 0.5, seed=_stream(5, "fc.weight")))
    assert np.array_equal(w.numpy(), expected)
