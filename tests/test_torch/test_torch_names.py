"""Tensor names as fastinit.torch keys them (fastinit/torch/_names.py): a wrapper's attribute is not part of
the name, and a tied tensor is initialized once, under its first name."""
import pytest
from torch_checks import stream, two_layer

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")
nn = torch.nn


def test_wrapper_prefixes_are_removed():
    model = two_layer(["fc1", "fc2"])
    ref = two_layer(["fc1", "fc2"])
    ft.reset_parameters(ref, seed=1)
    ft.reset_parameters(torch.nn.DataParallel(model), seed=1)  # names "module.fc1.weight", ...
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), ref.parameters()))
    compiled = two_layer(["fc1", "fc2"])
    wrapper = nn.Module()  # what torch.compile returns (an OptimizedModule) holds the model as _orig_mod
    wrapper._orig_mod = compiled  # (torch.compile itself is not called: importing dynamo takes seconds)
    ft.reset_parameters(wrapper, seed=1)  # "_orig_mod.fc1.weight", ...
    assert all(torch.equal(p, q) for p, q in zip(compiled.parameters(), ref.parameters()))


def test_tied_parameters_initialized_once_under_their_first_name():
    model = nn.ModuleDict({"wte": nn.Embedding(50, 16), "head": nn.Linear(16, 50, bias=False)})
    model.head.weight = model.wte.weight
    report = ft.reset_parameters(model, seed=2)
    assert report.initialized.count("wte.weight") == 1 and "head.weight" not in report.initialized
    assert torch.equal(model.wte.weight, ft.normal_(torch.empty(50, 16), generator=stream(2, "wte.weight")))
