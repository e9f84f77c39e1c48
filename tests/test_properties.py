"""Property tests (hypothesis): in-place fills over random shapes, dtypes, layouts,
parameters and shard splits.

The property: every call either fills exactly the requested elements with the
values of the same elements of the whole tensor (the out-of-place result for
``full_shape``, compared bit for bit), leaving every other byte of the buffer
unchanged, or raises ValueError/TypeError and leaves the array and every byte
around it unchanged. Arrays are views into a byte buffer with guard bytes on
both sides: 0-d to 6-d, zero-size dimensions, C/F/permuted orders, gaps,
negative strides and unaligned start addresses (offset 1..7 bytes). Calls
built from valid parameters must succeed, so the property cannot hold by
raising everywhere.

Bounded for CI: a fixed number of examples, derandomized, no example database.
"""
import math
import warnings

import numpy as np
import pytest

import fastinit
from fastinit._arrays import _DTYPE_CODES

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

settings.register_profile(
    "fastinit-ci", max_examples=250, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("fastinit-ci")

DTYPES = sorted(_DTYPE_CODES, key=str)  # float16, float32, float64 and bfloat16 with ml_dtypes
GUARD = 16  # guard bytes on each side of the view's extent
MAX_WHOLE = 4096  # elements of the whole tensor computed for comparison


# --------------------------------------------------------------------------- layouts
@st.composite
def layouts(draw, refused_dtypes=False):
    """(dtype, shape, strides in bytes, byte offset of element 0, buffer size); with
    ``refused_dtypes`` the dtype may also be int32 or complex64, which only some functions accept
    (see ``accepts``)."""
    dtype = draw(st.sampled_from(DTYPES * 4 + [np.dtype(np.int32), np.dtype(np.complex64)] if refused_dtypes
                                 else DTYPES))
    item = dtype.itemsize
    ndim = draw(st.integers(0, 6))
    shape = tuple(draw(st.lists(st.sampled_from([0] + [1, 2, 3, 4] * 3), min_size=ndim, max_size=ndim)))
    order = draw(st.permutations(range(ndim)))  # memory order of the dimensions, innermost first
    gaps = draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim))
    signs = draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim))
    strides = [0] * ndim
    step = item
    for k in order:
        strides[k] = step * gaps[k]
        step = strides[k] * max(shape[k], 1)
    strides = [-s if neg else s for s, neg in zip(strides, signs)]
    low = sum(s * (n - 1) for s, n in zip(strides, shape) if s < 0 and n > 0)
    high = sum(s * (n - 1) for s, n in zip(strides, shape) if s > 0 and n > 0) + item
    misalign = draw(st.integers(0, 7))
    start = GUARD - low + misalign  # byte offset of element (0, ..., 0)
    size = start + high + GUARD
    return dtype, shape, tuple(strides), start, size


def view_of(buf, dtype, shape, strides, start):
    return np.ndarray(shape, dtype, buffer=buf, offset=start, strides=strides)


def touched_bytes(size, dtype, shape, strides, start):
    """Boolean mask of the buffer bytes that belong to the view's elements."""
    mask = np.zeros(size, bool)
    if 0 in shape:
        return mask
    offsets = np.full((), start, dtype=np.int64)
    for s, n in zip(strides, shape):
        offsets = np.add.outer(offsets, np.arange(n, dtype=np.int64) * s)
    for b in range(dtype.itemsize):
        mask[offsets.ravel() + b] = True
    return mask


def bits(a):
    """The bit patterns of an array (NaN- and signed-zero-exact comparison)."""
    a = np.ascontiguousarray(a)
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


#: The functions of ``calls`` that fill complex arrays (JAX's complex forms); the others refuse them.
COMPLEX_KINDS = ("constant", "normal", "variance_scaling", "lecun_uniform")


