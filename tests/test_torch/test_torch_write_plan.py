"""Deferred writes in whole-model calls (fastinit.torch._write_plan): the same bits as running every write.

``reset_parameters``, ``materialize`` and the end of ``fast_init`` record a
tensor's random fill and draw it only if no later write replaces it. Each
test runs the same init code with the plan and with it disabled (every write
run when it is made, the behaviour the plan must reproduce) and compares the
bits, the errors and the number of values drawn.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

torch = pytest.importorskip("torch")

import fastinit.torch as fit  # noqa: E402
from fastinit.torch import _write_plan  # noqa: E402

nn = torch.nn
MIN_DEFERRED = _write_plan.MIN_DEFERRED
pytestmark = pytest.mark.usefixtures("plan_every_write")  # conftest.py: MIN_DEFERRED 1, every fill planned


def make() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 32), nn.Linear(32, 16), nn.Embedding(20, 16, padding_idx=3), nn.LayerNorm(16))


def reset(hook: Callable[[nn.Module], None]) -> nn.Module:
    torch.manual_seed(0)
    model = make()
    fit.reset_parameters(model, seed=5, init_hook=hook)
    return model


def both_ways(hook: Callable[[nn.Module], None], random_draws: list[int],
              call: Callable[[Callable[[nn.Module], None]], nn.Module] = reset
              ) -> tuple[dict[str, torch.Tensor], int, int]:
    """State dict with the plan (checked equal to the one without), values drawn with and without it."""
    results = []
    for planned in (True, False):
        random_draws[0] = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if planned:
                model = call(hook)
            else:
                with _write_plan.disabled():
                    model = call(hook)
        results.append((model.state_dict(), random_draws[0]))
    (planned_sd, planned_n), (eager_sd, eager_n) = results
    assert list(planned_sd) == list(eager_sd)
    for k, v in planned_sd.items():
        assert torch.equal(v, eager_sd[k]), k
    return planned_sd, planned_n, eager_n



def reset_with_or_without_plan(model: nn.Module, hook, planned: bool) -> None:
    """``reset_parameters(model, seed=1, init_hook=hook)``, its writes planned or run one by one; warnings ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if planned:
            fit.reset_parameters(model, seed=1, init_hook=hook)
        else:
            with _write_plan.disabled():
                fit.reset_parameters(model, seed=1, init_hook=hook)

def test_only_the_last_whole_write_is_drawn_and_parts_follow_it_in_order(random_draws: list[int]) -> None:
    def hook(model: nn.Module) -> None:
        w = model[0].weight
        w.data.normal_(0, 1)
        w.data[0].zero_()  # a part written behind the first fill ...
        w.data.normal_(0, 2)  # ... both replaced by this one
        w.data[1:3].fill_(2.0)
        w.data[:, 5].zero_()
        nn.init.uniform_(model[1].weight, -1, 1)
        nn.init.zeros_(model[1].weight[4])
        nn.init.normal_(model[2].weight, std=0.5)
        model[2].weight.data[model[2].padding_idx].zero_()

    sd, planned, eager = both_ways(hook, random_draws)
    assert planned == 16 * 32 + 32 + 32 * 16 + 16 + 20 * 16  # every random tensor once (biases: defaults)
    assert eager == planned + 16 * 32 + 16 * 32 + 32 * 16 + 20 * 16  # + the defaults, + the replaced normal_
    w = sd["0.weight"]
    assert bool((w[1:3, :5] == 2).all()) and bool((w[:, 5] == 0).all()) and float(w[3:].std()) > 1.5
    assert bool((sd["1.weight"][4] == 0).all()) and bool((sd["2.weight"][3] == 0).all())


def test_a_read_runs_the_recorded_writes_first(random_draws: list[int]) -> None:
    seen: list[float] = []

    def hook(model: nn.Module) -> None:
        w, v = model[0].weight, model[1].weight
        nn.init.normal_(w)
        seen.append(float(w.sum()))  # a read
        w.data.mul_(0.5)  # a read-modify-write
        nn.init.normal_(v)
        model[0].bias.data.copy_(v[0, :32])  # a copy from a recorded fill
        nn.init.normal_(v[1])  # a random fill of a part: its own (unnamed) stream, after v's fill
        nn.init.xavier_uniform_(model[2].weight)
        if float(model[2].weight.abs().max()) > 100:  # control flow on values
            model[2].weight.data.zero_()
        nn.init.orthogonal_(model[2].weight)  # a whole-tensor fill made at once replaces the recorded one
        model[3].weight.data.copy_(model[3].weight.data.flip(0))  # a copy from the tensor itself

    sd, planned, eager = both_ways(hook, random_draws)
    assert planned < eager
    assert seen[0] == seen[1]  # the value read is the same with the plan
    assert torch.equal(sd["0.bias"], sd["1.weight"][0, :32])


def test_a_tie_drops_the_fill_of_the_tensor_nothing_refers_to_any_more(random_draws: list[int]) -> None:
    kept: list[torch.Tensor] = []

    def tie(model: nn.Module) -> None:
        nn.init.normal_(model[1].weight)
        model[1].weight = nn.Parameter(model[1].weight.new_empty(0))  # the filled one is let go

    def tie_but_keep(model: nn.Module) -> None:
        nn.init.normal_(model[1].weight)
        kept.append(model[1].weight)  # ... but still referred to: it must be written
        model[1].weight = nn.Parameter(model[1].weight.new_empty(0))

    def materialize(hook: Callable[[nn.Module], None]) -> nn.Module:
        with torch.device("meta"):
            model = make()
        fit.materialize(model, seed=5, init_hook=hook)
        return model

    _, dropped, eager = both_ways(tie, random_draws, materialize)
    assert eager - dropped == 2 * 32 * 16  # its default and the hook's normal_
    _, written, _ = both_ways(tie_but_keep, random_draws, materialize)
    assert written == dropped + 32 * 16
    assert torch.equal(kept[0], kept[1]) and float(kept[0].detach().std()) > 0.5


