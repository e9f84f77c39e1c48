"""A whole-model call that fails part-way raises PartialInitError naming what it wrote and what not."""
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastinit.torch as ft  # noqa: E402


class Failing(nn.Module):
    """A module whose reset_parameters writes its weight, then raises (its bias stays unwritten)."""

    def __init__(self, device=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(4, 4, device=device))
        self.bias = nn.Parameter(torch.empty(4, device=device))
        self.armed = False
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.normal_(self.weight)
        if self.armed:
            raise RuntimeError("boom in Failing.reset_parameters")
        nn.init.zeros_(self.bias)


def model(device=None):
    m = nn.Sequential(nn.Linear(3, 5, device=device), Failing(device=device), nn.Linear(5, 2, device=device))
    m[1].armed = True
    return m


def check(err, what):
    e = err.value
    assert isinstance(e, ft.PartialInitError) and isinstance(e, RuntimeError)
    assert isinstance(e.__cause__, RuntimeError) and "boom" in str(e.__cause__)
    # Children first: the last Linear was written before the failing module; the first one was not.
    assert "2.weight" in e.written and "2.bias" in e.written
    assert {"0.weight", "0.bias", "1.bias"} <= set(e.not_written)
    assert not set(e.written) & set(e.not_written)
    msg = str(e)
    assert msg.startswith(f"{what} failed part-way (RuntimeError: boom")
    assert f"{len(e.written)} tensor(s) written" in msg and f"{len(e.not_written)} not written" in msg
    assert "'2.weight'" in msg and "'0.weight'" in msg


def test_reset_parameters():
    m = model()
    before = m[0].weight.detach().clone()
    with pytest.raises(ft.PartialInitError) as err:
        ft.reset_parameters(m, seed=0)
    check(err, "reset_parameters")
    assert torch.equal(m[0].weight, before)  # reported not written, and indeed unchanged


def test_materialize():
    with torch.device("meta"):
        m = model()
    with pytest.raises(ft.PartialInitError) as err:
        ft.materialize(m, seed=0)
    check(err, "materialize")


def test_fast_init():
    with pytest.raises(ft.PartialInitError) as err:
        with ft.fast_init(seed=0):
            m = model()
    check(err, "fast_init")
    del m


def test_init_module_rule_that_raises(monkeypatch):
    from fastinit.torch import _nn_init

    m = nn.Sequential(nn.Linear(3, 5), nn.Linear(5, 2))
    with torch.no_grad():
        m[1].weight.fill_(3.0)
    original = _nn_init.normal_

    def normal_(tensor, *args, **kwargs):  # the initializer fails on one parameter only
        if tensor.data_ptr() == m[1].weight.data_ptr():
            raise RuntimeError("boom in normal_")
        return original(tensor, *args, **kwargs)

    monkeypatch.setattr(_nn_init, "normal_", normal_)
    rules = [ft.Rule("normal_", name="*.weight", std=0.02), ft.Rule("zeros_", name="*.bias")]
    with pytest.raises(ft.PartialInitError) as err:
        ft.init_module(m, rules, seed=0)
    e = err.value
    assert e.written == ["0.weight", "0.bias"] and e.not_written == ["1.weight", "1.bias"]
    assert str(e).startswith("init_module failed part-way (RuntimeError: boom in normal_)")
    assert torch.equal(m[1].weight, torch.full((2, 5), 3.0))


def test_failure_before_any_write_is_the_original_exception():
    m = nn.Sequential(nn.Linear(3, 5))
    with pytest.raises(ValueError, match="matches no parameter|match"):
        ft.init_module(m, [ft.Rule("normal_", name="nothing.*")], seed=0)
    with pytest.raises(TypeError):
        ft.init_module(m, [object()], seed=0)
