"""Bad input: every error type and message, and nothing written where it should not be."""
import math

import numpy as np
import pytest

import fastinit
import fastinit as fi

NAN, INF = float("nan"), float("inf")

# In-place initializers and the minimal extra arguments they need.
ALL_IN_PLACE = [
    (fi.zeros_, ()), (fi.ones_, ()), (fi.constant_, (1.0,)), (fi.uniform_, ()), (fi.normal_, ()),
    (fi.truncated_normal_, ()), (fi.xavier_uniform_, ()), (fi.xavier_normal_, ()), (fi.he_uniform_, ()),
    (fi.he_normal_, ()), (fi.lecun_uniform_, ()), (fi.lecun_normal_, ()), (fi.variance_scaling_, ()),
    (fi.orthogonal_, ()), (fi.sparse_, (0.5,)), (fi.eye_, ()), (fi.dirac_, ()),
]
IDS = [f.__name__ for f, _ in ALL_IN_PLACE]


def _fitting_array(fn, dtype=np.float32):
    shape = (4, 2, 3) if fn is fi.dirac_ else (4, 6)
    return np.zeros(shape, dtype=dtype)


@pytest.mark.parametrize("fn, args", ALL_IN_PLACE, ids=IDS)
def test_read_only_array_is_a_value_error_and_untouched(fn, args):
    t = _fitting_array(fn)
    t.flags.writeable = False
    with pytest.raises(ValueError, match="tensor is read-only.*never copies"):
        fn(t, *args)
    assert np.all(t == 0)


#: The constant initializers also fill integer and bool arrays (as Keras allows).
EXACT_OK = (fi.zeros_, fi.ones_, fi.constant_, fi.eye_)
RANDOM_IN_PLACE = [(f, a) for f, a in ALL_IN_PLACE if f not in EXACT_OK]
#: The random initializers that also fill complex arrays (tests/test_complex.py); the others refuse them.
COMPLEX_OK = (fi.normal_, fi.variance_scaling_, fi.lecun_uniform_, fi.lecun_normal_, fi.orthogonal_,
              fi.delta_orthogonal_)


@pytest.mark.parametrize("fn, args", RANDOM_IN_PLACE, ids=[f.__name__ for f, _ in RANDOM_IN_PLACE])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.complex64, np.uint8, object, bool])
def test_non_float_arrays_are_type_errors(fn, args, dtype):
    if dtype is np.complex64 and fn in COMPLEX_OK:  # these fill complex64; not complex256
        if not hasattr(np, "complex256"):
            pytest.skip("NumPy has no complex dtype beyond complex128 on this platform")
        dtype = np.complex256
    t = _fitting_array(fn, dtype)
    kinds = "floating, complex" if fn in COMPLEX_OK else "floating"
    with pytest.raises(TypeError, match=f"tensor must have a {kinds} dtype .*float16, float32, float64"):
        fn(t, *args)


def test_complex_refusals_name_the_functions_that_take_complex():
    with pytest.raises(TypeError, match="got complex64 .complex64/complex128 are accepted by normal, variance_scaling"):
        fi.xavier_uniform_(np.zeros((3, 3), np.complex64))


@pytest.mark.parametrize("fn", EXACT_OK, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [object, ">i4", ">c8"])
def test_constants_refuse_object_and_foreign_byte_order(fn, dtype):
    t = np.zeros((4, 6), dtype=dtype)
    args = (1,) if fn is fi.constant_ else ()
    match = "tensor must have a floating(, complex)?, integer or bool dtype .*integer or bool"
    with pytest.raises(TypeError, match=match):
        fn(t, *args)


@pytest.mark.parametrize("fn, args", ALL_IN_PLACE, ids=IDS)
def test_lists_and_scalars_are_type_errors(fn, args):
    with pytest.raises(TypeError, match="tensor must be a NumPy array or a CPU tensor that supports DLPack, got list"):
        fn([[0.0, 1.0], [2.0, 3.0]], *args)
    with pytest.raises(TypeError, match="got float"):
        fn(1.0, *args)


def test_non_native_byte_order_is_refused():
    t = np.zeros((3, 3), dtype=">f4")
    with pytest.raises(TypeError, match="floating, complex dtype"):
        fi.normal_(t)


