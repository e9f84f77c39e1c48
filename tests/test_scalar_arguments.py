"""Real scalar arguments given as 0-d arrays (NumPy, JAX, PyTorch) or NumPy scalars.

Wherever a real number is accepted, a 0-d array holding one gives exactly the
values of the Python float (``torch.nn.init`` and ``jax.nn.initializers``
accept them too); arrays with elements, and bools in any form, stay refused
with an error naming the argument.
"""
import numpy as np
import pytest

import fastinit as fi

# (function, positional arguments, the scalar keyword arguments): every real scalar parameter.
# The values are exact in float16, so a 0-d array of any float dtype holds the same number.
CALLS = [
    (fi.uniform, ((5, 7),), {"low": -0.5, "high": 0.75}),
    (fi.normal, ((5, 7),), {"mean": 0.25, "std": 0.125}),
    (fi.truncated_normal, ((5, 7),), {"mean": 0.25, "std": 0.5, "a": -0.5, "b": 1.0}),
    (fi.constant, ((5, 7),), {"value": 1.5}),
    (fi.xavier_uniform, ((5, 7),), {"gain": 1.5}),
    (fi.xavier_normal, ((5, 7),), {"gain": 1.5}),
    (fi.glorot_normal, ((5, 7),), {"gain": 1.5}),
    (fi.he_uniform, ((5, 7),), {"a": 0.25}),
    (fi.kaiming_normal, ((5, 7),), {"a": 0.25}),
    (fi.he_normal, ((5, 7),), {"a": 0.25}),
    (fi.variance_scaling, ((5, 7),), {"scale": 2.0}),
    (fi.orthogonal, ((5, 7),), {"gain": 1.5}),
    (fi.delta_orthogonal, ((3, 3, 4, 4),), {"gain": 1.5}),
    (fi.sparse, ((5, 7),), {"sparsity": 0.5, "std": 0.25}),
    (fi.eye, ((5, 7),), {"gain": 1.5}),
]
IDS = [f"{f.__name__}-{name}" for f, _, kw in CALLS for name in kw]
PER_ARGUMENT = [(f, args, kw, name) for f, args, kw in CALLS for name in kw]


def _call(fn, args, kwargs):
    return fn(*args, **kwargs) if fn in (fi.constant, fi.eye) else fn(*args, **kwargs, seed=3)


# NumPy's 0-d arrays and scalars of every real kind that holds the value.
NUMPY_FORMS = {
    "0d-float64": lambda v: np.array(v), "0d-float32": lambda v: np.array(v, np.float32),
    "0d-float16": lambda v: np.array(v, np.float16), "float32-scalar": np.float32,
}


@pytest.mark.parametrize("form", NUMPY_FORMS.values(), ids=NUMPY_FORMS.keys())
@pytest.mark.parametrize("fn, args, kwargs, name", PER_ARGUMENT, ids=IDS)
def test_numpy_0d_arrays_give_the_values_of_the_float(fn, args, kwargs, name, form):
    expected = _call(fn, args, kwargs)
    got = _call(fn, args, {**kwargs, name: form(kwargs[name])})
    assert got.dtype == expected.dtype and np.array_equal(got, expected)


@pytest.mark.parametrize("fn, args, kwargs, name", PER_ARGUMENT, ids=IDS)
def test_integer_0d_arrays_are_real_numbers(fn, args, kwargs, name):
    # an integer that keeps the call valid (low < high, a < b, sparsity in [0, 1))
    kw = {**kwargs, name: -1 if name == "low" or (name == "a" and fn is fi.truncated_normal) else
          0 if name == "sparsity" else 1}
    got = _call(fn, args, {**kw, name: np.array(kw[name], np.int16)})
    assert np.array_equal(got, _call(fn, args, kw))


def _refusal(fn, name):
    """The error type and message start for a bad ``name`` of ``fn``."""
    if name == "a" and fn is not fi.truncated_normal:  # kaiming's slope: calculate_gain's, a ValueError as PyTorch's
        return ValueError, "negative_slope .* is not a valid number"
    return TypeError, rf"{name} must be a (real )?number"


@pytest.mark.parametrize("fn, args, kwargs, name",
                         [c for c in PER_ARGUMENT if c[0] is not fi.constant],  # constant_ broadcasts arrays
                         ids=[i for i, c in zip(IDS, PER_ARGUMENT) if c[0] is not fi.constant])
def test_arrays_with_elements_are_refused_naming_the_argument(fn, args, kwargs, name):
    error, start = _refusal(fn, name)
    for bad in (np.array([kwargs[name]]), np.full((2,), kwargs[name])):
        with pytest.raises(error, match=rf"^{start}.*{'shape' if error is TypeError else ''}"):
            _call(fn, args, {**kwargs, name: bad})


