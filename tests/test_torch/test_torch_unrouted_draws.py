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
           r"\(see report.sources\): 'a.weight', 'b.weight', 'c.weight', 'e.weight'")


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


def test_draws_outside_a_hook_are_not_followed():
    # Only a library hook's run is watched: a torch draw in a plain constructor is torch's as usual
    # (fast_init replays no torch.randn), and nothing is reported for it.
    class Own(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            with torch.no_grad():
                self.lin.weight.copy_(torch.randn(2, 2))

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with ft.fast_init(seed=0) as block:
            model = Own()
    assert model.lin.weight.std() > 0
    assert block.report.torch_drawn == []


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