@pytest.mark.parametrize("dtype", ["int32", "complex256" if hasattr(np, "complex256") else "int16",
                                   "float128" if hasattr(np, "float128") else "int8", "x"])
def test_bad_dtype_for_new_arrays(dtype):
    with pytest.raises(TypeError, match="dtype must be one of float16, float32, float64, bfloat16"):
        fi.normal((3, 3), dtype=dtype)


@pytest.mark.parametrize("shape, error, match", [
    ((3, -1), ValueError, "negative dimensions are not allowed in shape"),
    (-2, ValueError, "negative dimensions"),
    ((3, 2.0), TypeError, "shape must be an int or a tuple of ints"),
    ("abc", TypeError, "shape must be an int or a tuple of ints"),
    (None, TypeError, "shape must be an int or a tuple of ints"),
    ((True, 3), TypeError, "shape must be an int or a tuple of ints"),
])
def test_bad_shapes(shape, error, match):
    with pytest.raises(error, match=match):
        fi.uniform(shape)
    with pytest.raises(error, match=match):
        fi.zeros(shape)


# --------------------------------------------------------------------------
# Parameters


@pytest.mark.parametrize("call, match", [
    (lambda: fi.uniform(3, 1.0, 0.0), r"uniform needs low <= high, got low=1.0, high=0.0"),
    (lambda: fi.uniform(3, NAN, 1.0), "low must be a finite number, got nan"),
    (lambda: fi.uniform(3, 0.0, INF), "high must be a finite number, got inf"),
    (lambda: fi.uniform(3, -1e308, 1e308), "high - low must be finite"),
    (lambda: fi.normal(3, 0.0, -1.0), "std must be >= 0, got -1.0"),
    (lambda: fi.normal(3, NAN), "mean must be a finite number"),
    (lambda: fi.normal(3, 0.0, INF), "std must be a finite number"),
    (lambda: fi.constant(3, NAN), "value must be a finite number"),
    (lambda: fi.truncated_normal(3, std=-0.1), "std must be >= 0"),
    (lambda: fi.truncated_normal(3, a=1.0, b=1.0), "truncated_normal needs a < b, got a=1.0, b=1.0"),
    (lambda: fi.truncated_normal(3, a=2.0, b=-2.0), "needs a < b"),
    (lambda: fi.truncated_normal(3, a=NAN), "the bounds a and b must not be NaN"),
    (lambda: fi.truncated_normal(3, mean=INF), "mean must be a finite number"),
    (lambda: fi.truncated_normal(3, 5.0, 0.0, -1.0, 1.0), r"with std=0 the mean must lie in \[a, b\]"),
    (lambda: fi.truncated_normal(3, 1.0, 1.0, 1.001, 1.002, dtype="bfloat16"),
     r"contains no finite bfloat16 value; widen the interval"),
    (lambda: fi.truncated_normal(3, 0.0, 1.0, 70000.0, 80000.0, dtype="float16"), "contains no finite float16 value"),
    (lambda: fi.truncated_normal(3, 0.0, 1.0, -INF, -1e5, dtype="float16"), "contains no finite float16 value"),
    (lambda: fi.truncated_normal(3, 0.0, 1.0, 1e39, INF), "contains no finite float32 value"),
    (lambda: fi.xavier_uniform((3, 4), gain=-1.0), "gain must be >= 0"),
    (lambda: fi.xavier_normal((3, 4), gain=NAN), "gain must be a finite number"),
    (lambda: fi.orthogonal((3, 4), gain=INF), "gain must be a finite number"),
    (lambda: fi.variance_scaling((3, 4), scale=0.0), "scale must be > 0, got 0.0"),
    (lambda: fi.variance_scaling((3, 4), scale=-2.0), "scale must be > 0"),
    (lambda: fi.sparse((3, 4), -0.1), r"sparsity must be in \[0, 1\], got -0.1"),
    (lambda: fi.sparse((3, 4), 1.5), r"sparsity must be in \[0, 1\]"),
    (lambda: fi.sparse((3, 4), NAN), "sparsity must be a finite number"),
    (lambda: fi.sparse((3, 4), 0.5, std=-1.0), "std must be >= 0"),
    (lambda: fi.he_uniform((3, 4), a=NAN), "negative_slope nan is not a valid number"),
    (lambda: fi.he_normal((3, 4), a=True), "negative_slope True is not a valid number"),
])
def test_bad_parameters_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call, match", [
    # Bounds the dtype cannot hold: values would round to inf and then be replaced by low.
    (lambda: fi.uniform(3, 0.0, 1e6, dtype="float16"), r"high=1000000.0 is outside the finite range of float16"),
    (lambda: fi.uniform(3, -7e4, 0.0, dtype="float16"), "low=-70000.0 is outside the finite range of float16"),
    (lambda: fi.uniform(3, 0.0, 1e39), "high=1e\\+39 is outside the finite range of float32"),
    (lambda: fi.uniform(3, 0.0, 3.4e38, dtype="bfloat16"), "outside the finite range of bfloat16"),
    # A span that overflows the float32 arithmetic of the float32/16/bfloat16 samplers (as PyTorch refuses).
    (lambda: fi.uniform(3, -3e38, 3e38), "high - low must be finite in float32 arithmetic"),
    (lambda: fi.uniform(3, -3e38, 3e38, dtype="bfloat16"), "high - low must be finite in float32 arithmetic"),
    # A constant the dtype cannot hold would be stored as inf (PyTorch's fill_ refuses it too).
    (lambda: fi.constant(3, 1e6, dtype="float16"), "value=1000000.0 is outside the finite range of float16"),
    (lambda: fi.constant(3, -1e40), "value=-1e\\+40 is outside the finite range of float32"),
])
def test_values_outside_the_dtype_range_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_values_at_the_dtype_range_limits_are_accepted():
    assert np.all(fi.constant(3, 65504.0, dtype="float16") == 65504.0)
    x = fi.uniform(10000, -65504.0, 65504.0, dtype="float16", seed=1).astype(np.float64)
    assert np.all(np.isfinite(x)) and x.min() >= -65504.0 and x.max() < 65504.0
    assert x.min() < -60000 and x.max() > 60000  # not collapsed onto low
    big = float(np.finfo(np.float32).max)
    x = fi.uniform(1000, -big / 2, big / 2, seed=2)
    assert np.all(np.isfinite(x)) and np.unique(x).size > 900
    assert np.all(np.isfinite(fi.uniform(1000, -1e300, 1e300, dtype="float64", seed=3)))