def test_array_refusal_message():
    with pytest.raises(TypeError, match=r"^high must be a real number, got ndarray of shape \(2,\) "
                                        r"\(a scalar or a 0-d array is needed\)$"):
        fi.uniform(3, high=np.ones(2))


@pytest.mark.parametrize("fn, args, kwargs, name", PER_ARGUMENT, ids=IDS)
def test_bools_stay_refused_in_every_form(fn, args, kwargs, name):
    error, start = _refusal(fn, name)
    for bad in (True, np.True_, np.array(True)):
        with pytest.raises(error, match=rf"^{start}"):
            _call(fn, args, {**kwargs, name: bad})
    if error is TypeError and fn not in (fi.constant, fi.eye):  # the others say "got bool (bool values fill...)"
        with pytest.raises(TypeError, match=rf"^{name} must be a real number, got a 0-d ndarray holding bool$"):
            _call(fn, args, {**kwargs, name: np.array(True)})


def test_complex_and_text_0d_arrays_are_type_errors():
    with pytest.raises(TypeError, match=r"^high must be a real number, got a 0-d ndarray holding complex$"):
        fi.uniform(3, high=np.array(1 + 0j))
    with pytest.raises(TypeError, match=r"^std must be a real number, got a 0-d ndarray holding str$"):
        fi.normal(3, std=np.array("0.1"))


def test_calculate_gain_slope_as_a_0d_array():
    assert fi.calculate_gain("leaky_relu", np.array(0.2)) == fi.calculate_gain("leaky_relu", 0.2)
    assert fi.calculate_gain("leaky_relu", np.array(3, np.int8)) == fi.calculate_gain("leaky_relu", 3)
    # PyTorch's error type (ValueError) for what is not a number, bools included
    for bad in (np.array([0.2]), np.array(True), np.array("0.2")):
        with pytest.raises(ValueError, match="negative_slope .* is not a valid number"):
            fi.calculate_gain("leaky_relu", bad)


def test_rbm_evaluation_scalars_as_0d_arrays():
    pytest.importorskip("scipy")
    pytest.importorskip("sklearn")
    from fastinit.rbm_evaluation import base_rate_from_sums, log_likelihood

    rng = np.random.default_rng(0)
    X, W = (rng.random((4, 6)) < 0.5).astype(float), rng.normal(size=(3, 6))
    b, c = np.zeros(6), np.zeros(3)
    assert np.array_equal(log_likelihood(X, W, b, c, np.array(2.5)), log_likelihood(X, W, b, c, 2.5))
    sums = np.arange(6.0)
    assert np.array_equal(base_rate_from_sums(sums, 10, pseudo_count=np.array(2.0)),
                          base_rate_from_sums(sums, 10, pseudo_count=2.0))
    with pytest.raises(ValueError, match="log_z must be a finite real number"):
        log_likelihood(X, W, b, c, np.array([2.5]))


# --- PyTorch: 0-d tensors, as torch.nn.init accepts them ---

def test_torch_0d_tensors_give_the_values_of_the_float():
    torch = pytest.importorskip("torch")
    for fn, args, kwargs, name in PER_ARGUMENT:
        for dtype in (torch.float64, torch.float32, torch.float16, torch.bfloat16):
            got = _call(fn, args, {**kwargs, name: torch.tensor(kwargs[name], dtype=dtype)})
            assert np.array_equal(got, _call(fn, args, kwargs)), (fn.__name__, name, dtype)


def test_fastinit_torch_functions_take_0d_tensors():
    torch = pytest.importorskip("torch")
    import fastinit.torch as ft

    T = torch.tensor
    calls = [  # (function, positional arguments, keyword arguments)
        (ft.uniform_, (), {"a": -0.5, "b": 0.75}), (ft.normal_, (), {"mean": 0.25, "std": 0.125}),
        (ft.trunc_normal_, (), {"mean": 0.25, "std": 0.5, "a": -0.5, "b": 1.0}), (ft.constant_, (), {"val": 1.5}),
        (ft.xavier_uniform_, (), {"gain": 1.5}), (ft.xavier_normal_, (), {"gain": 1.5}),
        (ft.kaiming_uniform_, (), {"a": 0.25}), (ft.kaiming_normal_, (), {"a": 0.25}),
        (ft.orthogonal_, (), {"gain": 1.5}), (ft.sparse_, (), {"sparsity": 0.5, "std": 0.25}),
    ]
    for fn, args, kwargs in calls:
        seeded = {} if fn is ft.constant_ else {"generator": 5}
        expected = fn(torch.empty(5, 7), *args, **kwargs, **seeded)
        for name in kwargs:
            got = fn(torch.empty(5, 7), *args, **{**kwargs, name: T(kwargs[name])}, **seeded)
            assert torch.equal(got, expected), (fn.__name__, name)
    # the call, and torch.nn.init accepts the same
    t = ft.normal_(torch.empty(1000), std=T(0.1), generator=1)
    assert torch.equal(t, ft.normal_(torch.empty(1000), std=float(T(0.1)), generator=1))
    torch.nn.init.normal_(torch.empty(3), std=T(0.1))
    assert ft.calculate_gain("leaky_relu", T(0.25)) == ft.calculate_gain("leaky_relu", 0.25)


