"""Where fastinit.torch's streams come from (fastinit/torch/_seeds.py): the ``generator=`` of the drop-in
functions, the ``seed=`` root of the whole-model calls, and the name-keyed stream of each tensor."""
import pytest

import fastinit

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")


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