@pytest.mark.parametrize("call, match", [
    (lambda: fi.uniform(3, "0", 1.0), "low must be a real number, got str"),
    (lambda: fi.normal(3, 0.0, None), "std must be a real number, got NoneType"),
    (lambda: fi.constant(3, True), "value must be a real number, got bool"),
    (lambda: fi.truncated_normal(3, a=[1]), "a must be a real number, got list"),
    (lambda: fi.xavier_uniform((3, 4), gain="1"), "gain must be a real number"),
    (lambda: fi.dirac((3, 3, 3), groups=1.0), "groups must be a positive int"),
    (lambda: fi.uniform(3, seed=1.5), "seed must be an int in"),
    (lambda: fi.uniform(3, seed="1"), "seed must be an int in"),
])
def test_non_numbers_are_type_errors(call, match):
    with pytest.raises(TypeError, match=match):
        call()


@pytest.mark.parametrize("fn", [fi.he_uniform, fi.he_normal, fi.kaiming_uniform, fi.kaiming_normal])
def test_he_mode_and_nonlinearity_errors_list_choices(fn):
    with pytest.raises(ValueError, match="mode must be one of 'fan_in', 'fan_out'; got 'fan_avg'"):
        fn((3, 4), mode="fan_avg")
    with pytest.raises(ValueError, match="mode must be one of 'fan_in', 'fan_out'; got 'FAN_IN'"):
        fn((3, 4), mode="FAN_IN")
    with pytest.raises(ValueError, match="Unsupported nonlinearity 'gelu'; valid choices: 'linear', .*'selu'"):
        fn((3, 4), nonlinearity="gelu")


