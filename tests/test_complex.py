"""Complex dtypes in the core functions: distributions (KS), variances, unitarity, stream layout, bit-identity, errors.

The complex forms are JAX's (``jax.nn.initializers`` for complex dtypes); fastinit.jax's are tested against
JAX itself in test_jax_complex.py. Nothing here needs JAX.
"""
import contextlib
import math

import numpy as np
import pytest
from initializer_checks import KS_P_MIN
from scipy import integrate, special, stats
from subprocess_checks import run_python

import fastinit as fi
from fastinit import _complex, _core

CDTYPES = ["complex64", "complex128"]
N = 200_000  # complex values per distribution test
#: The std of a standard complex normal (|z|**2 ~ Exp(1)) truncated to |z| <= 2: sqrt(1 - 4 / (e**4 - 1)).
KAPPA = 0.96196182800821


def _ks(values, cdf, what):
    p = stats.kstest(np.ravel(values).astype(np.float64), cdf).pvalue
    assert p > KS_P_MIN, f"KS test of {what} failed: p = {p:.3g}"


def _assert_mean_close(samples, expected, what):
    """The sample mean is within 5 standard errors of ``expected`` (a bias of a fraction of a percent fails)."""
    samples = np.ravel(samples).astype(np.float64)
    se = samples.std() / math.sqrt(samples.size)
    assert abs(samples.mean() - expected) < 5 * se, f"{what}: mean {samples.mean():.6g}, expected {expected:.6g}"


def _assert_circular(z):
    """Circular symmetry: angle ~ U(-pi, pi), E[z] = 0 and E[z**2] = 0 (no preferred direction)."""
    _ks(np.angle(z), stats.uniform(-np.pi, 2 * np.pi).cdf, "the angle against U(-pi, pi)")
    z = np.ravel(z).astype(np.complex128)
    for values, what in ((z.real, "Re z"), (z.imag, "Im z"), ((z * z).real, "Re z^2"), ((z * z).imag, "Im z^2")):
        _assert_mean_close(values, 0.0, what)


def _disk_part_cdf(radius):
    """CDF of the real (or imaginary) part of a point uniform in the disk of ``radius``."""
    def cdf(x):
        t = np.clip(np.asarray(x) / radius, -1.0, 1.0)
        return 0.5 + (t * np.sqrt(1.0 - t * t) + np.arcsin(t)) / np.pi
    return cdf


def _truncated_part_cdf(scale, bound=2.0):
    """CDF of the real part of ``scale * g``, ``g`` standard complex normal (density exp(-|g|**2) / pi), |g| <= bound.

    The marginal density of Re g is proportional to exp(-x**2) erf(sqrt(bound**2 - x**2)) on [-bound, bound].
    """
    x = np.linspace(-bound, bound, 40_001)
    density = np.exp(-x * x) * special.erf(np.sqrt(np.maximum(bound * bound - x * x, 0.0)))
    cum = integrate.cumulative_trapezoid(density, x, initial=0.0)
    cum /= cum[-1]
    return lambda v: np.interp(np.asarray(v) / scale, x, cum)


# --------------------------------------------------------------------------
# Exact distributions