def test_torch_tensors_that_are_not_scalars_are_refused():
    torch = pytest.importorskip("torch")
    import fastinit.torch as ft

    with pytest.raises(TypeError, match=r"^std must be a real number, got Tensor of shape \(2,\)"):
        ft.normal_(torch.empty(3), std=torch.tensor([0.1, 0.2]))
    with pytest.raises(TypeError, match=r"^std must be a real number, got a 0-d Tensor holding bool"):
        ft.normal_(torch.empty(3), std=torch.tensor(True))
    with pytest.raises(TypeError, match=r"^std must be a real number; the 0-d Tensor given has no value to read "
                                        r"\(RuntimeError: .*meta"):
        ft.normal_(torch.empty(3), std=torch.tensor(0.1, device="meta"))


# --- JAX: 0-d jax.Arrays, as jax.nn.initializers accepts them ---

def test_fastinit_jax_factories_take_0d_arrays():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    import fastinit.jax as fij

    key, shape = jax.random.key(0), (5, 7)
    factories = [
        (fij.uniform, {"scale": 0.75}), (fij.normal, {"stddev": 0.125}),
        (fij.truncated_normal, {"stddev": 0.5, "lower": -1.0, "upper": 1.5}), (fij.constant, {"value": 1.5}),
        (fij.variance_scaling, {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}),
        (fij.orthogonal, {"scale": 1.5}),
    ]
    for factory, kwargs in factories:
        expected = factory(**kwargs)(key, shape)
        for name, value in kwargs.items():
            if isinstance(value, float):
                got = factory(**{**kwargs, name: jnp.array(value)})(key, shape)
                assert np.array_equal(np.asarray(got), np.asarray(expected)), (factory.__name__, name)
    # the call; the same numbers through the NumPy API
    assert np.array_equal(np.asarray(fij.uniform(jnp.array(1.0))(key, shape)),
                          np.asarray(fij.uniform(1.0)(key, shape)))
    assert np.array_equal(fi.uniform(shape, high=jnp.array(0.75), seed=2), fi.uniform(shape, high=0.75, seed=2))


def test_jax_values_that_are_not_scalars_are_refused():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    import fastinit.jax as fij

    with pytest.raises(TypeError, match=r"^scale must be a real number, got ArrayImpl of shape \(2,\)"):
        fij.variance_scaling(jnp.ones(2), "fan_in", "uniform")
    # inside jit a 0-d value has no number to read yet: an error naming the argument, not a wrong value
    with pytest.raises(TypeError, match=r"^high must be a real number; the 0-d \w+ given has no value to read"):
        jax.jit(lambda high: jnp.asarray(fi.uniform((3,), high=high, seed=0)))(1.0)


# --- Keras: the classes pass their scalars on to the same checks ---

def test_fastinit_keras_classes_take_0d_arrays():
    import importlib.util
    import os
    import sys

    if "keras" not in sys.modules and "KERAS_BACKEND" not in os.environ:  # as tests/test_keras_adapter.py
        os.environ["KERAS_BACKEND"] = next((b for b in ("jax", "torch") if importlib.util.find_spec(b)), "numpy")
    keras = pytest.importorskip("keras")
    import fastinit.keras as fik

    for cls, kwargs in [(fik.RandomUniform, {"minval": -0.5, "maxval": 2.0}), (fik.RandomNormal, {"stddev": 0.5}),
                        (fik.TruncatedNormal, {"mean": 0.25, "stddev": 0.5}), (fik.VarianceScaling, {"scale": 2.0}),
                        (fik.Orthogonal, {"gain": 1.5}), (fik.Constant, {"value": 1.5})]:
        seed = {} if cls is fik.Constant else {"seed": 3}
        expected = keras.ops.convert_to_numpy(cls(**kwargs, **seed)((6, 4)))
        for name, value in kwargs.items():
            got = keras.ops.convert_to_numpy(cls(**{**kwargs, name: np.array(value)}, **seed)((6, 4)))
            assert np.array_equal(got, expected), (cls.__name__, name)
    with pytest.raises(TypeError, match=r"^(stddev|std) must be a real number, got ndarray of shape \(2,\)"):
        fik.RandomNormal(stddev=np.ones(2))((6, 4))