def test_variance_scaling_mode_and_distribution_errors_list_choices():
    with pytest.raises(ValueError, match="mode must be one of 'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'; "
                                         "got 'FAN_IN'"):
        fi.variance_scaling((3, 4), mode="FAN_IN")
    with pytest.raises(ValueError, match="distribution must be one of 'truncated_normal', 'untruncated_normal', "
                                         "'normal', 'uniform'; got 'gaussian'"):
        fi.variance_scaling((3, 4), distribution="gaussian")


FAN_BASED = [fi.xavier_uniform, fi.xavier_normal, fi.he_uniform, fi.he_normal, fi.lecun_uniform, fi.lecun_normal,
             fi.variance_scaling]


@pytest.mark.parametrize("fn", FAN_BASED, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(), (1,), (7,), (0,)])
def test_fan_based_need_two_dimensions(fn, shape):
    with pytest.raises(ValueError, match=r"fan_in and fan_out need a shape with at least 2 dimensions, got \("):
        fn(shape, seed=1)


@pytest.mark.parametrize("fn", FAN_BASED, ids=lambda f: f.__name__)
def test_fan_based_unknown_layout(fn):
    with pytest.raises(ValueError, match="layout must be one of 'torch', 'keras'; got 'nchw'"):
        fn((3, 4), layout="nchw")


# --------------------------------------------------------------------------
# Structured initializers


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), (), (1, 1, 1, 1)])
def test_eye_only_2d(shape):
    with pytest.raises(ValueError, match=r"eye_ needs a 2-D array, got \d dimensions"):
        fi.eye(shape)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4)])
def test_sparse_only_2d(shape):
    with pytest.raises(ValueError, match=r"sparse_ needs a 2-D array, got \d dimensions"):
        fi.sparse(shape, 0.1)


@pytest.mark.parametrize("shape", [(2,), (2, 3), (1, 1, 1, 1, 1, 1), ()])
def test_dirac_only_3_to_5_dims(shape):
    with pytest.raises(ValueError, match="dirac_ needs an array with 3, 4 or 5 dimensions"):
        fi.dirac(shape)


def test_dirac_groups_must_divide_dim0():
    with pytest.raises(ValueError, match=r"groups=4 must divide dim 0 of the array, got shape \(6, 2, 3\)"):
        fi.dirac((6, 2, 3), groups=4)
    with pytest.raises(ValueError, match="groups must be a positive int, got 0"):
        fi.dirac((6, 2, 3), groups=0)
    with pytest.raises(TypeError, match="groups must be a positive int"):
        fi.dirac((6, 2, 3), groups=True)


@pytest.mark.parametrize("shape", [(5,), ()])
def test_orthogonal_needs_two_dimensions(shape):
    with pytest.raises(ValueError, match="orthogonal_ needs an array with at least 2 dimensions"):
        fi.orthogonal(shape)


@pytest.mark.parametrize("fn, args", [(fi.orthogonal_, ()), (fi.sparse_, (0.5,)), (fi.eye_, ()), (fi.dirac_, ())],
                         ids=["orthogonal_", "sparse_", "eye_", "dirac_"])
def test_structured_refuse_sharding(fn, args):
    t = _fitting_array(fn)
    full = tuple(2 * d for d in t.shape)
    with pytest.raises(ValueError, match=f"{fn.__name__} does not support full_shape/offset"):
        fn(t, *args, full_shape=full)
    with pytest.raises(ValueError, match="does not support full_shape/offset"):
        fn(t, *args, offset=(0,) * t.ndim)
    assert np.all(t == 0)


def test_structured_out_of_place_refuse_sharding_too():
    with pytest.raises(ValueError, match="orthogonal_ does not support full_shape/offset"):
        fi.orthogonal((3, 3), full_shape=(6, 3), offset=(3, 0))


# --------------------------------------------------------------------------
# Sharding arguments of element-wise initializers