def accepts(kind, dtype):
    """Whether ``kind`` fills arrays of ``dtype``: every function the floating dtypes, the constants integer and
    bool ones too, the functions with complex values complex64."""
    return dtype in DTYPES or (kind == "constant" and dtype.kind in "biu") or \
        (kind in COMPLEX_KINDS and dtype.kind == "c")


# --------------------------------------------------------------------------- calls
FINITE = st.floats(-1e3, 1e3, allow_nan=False)
ANY_FLOAT = st.one_of(FINITE, st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0.0, 1e300, -1e300]))


@st.composite
def calls(draw, ndim):
    """(function name, positional params, keyword params, valid-by-construction flag)."""
    kind = draw(st.sampled_from(["constant", "uniform", "normal", "truncated_normal", "xavier_uniform",
                                 "he_normal", "variance_scaling", "lecun_uniform"]))
    valid = draw(st.booleans())
    fans = {}
    fan_based = kind in ("xavier_uniform", "he_normal", "variance_scaling", "lecun_uniform")
    if fan_based and (ndim < 2 or draw(st.booleans())):
        fans = {"fan_in": draw(st.integers(1, 50)), "fan_out": draw(st.integers(1, 50))}
    if kind == "constant":
        args = (draw(FINITE),) if valid else (draw(ANY_FLOAT),)
    elif kind == "uniform":
        lo, hi = sorted(draw(st.lists(FINITE, min_size=2, max_size=2)))
        args = (lo, hi) if valid else (draw(ANY_FLOAT), draw(ANY_FLOAT))
    elif kind == "normal":
        args = (draw(FINITE), draw(st.floats(0, 100))) if valid else (draw(ANY_FLOAT), draw(ANY_FLOAT))
    elif kind == "truncated_normal":
        mean, std = draw(st.floats(-10, 10)), draw(st.floats(0.01, 10))
        a = draw(st.floats(-5, 5))
        b = a + draw(st.floats(0.5, 10))
        args = (mean, std, a, b) if valid else (draw(ANY_FLOAT), draw(ANY_FLOAT), draw(ANY_FLOAT), draw(ANY_FLOAT))
    elif kind == "xavier_uniform":
        args = (draw(st.floats(0, 5)),) if valid else (draw(ANY_FLOAT),)
    elif kind == "he_normal":
        args = (draw(st.floats(0, 5)),) if valid else (draw(ANY_FLOAT),)
    elif kind == "variance_scaling":
        dist = draw(st.sampled_from(["truncated_normal", "untruncated_normal", "uniform"]))
        args = (draw(st.floats(0.01, 10)), "fan_avg", dist) if valid else (draw(ANY_FLOAT), "fan_avg", dist)
    else:
        args = ()
    return kind, args, fans, valid


@st.composite
def shards(draw, shape):
    """(full_shape, offset, valid) or (None, None, True) for a whole-tensor call."""
    if not draw(st.booleans()):
        return None, None, True
    full = tuple(n + draw(st.integers(0, 3)) for n in shape)
    offset = tuple(draw(st.integers(0, f - n)) for f, n in zip(full, shape))
    if draw(st.integers(0, 4)) == 0:  # an invalid split: past the end, negative or the wrong length
        broken = draw(st.sampled_from(["past", "negative", "length"]))
        if broken == "past" and shape:
            k = draw(st.integers(0, len(shape) - 1))
            offset = offset[:k] + (full[k] - shape[k] + 1,) + offset[k + 1:]
        elif broken == "negative" and shape:
            offset = (-1,) + offset[1:]
        else:
            full = full + (1,)
        return full, offset, False
    return full, offset, True


