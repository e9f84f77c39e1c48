"""fastinit.torch on real Hugging Face transformers models, built from configs (no downloads).

The rule: a model built under ``fast_init``, or on meta and then
``materialize``d, or re-initialized by ``reset_parameters``, has the
initialization the same code gives without fastinit: every parameter and
buffer in the distribution of the plain ``from_config`` model (two-sample
Kolmogorov-Smirnov) or equal to it (constants, integer buffers), the same
ties, nothing non-finite; and it is a function of the seed: bit-identical on
a second run, and the same bits from ``fast_init`` as from ``materialize``.
Runs against whichever transformers is installed (CI: a 5.x release, and a
4.x release in a separate step).
"""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
stats = pytest.importorskip("scipy.stats")

import fastinit.torch as fit  # noqa: E402

pytestmark = pytest.mark.usefixtures("plan_every_write")  # conftest.py: every fill of these small models planned
T = transformers
transformers.logging.set_verbosity_error()
V = 512  # vocabulary of every text model below

#: family -> (Auto class, config): 2 layers, width 64, so each model builds in well under a second.
FAMILIES = {
    "gpt2": lambda: (T.AutoModelForCausalLM, T.GPT2Config(n_layer=2, n_embd=64, n_head=4, n_positions=64,
                                                         vocab_size=V)),
    "llama": lambda: (T.AutoModelForCausalLM, T.LlamaConfig(num_hidden_layers=2, hidden_size=64,
                                                           intermediate_size=128, num_attention_heads=4,
                                                           num_key_value_heads=2, vocab_size=V)),
    "mistral": lambda: (T.AutoModelForCausalLM, T.MistralConfig(num_hidden_layers=2, hidden_size=64,
                                                               intermediate_size=128, num_attention_heads=4,
                                                               num_key_value_heads=2, vocab_size=V)),
    "qwen2": lambda: (T.AutoModelForCausalLM, T.Qwen2Config(num_hidden_layers=2, hidden_size=64,
                                                           intermediate_size=128, num_attention_heads=4,
                                                           num_key_value_heads=2, vocab_size=V)),
    "bert": lambda: (T.AutoModelForMaskedLM, T.BertConfig(num_hidden_layers=2, hidden_size=64, intermediate_size=128,
                                                         num_attention_heads=4, vocab_size=V)),
    "roberta": lambda: (T.AutoModelForMaskedLM, T.RobertaConfig(num_hidden_layers=2, hidden_size=64,
                                                               intermediate_size=128, num_attention_heads=4,
                                                               vocab_size=V)),
    "t5": lambda: (T.AutoModelForSeq2SeqLM, T.T5Config(num_layers=2, num_decoder_layers=2, d_model=64, d_ff=128,
                                                      num_heads=4, d_kv=16, vocab_size=V)),
    "bart": lambda: (T.AutoModelForSeq2SeqLM, T.BartConfig(encoder_layers=2, decoder_layers=2, d_model=64,
                                                          encoder_ffn_dim=128, decoder_ffn_dim=128,
                                                          encoder_attention_heads=4, decoder_attention_heads=4,
                                                          max_position_embeddings=64, vocab_size=V)),
    "vit": lambda: (T.AutoModelForImageClassification, T.ViTConfig(num_hidden_layers=2, hidden_size=64,
                                                                   intermediate_size=128, num_attention_heads=4,
                                                                   image_size=32, patch_size=8, num_labels=10)),
}
MODES = ("fast_init", "materialize")

P_MIN = 1e-4  # KS p-value below which a tensor's distribution differs (fixed seeds: deterministic)


#: transformers 4.x computes some buffers (position_ids, causal masks, rotary inv_freq) in constructors
#: only, so on the meta device they have no values and its _init_weights does not write them:
#: ``materialize`` raises UninitializedTensorsError naming them, or with ``on_untouched="warn"`` names
#: them in a UserWarning and ``report.untouched``; they are left out of the comparisons.
HF4 = int(transformers.__version__.split(".")[0]) < 5
LOST_ON_META: dict[str, list[str]] = {}


