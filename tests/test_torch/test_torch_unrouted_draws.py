"""Values a library's init hook draws with torch's own generator (fastinit/torch/_unrouted_draws.py):
run as written, named in the report and the warning as not reproducible from fastinit's seed."""
import re
import warnings

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
ft = pytest.importorskip("fastinit.torch")

UNROUTED = ["a.weight", "b.weight", "c.weight", "e.weight"]
WARNING = (r"4 tensor\(s\) hold values drawn by torch's own generator, not reproducible from fastinit's seed "
           r"\(they follow torch.manual_seed; see report.sources\): 'a.weight', 'b.weight', 'c.weight', 'e.weight'")


class Library(nn.Module):
    """A model with a library init hook (init_weights/_init_weights, as Hugging Face's) that draws with
    torch's generator in each way fastinit cannot route, beside writes it can."""

    def __init__(self, order="torch last"):
        super().__init__()
        self.order = order
        for name in "abcdefg":
            setattr(self, name, nn.Linear(4, 3))
        self.init_weights()

    def _init_weights(self, module):
        pass

    def init_weights(self):
        with torch.no_grad():
            self.a.weight.copy_(torch.randn(3, 4) * 0.02 + 0.5)  # computed from a draw
            self.b.weight.data = torch.rand(3, 4)  # assigned
            self.c.weight.data.random_(0, 5)  # an in-place draw fastinit has no kernel for
            self.d.weight.normal_(0, 0.02)  # routed: fastinit's stream
            self.e.weight.bernoulli_(0.5)
            self.f.weight.copy_(torch.ones(3, 4) * 2)  # a copy, but not of drawn values
            if self.order == "torch last":
                nn.init.zeros_(self.g.weight)
                self.g.weight.copy_(torch.randn(3, 4))
            else:  # the model's last write is fastinit's: reproducible
                self.g.weight.copy_(torch.randn(3, 4))
                nn.init.normal_(self.g.weight, 0, 0.02)


