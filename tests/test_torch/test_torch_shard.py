"""Sharded tensors (fastinit/torch/_shard.py): each local block of a DTensor gets the values of the whole,
tensors on other devices are filled on the CPU and copied, other tensor subclasses are plain tensors.

On a real torch.distributed world (gloo, FSDP2, tensor parallelism): test_torch_distributed.py."""
import pytest

import fastinit

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")


def test_other_devices_are_filled_on_the_cpu_and_copied():
    # No accelerator here: a tensor whose device type is not "cpu" is emulated by a stand-in.
    copies = []

    class Remote:
        def __init__(self, t):
            self.t, self.shape, self.dtype, self.device = t, t.shape, t.dtype, torch.device("meta")

        def copy_(self, src):
            copies.append(src.clone())
            self.t.copy_(src)

    expected = ft.normal_(torch.empty(6, 4), generator=3)
    target = torch.empty(6, 4)
    assert ft.fill_sharded(fastinit.normal_, Remote(target), seed=3) is not None
    assert len(copies) == 1 and torch.equal(target, expected)


def _fake_shard(monkeypatch, local, blocks):
    """Make every tensor look like a DTensor whose local shard is ``local``, made of ``blocks``."""
    monkeypatch.setattr(ft._shard, "is_dtensor", lambda t: True)
    monkeypatch.setattr(ft._shard, "local_tensor", lambda t, name="tensor": local)
    monkeypatch.setattr(ft._shard, "local_blocks", lambda t, name="tensor": blocks)


@pytest.mark.parametrize("name, args", [("normal_", ()), ("kaiming_uniform_", ()), ("orthogonal_", ()),
                                        ("sparse_", (0.4,)), ("eye_", ()), ("trunc_normal_", (0.0, 2.0))])
@pytest.mark.parametrize("split", [False, True])
def test_shard_blocks_get_the_values_of_the_whole(monkeypatch, name, args, split):
    # One block (Shard/Replicate) or two blocks of one local shard (_StridedShard): rows 3..7, columns
    # 0..3 and 5..8 of the whole tensor.
    full = (12, 9)
    kwargs = {} if name == "eye_" else {"generator": 5}
    whole = getattr(ft, name)(torch.empty(full), *args, **kwargs)
    if split:
        local = torch.empty(5, 8)
        _fake_shard(monkeypatch, local, [(local[:, :4], full, (3, 0)), (local[:, 4:], full, (3, 5))])
        expected = torch.cat([whole[3:8, 0:4], whole[3:8, 5:9]], dim=1)
    else:
        local = torch.empty(5, 4)
        _fake_shard(monkeypatch, local, [(local, full, (3, 2))])
        expected = whole[3:8, 2:6]
    out = getattr(ft, name)(local, *args, **kwargs)
    assert out is local
    assert torch.equal(local, expected)


def test_several_blocks_share_one_call_of_a_generator(monkeypatch):
    full = (6, 4)
    whole = ft.normal_(torch.empty(full), generator=fastinit.Generator(8))
    local = torch.empty(6, 3)
    _fake_shard(monkeypatch, local, [(local[:, :1], full, (0, 0)), (local[:, 1:], full, (0, 2))])
    g = fastinit.Generator(8)
    ft.normal_(local, generator=g)
    assert g.calls == 1
    assert torch.equal(local, torch.cat([whole[:, :1], whole[:, 2:]], dim=1))
    ft.zeros_(local)  # a constant fills the whole local shard
    assert bool((local == 0).all())


def test_a_tensor_subclass_that_is_not_a_dtensor_is_filled_as_a_plain_tensor():
    class Sub(torch.Tensor):
        pass

    sub = torch.zeros(3, 4).as_subclass(Sub)
    assert ft.xavier_uniform_(sub, generator=2) is sub
    assert torch.equal(sub.as_subclass(torch.Tensor), torch.from_numpy(fastinit.xavier_uniform((3, 4), seed=2)))
