"""torch.nn.init's deprecated aliases without the trailing underscore (fastinit/torch/_deprecated.py)."""
import pytest

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")


def _torch_deprecated_aliases():
    init = torch.nn.init
    return sorted(n for n in dir(init) if not n.startswith("_") and not n.endswith("_")
                  and callable(getattr(init, n)) and hasattr(init, n + "_")
                  and getattr(init, n).__doc__ and "deprecated" in getattr(init, n).__doc__)


def test_the_deprecated_aliases_are_exactly_torchs():
    ours = sorted(n for n in ft.__all__ if not n.endswith("_") and hasattr(ft, n + "_"))
    assert ours == _torch_deprecated_aliases()
    assert "normal" in ours and "trunc_normal" not in ours


@pytest.mark.parametrize("old", ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
                                 "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"])
def test_deprecated_alias_warns_like_torch_and_forwards(old):
    shape = (4, 3, 3) if old == "dirac" else (5, 4)
    args = {"constant": (0.25,), "sparse": (0.5,)}.get(old, ())
    seeded = old not in ("constant", "eye", "dirac")
    kwargs = {"generator": 7} if seeded else {}
    with pytest.warns(FutureWarning, match=rf"`fastinit\.torch\.{old}` is now deprecated in favor of "
                                           rf"`fastinit\.torch\.{old}_`") as record:
        got = getattr(ft, old)(torch.empty(shape), *args, **kwargs)
    assert record[0].filename == __file__  # attributed to the caller, as torch's stacklevel=2
    want = getattr(ft, old + "_")(torch.empty(shape), *args, **kwargs)
    assert torch.equal(got, want)
    assert getattr(ft, old).__name__ == old
    with pytest.warns(FutureWarning, match="deprecated"):
        getattr(torch.nn.init, old)(torch.empty(shape), *args)  # torch's own says the same