@pytest.mark.parametrize("dtype", CDTYPES)
def test_complex_normal_parts_modulus_and_angle(dtype):
    std, mean = 0.3, 0.5 - 0.25j
    z = fi.normal((400, N // 400), mean, std, dtype=dtype, seed=11)
    assert z.dtype == dtype
    for part, m in ((z.real, mean.real), (z.imag, mean.imag)):
        _ks(part, stats.norm(m, std / math.sqrt(2)).cdf, "a part against N(m, std^2 / 2)")
    d = z - np.asarray(mean, dtype)
    _ks(np.abs(d) ** 2 / std**2, stats.expon.cdf, "|z - mean|^2 / std^2 against Exp(1)")
    _assert_circular(d)
    _assert_mean_close(np.abs(d) ** 2, std**2, "E|z - mean|^2")
    assert abs(np.corrcoef(d.real.ravel(), d.imag.ravel())[0, 1]) < 5 / math.sqrt(z.size)


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("fn, variance", [
    (lambda s, d: fi.variance_scaling(s, 2.0, "fan_in", "uniform", dtype=d, seed=3), 2.0 / 250),
    (lambda s, d: fi.lecun_uniform(s, dtype=d, seed=3), 1.0 / 250),
], ids=["variance_scaling", "lecun_uniform"])
def test_uniform_disk(fn, variance, dtype):
    z = fn((800, 250), dtype)  # torch layout: fan_in = 250
    radius = math.sqrt(2.0 * variance)
    assert np.abs(z).max() < radius
    _ks(np.abs(z) ** 2 / radius**2, stats.uniform.cdf, "|z|^2 / r^2 against U(0, 1)")
    for part in (z.real, z.imag):
        _ks(part, _disk_part_cdf(radius), "a part against the disk's marginal")
    _assert_circular(z)
    _assert_mean_close(np.abs(z) ** 2, variance, "E|z|^2 (the real case's variance)")


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("fn, variance", [
    (lambda s, d: fi.variance_scaling(s, 1.0, "fan_avg", "truncated_normal", dtype=d, seed=4), 1.0 / 525),
    (lambda s, d: fi.variance_scaling(s, 1.0, "fan_avg", "normal", dtype=d, seed=4), 1.0 / 525),  # Keras: truncated
    (lambda s, d: fi.lecun_normal(s, dtype=d, seed=4), 1.0 / 250),
], ids=["truncated_normal", "normal_is_truncated", "lecun_normal"])
def test_truncated_complex_normal(fn, variance, dtype):
    z = fn((800, 250), dtype)
    scale = math.sqrt(variance) / KAPPA  # z = scale * g, |g| <= 2
    g2 = np.abs(z.astype(np.complex128)) ** 2 / scale**2
    assert g2.max() <= 4.0 * (1 + 1e-6)
    _ks(g2, lambda s: -np.expm1(-np.minimum(s, 4.0)) / -math.expm1(-4.0), "|g|^2 against Exp(1) truncated to 4")
    for part in (z.real, z.imag):
        _ks(part, _truncated_part_cdf(scale), "a part against the truncated complex normal's marginal")
    _assert_circular(z)
    _assert_mean_close(np.abs(z) ** 2, variance, "E|z|^2 (the real case's variance)")


@pytest.mark.parametrize("dtype", CDTYPES)
def test_untruncated_variance_scaling_and_lecun_normal_are_the_complex_normal(dtype):
    z = fi.variance_scaling((800, 250), 2.0, "fan_out", "untruncated_normal", dtype=dtype, seed=5)
    std = math.sqrt(2.0 / 800)
    for part in (z.real, z.imag):
        _ks(part, stats.norm(0, std / math.sqrt(2)).cdf, "a part against N(0, v / 2)")
    _ks(np.abs(z) ** 2 / std**2, stats.expon.cdf, "|z|^2 / v against Exp(1)")
    _assert_circular(z)
    w = fi.lecun_normal((800, 250), truncated=False, dtype=dtype, seed=5)
    np.testing.assert_array_equal(w, fi.normal((800, 250), 0.0, math.sqrt(1 / 250), dtype=dtype, seed=5))


def test_the_truncation_constant_is_the_std_of_the_truncated_complex_normal():
    # E[|g|^2 | |g| <= 2] for |g|^2 ~ Exp(1), by quadrature; JAX's 0.95311164380491208 is sqrt(1 - 5 e^-4),
    # the same integral without dividing by P(|g| <= 2) = 1 - e^-4.
    second_moment = integrate.quad(lambda s: s * math.exp(-s), 0, 4)[0] / -math.expm1(-4)
    assert _complex.truncated_std(2.0) == pytest.approx(math.sqrt(second_moment), rel=1e-14)
    assert _complex.truncated_std(2.0) == pytest.approx(KAPPA, rel=1e-13)
    assert math.sqrt(1 - 5 * math.exp(-4)) == pytest.approx(0.95311164380491208, rel=1e-15)


# --------------------------------------------------------------------------
# Orthogonal


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("shape, column_axis", [((30, 30), None), ((20, 50), None), ((50, 20), -1),
                                                ((4, 5, 12), -1), ((6, 4, 5), 0)])
def test_orthogonal_is_unitary(shape, column_axis, dtype):
    gain = 1.5
    w = fi.orthogonal(shape, gain, column_axis=column_axis, dtype=dtype, seed=2)
    assert w.dtype == dtype and w.shape == shape and np.iscomplexobj(w)
    if column_axis is None:
        m = w.reshape(shape[0], -1)
    else:
        m = np.moveaxis(w, column_axis, -1).reshape(-1, shape[column_axis])
    m = m.astype(np.complex128)
    tol = 1e-5 if dtype == "complex64" else 1e-12
    if m.shape[0] <= m.shape[1]:
        np.testing.assert_allclose(m @ m.conj().T, gain**2 * np.eye(m.shape[0]), atol=tol * gain**2)
    else:
        np.testing.assert_allclose(m.conj().T @ m, gain**2 * np.eye(m.shape[1]), atol=tol * gain**2)
    assert np.abs(m.imag).max() > 0.1  # genuinely complex, not a real matrix stored as complex


def test_orthogonal_is_haar_distributed():
    # For a Haar unitary n x n matrix, |W_00|^2 ~ Beta(1, n - 1) and arg W_00 ~ U(-pi, pi); without the phase
    # correction d / |d| of diag(R) the phases would not be uniform.
    n, draws = 4, 3000
    w00 = np.array([fi.orthogonal((n, n), dtype="complex128", seed=s)[0, 0] for s in range(draws)])
    _ks(np.abs(w00) ** 2, stats.beta(1, n - 1).cdf, "|W_00|^2 against Beta(1, n - 1)")
    _ks(np.angle(w00), stats.uniform(-np.pi, 2 * np.pi).cdf, "arg W_00 against U(-pi, pi)")
    diag = np.array([np.diag(fi.orthogonal((n, n), dtype="complex128", seed=s)) for s in range(500)]).ravel()
    _ks(np.angle(diag), stats.uniform(-np.pi, 2 * np.pi).cdf, "arg W_ii against U(-pi, pi)")


@pytest.mark.parametrize("dtype", CDTYPES)
def test_delta_orthogonal_has_a_unitary_centre_tap(dtype):
    w = fi.delta_orthogonal((3, 4, 5, 8), 2.0, dtype=dtype, seed=6)
    centre = w[1, 1].astype(np.complex128)
    np.testing.assert_allclose(centre @ centre.conj().T, 4.0 * np.eye(5), atol=1e-4)
    w[1, 1] = 0
    assert not np.any(w)
    np.testing.assert_array_equal(centre.astype(dtype), fi.orthogonal((5, 8), 2.0, column_axis=-1, dtype=dtype,
                                                                      seed=6))


def test_orthogonal_in_place_keeps_the_callers_strided_array():
    whole = np.zeros((20, 30), np.complex64)
    view = whole[::2, 5:].T  # (25, 10), strided and transposed
    assert fi.orthogonal_(view, seed=8) is view
    np.testing.assert_array_equal(view, fi.orthogonal((25, 10), dtype="complex64", seed=8))
    assert not np.any(whole[1::2]) and not np.any(whole[:, :5])


# --------------------------------------------------------------------------
# Stream layout and bit-identity


def test_stream_layout_real_part_at_2k_imaginary_at_2k_plus_1():
    shape = (33, 17)
    z = fi.normal(shape, 0.0, 2.0, dtype="complex64", seed=21)
    pairs = fi.normal(shape + (2,), 0.0, 2.0 / math.sqrt(2), dtype="float32", seed=21)
    np.testing.assert_array_equal(z.real, pairs[..., 0])
    np.testing.assert_array_equal(z.imag, pairs[..., 1])
    # The polar forms read the pair (u, w) of U[0, 1) values at the same indices.
    u = fi.uniform(shape + (2,), dtype="float64", seed=22)
    z = fi.variance_scaling(shape, 1.0, "fan_in", "uniform", fan_in=8, dtype="complex128", seed=22)
    expected = math.sqrt(2 / 8) * np.sqrt(u[..., 0]) * np.exp(2j * np.pi * u[..., 1])
    np.testing.assert_allclose(z, expected, rtol=0, atol=1e-15)
    z = fi.variance_scaling(shape, 1.0, "fan_in", "truncated_normal", fan_in=8, dtype="complex128", seed=22)
    modulus = np.sqrt(-np.log1p(-(1 - math.exp(-4)) * u[..., 0])) * math.sqrt(1 / 8) / KAPPA
    np.testing.assert_allclose(z, modulus * np.exp(2j * np.pi * u[..., 1]), rtol=1e-14, atol=1e-15)


COMPLEX_FILLS = {
    "normal": lambda s, d, **kw: fi.normal(s, 0.5j, 2.0, dtype=d, seed=31, **kw),
    "disk": lambda s, d, **kw: fi.variance_scaling(s, 1.0, "fan_avg", "uniform", dtype=d, seed=31, **kw),
    "truncated": lambda s, d, **kw: fi.variance_scaling(s, 3.0, "fan_out", "truncated_normal", dtype=d, seed=31,
                                                        **kw),
    "untruncated": lambda s, d, **kw: fi.variance_scaling(s, 1.0, "fan_geo_avg", "untruncated_normal", dtype=d,
                                                          seed=31, **kw),
    "lecun_uniform": lambda s, d, **kw: fi.lecun_uniform(s, dtype=d, seed=31, **kw),
}


@contextlib.contextmanager
def _threads(n):
    old = fi.get_num_threads()
    fi.set_num_threads(n)
    try:
        yield
    finally:
        fi.set_num_threads(old)


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("name", COMPLEX_FILLS)
def test_same_bits_on_every_thread_count_and_isa(name, dtype):
    shape = (300, 1100)  # 660k floats: several threads' worth of blocks
    with _threads(1):
        reference = COMPLEX_FILLS[name](shape, dtype)
    for threads in (2, 3, 8):
        with _threads(threads):
            np.testing.assert_array_equal(COMPLEX_FILLS[name](shape, dtype), reference)
    old = _core.isa()
    try:
        for isa in _core.available_isas():
            _core.select_isa(isa)
            np.testing.assert_array_equal(COMPLEX_FILLS[name](shape, dtype), reference, err_msg=isa)
    finally:
        _core.select_isa(old)


def test_thread_count_environment_variable_gives_the_same_bits():
    code = ("import fastinit as fi, hashlib; z = fi.variance_scaling((400, 900), 1.0, 'fan_in', 'truncated_normal', "
            "dtype='complex64', seed=5); w = fi.normal((400, 900), 0.0, 1.0, dtype='complex128', seed=6); "
            "print(hashlib.sha256(z.tobytes() + w.tobytes()).hexdigest(), fi.get_num_threads())")
    runs = [run_python(code, {"FASTINIT_NUM_THREADS": n}) for n in ("1", "3")]
    for res in runs:
        assert res.returncode == 0, res.stderr
    (h1, t1), (h3, t3) = (res.stdout.split() for res in runs)
    assert (t1, t3) == ("1", "3") and h1 == h3


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("name", COMPLEX_FILLS)
def test_blocks_and_memory_layouts_give_the_values_of_the_whole(name, dtype):
    full = (40, 36)
    whole = COMPLEX_FILLS[name](full, dtype)
    for offset, shape in (((0, 0), (40, 36)), ((8, 5), (13, 20)), ((39, 35), (1, 1)), ((5, 0), (0, 36))):
        block = COMPLEX_FILLS[name](shape, dtype, full_shape=full, offset=offset)
        np.testing.assert_array_equal(block, whole[offset[0]:offset[0] + shape[0], offset[1]:offset[1] + shape[1]])
    in_place = {"normal": lambda t: fi.normal_(t, 0.5j, 2.0, seed=31),
                "disk": lambda t: fi.variance_scaling_(t, 1.0, "fan_avg", "uniform", seed=31),
                "truncated": lambda t: fi.variance_scaling_(t, 3.0, "fan_out", "truncated_normal", seed=31),
                "untruncated": lambda t: fi.variance_scaling_(t, 1.0, "fan_geo_avg", "untruncated_normal", seed=31),
                "lecun_uniform": lambda t: fi.lecun_uniform_(t, seed=31)}[name]
    fortran = np.zeros(full, dtype, order="F")
    in_place(fortran)
    np.testing.assert_array_equal(fortran, whole)
    big = np.zeros((80, 50), dtype)
    strided = big[::2, 7:43]  # non-contiguous rows: the component view keeps the caller's strides
    assert in_place(strided) is strided
    np.testing.assert_array_equal(strided, whole)
    assert not np.any(big[1::2]) and not np.any(big[:, :7]) and not np.any(big[:, 43:])
    # A block filled in place inside a larger array, with full_shape/offset.
    target = np.zeros((13, 20), dtype)
    {"normal": lambda t: fi.normal_(t, 0.5j, 2.0, seed=31, full_shape=full, offset=(8, 5)),
     "disk": lambda t: fi.variance_scaling_(t, 1.0, "fan_avg", "uniform", seed=31, full_shape=full, offset=(8, 5)),
     "truncated": lambda t: fi.variance_scaling_(t, 3.0, "fan_out", "truncated_normal", seed=31, full_shape=full,
                                                 offset=(8, 5)),
     "untruncated": lambda t: fi.variance_scaling_(t, 1.0, "fan_geo_avg", "untruncated_normal", seed=31,
                                                   full_shape=full, offset=(8, 5)),
     "lecun_uniform": lambda t: fi.lecun_uniform_(t, seed=31, full_shape=full, offset=(8, 5))}[name](target)
    np.testing.assert_array_equal(target, whole[8:21, 5:25])


def test_chunked_transform_covers_every_element_of_large_and_odd_shapes():
    # More elements than one transform chunk (2**16), rows longer than a chunk, and a 0-d array.
    for shape in ((3, 70_001), (70_000,), (2, 3, 40_000), ()):
        z = fi.variance_scaling(shape, 1.0, "fan_in", "uniform", fan_in=1, dtype="complex64", seed=9)
        u = fi.uniform(shape + (2,), dtype="float32", seed=9).astype(np.float64)
        expected = math.sqrt(2) * np.sqrt(u[..., 0]) * np.exp(2j * np.pi * u[..., 1])
        np.testing.assert_allclose(z, expected.astype(np.complex64), rtol=2e-7, atol=2e-7)


def test_generators_advance_by_one_call_and_an_int_seed_is_a_fresh_generator():
    g = fi.Generator(77)
    a = fi.variance_scaling((20, 30), dtype="complex64", seed=g)
    b = fi.variance_scaling((20, 30), dtype="complex64", seed=g)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, fi.variance_scaling((20, 30), dtype="complex64", seed=77))
    g = fi.Generator(77)
    fi.normal(0, dtype="complex128", seed=g)  # an empty array consumes its call too
    fi.orthogonal((0, 4), dtype="complex64", seed=g)
    np.testing.assert_array_equal(fi.normal((5, 5), dtype="complex128", seed=g), _third_call(77))


def _third_call(seed):
    g = fi.Generator(seed)
    fi.uniform(1, seed=g)
    fi.uniform(1, seed=g)
    return fi.normal((5, 5), dtype="complex128", seed=g)


# --------------------------------------------------------------------------
# Deterministic polynomials


def test_cos_sin_and_log_polynomials_match_numpy_to_a_few_ulp():
    w = np.concatenate([np.random.default_rng(0).random(200_000), np.arange(64) / 64, [1 - 2.0**-53]])
    cos, sin = _complex.cos_sin_2pi(w)
    np.testing.assert_allclose(cos, np.cos(2 * np.pi * w), rtol=0, atol=1e-15)
    np.testing.assert_allclose(sin, np.sin(2 * np.pi * w), rtol=0, atol=1e-15)
    t = np.concatenate([np.random.default_rng(1).random(200_000) * (1 - math.exp(-4)),
                        [0.0, 1e-300, 1e-20, 1e-9, 0.2928, 0.2929, 0.2930, 0.5, 0.75, 0.98]])
    np.testing.assert_allclose(_complex.neg_log1m(t), -np.log1p(-t), rtol=2e-15, atol=0)
    assert not np.signbit(_complex.neg_log1m(np.zeros(3))).any()  # -log(1 - 0) = +0 (a modulus, not -0)


# --------------------------------------------------------------------------
# Constants


@pytest.mark.parametrize("dtype", CDTYPES)
def test_complex_constants(dtype):
    np.testing.assert_array_equal(fi.zeros((2, 3), dtype=dtype), np.zeros((2, 3), dtype))
    np.testing.assert_array_equal(fi.ones((2, 3), dtype=dtype), np.ones((2, 3), dtype))
    c = fi.constant((2, 3), 1.5 - 2j, dtype=dtype)
    assert c.dtype == dtype and np.all(c == 1.5 - 2j)
    c = fi.constant((2, 3), np.array([1, 2j, 3 + 1j]), dtype=dtype)
    np.testing.assert_array_equal(c, np.broadcast_to(np.array([1, 2j, 3 + 1j], dtype), (2, 3)))
    t = np.zeros((4, 4), dtype)[::2].T
    assert fi.constant_(t, np.complex64(2 + 1j)) is t and np.all(t == 2 + 1j)


@pytest.mark.parametrize("call, error, match", [
    (lambda: fi.constant(3, 1 + 1j), TypeError, "value must be a real number .*complex values fill only complex64"),
    (lambda: fi.constant(3, [1j, 2]), TypeError, "complex values fill only complex64 and complex128 arrays"),
    (lambda: fi.constant(3, complex(1, np.inf), dtype="complex64"), ValueError, "value must be finite"),
    (lambda: fi.constant(3, 1e39j, dtype="complex64"), ValueError,
     r"outside the finite range of complex64: need \|real part\| and \|imaginary part\| <= 3.40282347e\+38"),
    (lambda: fi.normal_(np.zeros(3), 1j), TypeError, "mean must be a real number for a float64 array"),
    (lambda: fi.normal(3, complex(0, np.nan), dtype="complex64"), ValueError, "mean must be a finite number"),
    (lambda: fi.variance_scaling((2, 2), 1e77, fan_in=1, distribution="uniform", dtype="complex64"), ValueError,
     "the disk radius is .*beyond the finite range of complex64's components"),
    (lambda: fi.variance_scaling((2, 2), 1e77, fan_in=1, dtype="complex64"), ValueError,
     "the largest modulus .*beyond the finite range of complex64's components"),
])
def test_bad_complex_parameters(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------
# Refusals: the functions without complex forms say where complex values are


REFUSING_IN_PLACE = [
    (fi.uniform_, ()), (fi.truncated_normal_, ()), (fi.xavier_uniform_, ()), (fi.xavier_normal_, ()),
    (fi.glorot_uniform_, ()), (fi.glorot_normal_, ()), (fi.kaiming_uniform_, ()), (fi.kaiming_normal_, ()),
    (fi.he_uniform_, ()), (fi.he_normal_, ()), (fi.sparse_, (0.5,)), (fi.eye_, ()), (fi.dirac_, ()),
]


@pytest.mark.parametrize("fn, args", REFUSING_IN_PLACE, ids=[f.__name__ for f, _ in REFUSING_IN_PLACE])
@pytest.mark.parametrize("dtype", CDTYPES)
def test_initializers_without_complex_forms_refuse_complex_arrays(fn, args, dtype):
    t = np.zeros((4, 4, 3) if fn is fi.dirac_ else (4, 6), dtype)
    match = (f"tensor must have a floating(, integer or bool)? dtype .*; got {dtype} .complex64/complex128 are "
             "accepted by normal, variance_scaling, lecun_uniform, lecun_normal, orthogonal, delta_orthogonal, "
             "zeros, ones and constant")
    with pytest.raises(TypeError, match=match):
        fn(t, *args)
    assert not np.any(t)


@pytest.mark.parametrize("fn", [fi.uniform, fi.truncated_normal, fi.xavier_uniform, fi.he_normal, fi.kaiming_normal])
def test_out_of_place_forms_without_complex_values_refuse_complex_dtypes(fn):
    with pytest.raises(TypeError, match="dtype must be one of float16, float32, float64.*; got complex64 "
                                        ".complex64/complex128 are accepted by normal"):
        fn((4, 4), dtype="complex64")


def test_torch_complex_tensors_are_filled_in_place_and_conjugate_views_refused():
    torch = pytest.importorskip("torch")
    t = torch.zeros(30, 40, dtype=torch.complex64)
    view = t[:, 5:25].t()
    assert fi.variance_scaling_(view, 1.0, "fan_in", "uniform", seed=4) is view
    np.testing.assert_array_equal(view.numpy(), fi.variance_scaling((20, 30), 1.0, "fan_in", "uniform",
                                                                    dtype="complex64", seed=4))
    assert torch.count_nonzero(t[:, :5]) == 0
    with pytest.raises(TypeError, match="conjugate bit set"):
        fi.normal_(torch.zeros(3, 3, dtype=torch.complex64).conj())


def test_dask_chunks_of_complex_arrays_are_the_whole_arrays_values():
    pytest.importorskip("dask.array")
    import fastinit.dask as fid

    for name, core in (("normal", fi.normal), ("variance_scaling", fi.variance_scaling),
                       ("lecun_normal", fi.lecun_normal), ("zeros", fi.zeros)):
        seed = {} if name == "zeros" else {"seed": 3}
        lazy = getattr(fid, name)((50, 37), dtype="complex64", chunks=(16, 10), **seed)
        expected = core((50, 37), dtype="complex64", **seed)
        np.testing.assert_array_equal(lazy.compute(), expected)
    with pytest.raises(TypeError, match="dtype must be one of float16, float32, float64.*; got complex64"):
        fid.xavier_uniform((4, 4), dtype="complex64")