def test_bad_full_shape_and_offset():
    t = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"offset\[1\] = 2 with block size 3 does not fit in full_shape\[1\] = 4"):
        fi.normal_(t, full_shape=(4, 4), offset=(0, 2))
    with pytest.raises(ValueError, match="full_shape must have one entry per dimension of the array"):
        fi.xavier_uniform_(t, full_shape=(4, 4, 4))
    with pytest.raises(ValueError, match="offset must have one entry per dimension"):
        fi.uniform_(t, full_shape=(4, 4), offset=(1,))
    with pytest.raises(ValueError, match="does not fit"):
        fi.zeros_(t, full_shape=(4, 4), offset=(-1, 0))
    with pytest.raises(TypeError, match="offset must be a tuple of ints"):
        fi.he_normal_(t, full_shape=(4, 4), offset=(0.0, 1))
    with pytest.raises(ValueError, match="negative dimensions are not allowed in full_shape"):
        fi.normal_(t, full_shape=(4, -4))
    assert np.all(t == 0)


def test_nothing_written_on_parameter_errors():
    t = np.full((4, 5), 3.0, dtype=np.float32)
    for call in [lambda: fi.uniform_(t, 2, 1), lambda: fi.he_uniform_(t, mode="x"), lambda: fi.normal_(t, std=-1),
                 lambda: fi.sparse_(t, 2.0), lambda: fi.truncated_normal_(t, a=3, b=2),
                 lambda: fi.variance_scaling_(t, distribution="x"), lambda: fi.orthogonal_(t, gain=NAN)]:
        with pytest.raises(ValueError):
            call()
    assert np.all(t == 3.0)


# --------------------------------------------------------------------------
# Zero-element arrays


ZERO_ELEMENT_CALLS = [
    (fi.zeros_, ()), (fi.ones_, ()), (fi.constant_, (2.0,)), (fi.uniform_, ()), (fi.normal_, ()),
    (fi.truncated_normal_, ()), (fi.xavier_uniform_, ()), (fi.xavier_normal_, ()), (fi.lecun_uniform_, ()),
    (fi.lecun_normal_, ()), (fi.variance_scaling_, ()), (fi.orthogonal_, ()), (fi.sparse_, (0.3,)), (fi.eye_, ()),
]


@pytest.mark.parametrize("fn, args", ZERO_ELEMENT_CALLS, ids=[f.__name__ for f, _ in ZERO_ELEMENT_CALLS])
@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_zero_element_arrays_returned_unchanged(fn, args, shape):
    t = np.empty(shape, dtype=np.float32)
    assert fn(t, *args) is t


def test_zero_element_dirac_and_he():
    t = np.empty((0, 3, 3), dtype=np.float32)
    assert fi.dirac_(t) is t
    assert fi.dirac((3, 3, 0)).shape == (3, 3, 0)
    with pytest.warns(UserWarning, match="zero-element"):
        assert fi.he_uniform((0, 0)).shape == (0, 0)  # PyTorch's xavier raises ZeroDivisionError on (0, 0)


def test_extreme_but_valid_parameters_do_not_crash():
    x = fi.truncated_normal(1000, 0.0, 1.0, 30.0, 31.0, dtype="float64", seed=1)  # far tail
    assert x.min() >= 30.0 and x.max() <= 31.0
    x = fi.truncated_normal(1000, 0.0, 1e-30, -1.0, 1.0, seed=1)
    assert np.all(np.abs(x) < 1e-25)
    x = fi.uniform(1000, -1e300, 1e300, dtype="float64", seed=1)
    assert np.all(np.isfinite(x))
    assert math.isfinite(float(fi.he_uniform((1, 1), seed=1)[0, 0]))


@pytest.mark.parametrize("call, message", [
    (lambda: fastinit.normal((2**63,)), r"^shape=\(9223372036854775808,\) needs"),
    (lambda: fastinit.normal((2**64, 2)), r"^shape="),
    (lambda: fastinit.set_num_threads(2**31), r"^n must be a positive int, got 2147483648"),
    (lambda: fastinit.set_num_threads(10**30), r"^n must be a positive int"),
    (lambda: fastinit.normal_(np.zeros(3), full_shape=(2**60,), offset=(2**65,)), r"^offset\[0\]"),
    (lambda: fastinit.normal_(np.zeros(3), full_shape=(2**70,), offset=(0,)), r"^full_shape="),
])
def test_out_of_range_integers_are_clear_value_errors(call, message):
    """Issue 10, defect 6: pybind11's raw 'incompatible function arguments' TypeError reached users."""
    with pytest.raises(ValueError, match=message):
        call()