def test_a_bad_argument_raises_where_it_did_and_leaves_the_same_values(random_draws: list[int]) -> None:
    outcomes = []
    for planned in (True, False):
        model = make()

        def hook(model: nn.Module) -> None:
            nn.init.normal_(model[0].weight, std=2.0)
            nn.init.normal_(model[0].weight, std=-1.0)

        with pytest.raises(fit.PartialInitError) as info:
            reset_with_or_without_plan(model, hook, planned)
        outcomes.append((str(info.value), model[0].weight.detach().clone()))
    assert outcomes[0][0] == outcomes[1][0] and "std" in outcomes[0][0]
    assert torch.equal(outcomes[0][1], outcomes[1][1]) and abs(float(outcomes[0][1].std()) - 2.0) < 0.3


def test_fast_init_replays_constructor_calls_once(random_draws: list[int]) -> None:
    """A constructor's nn.init call on a parameter that a module default would otherwise fill."""
    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Linear(8, 8)
            nn.init.trunc_normal_(self.proj.weight, std=0.1, a=-0.2, b=0.2)

    runs = []
    for planned in (True, False):
        random_draws[0] = 0
        with _write_plan.disabled() if not planned else warnings.catch_warnings():
            with fit.fast_init(seed=3):
                model = Block()
        runs.append((model.state_dict(), random_draws[0]))
    assert all(torch.equal(v, runs[1][0][k]) for k, v in runs[0][0].items())
    assert runs[0][1] == 64 + 8 and runs[1][1] == 2 * 64 + 8  # the weight's Kaiming default: not drawn
    assert float(runs[0][0]["proj.weight"].abs().max()) <= 0.2


def test_outside_a_whole_model_call_nothing_waits() -> None:
    t = torch.empty(100)
    fit.normal_(t, generator=0)
    assert _write_plan.active_plan() is None
    assert torch.equal(t, fit.normal_(torch.empty(100), generator=0))


@pytest.mark.parametrize("bad", [
    lambda m: nn.init.uniform_(m[0].weight, 1.0, -1.0),
    lambda m: nn.init.normal_(m[0].weight, 0.0, float("nan")),
    lambda m: nn.init.trunc_normal_(m[0].weight, a=1.0, b=-1.0),
    lambda m: nn.init.xavier_uniform_(m[0].bias),
    lambda m: nn.init.kaiming_normal_(m[0].weight, mode="fan_middle"),
    lambda m: nn.init.kaiming_uniform_(m[0].weight, nonlinearity="swish"),
    lambda m: m[0].weight.data.normal_(0.0, -2.0),
    lambda m: nn.init.constant_(m[0].weight[0], 1e300),  # a part, behind the recorded fill: float32 overflow
    lambda m: m[0].weight.data[3].fill_(1e300),
])
def test_every_checked_argument_fails_as_it_does_without_the_plan(bad: Callable[[nn.Module], object]) -> None:
    outcomes = []
    for planned in (True, False):
        def hook(model: nn.Module) -> None:
            nn.init.normal_(model[0].weight, std=3.0)  # a recorded fill before the failing call
            bad(model)

        torch.manual_seed(0)
        model = make()
        with pytest.raises(fit.PartialInitError) as info:
            reset_with_or_without_plan(model, hook, planned)
        outcomes.append((type(info.value.__cause__), str(info.value), model.state_dict()))
    assert outcomes[0][:2] == outcomes[1][:2]
    assert all(torch.equal(v, outcomes[1][2][k]) for k, v in outcomes[0][2].items())


def test_the_size_threshold(random_draws: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Tensors below MIN_DEFERRED elements are written when the write is made, and a model without a larger
    one runs without a plan (no TorchFunctionMode: no cost per torch call); the larger ones still draw once."""
    monkeypatch.setattr(_write_plan, "MIN_DEFERRED", MIN_DEFERRED)  # the default, not plan_every_write's 1
    side = int(MIN_DEFERRED ** 0.5)
    assert side * side == MIN_DEFERRED

    def hook(model: nn.Module) -> None:
        assert (_write_plan.active_plan() is not None) == (model[0].weight.numel() >= _write_plan.MIN_DEFERRED)
        for m in model:
            nn.init.normal_(m.weight, std=0.02)

    for width, dead in ((side, side * side), (side // 2, 0)):
        model = nn.Sequential(nn.Linear(width, width, bias=False), nn.Linear(4, 4, bias=False))
        random_draws[0] = 0
        fit.reset_parameters(model, seed=0, init_hook=hook)
        assert random_draws[0] == 2 * (width * width + 16) - dead  # the big default is not drawn, the small one is


def test_a_hook_on_a_model_with_a_lazy_module() -> None:
    """Its uninitialized parameters have no memory: reported untouched, as without a hook, and the plan's
    TorchFunctionMode lets calls on them through (they raise for most torch functions)."""
    def hook(model: nn.Module) -> None:
        nn.init.normal_(model[0].weight, std=0.5)
        assert isinstance(model[1].weight, nn.parameter.UninitializedParameter)

    model = nn.Sequential(nn.Linear(8, 8), nn.LazyLinear(5))
    with pytest.warns(UserWarning, match=r"left unchanged: '1.weight', '1.bias'"):
        report = fit.reset_parameters(model, seed=1, init_hook=hook)
    assert report.sources["0.weight"].endswith("normal_") and model(torch.ones(2, 8)).shape == (2, 5)
