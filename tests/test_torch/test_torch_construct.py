"""Fast construction (fastinit/torch/_construct.py): ``materialize`` (a model built on the meta device) and
``fast_init`` (ordinary construction) give ``reset_parameters``' values, and construction draws nothing from
torch's generator."""
import math
import threading
import warnings

import pytest
from torch_checks import PARAMETRIZED, Custom, states_equal, stream

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")
nn = torch.nn


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


def test_materialize_equals_reset_parameters():
    ref = Net(head_init=False)
    ft.reset_parameters(ref, seed=8)
    with torch.device("meta"):
        model = Net(head_init=False)
    report = ft.materialize(model, seed=8)
    assert report.fallback == [] and report.untouched == []
    assert states_equal(model, ref) and model.head.weight.device.type == "cpu"


def test_materialize_with_rules_and_defaults_for_the_rest():
    with torch.device("meta"):
        model = Net(head_init=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = ft.materialize(model, seed=1, rules=[ft.Rule("trunc_normal_", name="head.weight", std=0.02)])
    assert report.untouched == [] and torch.equal(model.bn.running_var, torch.ones(8))
    assert torch.equal(model.head.weight, ft.trunc_normal_(torch.empty(10, 24), std=0.02,
                                                           generator=stream(1, "head.weight")))
    assert torch.equal(model.blocks[0].linear2.weight,
                       ft.kaiming_uniform_(torch.empty(24, 48), a=math.sqrt(5),
                                           generator=stream(1, "blocks.0.linear2.weight")))


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
    head_w = ft.trunc_normal_(torch.empty(10, 24), std=0.02, generator=stream(3, "head.weight"))
    assert torch.equal(model.head.weight, head_w) and bool((model.head.bias == 0).all())
    ref.head.weight.data.copy_(head_w)
    ref.head.bias.data.zero_()
    assert states_equal(model, ref)


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
    assert torch.equal(model[0].w, ft.orthogonal_(torch.empty(6, 6), generator=stream(2, "0.w")))
    expected = ft.orthogonal_(torch.empty(20, 30), generator=stream(2, "1.w"))
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
            assert states_equal(model, reference)
