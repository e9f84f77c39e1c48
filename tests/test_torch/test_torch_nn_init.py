"""fastinit.torch as a drop-in for torch.nn.init (fastinit/torch/_nn_init.py): signatures, values, layouts, refusals.

The ``generator=`` argument: test_torch_seeds.py; DTensor shards: test_torch_shard.py; the deprecated
aliases: test_torch_deprecated.py."""
import inspect
import math

import pytest
from initializer_checks import assert_same_distribution

import fastinit

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")

NAMES = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
         "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_"]
DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]

# (drop-in name, args, the fastinit core function and its args): the drop-in must give the core's values.
RANDOM = [
    ("uniform_", (-0.5, 2.0), fastinit.uniform_, (-0.5, 2.0)),
    ("normal_", (0.1, 0.02), fastinit.normal_, (0.1, 0.02)),
    ("trunc_normal_", (0.0, 1.0, -0.5, 1.5), fastinit.truncated_normal_, (0.0, 1.0, -0.5, 1.5)),
    ("xavier_uniform_", (0.7,), fastinit.xavier_uniform_, (0.7,)),
    ("xavier_normal_", (0.7,), fastinit.xavier_normal_, (0.7,)),
    ("kaiming_uniform_", (math.sqrt(5),), fastinit.kaiming_uniform_, (math.sqrt(5),)),
    ("kaiming_normal_", (0.0, "fan_out", "relu"), fastinit.kaiming_normal_, (0.0, "fan_out", "relu")),
    ("orthogonal_", (1.5,), fastinit.orthogonal_, (1.5,)),
    ("sparse_", (0.3, 0.05), fastinit.sparse_, (0.3, 0.05)),
]


def _np(t):
    return t.detach().float().numpy() if t.dtype in (torch.float16, torch.bfloat16) else t.detach().numpy()


@pytest.mark.parametrize("name", NAMES)
def test_same_signature_as_torch(name):
    ours, theirs = inspect.signature(getattr(ft, name)), inspect.signature(getattr(torch.nn.init, name))
    assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == \
           [(p.name, p.default, p.kind) for p in theirs.parameters.values()]


@pytest.mark.parametrize("name, args, core, core_args", RANDOM)
@pytest.mark.parametrize("dtype", DTYPES)
def test_values_are_the_cores_for_an_int_seed(name, args, core, core_args, dtype):
    t = torch.empty(40, 30, dtype=dtype)
    out = getattr(ft, name)(t, *args, generator=7)
    assert out is t
    expected = core(torch.empty(40, 30, dtype=dtype), *core_args, seed=7)
    assert torch.equal(t, expected)


def test_constants_eye_dirac():
    t = torch.empty(5, 7)
    assert ft.constant_(t, 0.25) is t and bool((t == 0.25).all())
    assert bool((ft.ones_(t) == 1).all()) and bool((ft.zeros_(t) == 0).all())
    assert torch.equal(ft.eye_(t), torch.nn.init.eye_(torch.empty(5, 7)))
    w = torch.empty(6, 3, 3, 3)
    assert torch.equal(ft.dirac_(w, 2), torch.nn.init.dirac_(torch.empty(6, 3, 3, 3), 2))
    assert ft.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)


def test_distributions_match_torch():
    # the core's parity is tested in tests/test_torch_parity.py; here through the drop-in on a Parameter
    for name, args in [("kaiming_uniform_", (math.sqrt(5),)), ("xavier_normal_", ()), ("trunc_normal_", (0, .02))]:
        ours = getattr(ft, name)(torch.nn.Parameter(torch.empty(300, 200)), *args, generator=1)
        theirs = getattr(torch.nn.init, name)(torch.empty(300, 200), *args, generator=torch.Generator().manual_seed(1))
        assert_same_distribution(_np(ours), _np(theirs))


def test_any_layout_gets_the_logical_values():
    ref = ft.normal_(torch.empty(8, 6, 5, 4), generator=2)
    cl = torch.empty(8, 6, 5, 4).to(memory_format=torch.channels_last)
    assert torch.equal(ft.normal_(cl, generator=2), ref) and cl.is_contiguous(memory_format=torch.channels_last)
    base = torch.zeros(6, 8)
    view = base.t()  # (8, 6) transposed view
    ft.uniform_(view, generator=4)
    assert torch.equal(view, ft.uniform_(torch.empty(8, 6), generator=4))


def test_parameter_written_in_place_without_grad_and_autograd_sees_it():
    p = torch.nn.Parameter(torch.zeros(10, 10))
    out = ft.xavier_uniform_(p, generator=1)
    assert out is p and p.requires_grad and p.grad_fn is None and p.abs().sum() > 0
    x = torch.ones(10, requires_grad=True)
    y = (p * x).sum() * p.sum()  # saves p for backward
    ft.normal_(p, generator=2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.bool, torch.complex64, torch.uint8])
@pytest.mark.parametrize("name", ["normal_", "ones_", "orthogonal_", "eye_"])
def test_non_float_tensors_are_refused(dtype, name):
    t = torch.zeros(4, 4, dtype=dtype)
    with pytest.raises(TypeError, match=r"tensor must have a floating dtype \(float16, bfloat16, float32 or float64\)"):
        getattr(ft, name)(t)
    assert bool((t == 0).all())


def test_meta_tensor_is_a_clear_error():
    with pytest.raises(ValueError, match="on the meta device.*materialize"):
        ft.normal_(torch.empty(3, 3, device="meta"))


def test_inference_tensor_refused_outside_inference_mode_and_allowed_inside():
    with torch.inference_mode():
        t = torch.zeros(5, 5)
    with pytest.raises(RuntimeError, match="tensor is an inference tensor"):
        ft.normal_(t, generator=1)
    assert bool((t == 0).all())
    with torch.inference_mode():
        ft.normal_(t, generator=1)
    assert torch.equal(t, ft.normal_(torch.empty(5, 5), generator=1))


def test_sparse_layout_refused():
    with pytest.raises(TypeError, match="dense"):
        ft.normal_(torch.zeros(3, 3).to_sparse())


@pytest.mark.parametrize("name, shape, match", [("orthogonal_", (5,), "at least 2 dimensions"),
                                                ("dirac_", (4, 4), "3, 4 or 5 dimensions"),
                                                ("eye_", (2, 2, 2), "2-D"), ("sparse_", (4,), "2-D")])
def test_impossible_shapes_refused_before_writing(name, shape, match):
    t = torch.zeros(shape)
    args = (0.5,) if name == "sparse_" else ()
    with pytest.raises(ValueError, match=match):
        getattr(ft, name)(t, *args)
    assert bool((t == 0).all())
