"""torch bfloat16 tensors without ml_dtypes: filled in place, with the same bits as with ml_dtypes.

Each configuration runs tests/test_torch/torch_bfloat16_probe.py in a fresh process (with ml_dtypes made
unimportable, or with it), on 1 and 2 threads, and compares every initializer's bits, blocks of a
sharded layout, and whole bfloat16 models built with materialize and fast_init.
"""
import os
import pickle
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ml_dtypes")  # the reference bits come from the ml_dtypes path

PROBE = os.path.join(os.path.dirname(__file__), "torch_bfloat16_probe.py")


def probe(ml_dtypes, threads):
    res = subprocess.run([sys.executable, PROBE, ml_dtypes, str(threads)], capture_output=True, check=False)
    assert res.returncode == 0, res.stderr.decode()
    return pickle.loads(res.stdout)


@pytest.fixture(scope="module")
def reference():
    return probe("present", 1)


@pytest.mark.parametrize("threads", [1, 2])
def test_bits_without_ml_dtypes_equal_the_ml_dtypes_bits(reference, threads):
    got = probe("absent", threads)
    assert reference["has_ml_dtypes"] is True and got["has_ml_dtypes"] is False
    reference = {key: value for key, value in reference.items() if key != "has_ml_dtypes"}
    got = {key: value for key, value in got.items() if key != "has_ml_dtypes"}
    assert got.keys() == reference.keys()
    differ = [key for key in reference if got[key] != reference[key]]
    assert differ == []
    # Not vacuous: the fills wrote values (all-zero bits would also compare equal).
    for key in ("uniform", "normal", "orthogonal", "blocks_uniform"):
        assert torch.frombuffer(bytearray(got[key]), dtype=torch.int16).count_nonzero() > 0


def test_blocks_assemble_to_the_whole_tensor():
    whole = probe("absent", 2)
    code = ("import sys; sys.modules['ml_dtypes'] = None\n"
            "import torch, fastinit\n"
            "a = torch.empty(67, 131, dtype=torch.bfloat16); fastinit.uniform_(a, -1.0, 1.0, seed=11)\n"
            "sys.stdout.buffer.write(a.view(torch.int16).numpy().tobytes())\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == whole["blocks_uniform"]


def test_bfloat16_helpers_round_as_torch_does():
    from fastinit._arrays import bfloat16_bits, bfloat16_value

    rng = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(100_000, generator=rng) * 10.0 ** torch.randint(-30, 30, (100_000,), generator=rng),
                   torch.tensor([0.0, -0.0, 1.0, 1.00390625, 1.01171875, 3.3895313892515355e38, -1e-45])])
    expected = x.to(torch.bfloat16).view(torch.int16).numpy().view("u2")
    got = bfloat16_bits(x.numpy())
    assert (got == expected).all()
    assert (bfloat16_value(got) == x.to(torch.bfloat16).float().numpy()).all()