def build(mode, seed=0, torch_seed=0, order="torch first"):
    torch.manual_seed(torch_seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if mode == "fast_init":
            with ft.fast_init(seed=seed) as block:
                model = Library(order)
            report = block.report
        elif mode == "materialize":
            with torch.device("meta"):
                model = Library(order)
            report = ft.materialize(model, seed=seed)
        else:
            model = Library(order)
            report = ft.reset_parameters(model, seed=seed)
    return model, report, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("mode", ["fast_init", "materialize", "reset_parameters"])
def test_torch_drawn_values_are_named_in_the_report_and_the_warning(mode):
    model, report, messages = build(mode)
    assert report.torch_drawn == UNROUTED
    assert len(messages) == 1 and re.search(WARNING, messages[0]), messages
    assert report.sources["a.weight"] == "Library.init_weights: Tensor.copy_ of values drawn by torch.randn"
    assert report.sources["b.weight"] == "Library.init_weights: values drawn by torch.rand"
    assert report.sources["c.weight"] == "Library.init_weights: values drawn by Tensor.random_"
    assert report.sources["e.weight"] == "Library.init_weights: values drawn by Tensor.bernoulli_"
    assert report.sources["d.weight"] == "Library.init_weights: Tensor.normal_(0.0, 0.02)"
    assert report.sources["f.weight"] == "Library.init_weights: Tensor.copy_"
    assert report.sources["g.weight"] == "Library.init_weights: normal_"  # fastinit's write came last
    # The code ran as written: the distributions are the model's.
    assert torch.all((model.a.weight - 0.5).abs() < 0.2) and model.a.weight.std() > 0
    assert torch.all((model.b.weight >= 0) & (model.b.weight < 1))
    assert set(model.c.weight.unique().tolist()) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    assert set(model.e.weight.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(model.f.weight, torch.full((3, 4), 2.0))


@pytest.mark.parametrize("mode", ["fast_init", "materialize", "reset_parameters"])
def test_the_named_tensors_follow_torch_manual_seed_and_the_others_fastinits_seed(mode):
    first, _, _ = build(mode, seed=0, torch_seed=0)
    again, _, _ = build(mode, seed=0, torch_seed=0)
    other_torch_seed, _, _ = build(mode, seed=0, torch_seed=1)
    other_seed, _, _ = build(mode, seed=1, torch_seed=0)
    def w(model, name):
        return getattr(model, name).weight

    for name in "abce":
        assert torch.equal(w(first, name), w(again, name))
        assert not torch.equal(w(first, name), w(other_torch_seed, name)), name  # torch's generator decides
        assert torch.equal(w(first, name), w(other_seed, name)), name  # fastinit's seed does not
    for name in "dg":  # fastinit's streams
        assert torch.equal(w(first, name), w(other_torch_seed, name))
        assert not torch.equal(w(first, name), w(other_seed, name))


def test_a_torch_drawn_write_after_fastinits_is_the_last_write():
    _, report, messages = build("fast_init", order="torch last")
    assert report.torch_drawn == UNROUTED + ["g.weight"]  # in the model's order
    assert report.sources["g.weight"] == "Library.init_weights: Tensor.copy_ of values drawn by torch.randn"
    assert "'g.weight'" in messages[0]


def test_a_hook_without_torch_draws_reports_none():
    class Plain(Library):
        def init_weights(self):
            with torch.no_grad():
                for name in "abcdefg":
                    getattr(self, name).weight.normal_(0, 0.02)
                    getattr(self, name).bias.copy_(torch.zeros(3) + 1)

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with ft.fast_init(seed=0) as block:
            model = Plain()
    assert block.report.torch_drawn == []
    assert block.report.sources["a.bias"].endswith("Plain.init_weights: Tensor.copy_")
    assert torch.equal(model.a.bias, torch.ones(3))


class Drawing(nn.Module):
    """A constructor that draws with torch's generator in each way fastinit cannot route, beside tensors whose
    last write is fastinit's (a module default, a recorded draw, the library hook)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(3, 4) * 0.02)  # a Parameter made from a draw
        self.pos = nn.Parameter(torch.rand(1, 4))
        self.register_buffer("noise", torch.randn(4))
        self.q = nn.Parameter(torch.empty(3))
        self.q.data = torch.randn(3)
        self.r = nn.Parameter(torch.empty(3))
        self.c = nn.Parameter(torch.empty(3, 4))
        self.e = nn.Parameter(torch.empty(3, 4))
        self.lin = nn.Linear(4, 3)
        self.known = nn.Linear(4, 3)
        self.t = nn.Parameter(torch.randn(3))  # then a routed draw: fastinit's
        self.u = nn.Parameter(torch.randn(3))
        self.h = nn.Parameter(torch.randn(3))  # then the library hook's routed draw
        self.s = nn.Parameter(torch.randn(3) * 0.5)  # then scaled in place: still torch's values
        with torch.no_grad():
            self.r.copy_(torch.randn(3) + 1)  # copy_ of drawn values
            self.c.data.random_(0, 5)  # in-place draws fastinit has no kernel for
            self.e.bernoulli_(0.5)
            self.lin.weight.copy_(torch.randn(3, 4))  # after the module default: torch's values last
            self.known.weight.data = torch.randn(3, 4)  # replaced by the module default at the block's end
            self.s.mul_(2)
        nn.init.normal_(self.t, 0, 0.02)
        self.u.data.normal_()
        self.init_weights()

    def _init_weights(self, module):
        pass

    def init_weights(self):
        with torch.no_grad():
            self.h.normal_(0, 0.02)


#: name -> the function that drew its values, in the model's order
CONSTRUCTOR_DRAWN = {"w": "torch.randn", "pos": "torch.rand", "q": "torch.randn", "r": "torch.randn",
                     "c": "Tensor.random_", "e": "Tensor.bernoulli_", "s": "torch.randn",
                     "noise": "torch.randn", "lin.weight": "torch.randn"}


def build_drawing(seed=0, torch_seed=0):
    torch.manual_seed(torch_seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ft.fast_init(seed=seed) as block:
            model = Drawing()
    return model, block.report, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_a_constructors_torch_draws_are_named_in_fast_inits_report_and_warning():
    model, report, messages = build_drawing()
    assert report.torch_drawn == list(CONSTRUCTOR_DRAWN)
    assert len(messages) == 1, messages
    assert re.search(r"^fast_init: 9 tensor\(s\) hold values drawn by torch's own generator, not reproducible "
                     r"from fastinit's seed \(they follow torch.manual_seed; see report.sources\): 'w', 'pos', 'q', "
                     r"'r', 'c', \.\.\. \(4 more\)$", messages[0]), messages
    for name in ("w", "pos", "q", "c", "e", "noise"):
        assert report.sources[name] == f"constructor: values drawn by {CONSTRUCTOR_DRAWN[name]}"
    assert report.sources["r"] == "constructor: Tensor.copy_ of values drawn by torch.randn"
    assert report.sources["lin.weight"] == "constructor: Tensor.copy_ of values drawn by torch.randn"
    assert report.sources["s"] == "constructor: Tensor.mul_ of values drawn by torch.randn"
    assert report.sources["t"] == "constructor: torch.nn.init.normal_"
    assert report.sources["u"] == "constructor: Tensor.normal_"
    assert report.sources["h"] == "Drawing.init_weights: Tensor.normal_(0.0, 0.02)"
    assert not set(CONSTRUCTOR_DRAWN) & set(report.untouched)
    # The code ran as written: the distributions are the constructor's.
    assert torch.all((model.pos >= 0) & (model.pos < 1)) and model.w.abs().max() < 0.2
    assert set(model.c.unique().tolist()) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    assert set(model.e.unique().tolist()) <= {0.0, 1.0}
    assert model.r.mean() > 0


def test_a_constructors_torch_drawn_tensors_follow_torch_manual_seed_exactly_where_reported():
    first, report, _ = build_drawing(seed=0, torch_seed=0)
    other_torch_seed, _, _ = build_drawing(seed=0, torch_seed=1)
    other_seed, _, _ = build_drawing(seed=1, torch_seed=0)
    def tensors(model):
        return dict(model.named_parameters()) | dict(model.named_buffers())

    names, by_torch_seed, by_seed = tensors(first), tensors(other_torch_seed), tensors(other_seed)
    assert {n for n in names if not torch.equal(names[n], by_torch_seed[n])} == set(report.torch_drawn)
    assert all(torch.equal(names[n], by_seed[n]) for n in report.torch_drawn)  # fastinit's seed does not decide
    for n in ("t", "u", "h", "known.weight", "known.bias", "lin.bias"):  # fastinit's streams
        assert not torch.equal(names[n], by_seed[n]), n


def test_a_constructor_that_draws_nothing_from_torch_reports_nothing_and_pays_for_no_mode():
    from torch.overrides import _get_current_function_mode_stack

    from fastinit.torch._unrouted_draws import TorchDraws

    seen = []

    class Own(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.p = nn.Parameter(torch.empty(3).normal_(std=0.02))
            self.register_buffer("ones", torch.ones(3) * 2)
            seen.append(any(isinstance(m, TorchDraws) for m in _get_current_function_mode_stack()))

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with ft.fast_init(seed=0) as block:
            Own()
    assert block.report.torch_drawn == [] and seen == [False]


@pytest.mark.parametrize("family", ["gpt2", "llama", "bert"])
def test_transformers_models_draw_nothing_from_torch_under_fast_init(family):
    transformers = pytest.importorskip("transformers")
    transformers.logging.set_verbosity_error()
    auto, config = {
        "gpt2": (transformers.AutoModelForCausalLM,
                 lambda: transformers.GPT2Config(n_layer=2, n_embd=64, n_head=4, n_positions=64, vocab_size=512)),
        "llama": (transformers.AutoModelForCausalLM,
                  lambda: transformers.LlamaConfig(num_hidden_layers=2, hidden_size=64, intermediate_size=128,
                                                   num_attention_heads=4, num_key_value_heads=2, vocab_size=512)),
        "bert": (transformers.AutoModelForMaskedLM,
                 lambda: transformers.BertConfig(num_hidden_layers=2, hidden_size=64, intermediate_size=128,
                                                 num_attention_heads=4, vocab_size=512)),
    }[family]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with ft.fast_init(seed=0) as block:
            auto.from_config(config())
    assert block.report.torch_drawn == []
    assert not any("drawn by" in how for how in block.report.sources.values())


def test_under_meta_init_a_constructors_torch_draws_are_lost_and_named_by_materialize():
    with ft.meta_init():
        model = Drawing()
    assert model.w.is_meta and model.noise.is_meta
    with pytest.raises(ft.UninitializedTensorsError) as raised:
        ft.materialize(model, seed=0)
    lost = {"w", "pos", "q", "r", "c", "e", "s", "lin.weight", "noise"}
    assert lost <= set(raised.value.names)
    assert "values a constructor drew with torch's generator" in str(raised.value)
    sources = raised.value.report.sources
    for name in ("w", "pos", "q", "r", "s", "lin.weight", "noise"):
        assert sources[name] == "constructor: values drawn by torch.randn, not kept by the meta device".replace(
            "torch.randn", CONSTRUCTOR_DRAWN[name]), name
    assert sources["t"] == "constructor: torch.nn.init.normal_"  # a routed write last: replayed
    assert "h" not in raised.value.names and "known.weight" not in raised.value.names


def test_the_mode_that_follows_drawn_values_starts_at_the_first_torch_draw_and_ends_with_the_hook():
    # A hook that draws nothing from torch (Hugging Face's) pays for no TorchFunctionMode.
    from torch.overrides import _get_current_function_mode_stack

    from fastinit.torch._unrouted_draws import TorchDraws

    def following():
        return any(isinstance(m, TorchDraws) for m in _get_current_function_mode_stack())

    seen = []

    class Probe(Library):
        def init_weights(self):
            with torch.no_grad():
                seen.append(following())
                self.a.weight.normal_(0, 0.02)
                seen.append(following())
                self.a.weight.copy_(torch.randn(3, 4))
                seen.append(following())

    model = Probe()
    seen.clear()  # the constructor's own call (outside fastinit) saw nothing either
    with pytest.warns(UserWarning, match=r"1 tensor\(s\) hold values drawn by torch's own generator.*'a.weight'"):
        report = ft.reset_parameters(model, seed=0)
    assert seen == [False, False, True] and not following()
    assert report.torch_drawn == ["a.weight"]


@pytest.mark.parametrize("default_device", [None, "cpu"])
def test_a_first_draw_inside_a_device_context_is_followed_after_it_and_every_mode_ends_in_place(default_device):
    # torch.device's exit pops the top of the mode stack: the mode that follows draws goes beneath it.
    from torch.overrides import _get_current_function_mode_stack

    class InDevice(nn.Module):
        def __init__(self):
            super().__init__()
            with torch.device("cpu"):
                self.w = nn.Parameter(torch.randn(3))
                self.inside = type(_get_current_function_mode_stack()[-1]).__name__
            self.v = nn.Parameter(torch.randn(3) * 2)  # followed after the device context's end

    before = _get_current_function_mode_stack()
    if default_device is not None:
        torch.set_default_device(default_device)
    try:
        stack = _get_current_function_mode_stack()
        with pytest.warns(UserWarning, match=r"2 tensor\(s\) hold values drawn by torch's own generator"):
            with ft.fast_init(seed=0) as block:
                model = InDevice()
        assert _get_current_function_mode_stack() == stack
    finally:
        if default_device is not None:
            torch.set_default_device(None)
    assert _get_current_function_mode_stack() == before
    assert model.inside == "DeviceContext"
    assert block.report.torch_drawn == ["w", "v"]
    assert block.report.sources["v"] == "constructor: values drawn by torch.randn"
