"""``init_module`` and ``Rule`` (fastinit/torch/_rules.py): a model's ``_init_weights`` written as data; bad
rules and bad argument values are refused before anything is written."""
import math

import pytest
from torch_checks import stream

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")
nn = torch.nn


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
                                                                generator=stream(4, "h.1.mlp.c_proj.weight")))
    assert torch.equal(model.wte.weight, ft.normal_(torch.empty(100, 32), 0.0, 0.02,
                                                    generator=stream(4, "wte.weight")))
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
                                        generator=stream(1, "h.1.attn.c_proj.weight")))


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
