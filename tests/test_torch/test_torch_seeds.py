"""Where fastinit.torch's streams come from (fastinit/torch/_seeds.py): the ``generator=`` of the drop-in
functions, the ``seed=`` root of the whole-model calls, and the name-keyed stream of each tensor."""
import math

import numpy as np
import pytest
from torch_checks import stream, two_layer

import fastinit

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")
nn = torch.nn


def test_generator_none_follows_torch_manual_seed():
    torch.manual_seed(3)
    a = ft.normal_(torch.empty(100))
    b = ft.normal_(torch.empty(100))
    torch.manual_seed(3)
    assert torch.equal(ft.normal_(torch.empty(100)), a)
    assert torch.equal(ft.normal_(torch.empty(100)), b)
    assert not torch.equal(a, b)


def test_torch_generator_and_fastinit_generator():
    a = ft.uniform_(torch.empty(50), generator=torch.Generator().manual_seed(5))
    assert torch.equal(ft.uniform_(torch.empty(50), generator=torch.Generator().manual_seed(5)), a)
    g = fastinit.Generator(9)
    x, y = ft.uniform_(torch.empty(50), generator=g), ft.uniform_(torch.empty(50), generator=g)
    assert g.calls == 2 and not torch.equal(x, y)
    assert torch.equal(x, ft.uniform_(torch.empty(50), generator=fastinit.Generator(9)))
    assert torch.equal(x, ft.uniform_(torch.empty(50), generator=9))  # int = call 0 of Generator(int)


@pytest.mark.parametrize("bad, exc", [(1.5, TypeError), ("7", TypeError), (-1, ValueError), (2**64, ValueError)])
def test_bad_generator(bad, exc):
    t = torch.zeros(4)
    with pytest.raises(exc, match="generator must be an int in"):
        ft.normal_(t, generator=bad)
    assert bool((t == 0).all())


def test_values_depend_only_on_seed_and_name():
    a = two_layer(["fc1", "fc2"])
    b = two_layer(["extra", "fc2", "fc1"])  # other construction order, another parameter in front
    ft.reset_parameters(a, seed=3)
    ft.reset_parameters(b, seed=3)
    for n in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"):
        assert torch.equal(a.get_parameter(n), b.get_parameter(n)), n
    assert not torch.equal(a.fc1.weight, a.fc2.weight)  # same shape, different names: no symmetry
    ft.reset_parameters(b, seed=4)
    assert not torch.equal(a.fc1.weight, b.fc1.weight)


def test_seed_none_follows_torch_manual_seed():
    a, b = two_layer(["fc1"]), two_layer(["fc1"])
    torch.manual_seed(9)
    ft.reset_parameters(a)
    torch.manual_seed(9)
    ft.reset_parameters(b)
    assert torch.equal(a.fc1.weight, b.fc1.weight)


def test_root_seed_of_each_seed_kind_is_the_documented_one():
    # docs/streams.md, section 5: int -> itself; torch.Generator -> two 32-bit randint draws;
    # fastinit.Generator -> words 0 and 1 of block 0 of its next call.
    def weight_after(seed):
        lin = nn.Linear(8, 8)
        ft.reset_parameters(lin, seed=seed)
        return lin.weight.detach().clone()

    def expected(root):
        return ft.kaiming_uniform_(torch.empty(8, 8), a=math.sqrt(5), generator=stream(root, "weight"))

    assert torch.equal(weight_after(12), expected(12))
    w = torch.randint(0, 2**32, (2,), dtype=torch.int64, generator=torch.Generator().manual_seed(4)).tolist()
    assert torch.equal(weight_after(torch.Generator().manual_seed(4)), expected(w[0] | w[1] << 32))
    g = fastinit.Generator(6)
    words = fastinit.philox4x32(np.array([[0, 0, 0, 0]], np.uint32), np.array(g.key, np.uint32))[0]
    assert torch.equal(weight_after(g), expected(int(words[0]) | int(words[1]) << 32))
    assert g.calls == 1