def build(family: str, mode: str, seed: int = 0, **kwargs: object) -> torch.nn.Module:
    cls, config = FAMILIES[family]()
    if mode == "plain":
        torch.manual_seed(seed)
        return cls.from_config(config, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # nothing left uninitialized, nothing fell back
        if mode == "fast_init":
            with fit.fast_init(seed=seed):
                return cls.from_config(config, **kwargs)
        with torch.device("meta"):
            model = cls.from_config(config, **kwargs)
        if HF4:  # the lost buffers: asked for a warning (the default is an UninitializedTensorsError)
            warnings.filterwarnings("always", "materialize: .* hold uninitialized memory", UserWarning)
        report = fit.materialize(model, seed=seed, on_untouched="warn" if HF4 else "raise")
    buffers = dict(model.named_buffers())
    assert all(name in buffers for name in report.untouched)  # never a parameter
    LOST_ON_META[family] = report.untouched
    for name in report.untouched:  # so that comparisons skip them
        buffers[name].copy_(build(family, "fast_init", seed, **kwargs).get_buffer(name))
    return model


def tie_groups(model: torch.nn.Module) -> list[tuple[str, ...]]:
    names: dict[int, list[str]] = {}
    for k, v in model.state_dict(keep_vars=True).items():
        names.setdefault(id(v), []).append(k)
    return sorted(tuple(v) for v in names.values() if len(v) > 1)


def mismatches(plain: torch.nn.Module, other: torch.nn.Module) -> list[str]:
    """Tensors of ``other`` not in the distribution of (KS) or not equal to (constants) ``plain``'s."""
    a, b = plain.state_dict(), other.state_dict()
    assert list(a) == list(b)
    bad = []
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        x, y = a[k].double().flatten().numpy(), b[k].double().flatten().numpy()
        if not np.isfinite(y).all():
            bad.append(f"{k}: non-finite")
        elif x.size > 8 and x.std() > 0:
            p = stats.ks_2samp(x, y).pvalue
            if p < P_MIN:
                bad.append(f"{k}: KS p={p:.2g}, std {x.std():.4g} vs {y.std():.4g}")
        elif not np.array_equal(x, y):
            bad.append(f"{k}: {x[:3]} vs {y[:3]}")
    return bad


@pytest.fixture(scope="module")
def plain_models() -> dict[str, torch.nn.Module]:
    return {f: build(f, "plain") for f in FAMILIES}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", FAMILIES)
def test_the_models_own_initialization(family: str, mode: str, plain_models: dict[str, torch.nn.Module]) -> None:
    plain = plain_models[family]
    model = build(family, mode)
    assert mismatches(plain, model) == []
    assert tie_groups(model) == tie_groups(plain)


@pytest.mark.parametrize("family", FAMILIES)
def test_fast_init_and_materialize_give_the_same_bits_every_run(family: str) -> None:
    first = build(family, "fast_init", seed=3).state_dict()
    for again in (build(family, "fast_init", seed=3), build(family, "materialize", seed=3)):
        for k, v in again.state_dict().items():
            assert torch.equal(v, first[k]), k
    other = build(family, "fast_init", seed=4).state_dict()
    assert any(not torch.equal(v, first[k]) for k, v in other.items() if v.is_floating_point())


def test_gpt2_depth_scaled_projections_and_embeddings() -> None:
    """The numbers the issue found wrong: embeddings N(0, 0.02), c_proj N(0, 0.02/sqrt(2 n_layer))."""
    for mode in MODES:
        model = build("gpt2", mode)
        wte = model.transformer.wte.weight.detach().double().numpy().ravel()
        assert stats.kstest(wte, "norm", args=(0, 0.02)).pvalue > P_MIN
        c_proj = model.transformer.h[1].mlp.c_proj.weight.detach().double().numpy().ravel()
        assert stats.kstest(c_proj, "norm", args=(0, 0.02 / math.sqrt(2 * 2))).pvalue > P_MIN
        assert model.lm_head.weight is model.transformer.wte.weight


def test_reset_parameters_is_the_models_own_init_and_init_hook_none_is_torch_defaults() -> None:
    model = build("llama", "plain", seed=1)
    report = fit.reset_parameters(model, seed=0)
    assert mismatches(build("llama", "plain"), model) == []
    assert re.fullmatch(r"LlamaForCausalLM.init_weights: (normal_|Tensor.normal_\(0.0, 0.02\))",
                        report.sources["model.embed_tokens.weight"])
    fast = build("llama", "fast_init").state_dict()
    assert all(torch.equal(v, fast[k]) for k, v in model.state_dict().items())
    with pytest.warns(UserWarning, match="5 tensor.s. were left unchanged: 'model.layers.0.input_layernorm.weight'"):
        fit.reset_parameters(model, seed=0, init_hook=None)  # LlamaRMSNorm has no reset_parameters
    emb = model.model.embed_tokens.weight.detach().double().numpy().ravel()
    assert stats.kstest(emb, "norm").pvalue > P_MIN  # nn.Embedding's own N(0, 1)
    q = model.model.layers[0].self_attn.q_proj.weight.detach().double().numpy().ravel()
    assert stats.kstest(q, "uniform", args=(-1 / 8, 2 / 8)).pvalue > P_MIN  # nn.Linear's U(+-1/sqrt(64))


def test_a_second_init_weights_call_is_not_a_no_op() -> None:
    """transformers marks initialized tensors (_is_hf_initialized); re-initializing must still write them."""
    model = build("bert", "fast_init", seed=0)
    before = model.bert.embeddings.word_embeddings.weight.detach().clone()
    fit.reset_parameters(model, seed=1)
    assert not torch.equal(before, model.bert.embeddings.word_embeddings.weight)


def test_report_says_what_the_hook_wrote() -> None:
    cls, config = FAMILIES["gpt2"]()
    with fit.fast_init(seed=0) as block:
        model = cls.from_config(config)
    assert block.models[-1] is model
    assert re.fullmatch(r"GPT2LMHeadModel.init_weights: (normal_|Tensor.normal_\(0.0, 0.02\))",
                        block.report.sources["transformer.h.0.attn.c_attn.weight"])
    assert block.report.untouched == []


def test_init_module_rules_name_hf_classes() -> None:
    from transformers.pytorch_utils import Conv1D

    model = build("gpt2", "fast_init")
    with pytest.warns(UserWarning, match="init_module: 20 tensor.s. were left unchanged"):
        fit.init_module(model, [fit.Rule("normal_", module=Conv1D, name="weight", std=0.5)], seed=0)
    w = model.transformer.h[0].attn.c_attn.weight.detach().double().numpy().ravel()
    assert stats.kstest(w, "norm", args=(0, 0.5)).pvalue > P_MIN


def test_init_module_rules_name_llama_rmsnorm_and_qualified_patterns() -> None:
    from transformers.models.llama.modeling_llama import LlamaRMSNorm

    model = build("llama", "fast_init")
    rules = [fit.Rule("constant_", module=LlamaRMSNorm, name="weight", val=0.5),
             fit.Rule("normal_", name="*.o_proj.weight", std=0.25)]
    with pytest.warns(UserWarning, match="were left unchanged"):
        fit.init_module(model, rules, seed=0)
    norms = [m.weight for m in model.modules() if isinstance(m, LlamaRMSNorm)]
    assert len(norms) == 5 and all(bool((w == 0.5).all()) for w in norms)
    o = model.model.layers[1].self_attn.o_proj.weight.detach().double().numpy().ravel()
    assert stats.kstest(o, "norm", args=(0, 0.25)).pvalue > P_MIN
    q = model.model.layers[1].self_attn.q_proj.weight.detach().double().numpy().ravel()
    assert abs(q.std() - 0.02) < 0.004  # untouched by the rules: the model's own N(0, 0.02)


@pytest.mark.parametrize("mode", MODES)
def test_bfloat16_models(mode: str) -> None:
    plain = build("llama", "plain", dtype=torch.bfloat16)
    model = build("llama", mode, dtype=torch.bfloat16)
    assert {v.dtype for v in model.state_dict().values() if v.is_floating_point()} == {torch.bfloat16}
    assert mismatches(plain, model) == []


def test_a_model_converted_to_bfloat16_then_reset() -> None:
    model = build("gpt2", "plain", seed=1).to(torch.bfloat16)
    fit.reset_parameters(model, seed=0)
    assert mismatches(build("gpt2", "plain", dtype=torch.bfloat16), model) == []


def test_another_librarys_hook_by_name_with_tensor_methods() -> None:
    """A hook that writes through tensor methods, as transformers 4.x does (weight.data.normal_)."""
    nn = torch.nn

    def my_init(model: nn.Module) -> None:
        model[0].weight.data.normal_(mean=0.0, std=0.5)
        model[0].bias.data.zero_()
        model[1].weight.data.uniform_(-3, 3)

    def make() -> nn.Module:
        return nn.Sequential(nn.Linear(64, 64), nn.Linear(64, 64))

    runs = []
    for _ in range(2):
        model = make()
        report = fit.reset_parameters(model, seed=0, init_hook=my_init)
        runs.append(model.state_dict())
    assert all(torch.equal(v, runs[1][k]) for k, v in runs[0].items())
    w0 = runs[0]["0.weight"].double().numpy().ravel()
    assert stats.kstest(w0, "norm", args=(0, 0.5)).pvalue > P_MIN
    assert stats.kstest(runs[0]["1.weight"].double().numpy().ravel(), "uniform", args=(-3, 6)).pvalue > P_MIN
    assert torch.equal(runs[0]["0.bias"], torch.zeros(64))
    assert report.sources["0.weight"].endswith("Tensor.normal_(0.0, 0.5)")
    assert "1.bias" not in report.sources  # nn.Linear's default, left by the hook


def test_init_hook_is_checked() -> None:
    with pytest.raises(ValueError, match="init_hook must be 'auto', None or a callable"):
        fit.reset_parameters(torch.nn.Linear(2, 2), init_hook="hf")


def test_materialize_keeps_a_plain_torch_models_ties() -> None:
    nn = torch.nn
    with torch.device("meta"):
        model = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 10, bias=False))
        model[1].weight = model[0].weight
    fit.materialize(model, seed=0)
    assert model[1].weight is model[0].weight
    assert model[0].weight.device.type == "cpu"