# --------------------------------------------------------------------------- the property
@PROFILE
@given(st.data())
def test_in_place_fills_are_exact_or_refused_without_side_effects(data):
    dtype, shape, strides, start, size = data.draw(layouts(refused_dtypes=True))
    kind, args, fans, valid_call = data.draw(calls(len(shape)))
    full, offset, valid_shard = data.draw(shards(shape))
    seed = data.draw(st.integers(0, 2**64 - 1))
    whole_shape = shape if full is None else full
    hypothesis.assume(math.prod(whole_shape) <= MAX_WHOLE)

    rng = np.random.default_rng(size)
    buf = rng.integers(0, 256, size, dtype=np.uint8)
    before = buf.copy()
    view = view_of(buf, dtype, shape, strides, start)
    kwargs = dict(fans)
    if kind not in ("constant",):
        kwargs["seed"] = seed
    shard = {} if full is None else {"full_shape": full, "offset": offset}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # he_normal_ warns on zero-element arrays, as PyTorch
        try:
            out = getattr(fastinit, kind + "_")(view, *args, **kwargs, **shard)
        except (ValueError, TypeError):
            np.testing.assert_array_equal(buf, before)  # nothing written, guards included
            hypothesis.event("refused")
            if valid_shard:  # then the parameters are the reason: the whole tensor refuses them too
                with pytest.raises((ValueError, TypeError)):
                    getattr(fastinit, kind)(whole_shape, *args, dtype=dtype, **kwargs)
                # (a valid constant can still be refused by an integer dtype: 2.5 is not whole)
                assert not valid_call or not (accepts(kind, dtype) and dtype.kind in "fVc"), (kind, args, kwargs)
            return
        whole = getattr(fastinit, kind)(whole_shape, *args, dtype=dtype, **kwargs)

    assert out is view
    assert valid_shard and accepts(kind, dtype)
    hypothesis.event("filled" if view.size else "filled (empty)")
    mask = touched_bytes(size, dtype, shape, strides, start)
    np.testing.assert_array_equal(buf[~mask], before[~mask])  # guards and gaps untouched
    if full is not None:
        whole = whole[tuple(slice(o, o + n) for o, n in zip(offset, shape))]
    np.testing.assert_array_equal(bits(view), bits(whole))


@PROFILE
@given(layouts(), st.integers(0, 2**64 - 1))
def test_out_of_place_result_is_layout_independent(layout, seed):
    """The same call into any layout writes the same values (bit for bit)."""
    dtype, shape, strides, start, size = layout
    buf = np.zeros(size, np.uint8)
    view = view_of(buf, dtype, shape, strides, start)
    fastinit.normal_(view, 0.5, 2.0, seed=seed)
    np.testing.assert_array_equal(bits(view), bits(fastinit.normal(shape, 0.5, 2.0, seed=seed, dtype=dtype)))
    mask = touched_bytes(size, dtype, shape, strides, start)
    assert not buf[~mask].any()


@PROFILE
@given(st.lists(st.integers(1, 40), min_size=1, max_size=3), st.data())
def test_any_shard_split_reassembles_the_whole(full, data):
    """Blocks of any split along every dimension reassemble the whole tensor exactly."""
    full = tuple(full)
    dtype = data.draw(st.sampled_from(DTYPES))
    seed = data.draw(st.integers(0, 2**64 - 1))
    cuts = [sorted(set(data.draw(st.lists(st.integers(1, n - 1), max_size=3)))) if n > 1 else [] for n in full]
    out = np.zeros(full, dtype)
    edges = [[0, *c, n] for c, n in zip(cuts, full)]
    for idx in np.ndindex(*[len(e) - 1 for e in edges]):
        lo = [edges[k][i] for k, i in enumerate(idx)]
        hi = [edges[k][i + 1] for k, i in enumerate(idx)]
        block = np.empty([b - a for a, b in zip(lo, hi)], dtype, order=data.draw(st.sampled_from("CF")))
        fastinit.truncated_normal_(block, 0.0, 1.0, -1.5, 2.5, seed=seed, full_shape=full, offset=tuple(lo))
        out[tuple(slice(a, b) for a, b in zip(lo, hi))] = block
    np.testing.assert_array_equal(bits(out), bits(fastinit.truncated_normal(full, 0.0, 1.0, -1.5, 2.5, seed=seed,
                                                                            dtype=dtype)))