def test_tensor_methods_are_torchs_outside_a_hook() -> None:
    t = torch.empty(1000)
    torch.manual_seed(0)
    t.normal_()
    torch.manual_seed(0)
    assert torch.equal(t, torch.randn(1000))
    assert "normal_" not in vars(torch.Tensor)



@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", ["gpt2", "llama", "bert", "t5", "bart"])
def test_no_value_is_drawn_for_a_write_that_a_later_one_replaces(family: str, mode: str,
                                                                  random_draws: list[int]) -> None:
    """One draw per random parameter: not the constructor's normal_ that _init_weights repeats (GPT-2's
    Conv1D), not the nn.Linear/nn.Embedding default the hook overwrites, not the lm_head a tie drops;
    with every write run (the plan disabled) the same model draws more and ends with the same bits."""
    from fastinit.torch import _write_plan

    def construct() -> tuple[torch.nn.Module, list[str]]:
        cls, config = FAMILIES[family]()
        if mode == "fast_init":
            with fit.fast_init(seed=2):
                return cls.from_config(config), []
        with torch.device("meta"):
            model = cls.from_config(config)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "materialize: .* hold uninitialized memory", UserWarning)  # 4.x
            return model, fit.materialize(model, seed=2, on_untouched="warn").untouched

    model, untouched = construct()
    drawn = random_draws[0]
    random_params = [p for p in model.parameters() if p.numel() > 1 and bool(p.detach().float().std() > 0)]
    assert drawn == sum(p.numel() for p in random_params)
    random_draws[0] = 0
    with _write_plan.disabled():
        every_write, _ = construct()
    assert random_draws[0] > drawn
    reference = every_write.state_dict()
    assert all(torch.equal(v, reference[k]) for k, v in model.state_dict().items() if k not in untouched)


@pytest.mark.skipif(not HF4, reason="transformers 5's _init_weights writes every buffer: nothing is lost on meta")
def test_transformers_4_buffers_lost_on_meta_are_an_error_by_default() -> None:
    cls, config = FAMILIES["gpt2"]()
    with torch.device("meta"):
        model = cls.from_config(config)
    with pytest.raises(fit.UninitializedTensorsError, match=r"'transformer.h.0.attn.bias'.*fast_init") as info:
        fit.materialize(model, seed=0)
    assert "transformer.h.1.attn.bias" in info.value.names
    assert all(not k.endswith(".weight") for k in info.value.names)  # every parameter was written
